// py-bridge worker: starts Pyodide off the page's main thread and relays messages between embed.js and the
// Python core (py_bridge.worker.WorkerSession). Everything it loads is resolved relative to its own URL, so the
// bundle works from any folder of any static host (directly, or through a blob: worker when cross-origin).
import { loadPyodide } from "./pyodide/pyodide.mjs";

const here = new URL("./", import.meta.url);
const ZIP_SHA256 = "__PY_BRIDGE_ZIP_SHA256__"; // filled in by `py-bridge build`
const SNAPSHOT = "__PY_BRIDGE_SNAPSHOT__"; // memory snapshot file name (with its hash), or "" when the build has none
const SNAPSHOT_SHA256 = "__PY_BRIDGE_SNAPSHOT_SHA256__"; // the snapshot's full SHA-256, checked before every use
const SNAPSHOT_CACHE = "py-bridge-snapshot";
const PREFETCH_DELAY_MS = 3000; // after a normal start, fetch the snapshot for the next page view when idle
const early = [];
let session = null;
let startupErrors = []; // Pyodide's stderr during start-up, folded into one fatal message instead of many lines

// Errors inside the worker never surface as page errors: they are reported once, with the [py-bridge] prefix.
self.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  if (!session) fatal("could not start Python: " + String((event.reason && event.reason.message) || event.reason));
});
self.addEventListener("error", (event) => {
  event.preventDefault();
  fatal("worker error: " + String(event.message || "unknown"));
});

let fatalSent = false;
function fatal(message) {
  if (fatalSent) return;
  fatalSent = true;
  const detail = startupErrors.length ? " (" + startupErrors.slice(0, 3).join(" | ").slice(0, 300) + ")" : "";
  self.postMessage({ type: "fatal", message: message + detail });
}

function deliver(message) {
  try {
    session.handle(JSON.stringify(message));
  } catch (error) {
    // A JS-level failure calling into Python means the runtime itself is broken (e.g. a fatal Pyodide error).
    fatalSent = false;
    fatal("Python runtime failed: " + String((error && error.message) || error));
  }
  if (typeof message.seq === "number") self.postMessage({ type: "ack", seq: message.seq }); // the page's watchdog
}

function post(json) {
  const commands = JSON.parse(json);
  const forPage = [];
  for (const command of commands) {
    if (command.op === "schedule") {
      const delay = Math.max(0, Math.min(Number(command.delay_ms) || 0, 2 ** 31 - 1));
      setTimeout(() => deliver({ type: "batch", items: [{ kind: "signal", name: "tick", data: {} }] }), delay);
    } else {
      forPage.push(command);
    }
  }
  if (forPage.length) self.postMessage({ type: "commands", commands: forPage });
}

let starting = false;
self.onmessage = (event) => {
  const message = event.data;
  if (!message || typeof message !== "object") return;
  if (session) deliver(message);
  else if (message.type === "config" && !starting) {
    starting = true;
    start(message).catch((error) => fatal("could not start Python: " + String((error && error.message) || error)));
  } else early.push(message);
};

async function sha256Hex(bytes) {
  if (!(self.crypto && self.crypto.subtle)) return null; // not a secure context: nothing to verify with
  const digest = await self.crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

function snapshotUrl() {
  const built = SNAPSHOT && !SNAPSHOT.startsWith("__") && /^[0-9a-f]{64}$/.test(SNAPSHOT_SHA256);
  // Without SubtleCrypto (not a secure context) nothing can be verified, so no snapshot is used.
  return built && self.crypto && self.crypto.subtle ? new URL("pyodide/" + SNAPSHOT, here).href : null;
}

const pyodideOptions = () => ({
  indexURL: new URL("pyodide/", here).href,
  stdout: () => {},
  stderr: (text) => {
    if (!session) startupErrors.push(String(text));
    else self.postMessage({ type: "log", level: "error", message: "python: " + text });
  },
});

// Revisits start from a memory snapshot (Python and the core already imported) found in Cache Storage. Snapshots
// are Pyodide private API: any failure falls back to a normal start and drops the cached copy.
async function startFromSnapshot(url) {
  let cache = null;
  try {
    cache = await self.caches.open(SNAPSHOT_CACHE);
    const hit = await cache.match(url);
    if (!hit) return null;
    const bytes = new Uint8Array(await hit.arrayBuffer());
    // Cache Storage is writable by any script of the page's origin: a snapshot is memory that will run as Python,
    // so it is used only when it is byte for byte the one this bundle was built with.
    if ((await sha256Hex(bytes)) !== SNAPSHOT_SHA256) throw new Error("snapshot does not match the bundle");
    return await loadPyodide({ ...pyodideOptions(), _loadSnapshot: bytes });
  } catch (error) {
    startupErrors = [];
    if (cache) await cache.delete(url).catch(() => {});
    return null;
  }
}

async function prefetchSnapshot(url) {
  try {
    const cache = await self.caches.open(SNAPSHOT_CACHE);
    for (const request of await cache.keys()) if (request.url !== url) await cache.delete(request);
    if (await cache.match(url)) return;
    const response = await fetch(url);
    if (!response.ok) return;
    const bytes = await response.arrayBuffer();
    const digest = await sha256Hex(bytes);
    // the file name carries the first 16 hex digits of its SHA-256: never cache a file that does not match
    if (digest === null || digest !== SNAPSHOT_SHA256) return;
    await cache.put(url, new Response(bytes, { headers: { "Content-Type": "application/octet-stream" } }));
  } catch (error) {
    /* a missed prefetch only means the next page view starts normally */
  }
}

async function startNormally() {
  const pyodide = await loadPyodide(pyodideOptions());
  const response = await fetch(new URL("py_bridge.zip", here));
  if (!response.ok) throw new Error("py_bridge.zip: HTTP " + response.status);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const digest = await sha256Hex(bytes);
  if (digest !== null && !ZIP_SHA256.startsWith("__") && digest !== ZIP_SHA256) {
    throw new Error("py_bridge.zip does not match the bundle's checksum (a partial deploy or a tampered file)");
  }
  pyodide.FS.writeFile("/home/pyodide/py_bridge.zip", bytes);
  pyodide.runPython("import sys\nsys.path.insert(0, '/home/pyodide/py_bridge.zip')");
  return pyodide;
}

async function start(config) {
  const started = performance.now();
  const url = config.snapshot === true && self.caches ? snapshotUrl() : null;
  let pyodide = url ? await startFromSnapshot(url) : null;
  const mode = pyodide ? "snapshot" : "normal";
  if (!pyodide) pyodide = await startNormally();
  const WorkerSession = pyodide.pyimport("py_bridge.worker").WorkerSession;
  session = WorkerSession(post, () => self.postMessage({ type: "alive" }));
  self.postMessage({ type: "started", ms: Math.round(performance.now() - started), mode: mode });
  for (const message of early.splice(0)) deliver(message);
  if (url && mode === "normal") setTimeout(() => prefetchSnapshot(url), PREFETCH_DELAY_MS);
}
