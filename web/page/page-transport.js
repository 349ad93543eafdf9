// The in-page transport, for PyScript pages: Python already runs on the page (PyScript's Pyodide), so the runtime
// hands its messages to a py_bridge.core.worker.WorkerSession there instead of starting a Web Worker. The session relay
// is the worker's own (web/shared/session-relay.js): acks, heartbeats, transformation files and marks, schedule
// ticks. Both directions are delivered on a later microtask, as postMessage would: a message is never handled
// inside the call that sent it.
import { errorText } from "../shared/error-text.js";
import { sessionRelay } from "../shared/session-relay.js";
import { later } from "./dom.js";

/**
 * @param {PageConnect} connect this page's Python, as `py_bridge.pyscript.install()` handed it to the tag: given the
 *   relay's post, alive and mark functions, it returns the session that handles the page's messages
 * @returns {import("./link.js").OpenTransport}
 */
export function pageTransport(connect) {
  return (handlers) => {
    const started = performance.now();
    let connected = true;
    /** @param {FromWorker} message */
    const toLink = (message) => later(() => { if (connected) handlers.message(message); });
    const relay = sessionRelay({ postMessage: toLink }, (why) => toLink({ type: "fatal", message: why }));
    let session;
    try {
      session = connect(relay.post, relay.alive, relay.mark);
    } catch (e) {
      throw new Error("could not start Python on this page (" + errorText(e).slice(0, 200) + ")");
    }
    relay.attach(session);
    toLink({ type: "started", ms: Math.round(performance.now() - started), mode: "page", at: performance.timeOrigin + started, phases: {} });
    return {
      post: (message) => later(() => { if (connected) relay.receive(message); }),
      close: () => { connected = false; }
    };
  };
}
