// Start-up as data: each phase the page sees (the tag ran, Python asked for, the worker's own phases, the
// Messenger's script requested, the Messenger started) is a `performance.mark` named `pybridge:<phase>` in the
// page's timeline, so the browser's tools, the bench and a regression report all name the phase that moved. With
// how Python started, they are the `started` data of the "Python started" log event and the first line of
// `debug.export()` (startupLine).
import { PROTOCOL } from "../shared/protocol.js";

/** @typedef {{ ms: number, mode: "snapshot" | "normal", phases: Record<string, number>, fallback?: string }} Startup */

export class Timeline {
  constructor() {
    /** @type {Record<string, number>} phase -> ms since the page's navigation started */
    this.phases = {};
    /** @type {{ ms: number, mode: "snapshot" | "normal", fallback?: string } | null} how Python started, once it has */
    this.python = null;
  }

  /**
   * @param {string} phase
   * @param {number} [at] ms since navigation (default: now)
   */
  mark(phase, at) {
    try {
      const startTime = typeof at === "number" && isFinite(at) ? Math.max(0, at) : performance.now();
      this.phases[phase] = Math.round(startTime);
      performance.mark("pybridge:" + phase, { startTime: startTime });
    } catch (e) { /* no User Timing: the figures are a convenience */ }
  }

  /**
   * The phases Python's side measured from its own start (`started`: ms since `at`, an epoch time), placed on the
   * page's timeline.
   * @param {unknown} at
   * @param {unknown} phases
   */
  adopt(at, phases) {
    if (typeof at !== "number" || !phases || typeof phases !== "object") return;
    const base = at - performance.timeOrigin;
    const measured = /** @type {Record<string, unknown>} */ (phases);
    Object.keys(measured).forEach((phase) => {
      const ms = measured[phase];
      if (typeof ms === "number" && /^[a-z_]{1,32}$/.test(phase)) this.mark("worker_" + phase, base + ms);
    });
  }

  /**
   * Python has started (the worker's `started` message): how, and the start-up so far.
   * @param {unknown} ms how long the start took, measured by the worker
   * @param {unknown} mode "snapshot" or "normal"
   * @param {unknown} fallback why a snapshot start fell back to a normal one (the doctor and the bench say it)
   * @returns {Startup}
   */
  pythonStarted(ms, mode, fallback) {
    this.python = Object.assign(
      { ms: typeof ms === "number" && isFinite(ms) ? Math.round(ms) : 0, mode: mode === "snapshot" ? /** @type {const} */ ("snapshot") : /** @type {const} */ ("normal") },
      typeof fallback === "string" ? { fallback: fallback.slice(0, 300) } : {});
    return /** @type {Startup} */ (this.startup());
  }

  /** How this session started, with every phase so far; null before Python started. */
  startup() {
    return this.python ? Object.assign({}, this.python, { phases: Object.assign({}, this.phases) }) : null;
  }

  /** debug.export()'s first line (`{"startup": ...}` and a newline), or "" before Python started. */
  startupLine() {
    const startup = this.startup();
    return startup ? JSON.stringify({ [PROTOCOL.startup_record]: startup }) + "\n" : "";
  }
}
