// What Python has been sent and has not acknowledged yet: the messages' sequence numbers (the watchdog waits for
// their acks), the calls they carry (a bound: a Python far behind gets no more, and the page says so once), and,
// when transformation files run, the items themselves (a restart without a stuck file hands them to the new Python).
import { say } from "./report.js";

const MAX_BACKLOG = 50000; // calls Python has not handled yet; beyond it new calls are dropped and counted

export class InFlightMessages {
  constructor() {
    this.seq = 0;
    this.acked = 0;
    this.backlog = 0; // calls posted and not yet acknowledged
    /** @type {InFlight[]} */
    this.entries = []; // [seq, calls, items] per message
    this.droppedBusy = 0;
  }

  /** Something sent has not been acknowledged. */
  outstanding() {
    return this.acked < this.seq;
  }

  /**
   * True (and the drop counted, said once) when Python is too far behind to take one more call.
   * @param {number} waiting calls not yet sent
   */
  full(waiting) {
    if (this.backlog + waiting < MAX_BACKLOG) return false;
    if (this.droppedBusy++ === 0) say("warn", "the worker is " + MAX_BACKLOG + " calls behind; new calls are dropped until it catches up");
    return true;
  }

  /**
   * A message is on its way: its sequence number.
   * @param {number} count the calls it carries
   * @param {BridgeItem[] | null} items kept for a restart (only while transformation files run), else null
   */
  sent(count, items) {
    const seq = ++this.seq;
    this.backlog += count;
    this.entries.push([seq, count, items]);
    return seq;
  }

  /** @param {unknown} upTo Python's ack */
  acknowledge(upTo) {
    if (typeof upTo !== "number" || upTo <= this.acked) return;
    this.acked = upTo;
    while (this.entries.length && this.entries[0][0] <= this.acked) {
      const done = /** @type {InFlight} */ (this.entries.shift()); // the loop checked there is one
      this.backlog -= done[1];
    }
    if (this.droppedBusy && this.backlog < MAX_BACKLOG / 2) {
      say("warn", this.droppedBusy + " call(s) were dropped while the worker was busy (backlog bound " + MAX_BACKLOG + " calls)");
      this.droppedBusy = 0;
    }
  }

  /** A restart: the items Python never acknowledged, in order; nothing is outstanding any more. */
  takeUnhandled() {
    /** @type {BridgeItem[]} */
    let unhandled = [];
    this.entries.forEach((entry) => { if (entry[2]) unhandled = unhandled.concat(entry[2]); });
    this.entries = [];
    this.backlog = 0;
    this.acked = this.seq;
    return unhandled;
  }
}
