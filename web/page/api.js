// The public API, window.pybridge (typed in web/embed.d.ts): analytics.js's call shapes, Messenger controls,
// consent, ready, the read-only user views, debug mode and export, and push() for calls queued as arrays. Every
// entry point is guarded: whatever the page passes (throwing getters, hostile toString), nothing is thrown.
import { PROTOCOL } from "../shared/protocol.js";
import { CAPTURED_KEYS, pageContext } from "./context.js";
import { messageOf, own } from "./dom.js";
import { encodeArgs } from "./encoding.js";
import { forgetNow } from "./forget.js";
import { say } from "./report.js";

/**
 * @typedef {{
 *   version: string,
 *   config: import("./tag-config.js").TagConfig,
 *   link: import("./link.js").PythonLink,
 *   visitor: import("./visitor.js").Visitor,
 *   consent: import("./consent.js").ConsentAnswer,
 *   callbacks: import("./callbacks.js").CallCallbacks,
 *   ready: import("./callbacks.js").ReadyCallbacks,
 *   exports: import("./debug-exports.js").DebugExports,
 *   listeners: Record<MessengerEventName, Function[]>,
 *   warnings: import("./report.js").OnceWarnings,
 *   endInteractionWait(): void,
 *   consentGiven(): void,
 *   startsByItself(): boolean
 * }} ApiParts
 */

/**
 * @param {ApiParts} parts
 * @returns {{ api: Record<string, any>, replayQueue(queue: unknown[]): void }} api: built method by method, its
 *   public type is PyBridge (web/embed.d.ts); replayQueue: what the page queued before the tag ran
 */
export function createApi(parts) {
  const { config, link, visitor, consent, ready, exports } = parts;
  /** @type {Record<string, any>} */
  const api = { __pybridge: true, VERSION: parts.version, intercom: {} };
  const registerCallback = (/** @type {unknown} */ fn) => parts.callbacks.register(fn);
  const warnKeys = (/** @type {string} */ message) => parts.warnings.warn("keys", message);
  /** @param {BridgeItem} item */
  const send = (item) => link.send(item);

  /**
   * @param {string} label the entry point, for the warning
   * @param {(...args: any[]) => void} fn takes page input (any: whatever the page passes)
   */
  function guarded(label, fn) {
    return function () {
      try {
        fn.apply(null, /** @type {any} */ (arguments));
      } catch (e) {
        say("warn", label + "() failed: " + String(messageOf(e)).slice(0, 200));
      }
      return api;
    };
  }

  let lastCallWasReset = false;
  /**
   * @param {string} method
   * @param {ArrayLike<unknown>} args page input
   * @param {Record<string, unknown>} context
   */
  function sendCall(method, args, context) {
    if (method === "reset") {
      if (lastCallWasReset && link.state !== "failed") return; // a burst of resets is one logout
      visitor.forget();
      visitor.save();
    }
    lastCallWasReset = method === "reset";
    if (link.full()) return;
    context.anonymous_id = visitor.anonymousId;
    send({ kind: "call", method: method, args: encodeArgs(args, registerCallback, warnKeys), context: context });
  }

  PROTOCOL.calls.forEach((method) => {
    api[method] = guarded(method, function () { sendCall(method, arguments, pageContext(visitor.anonymousId)); });
  });
  PROTOCOL.controls.forEach((method) => {
    api.intercom[method] = guarded("intercom." + method, function () {
      if (!link.full()) send({ kind: "control", method: method, args: encodeArgs(arguments, null, warnKeys) });
    });
  });
  api.intercom.on = guarded("intercom.on", (messengerEvent, fn) => {
    const known = typeof messengerEvent === "string" && Object.prototype.hasOwnProperty.call(PROTOCOL.listen_methods, messengerEvent);
    if (!known || typeof fn !== "function") {
      say("warn", "intercom.on(event, fn): event must be show, hide or unread and fn a function; ignored");
      return;
    }
    parts.listeners[/** @type {MessengerEventName} */ (messengerEvent)].push(fn);
    send({ kind: "listen", event: messengerEvent });
  });
  api.ready = guarded("ready", (fn) => {
    if (typeof fn !== "function") return say("warn", "ready(fn): fn must be a function; ignored");
    if (link.state === "failed") ready.fired = true;
    ready.add(fn);
  });
  api.consent = guarded("consent", (granted) => {
    if (granted === true) {
      visitor.allowStorage(); // storage is touched only now
    } else {
      visitor.storageAllowed = !config.consentRequired;
      visitor.forget();
      parts.endInteractionWait(); // no Messenger will come: the look-alike launcher goes
      link.forget(); // the worker deletes the runtime it kept, after any write of its own
      forgetNow(String(config.get("app_id") || config.get("appId") || ""), consent.answer === "denied");
    }
    consent.answer = granted === true ? "granted" : "denied";
    send({ kind: "consent", granted: granted === true, anonymous_id: visitor.anonymousId });
    if (granted === true) parts.consentGiven(); // Intercom's load may start now, while Python starts
  });
  // Read-only views of who the bridge believes the user is, as analytics.js offers them.
  api.user = () => {
    const snapshot = { userId: visitor.userId, traits: JSON.parse(JSON.stringify(visitor.traits)) };
    return {
      id: () => snapshot.userId,
      anonymousId: () => visitor.anonymousId,
      traits: () => JSON.parse(JSON.stringify(snapshot.traits))
    };
  };
  api.anonymousId = function () {
    if (arguments.length) say("warn", "anonymousId() is read-only in py-bridge; the argument was ignored");
    return visitor.anonymousId;
  };
  // Debug mode: one collapsed console group per call (data-debug on the tag, or pybridge.debug(true) for this tab).
  /** @param {unknown} wanted page input: anything but false turns debug mode on */
  api.debug = (wanted) => {
    try {
      config.debug = wanted !== false;
      try {
        if (config.debug) window.sessionStorage.setItem(PROTOCOL.storage.debug, "1");
        else window.sessionStorage.removeItem(PROTOCOL.storage.debug);
      } catch (e) { /* storage blocked: this page view only */ }
      send({ kind: "debug", on: config.debug });
    } catch (e) { /* never throw */ }
    return api;
  };
  // Python answers in the export's place among the calls, once it runs; when it does not start by itself (the
  // interaction policy, before the visitor reaches for the launcher) or never will (stopped), it settles with "".
  api.debug.export = () => exportNow(link.state !== "failed" && (link.startRequested || parts.startsByItself()) && !link.full());
  /** @param {boolean} answerable Python will answer (else "" at once) */
  const exportNow = (answerable) => exports.request(answerable, (id) => send({ kind: "export", id: id }));
  // Calls pushed as arrays after load keep working, like analytics.js.
  api.push = guarded("push", (entry) => replay(entry));

  /** @param {any} entry page input: `[method, ...args]` (with `ctx` from the snippet), or anything else */
  function replay(entry) {
    try {
      const method = entry && typeof entry === "object" ? entry[0] : undefined;
      if (typeof method !== "string") return say("warn", "pybridge.push(): expected [method, ...args]; ignored");
      // Read at most max_args arguments by index: a hostile `length` must not make us walk billions of slots.
      const entryLength = Number(entry.length);
      const args = [];
      for (let i = 1; i <= PROTOCOL.limits.max_args && i < entryLength; i++) args.push(entry[i]);
      if (PROTOCOL.calls.indexOf(method) !== -1) {
        // The snippet captures where and when; the browser facts it leaves out (locale, user agent, timezone) and the
        // anonymous id come from now.
        const context = pageContext(visitor.anonymousId);
        const captured = entry.ctx;
        if (captured && typeof captured === "object") {
          CAPTURED_KEYS.forEach((key) => {
            const value = own(captured, key);
            if (typeof value === "string" || (key === "timestamp" && typeof value === "number")) context[key] = value;
          });
        }
        sendCall(method, args, context);
      } else if (method === "ready" || method === "consent" || method === "debug") {
        api[method].apply(api, args);
      } else if (method === "debug.export") {
        // The snippet's debug.export() before the load, `["debug.export", fn]`: fn gets what it answers.
        settleWith(args[0], api.debug.export());
      } else if (method.indexOf("intercom.") === 0 && PROTOCOL.controls.indexOf(method.slice(9)) !== -1) {
        api.intercom[method.slice(9)].apply(api, args);
      } else if (method === "intercom.on") {
        api.intercom.on.apply(api, args);
      } else {
        say("warn", "pybridge.push(): unknown method " + JSON.stringify(method.slice(0, 40)) + "; ignored");
      }
    } catch (e) {
      say("warn", "pybridge.push() failed: " + String(messageOf(e)).slice(0, 200));
    }
  }

  return { api: api, replayQueue: replayQueue };

  /**
   * @param {unknown} done the snippet's resolve function
   * @param {Promise<string>} answer
   */
  function settleWith(done, answer) {
    answer.then((jsonl) => {
      if (typeof done !== "function") return;
      try { done(jsonl); } catch (e) { say("warn", "a debug.export() callback threw: " + messageOf(e)); }
    });
  }

  /**
   * The calls the page queued before the tag ran (`window.pybridge` was an array): replayed in order. Stopped
   * before it started (a configuration error), the queue is dropped at once, never replayed call by call, but a
   * queued ready(fn) still runs (the page awaits it, and "failed" is an answer) and a debug.export() settles.
   * @param {unknown[]} queue
   */
  function replayQueue(queue) {
    if (link.state === "failed") {
      if (queue.length) say("warn", queue.length + " queued call(s) dropped");
      for (let r = 0; r < queue.length; r++) {
        const queued = /** @type {unknown[]} */ (queue[r]); // page input: checked before use
        if (Array.isArray(queued) && queued[0] === "ready") api.ready(queued[1]);
        else if (Array.isArray(queued) && queued[0] === "debug.export") replay(queued); // its promise settles ("")
      }
      return;
    }
    for (let q = 0; q < queue.length; q++) {
      if (link.full()) {
        link.droppedBeforeStart += queue.length - q - 1; // the rest, without encoding each one
        // A debug.export() among them still settles: with "", as it was dropped with the others.
        for (; q < queue.length; q++) {
          const dropped = /** @type {unknown[]} */ (queue[q]); // page input: checked before use
          if (Array.isArray(dropped) && dropped[0] === "debug.export") settleWith(dropped[1], exportNow(false));
        }
        break;
      }
      replay(queue[q]);
    }
  }
}
