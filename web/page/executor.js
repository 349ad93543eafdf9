// The executor: the only things Python can make happen in the page. Each command op of the protocol that is
// applied in the page (py_bridge/protocol.py COMMANDS) has one case; anything else is ignored. What reaches
// Intercom is checked again here: the method against Intercom's allowlist, the page's consent answer, and the
// app, API host and launcher against the settings this page parsed (PinnedSettings).
//
// Commands are applied in order, in slices of at most ~8 ms, so a burst never becomes a long task on the page.
import { PROTOCOL } from "../shared/protocol.js";
import { messageOf } from "./dom.js";
import { forget } from "./forget.js";
import { PREFIX, emit, say } from "./report.js";
import { redact } from "./redact.js";

/**
 * @typedef {{
 *   config: import("./tag-config.js").TagConfig,
 *   consent: import("./consent.js").ConsentAnswer,
 *   pinned: import("./pinned.js").PinnedSettings,
 *   widget: import("./widget-loader.js").WidgetLoader,
 *   visitor: import("./visitor.js").Visitor,
 *   callbacks: import("./callbacks.js").CallCallbacks,
 *   ready: import("./callbacks.js").ReadyCallbacks,
 *   exports: import("./debug-exports.js").DebugExports,
 *   pages: import("./pages.js").PageWatch,
 *   signal(name: string, data: Record<string, unknown>): void,
 *   stop(): void,
 *   keepState(state: unknown): void
 * }} ExecutorParts what the commands act on, and how to tell the link (a signal to Python, the bridge stopped,
 *   the state a restart goes on from)
 */

export class Executor {
  /** @param {ExecutorParts} parts */
  constructor(parts) {
    this.parts = parts;
    /** @type {Record<MessengerEventName, Function[]>} the page's intercom.on() functions */
    this.listeners = { show: [], hide: [], unread: [] };
    /** @type {BridgeCommand[]} */
    this.queue = [];
    this.index = 0;
    this.draining = false;
  }

  /** @param {BridgeCommand[]} commands */
  schedule(commands) {
    for (let i = 0; i < commands.length; i++) this.queue.push(commands[i]);
    if (!this.draining) {
      this.draining = true;
      this.drain();
    }
  }

  drain() {
    const started = performance.now();
    while (this.index < this.queue.length) {
      const command = this.queue[this.index++];
      try {
        this.apply(command);
      } catch (e) {
        // One failing step is one warning; the commands after it still run.
        say("warn", "could not apply '" + String(command && command.op).slice(0, 20) + "' in this page: " + String(messageOf(e)).slice(0, 200));
      }
      if (performance.now() - started > 8 && this.index < this.queue.length) {
        setTimeout(() => this.drain(), 0);
        return;
      }
    }
    this.queue = [];
    this.index = 0;
    this.draining = false;
  }

  /** @param {BridgeCommand} command */
  apply(command) {
    if (!command || typeof command !== "object") return;
    const parts = this.parts;
    switch (command.op) {
      case "settings": this.settings(command.settings); break;
      case "load": this.load(command.src); break;
      case "call": this.callIntercom(command.method, command.args); break;
      case "listen": this.listen(command.event); break;
      case "log": this.log(command.level, command.message); break;
      case "ready": parts.ready.fire(); break;
      case "emit":
        emit("pybridge:event", { event: String(command.event), properties: command.properties || {} });
        break;
      case "watch_pages": parts.pages.watch(); break;
      case "stop": parts.stop(); break;
      case "callback": parts.callbacks.run(/** @type {number} */ (command.id)); break;
      case "identity":
        parts.visitor.userId = typeof command.user_id === "string" ? command.user_id : null;
        parts.visitor.traits = command.traits || {};
        break;
      case "trace": this.trace(command); break;
      case "export": parts.exports.answer(/** @type {number} */ (command.id), typeof command.jsonl === "string" ? command.jsonl : ""); break;
      case "forget": this.forget(command); break;
      case "state": parts.keepState(command.state); break;
      default: /* unknown operations are ignored: the executor only does what it was built to do */
    }
  }

  /**
   * Python's decision to load the Messenger (a script the page started early is not loaded twice).
   * @param {unknown} src
   */
  load(src) {
    if (!this.parts.consent.allows("the Messenger's script")) return;
    this.parts.widget.load(src);
  }

  /** @param {unknown} settings */
  settings(settings) {
    if (!this.parts.consent.allows("intercomSettings")) return;
    const foreign = this.parts.pinned.foreignKey(settings);
    if (foreign) say("error", "refused intercomSettings: its " + foreign + " is not the one this page configured");
    else if (settings && typeof settings === "object") window.intercomSettings = settings;
  }

  /**
   * @param {unknown} method
   * @param {unknown} args
   */
  callIntercom(method, args) {
    if (!this.parts.consent.allows("Intercom('" + String(method).slice(0, 20) + "')")) return;
    if (typeof method !== "string" || PROTOCOL.intercom_methods.indexOf(method) === -1 || !Array.isArray(args)) return;
    if (this.parts.widget.status === "failed" || typeof window.Intercom !== "function") return;
    const foreign = method === "boot" || method === "update" ? this.parts.pinned.foreignKey(args[0]) : null;
    if (foreign) return say("error", "refused Intercom('" + method + "'): its " + foreign + " is not the one this page configured");
    emit("pybridge:log", { level: "call", method: method, args: redact(args) });
    try {
      window.Intercom.apply(window, /** @type {[string, ...unknown[]]} */ ([method].concat(args)));
    } catch (e) {
      say("warn", "Intercom('" + method + "') threw: " + messageOf(e));
    }
  }

  /** @param {unknown} messengerEvent */
  listen(messengerEvent) {
    if (messengerEvent !== "show" && messengerEvent !== "hide" && messengerEvent !== "unread") return;
    this.callIntercom(PROTOCOL.listen_methods[messengerEvent], [(/** @type {unknown} */ value) => {
      // Intercom calls its show and hide listeners with nothing and its unread listener with the count: the functions get
      // the same (a Python function of a PyScript page takes exactly those arguments).
      this.listeners[messengerEvent].forEach((fn) => {
        try { if (messengerEvent === "unread") fn(value); else fn(); } catch (e) { say("warn", "an intercom.on('" + messengerEvent + "') callback threw: " + messageOf(e)); }
      });
      if (messengerEvent !== "unread") this.parts.signal("messenger", { event: messengerEvent });
    }]);
  }

  /**
   * @param {unknown} asked the level Python gave
   * @param {unknown} message
   */
  log(asked, message) {
    /** @type {"error" | "warn" | "info" | "debug"} */
    const level = asked === "error" ? "error" : asked === "warn" ? "warn" : asked === "info" ? "info" : "debug";
    if (level !== "debug" || this.parts.config.debug) say(level, String(message).slice(0, 2000));
    emit("pybridge:log", { level: level, message: String(message).slice(0, 2000) });
  }

  /** @param {BridgeCommand} command Python's forget: the intercomSettings keys and the cookies it names */
  forget(command) {
    forget(Array.isArray(command.settings_keys) ? command.settings_keys : [], Array.isArray(command.cookies) ? command.cookies : []);
  }

  /** @param {BridgeCommand} command */
  trace(command) {
    if (!this.parts.config.debug) return;
    try {
      const c = console;
      c.groupCollapsed(PREFIX + " " + String(command.title).slice(0, 200));
      c.log("received:", command.received);
      (command.steps || []).forEach((step) => c.log(String(step).slice(0, 2000)));
      (command.intercom || []).forEach((made) => c.log("Intercom(" + JSON.stringify(made).slice(1, -1).slice(0, 2000) + ")"));
      if (!(command.intercom || []).length) c.log("no Intercom call");
      c.groupEnd();
    } catch (e) { /* a console that throws must not break the page */ }
  }
}
