// py-bridge worker: starts Pyodide off the page's main thread and relays messages between embed.js and the
// Python core (py_bridge.worker.WorkerSession). Everything it loads is resolved relative to its own URL, so the
// bundle works from any folder of any static host (directly, or through a blob: worker when cross-origin).
import { loadPyodide } from "./pyodide/pyodide.mjs";

const here = new URL("./", import.meta.url);
const ZIP_SHA256 = "__PY_BRIDGE_ZIP_SHA256__"; // filled in by `py-bridge build`
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
  self.postMessage({ type: "ack", seq: message.seq });
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

self.onmessage = (event) => {
  const message = event.data;
  if (!message || typeof message !== "object") return;
  if (session) deliver(message);
  else early.push(message);
};

async function sha256Hex(bytes) {
  if (!(self.crypto && self.crypto.subtle)) return null; // not a secure context: nothing to verify with
  const digest = await self.crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function start() {
  const started = performance.now();
  const pyodide = await loadPyodide({
    indexURL: new URL("pyodide/", here).href,
    stdout: () => {},
    stderr: (text) => {
      if (!session) startupErrors.push(String(text));
      else self.postMessage({ type: "log", level: "error", message: "python: " + text });
    },
  });
  const response = await fetch(new URL("py_bridge.zip", here));
  if (!response.ok) throw new Error("py_bridge.zip: HTTP " + response.status);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const digest = await sha256Hex(bytes);
  if (digest !== null && !ZIP_SHA256.startsWith("__") && digest !== ZIP_SHA256) {
    throw new Error("py_bridge.zip does not match the bundle's checksum (a partial deploy or a tampered file)");
  }
  pyodide.FS.writeFile("/home/pyodide/py_bridge.zip", bytes);
  pyodide.runPython("import sys\nsys.path.insert(0, '/home/pyodide/py_bridge.zip')");
  const WorkerSession = pyodide.pyimport("py_bridge.worker").WorkerSession;
  session = WorkerSession(post);
  self.postMessage({ type: "started", ms: Math.round(performance.now() - started) });
  for (const message of early.splice(0)) deliver(message);
}

start().catch((error) => fatal("could not start Python: " + String((error && error.message) || error)));
