// The page's link to Python: the calls made before Python started (in order, bounded by max_queue), the batches
// on their way, the acknowledgements that say Python handled them, and the watchdog that notices a Python that
// stopped answering. Where Python runs is the transport's business (a Web Worker for the tag; the page itself for
// PyScript pages); this module only speaks the protocol (py_bridge/protocol.py: TO_WORKER, FROM_WORKER).
//
// A transformation that never returns blocks Python: the link starts a new transport without that file, rebuilds
// its state from the calls already handled (their commands are not applied again) and hands it every call not yet
// handled. The file is named as the site numbered it (TransformList.remove).
import { later, put } from "./dom.js";
import { InFlightMessages } from "./in-flight.js";
import { emit, say } from "./report.js";
import { TransformWatch } from "./transform-watch.js";

const BATCH_MAX = 500; // calls per message to Python
const WATCHDOG_MS = 15000;

/**
 * @typedef {{ post(message: ToWorker): void, close(): void, forget?(): void }} Transport `forget`: consent refused, the
 *   transport's own storage goes (the worker's kept runtime)
 * @typedef {{ message(data: FromWorker | null): void, error(): void }} TransportHandlers
 * @typedef {(handlers: TransportHandlers) => Transport} OpenTransport opens one (throws an Error whose message is
 *   the reason, for the one error the page gets)
 * @typedef {{
 *   commands(commands: BridgeCommand[]): void,
 *   environment(): Record<string, unknown>,
 *   restart(env: Record<string, unknown>): void,
 *   stopped(): void
 * }} LinkHooks what the rest of the tag does for the link: apply Python's commands, describe the page for the
 *   init message (and a restart's), and tidy up once the bridge stopped
 */

export class PythonLink {
  /**
   * @param {import("./tag-config.js").TagConfig} config
   * @param {OpenTransport} openTransport
   * @param {LinkHooks} hooks
   * @param {import("./timeline.js").Timeline} timeline where the start-up phases are marked
   */
  constructor(config, openTransport, hooks, timeline) {
    this.config = config;
    this.timeline = timeline;
    this.openTransport = openTransport;
    this.hooks = hooks;
    /** @type {"starting" | "running" | "failed"} */
    this.state = config.error ? "failed" : "starting";
    this.startRequested = false;
    /** @type {BridgeItem[]} */
    this.pending = []; // calls made before Python started, in order
    this.droppedBeforeStart = 0;
    /** @type {BridgeItem[]} */
    this.outbox = [];
    this.flushQueued = false;
    /** @type {Transport | null} */
    this.transport = null;
    this.inFlight = new InFlightMessages();
    /** @type {unknown} */
    this.lastState = null; // the bridge state Python last handed over (op "state"): a restart starts from it
    this.transforms = new TransformWatch(() => config.transforms.urls.length, config.transformLoadMs, WATCHDOG_MS,
      (index, why) => { if (this.state !== "failed") this.restartWithout(index, why); });
    this.restarting = false;
    /** @type {ReturnType<typeof setTimeout> | null} */
    this.watchdog = null;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.startTimer = undefined;
  }

  /**
   * @param {string} message the one error the page gets
   * @param {boolean} [told] Python already said why (its `stop` after the settings error): no second line
   */
  fail(message, told) {
    if (this.state === "failed") return;
    this.state = "failed";
    if (!told) {
      say("error", message + "; py-bridge is disabled on this page (your page keeps working)");
      emit("pybridge:log", { level: "error", message: message });
    }
    if (this.pending.length) say("warn", this.pending.length + " queued call(s) dropped");
    this.pending = [];
    this.outbox = [];
    clearTimeout(this.startTimer);
    this.transforms.cleared();
    if (this.watchdog) clearTimeout(this.watchdog);
    this.close();
    this.hooks.stopped();
  }

  close() {
    try {
      if (this.transport) this.transport.close();
    } catch (e) { /* already gone */ }
    this.transport = null;
  }

  /** Consent refused: whatever the transport keeps goes (the page deletes it too, for a worker that is gone). */
  forget() {
    try {
      if (this.transport && this.transport.forget) this.transport.forget();
    } catch (e) { /* a worker already gone keeps nothing open */ }
  }

  /** True (and the drop counted and reported once) when a call made now would not fit before Python starts. */
  full() {
    if (this.state !== "starting" || this.pending.length < this.config.maxQueue) return false;
    this.send(null);
    return true;
  }

  /** @param {BridgeItem | null} item null only counts (and reports) a drop: see full() */
  send(item) {
    if (this.state === "failed") return; // disabled: the one error already told the page why
    if (this.state === "starting") {
      if (this.pending.length >= this.config.maxQueue || item === null) {
        if (this.droppedBeforeStart++ === 0) {
          say("warn", "pre-start queue is full (" + this.config.maxQueue + " calls, setting max_queue); further calls are dropped until Python starts");
        }
        return;
      }
      this.pending.push(item);
      return;
    }
    if (this.inFlight.full(this.outbox.length)) return;
    if (item === null) return; // a drop to count only exists before the start (full)
    this.outbox.push(item);
    if (!this.flushQueued) {
      this.flushQueued = true;
      later(() => this.flush());
    }
  }

  /**
   * @param {ToWorker} message
   * @param {number} count the calls it carries
   */
  post(message, count) {
    message.seq = this.inFlight.sent(count, this.config.transforms.urls.length ? message.items || [] : null);
    /** @type {Transport} */ (this.transport).post(message); // only called while Python runs
    if (!this.watchdog) this.armWatchdog();
  }

  // Liveness, not backlog: a Python that is busy with a long backlog still sends a heartbeat at least every second,
  // so the watchdog only fires when nothing at all came back for WATCHDOG_MS while work was outstanding.
  armWatchdog() {
    this.watchdog = setTimeout(() => {
      this.watchdog = null;
      if (!this.inFlight.outstanding()) return;
      const suspect = this.transforms.suspect();
      if (suspect >= 0) this.restartWithout(suspect);
      else this.fail("the py-bridge worker stopped responding (crashed or killed)");
    }, WATCHDOG_MS);
  }

  /**
   * @param {number} index the file's position in the list Python got
   * @param {string} [why] what the file did (default: it did not return from a call)
   */
  restartWithout(index, why) {
    const where = this.config.transforms.remove(index);
    this.transforms.cleared();
    if (this.watchdog) clearTimeout(this.watchdog); // the old transport's: the new one is watched from its first message
    this.watchdog = null;
    say("error", "the transformation " + where + " " + (why || "did not return within " + WATCHDOG_MS / 1000 + " s") + "; the worker was restarted without it (no call lost)");
    put(this.config.settings, "transform", this.config.transforms.urls.slice());
    const unhandled = this.inFlight.takeUnhandled();
    this.close();
    this.restarting = true;
    this.pending = unhandled.concat(this.outbox, this.pending);
    this.outbox = [];
    this.state = "starting";
    this.start();
  }

  heard() {
    if (!this.watchdog) return;
    clearTimeout(this.watchdog);
    this.watchdog = null;
    if (this.inFlight.outstanding()) this.armWatchdog();
  }

  flush() {
    this.flushQueued = false;
    if (this.state !== "running" || !this.outbox.length) return;
    const items = this.outbox;
    this.outbox = [];
    for (let i = 0; i < items.length; i += BATCH_MAX) {
      const slice = items.slice(i, i + BATCH_MAX);
      this.post({ type: "batch", items: slice }, slice.length);
    }
  }

  /** @param {FromWorker | null} message */
  onWorkerMessage(message) {
    if (!message || typeof message !== "object" || this.state === "failed") return;
    this.heard();
    if (message.type === "ack" || message.type === "transform") this.transforms.cleared(); // Python's own sign only
    switch (message.type) {
      case "started":
        this.started(message);
        break;
      case "ack":
        this.inFlight.acknowledge(message.seq);
        this.heard();
        break;
      case "alive": break; // a busy Python, not a dead one: heard() above was all it needed
      case "transform":
        this.transforms.mark(message);
        break;
      case "commands":
        if (Array.isArray(message.commands)) this.hooks.commands(message.commands);
        break;
      case "log":
        say(message.level === "error" ? "error" : "warn", String(message.message).slice(0, 2000));
        break;
      case "fatal":
        this.fail(String(message.message).slice(0, 500));
        break;
    }
  }

  /** @param {FromWorker} message */
  started(message) {
    clearTimeout(this.startTimer);
    this.state = "running";
    const items = this.pending;
    this.pending = [];
    if (this.droppedBeforeStart) say("warn", this.droppedBeforeStart + " call(s) were dropped before Python started (pre-start queue bound " + this.config.maxQueue + ")");
    /** @type {ToWorker & { env: Record<string, unknown> }} */
    const init = { type: "init", settings: this.config.settings, env: this.hooks.environment(), items: items };
    if (this.restarting) {
      if (this.lastState) init.state = this.lastState; // a restart: go on from the previous Python's state
      this.hooks.restart(init.env);
      this.restarting = false;
    }
    this.post(init, items.length);
    // The figures travel as data (`started`): the line is for people, readers use the field.
    this.timeline.adopt(message.at, message.phases);
    this.timeline.mark("python_ready");
    const started = this.timeline.pythonStarted(message.ms, message.mode, message.fallback);
    emit("pybridge:log", {
      level: "info",
      message: "Python started in " + started.ms + " ms" + (started.mode === "snapshot" ? " (from snapshot)" : ""),
      started: started
    });
  }

  /** @param {string} reason for the debug line */
  requestStart(reason) {
    if (this.startRequested || this.state !== "starting") return;
    this.startRequested = true;
    this.timeline.mark("python_requested");
    emit("pybridge:log", { level: "debug", message: "starting Python (" + reason + ")" });
    this.start();
  }

  start() {
    /** @type {Transport | null} */
    let current = null;
    try {
      current = this.transport = this.openTransport({
        // A closed transport's late messages are never applied: only the current one speaks for Python.
        message: (data) => { if (current === this.transport) this.onWorkerMessage(data); },
        error: () => {
          if (current !== this.transport) return;
          this.fail(this.state === "starting"
            ? "could not load its worker (a bundle file is missing, served with the wrong MIME type, or blocked by the Content-Security-Policy)"
            : "the py-bridge worker crashed");
        }
      });
    } catch (e) {
      this.transport = null;
      this.fail(String(/** @type {Error} */ (e).message));
      return;
    }
    const limit = this.config.startTimeoutMs;
    this.startTimer = setTimeout(() => {
      if (this.state === "starting") this.fail("Python did not start within " + limit / 1000 + " s (a bundle asset is missing, served with the wrong MIME type, or blocked by the Content-Security-Policy)");
    }, limit);
  }
}
