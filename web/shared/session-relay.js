// The session relay: passes the page's messages to Python's session (py_bridge.core.worker.WorkerSession: `handle(json)`)
// and Python's commands back to the page. It runs where Python runs: in the worker today (web/worker/main.mjs hands
// it the worker's own postMessage), and it is written to run on the page as well (PyScript pages run Python on the
// main thread), so it takes what it talks to as inputs and uses only globals every window and worker has.
//
// What the page's watchdog (onWorkerMessage in web/page/main.js) relies on, in this order:
// - every message with a `seq` is acknowledged (`ack`) once Python handled it, even when that failed;
// - messages that arrive before Python is ready wait, in order, and are handled once it is (attach);
// - an init message that names transformation files waits for them (fetched here: transform-files.js), every later
//   message waits behind it, and `alive` is posted every heartbeat_ms meanwhile (a worker waiting for the network
//   is alive);
// - Python marks each transformation file just before it loads or runs (`transform`, with the file's index in the
//   list the page sent), so the page knows which file to blame if Python never comes back.
// Python's `schedule` command stays here: after its delay a `tick` signal is handed to Python like a page message.
/* global setTimeout, setInterval, clearInterval */
import { errorText } from "./error-text.js";
import { PROTOCOL } from "./protocol.js";
import { fetchTransforms, transformList } from "./transform-files.js";

/**
 * A relay between a page and one Python session. Python is given `post`, `alive` and `mark` when its session is
 * made; the session is handed back with `attach`.
 * @param {PagePort} page where the page's messages go (in a worker: its global scope, whose postMessage reaches it)
 * @param {(message: string) => void} broken reports that calling into Python failed (the runtime itself is broken)
 * @returns {SessionRelay}
 */
export function sessionRelay(page, broken) {
  /** @type {PageMessage[]} */
  const queued = []; // messages that arrived before Python was ready
  /** @type {PythonSession | null} */
  let session = null;
  // The list as the page sent it (an entry is a URL or {url, sha256}): the page's watchdog is told the index of the
  // file that is about to run.
  /** @type {string[]} */
  let transformUrls = [];
  /** @type {Promise<void> | null} */
  let chain = null; // while an init message waits for its transformation files, every later message waits behind it

  /** @param {PageMessage} message */
  function deliver(message) {
    try {
      if (!session) throw new Error("Python has not started");
      session.handle(JSON.stringify(message));
    } catch (error) {
      // A JS-level failure calling into Python means the runtime itself is broken (e.g. a fatal Pyodide error).
      broken("Python runtime failed: " + errorText(error));
    }
    if (typeof message.seq === "number") page.postMessage({ type: "ack", seq: message.seq }); // the page's watchdog
  }

  /** @param {string} json Python's commands (py_bridge.core.worker) */
  function post(json) {
    /** @type {PythonCommand[]} */
    const commands = JSON.parse(json);
    const forPage = [];
    for (const command of commands) {
      if (command.op === "schedule") {
        const delay = Math.max(0, Math.min(Number(command.delay_ms) || 0, 2 ** 31 - 1));
        setTimeout(() => receive({ type: "batch", items: [{ kind: "signal", name: "tick", data: {} }] }), delay);
      } else {
        forPage.push(command);
      }
    }
    if (forPage.length) page.postMessage({ type: "commands", commands: forPage });
  }

  // A busy side is not a dead one: Python calls this while it works through a backlog, the relay while it waits.
  const alive = () => page.postMessage({ type: "alive" });

  /**
   * @param {PageMessage} message
   * @returns {Promise<PageMessage & { transforms: import("./transform-files.js").TransformAnswer[] }>}
   */
  async function withTransforms(message) {
    transformUrls = transformList(message);
    // The page's watchdog (15 s) waits for this message's ack; transform_load_ms may be longer. A worker waiting for
    // the network is alive: say so every second, as Python does while it works through a backlog.
    const beat = setInterval(alive, PROTOCOL.heartbeat_ms);
    try {
      const transforms = await fetchTransforms(message, transformUrls);
      return { ...message, transforms: transforms };
    } finally {
      clearInterval(beat);
    }
  }

  /** @param {PageMessage} message */
  function receive(message) {
    if (!session) {
      queued.push(message);
      return;
    }
    if (!chain && !transformList(message).length) {
      deliver(message);
      return;
    }
    const next = (chain || Promise.resolve()).then(async () => deliver(transformList(message).length ? await withTransforms(message) : message));
    chain = next;
    next.then(() => {
      if (chain === next) chain = null;
    });
  }

  /**
   * Python calls this (two positional arguments through Pyodide) just before a transformation file loads or runs.
   * @param {unknown} url the transformation file
   * @param {unknown} phase "load" (its top-level code is about to run) or "run" (it is about to run on an event)
   */
  const mark = (url, phase) =>
    page.postMessage({ type: "transform", index: transformUrls.indexOf(String(url)), phase: String(phase) });

  /** @param {PythonSession} started */
  function attach(started) {
    session = started;
    for (const message of queued.splice(0)) receive(message);
  }

  return { receive, post, alive, mark, attach, ready: () => session !== null };
}
