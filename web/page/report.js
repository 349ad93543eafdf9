// What the tag tells people and page code: `[py-bridge]` console lines (never thrown: a console that throws must
// not break the page) and the `pybridge:log` / `pybridge:event` window events page code may listen to.

export const PREFIX = "[py-bridge]";

/**
 * @param {"debug" | "info" | "warn" | "error"} level
 * @param {string} message
 */
export function say(level, message) {
  try {
    console[level](PREFIX + " " + message);
  } catch (e) { /* a console that throws must not break the page */ }
}

/**
 * @param {"pybridge:log" | "pybridge:event"} type
 * @param {unknown} detail
 */
export function emit(type, detail) {
  try {
    window.dispatchEvent(new CustomEvent(type, { detail: detail }));
  } catch (e) { /* listeners are the page's business */ }
}

/** A warning said once per kind for the life of the page (a page that repeats a mistake gets one line). */
export class OnceWarnings {
  constructor() {
    /** @type {Record<string, boolean>} */
    this.warned = {};
  }

  /**
   * @param {string} kind
   * @param {string} message
   */
  warn(kind, message) {
    if (this.warned[kind] === true) return;
    this.warned[kind] = true;
    say("warn", message);
  }
}
