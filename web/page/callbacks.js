// The page's functions the tag calls back: a call's callback (once, when Python says the call was handled or
// after callback_timeout_ms, whichever comes first) and ready(fn) (once, when the Messenger loaded or the bridge
// stopped). A callback that throws is one warning; it never breaks the tag or the other callbacks.
import { PROTOCOL } from "../shared/protocol.js";
import { messageOf } from "./dom.js";
import { say } from "./report.js";

export class CallCallbacks {
  constructor() {
    /** @type {Record<number, PendingCallback>} */
    this.pending = {};
    this.seq = 0;
  }

  /** @param {unknown} fn a function the page passed (the caller checked its type) */
  register(fn) {
    const id = ++this.seq;
    this.pending[id] = { fn: /** @type {() => void} */ (fn), timer: setTimeout(() => this.run(id), PROTOCOL.callback_timeout_ms) };
    return id;
  }

  /** @param {number} id */
  run(id) {
    const entry = Object.prototype.hasOwnProperty.call(this.pending, id) ? this.pending[id] : null;
    if (!entry) return; // already run: never twice
    delete this.pending[id];
    clearTimeout(entry.timer);
    try {
      entry.fn();
    } catch (e) {
      say("warn", "a callback passed to a call threw: " + String(messageOf(e)).slice(0, 200));
    }
  }
}

export class ReadyCallbacks {
  constructor() {
    /** @type {Function[]} */
    this.waiting = [];
    this.fired = false;
  }

  /** @param {Function} fn */
  add(fn) {
    if (this.fired) setTimeout(() => ReadyCallbacks.call(fn), 0);
    else this.waiting.push(fn);
  }

  fire() {
    if (this.fired) return;
    this.fired = true;
    this.waiting.splice(0).forEach(ReadyCallbacks.call);
  }

  /** @param {Function} fn */
  static call(fn) {
    try { fn(); } catch (e) { say("warn", "a ready() callback threw: " + messageOf(e)); }
  }
}
