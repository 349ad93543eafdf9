// pybridge.debug.export(): a promise per request, settled by Python's `export` command with the session's events
// as JSON lines after a first line on how the session started (the page's timeline), or with "" when nothing is or
// will be recorded (Python not started, or the bridge stopped).

export class DebugExports {
  /** @param {import("./timeline.js").Timeline} timeline the start-up phases, the answer's first line */
  constructor(timeline) {
    this.timeline = timeline;
    /** @type {Record<number, (jsonl: string) => void>} */
    this.waiting = {};
    this.seq = 0;
  }

  /**
   * @param {boolean} answerable Python runs or will run: the request goes to it (ask), else it settles at once
   * @param {(id: number) => void} ask
   * @returns {Promise<string>}
   */
  request(answerable, ask) {
    return new Promise((resolve) => {
      const id = ++this.seq;
      this.waiting[id] = resolve;
      if (answerable) ask(id);
      else this.finish(id, "");
    });
  }

  /**
   * Python's answer: the start-up line, then the events.
   * @param {number} id
   * @param {string} jsonl
   */
  answer(id, jsonl) {
    this.finish(id, this.timeline.startupLine() + jsonl);
  }

  /**
   * @param {number} id
   * @param {string} jsonl
   */
  finish(id, jsonl) {
    const resolve = Object.prototype.hasOwnProperty.call(this.waiting, id) ? this.waiting[id] : null;
    delete this.waiting[id];
    if (resolve) resolve(jsonl);
  }

  /** The tag stopped: every export still waiting settles with nothing (no answer will come). */
  settle() {
    Object.keys(this.waiting).forEach((id) => this.finish(Number(id), ""));
  }
}
