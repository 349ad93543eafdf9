// Start-up as data: each phase the page sees (the tag ran, Python asked for, the worker's own phases, the
// Messenger's script requested, the Messenger started) is a `performance.mark` named `pybridge:<phase>` in the
// page's timeline, so the browser's tools, the bench and a regression report all name the phase that moved.

export class Timeline {
  constructor() {
    /** @type {Record<string, number>} phase -> ms since the page's navigation started */
    this.phases = {};
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

  /** A copy, for the `started` data. */
  copy() {
    return Object.assign({}, this.phases);
  }
}
