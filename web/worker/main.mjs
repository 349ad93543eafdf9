// py-bridge worker: starts Pyodide off the page's main thread and relays messages between the page runtime
// (web/page/, bundled into embed.js) and the Python core (py_bridge.core.worker.WorkerSession). This entry module holds
// what the build writes in (the placeholders below: `py-bridge build` replaces them in the bundled worker.mjs, so
// they stay string literals here), reports errors, and puts the parts together: runtime-files.mjs (fetching and
// verifying the bundle's files), pyodide-start.mjs (the snapshot or normal start) and the session relay
// (web/shared/session-relay.js: messages to and from Python). Everything it loads is resolved relative to its own
// URL, so the bundle works from any folder of any static host (directly, or through a blob: worker when
// cross-origin).
import { sessionRelay } from "../shared/session-relay.js";
import { KeptFiles } from "./kept-files.mjs";
import { RuntimeStore } from "./runtime-store.mjs";
import { startPython } from "./pyodide-start.mjs";
import { RuntimeFiles } from "./runtime-files.mjs";

const here = new URL("./", import.meta.url);
const RUNTIME = "__PY_BRIDGE_RUNTIME__"; // the content-hashed Pyodide folder, e.g. "pyodide-0123456789abcdef/"
const CORE_ZIP = "__PY_BRIDGE_CORE_ZIP__"; // py_bridge-<hash>.zip
const ZIP_SHA256 = "__PY_BRIDGE_ZIP_SHA256__"; // its full SHA-256, checked before it is imported
const STDLIB = "__PY_BRIDGE_STDLIB__"; // the trimmed standard library zip
const SNAPSHOT = "__PY_BRIDGE_SNAPSHOT__"; // the delta snapshot file name, or "" when the build has none
const SNAPSHOT_SHA256 = "__PY_BRIDGE_SNAPSHOT_SHA256__"; // the snapshot's full SHA-256, checked before every use
const SNAPSHOT_INITIAL = "__PY_BRIDGE_SNAPSHOT_INITIAL__"; // checksum of the initial memory outside the delta's runs
const SNAPSHOT_STDLIB = "__PY_BRIDGE_SNAPSHOT_STDLIB__"; // an empty zip: the snapshot holds every module the core needs
// SHA-256 of Pyodide's files and of the standard-library zips, checked before they are used (runtime-files.mjs).
/** @type {Record<string, string> | string} (a string until the build fills it in) */
const FILE_SHA256 = "__PY_BRIDGE_FILE_SHA256__"; // {bundle-relative path: sha256}
/** @type {Record<string, unknown> | string} */
const LOCK_INFO = "__PY_BRIDGE_LOCK_INFO__"; // pyodide-lock.json's "info": we load no packages, so no lock fetch
const LEGACY_CACHE = "py-bridge-snapshot"; // Cache Storage of earlier builds (a 31 MB raw snapshot): dropped
/** @type {BuildFacts} */
const BUILD = {
  coreZip: CORE_ZIP,
  zipSha256: ZIP_SHA256,
  stdlib: STDLIB,
  snapshot: SNAPSHOT,
  snapshotSha256: SNAPSHOT_SHA256,
  snapshotInitial: SNAPSHOT_INITIAL,
  snapshotStdlib: SNAPSHOT_STDLIB,
  lockInfo: LOCK_INFO,
};

/** @type {string[]} */
let startupErrors = []; // Pyodide's stderr during start-up, folded into one fatal message instead of many lines
let fatalSent = false;
/** @param {string} message */
function fatal(message) {
  if (fatalSent) return;
  fatalSent = true;
  const detail = startupErrors.length ? " (" + startupErrors.slice(0, 3).join(" | ").slice(0, 300) + ")" : "";
  self.postMessage({ type: "fatal", message: message + detail });
}

/** @param {string} message */
const logError = (message) => self.postMessage({ type: "log", level: "error", message: message });

// The worker's global scope is the relay's way to the page. A failure calling into Python is always reported, even
// after an earlier fatal message.
const relay = sessionRelay(self, (message) => {
  fatalSent = false;
  fatal(message);
});
const files = new RuntimeFiles(here, RUNTIME, FILE_SHA256, (message) => fatal("could not start Python: " + message));

// Errors inside the worker never surface as page errors: they are reported once, with the [py-bridge] prefix.
self.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  if (!relay.ready()) fatal("could not start Python: " + String((event.reason && event.reason.message) || event.reason));
});
self.addEventListener("error", (event) => {
  event.preventDefault();
  fatal("worker error: " + String(event.message || "unknown"));
});

let starting = false;
let store = new RuntimeStore(false); // the config message says whether consent allows it
self.onmessage = (event) => {
  const message = event.data;
  if (!message || typeof message !== "object") return;
  if (!relay.ready() && message.type === "config" && !starting) {
    starting = true;
    store = new RuntimeStore(message.store === true);
    start(message).catch((error) => fatal("could not start Python: " + String((error && error.message) || error)));
  } else if (message.type === "forget") {
    store.forget();
  } else if (message.type === "kept") {
    store.listed(message.present === true || message.present === false ? message.present : null);
  } else relay.receive(message); // kept by the relay until Python is ready
};

/** @param {PageMessage} config */
async function start(config) {
  const started = performance.now();
  /** @type {Record<string, number>} */
  const phases = {}; // ms since start, reported with "started" (the bench's breakdown)
  /** @param {string} phase */
  const mark = (phase) => (phases[phase] = Math.round(performance.now() - started));
  // The wasm first: its compilation starts as soon as it is read, while the snapshot is still being read.
  const keptNames = [files.bundleFile(files.runtimeUrl("pyodide.asm.wasm")), SNAPSHOT];
  const kept = new KeptFiles(config.store === true ? store.read(keptNames) : null);
  const { pyodide, mode, fallback } = await startPython({
    config: config,
    kept: kept,
    files: files,
    build: BUILD,
    mark: mark,
    stdout: (text) => {
      if (relay.ready()) console.log(String(text)); // a transformation's print()
    },
    stderr: (text) => {
      if (!relay.ready()) startupErrors.push(String(text));
      else logError("python: " + text);
    },
    logError: logError,
    snapshotRefused: () => (startupErrors = []), // the normal start's errors are the ones to report
  });
  const WorkerSession = pyodide.pyimport("py_bridge.core.worker").WorkerSession;
  const session = WorkerSession.callKwargs(relay.post, relay.alive, { mark: relay.mark });
  const ms = Math.round(performance.now() - started);
  // `at` (an epoch time) lets the page place the phases on its own timeline (web/page/timeline.js).
  self.postMessage({ type: "started", ms: ms, mode: mode, fallback: fallback, phases: phases, at: performance.timeOrigin + started });
  relay.attach(session); // then the messages that arrived before Python was ready, in order
  store.keep(kept.offer(mode === "snapshot" ? [] : [SNAPSHOT])); // for the next visit (not a refused snapshot)
  try {
    if (self.caches) self.caches.delete(LEGACY_CACHE).catch(() => {});
  } catch (error) {
    /* no Cache Storage here (opaque origin): nothing to clean */
  }
}
