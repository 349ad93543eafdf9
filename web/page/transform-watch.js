// Which of the site's transformation files Python is in, and its time limit. Python names the file it is about to
// load or run (`transform` messages); only its own sign that it came back (the ack of the message, or the mark of the
// next file) clears that record: anything else may come from the file itself (a log line, stderr, its own
// postMessage) while it hangs. A file's limit runs from its mark and no other message resets it (a file that keeps
// posting while it hangs keeps the link's watchdog quiet): loading it, transform_load_ms (a top-level endless loop);
// running it on an event, the watchdog's limit. When it expires, the link goes on without that file.

export class TransformWatch {
  /**
   * @param {() => number} count how many files Python was given (the list shrinks when one is dropped)
   * @param {number} loadMs a file's limit to load (setting transform_load_ms)
   * @param {number} runMs a file's limit to run on an event (the link's watchdog)
   * @param {(index: number, why?: string) => void} expired the file `index` went over its limit
   */
  constructor(count, loadMs, runMs, expired) {
    this.count = count;
    this.loadMs = loadMs;
    this.runMs = runMs;
    this.expired = expired;
    this.current = -1; // the file Python said it is in (index into the list it got)
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
  }

  /**
   * Python is about to load or run a file (`index`, `phase` "load" or "run").
   * @param {FromWorker} message
   */
  mark(message) {
    if (typeof message.index === "number" && message.index < this.count()) this.current = message.index;
    if (this.current < 0) return;
    const file = this.current;
    const loading = message.phase === "load";
    this.timer = setTimeout(() => {
      if (this.current !== file) return;
      this.expired(file, loading ? "did not finish loading within " + this.loadMs + " ms (setting transform_load_ms)" : undefined);
    }, loading ? this.loadMs : this.runMs);
  }

  /** Python came back from the file it named (an ack, or the next file's mark). */
  cleared() {
    this.current = -1;
    clearTimeout(this.timer);
  }

  /** The file to blame when Python stops answering, or -1 (Python was in none). */
  suspect() {
    return this.current >= 0 && this.current < this.count() ? this.current : -1;
  }
}
