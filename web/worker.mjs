// py-bridge worker: starts Pyodide off the page's main thread and relays messages between embed.js and the
// Python core (py_bridge.worker.WorkerSession). Everything it loads is resolved relative to its own URL, so the
// bundle works from any folder of any static host (directly, or through a blob: worker when cross-origin).
//
// Start-up: every visit, the first included, starts from a memory snapshot (Python and the core already imported)
// when the build has one and the page allows it; it is stored as a delta against the wasm's initial memory (see
// web/snapshot.mjs) and verified twice (its SHA-256, and a checksum of the initial memory it was made against).
// Any failure falls back to a normal start on the trimmed standard library plus the core zip. All runtime files
// have content-hashed names, so revisits take them from the HTTP cache.
const here = new URL("./", import.meta.url);
const RUNTIME = "__PY_BRIDGE_RUNTIME__"; // the content-hashed Pyodide folder, e.g. "pyodide-0123456789abcdef/"
const CORE_ZIP = "__PY_BRIDGE_CORE_ZIP__"; // py_bridge-<hash>.zip
const ZIP_SHA256 = "__PY_BRIDGE_ZIP_SHA256__"; // its full SHA-256, checked before it is imported
const STDLIB = "__PY_BRIDGE_STDLIB__"; // the trimmed standard library zip
const SNAPSHOT = "__PY_BRIDGE_SNAPSHOT__"; // the delta snapshot file name, or "" when the build has none
const SNAPSHOT_SHA256 = "__PY_BRIDGE_SNAPSHOT_SHA256__"; // the snapshot's full SHA-256, checked before every use
const SNAPSHOT_INITIAL = "__PY_BRIDGE_SNAPSHOT_INITIAL__"; // checksum of the initial memory the delta was made against
const SNAPSHOT_VOLATILE = "__PY_BRIDGE_SNAPSHOT_VOLATILE__"; // [start, end) word ranges of that memory that vary per run
const SNAPSHOT_STDLIB = "__PY_BRIDGE_SNAPSHOT_STDLIB__"; // an empty zip: the snapshot holds every module the core needs
const LOCK_INFO = "__PY_BRIDGE_LOCK_INFO__"; // pyodide-lock.json's "info": we load no packages, so no lock fetch
const FULL_STDLIB_PATH = "/lib/python_stdlib_full.zip";
const LEGACY_CACHE = "py-bridge-snapshot"; // Cache Storage of earlier builds (a 31 MB raw snapshot): dropped
const queued = []; // messages that arrived before Python was ready
let session = null;
let stdlib = null; // py_bridge.stdlib, for the `import` message
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
  if (message.type === "import") {
    // Imports one standard-library module by name (tests use it to prove the on-demand standard library).
    let result;
    try {
      result = JSON.parse(stdlib.import_stdlib(String(message.module)));
    } catch (error) {
      result = { ok: false, error: String((error && error.message) || error).slice(0, 300) };
    }
    self.postMessage({ type: "imported", module: String(message.module), ...result });
    return;
  }
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
      setTimeout(() => receive({ type: "batch", items: [{ kind: "signal", name: "tick", data: {} }] }), delay);
    } else {
      forPage.push(command);
    }
  }
  if (forPage.length) self.postMessage({ type: "commands", commands: forPage });
}

// ---- transformations: the site's Python files named by the `transform` setting --------------------------------
// The worker fetches them when the page's init message arrives and hands Python their text with that message;
// messages that arrive meanwhile wait, in order. `transformUrls` is the list as the page sent it: the page's
// watchdog is told the index of the file that is about to run.
let transformUrls = [];
let chain = null; // while an init message waits for its transformation files, every later message waits behind it

function transformList(message) {
  const asked = message.type === "init" && message.settings && message.settings.transform;
  return Array.isArray(asked) ? asked.filter((url) => typeof url === "string").slice(0, 50) : [];
}

async function withTransforms(message) {
  transformUrls = transformList(message);
  const transforms = await Promise.all(
    transformUrls.map(async (url) => {
      try {
        const response = await fetch(url, { credentials: "same-origin" });
        if (!response.ok) return { url: url, ok: false, status: response.status };
        return { url: url, ok: true, text: await response.text() };
      } catch (error) {
        return { url: url, ok: false, error: String((error && error.message) || error).slice(0, 200) };
      }
    }),
  );
  return { ...message, transforms: transforms };
}

function receive(message) {
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

const markTransform = (name) => self.postMessage({ type: "transform", index: transformUrls.indexOf(String(name)) });

let starting = false;
self.onmessage = (event) => {
  const message = event.data;
  if (!message || typeof message !== "object") return;
  if (session) receive(message);
  else if (message.type === "config" && !starting) {
    starting = true;
    start(message).catch((error) => fatal("could not start Python: " + String((error && error.message) || error)));
  } else queued.push(message);
};

async function sha256Hex(bytes) {
  if (!(self.crypto && self.crypto.subtle)) return null; // not a secure context: nothing to verify with
  const digest = await self.crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

const built = (value) => typeof value === "string" && value !== "" && !value.startsWith("__PY_BRIDGE");
const runtimeUrl = () => new URL(built(RUNTIME) ? RUNTIME : "pyodide/", here);

const pyodideOptions = (stdlibFile) => ({
  indexURL: runtimeUrl().href,
  packageBaseUrl: runtimeUrl().href,
  ...(built(stdlibFile) ? { stdLibURL: new URL(stdlibFile, here).href } : {}),
  ...(typeof LOCK_INFO === "object" ? { lockFileContents: { info: LOCK_INFO, packages: {} } } : {}),
  // The same environment as at build time (web/snapshot.mjs): start-up copies it into the heap, and the delta
  // snapshot needs that memory to be identical (LANG would otherwise follow navigator.language).
  env: { LANG: "C.UTF-8" },
  _sysExecutable: "./this.program",
  stdout: (text) => {
    if (session) console.log(String(text)); // a transformation's print()
  },
  stderr: (text) => {
    if (!session) startupErrors.push(String(text));
    else self.postMessage({ type: "log", level: "error", message: "python: " + text });
  },
});

// ---- early downloads ----------------------------------------------------------------------------------------
// loadPyodide fetches the wasm only once the snapshot has arrived, and compiles it only then. Instead the worker
// starts the wasm's download and streaming compilation at once, in parallel with the snapshot, and hands Pyodide
// the compiled module: while loadPyodide runs, fetch() answers the wasm URL with a placeholder (the module is
// compiled already; nothing is downloaded twice) and WebAssembly.instantiateStreaming instantiates that module.
// The standard-library zip is requested at once as well, and fetch() hands Pyodide that same response.
function earlyRuntime(stdlibFile, mark) {
  const wasmUrl = new URL("pyodide.asm.wasm", runtimeUrl()).href;
  const stdlibUrl = built(stdlibFile) ? new URL(stdlibFile, here).href : null;
  const canCompile = typeof WebAssembly.compileStreaming === "function";
  const compiled = canCompile
    ? fetch(wasmUrl).then((response) => {
        if (!response.ok) throw new Error("pyodide.asm.wasm: HTTP " + response.status);
        return WebAssembly.compileStreaming(response);
      }).finally(() => mark("compiled"))
    : null;
  if (compiled) compiled.catch(() => {});
  const pending = new Map(stdlibUrl ? [[stdlibUrl, fetch(stdlibUrl)]] : []);
  for (const promise of pending.values()) promise.catch(() => {});
  return { wasmUrl, compiled, pending };
}

async function withEarlyRuntime(prefetched, run) {
  const originalFetch = self.fetch;
  const originalStreaming = WebAssembly.instantiateStreaming;
  self.fetch = function (input, init) {
    const url = String((input && input.url) || input);
    if (prefetched.compiled && url === prefetched.wasmUrl) return Promise.resolve(new Response(null, { status: 200 }));
    const response = prefetched.pending.get(url);
    if (response) {
      prefetched.pending.delete(url);
      return response;
    }
    return originalFetch.call(self, input, init);
  };
  WebAssembly.instantiateStreaming = async function (source, imports) {
    if (!prefetched.compiled) return originalStreaming.call(WebAssembly, source, imports);
    let module;
    try {
      module = await prefetched.compiled;
    } catch (error) {
      // Not compiled (e.g. served with a wrong MIME type for streaming): instantiate from the bytes instead.
      const response = await originalFetch.call(self, prefetched.wasmUrl);
      if (!response.ok) throw new Error("pyodide.asm.wasm: HTTP " + response.status);
      return WebAssembly.instantiate(await response.arrayBuffer(), imports);
    }
    return { module: module, instance: await WebAssembly.instantiate(module, imports) };
  };
  try {
    return await run();
  } finally {
    self.fetch = originalFetch;
    WebAssembly.instantiateStreaming = originalStreaming;
  }
}

// ---- the delta snapshot -------------------------------------------------------------------------------------
// Pyodide restores a snapshot with `Module.HEAP8.set(snapshotMemory)` into a fresh instance whose heap holds the
// wasm's initial memory at that moment. The file holds only the pages that differ from that memory, XORed with it.
// The worker hands Pyodide a zero-filled buffer of the snapshot's full length (Pyodide's header copied in) and,
// while loadPyodide runs, wraps %TypedArray%.prototype.set: called with that buffer, it checks that the heap holds
// the initial memory the build saw (a checksum, volatile words zeroed), then XORs the changed pages into it (heap =
// the memory the snapshot was taken from). Every other call passes through.
// The delta format (must stay identical in web/snapshot.mjs): Pyodide's header (magic, header length, JSON length,
// build id, JSON), then ours: u32 DELTA_MAGIC, memory length, page size, page count; the indices (u32) of the pages
// that differ from the initial memory; those pages, XORed with it.
const DELTA_MAGIC = 0x41544c44; // "DLTA"

function readDelta(bytes) {
  const header = new Uint32Array(bytes.buffer, bytes.byteOffset, 2)[1];
  const [magic, memoryLength, pageSize, pageCount] = new Uint32Array(bytes.buffer, bytes.byteOffset + header, 4);
  const dataStart = header + 16 + 4 * pageCount;
  if (magic !== DELTA_MAGIC || pageSize % 4 || memoryLength % pageSize || dataStart + pageCount * pageSize !== bytes.length) {
    throw new Error("not a py-bridge delta snapshot");
  }
  const pages = new Uint32Array(bytes.buffer, bytes.byteOffset + header + 16, pageCount);
  const data = new Int32Array(bytes.buffer, bytes.byteOffset + dataStart, (pageCount * pageSize) / 4);
  return { header, memoryLength, pageSize, pages, data };
}

// A 64-bit pair of cheap hashes over the 32-bit words of the initial memory (volatile ranges zeroed first).
function initialChecksum(heapWords, volatile) {
  for (const [start, end] of volatile) heapWords.fill(0, start, end);
  let h1 = 0x811c9dc5 | 0;
  let h2 = 0;
  for (let i = 0; i < heapWords.length; i++) {
    const word = heapWords[i];
    h1 = Math.imul(h1 ^ word, 0x01000193);
    h2 = (h2 + (word ^ i)) | 0;
  }
  return (h1 >>> 0).toString(16).padStart(8, "0") + (h2 >>> 0).toString(16).padStart(8, "0");
}

function applyDelta(heapWords, delta) {
  const words = delta.pageSize / 4;
  for (let i = 0; i < delta.pages.length; i++) {
    const at = delta.pages[i] * words;
    if (at + words > heapWords.length) throw new Error("delta page out of range");
    for (let k = 0, from = i * words; k < words; k++) heapWords[at + k] ^= delta.data[from + k];
  }
}

async function loadFromDelta(loadPyodide, prefetched, bytes, mark) {
  const delta = readDelta(bytes);
  const full = new Uint8Array(delta.header + delta.memoryLength); // what Pyodide sizes the heap by
  full.set(bytes.subarray(0, delta.header));
  const proto = Object.getPrototypeOf(Uint8Array.prototype);
  const originalSet = proto.set;
  let restored = null; // null: not yet; true: done; an Error: refused
  proto.set = function (source, offset) {
    if (!source || source.buffer !== full.buffer || restored !== null) return originalSet.call(this, source, offset);
    mark("instantiated");
    const at = this.byteOffset + (Number(offset) || 0);
    if (source.byteOffset !== delta.header || source.length !== delta.memoryLength || at % 4 || this.length < source.length) {
      restored = new Error("unexpected snapshot restore call");
      throw restored;
    }
    const heap = new Int32Array(this.buffer, at, source.length / 4);
    const checksum = initialChecksum(heap, SNAPSHOT_VOLATILE);
    if (checksum !== SNAPSHOT_INITIAL) {
      restored = new Error("the initial wasm memory differs from the build's (" + checksum + ")");
      throw restored;
    }
    applyDelta(heap, delta);
    restored = true;
    mark("restored");
    return undefined;
  };
  try {
    const options = { ...pyodideOptions(SNAPSHOT_STDLIB), _loadSnapshot: full };
    const pyodide = await withEarlyRuntime(prefetched, () => loadPyodide(options));
    if (restored !== true) throw restored || new Error("the snapshot was not restored");
    return pyodide;
  } finally {
    proto.set = originalSet;
  }
}

async function fetchSnapshot(mark) {
  const response = await fetch(new URL(SNAPSHOT, here));
  if (!response.ok) throw new Error("snapshot: HTTP " + response.status);
  const bytes = new Uint8Array(await response.arrayBuffer());
  mark("downloaded");
  // The snapshot is memory that will run as Python: used only when it is byte for byte the one of this build.
  if ((await sha256Hex(bytes)) !== SNAPSHOT_SHA256) throw new Error("snapshot does not match the bundle");
  return bytes;
}

async function fetchCore() {
  const response = await fetch(new URL(CORE_ZIP, here));
  if (!response.ok) throw new Error(CORE_ZIP + ": HTTP " + response.status);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const digest = await sha256Hex(bytes);
  if (digest !== null && built(ZIP_SHA256) && digest !== ZIP_SHA256) {
    throw new Error("the core zip does not match the bundle's checksum (a partial deploy or a tampered file)");
  }
  return bytes;
}

async function startNormally(loadPyodide, prefetched) {
  const core = fetchCore(); // in parallel with the runtime
  core.catch(() => {}); // awaited below; never an unhandled rejection if loadPyodide fails first
  const pyodide = await withEarlyRuntime(prefetched, () => loadPyodide(pyodideOptions(STDLIB)));
  pyodide.FS.writeFile("/home/pyodide/py_bridge.zip", await core);
  pyodide.runPython("import sys\nsys.path.insert(0, '/home/pyodide/py_bridge.zip')");
  return pyodide;
}

// The full standard library, fetched synchronously (allowed in workers) the first time Python needs a module the
// trimmed zip lacks; Python calls this through py_bridge.stdlib's finder.
function fullStdlibFetcher(pyodide) {
  return () => {
    const request = new XMLHttpRequest();
    request.open("GET", new URL("python_stdlib.zip", runtimeUrl()).href, false);
    request.responseType = "arraybuffer";
    request.send();
    if (request.status !== 200) throw new Error("python_stdlib.zip: HTTP " + request.status);
    pyodide.FS.writeFile(FULL_STDLIB_PATH, new Uint8Array(request.response));
    return FULL_STDLIB_PATH;
  };
}

async function start(config) {
  const started = performance.now();
  const phases = {}; // ms since start, reported with "started" (the bench's breakdown)
  const mark = (name) => (phases[name] = Math.round(performance.now() - started));
  const useSnapshot = config.snapshot === true && built(SNAPSHOT) && /^[0-9a-f]{64}$/.test(SNAPSHOT_SHA256) &&
    Array.isArray(SNAPSHOT_VOLATILE) && built(SNAPSHOT_STDLIB) &&
    !!(self.crypto && self.crypto.subtle); // without SubtleCrypto nothing can be verified: no snapshot
  // Everything the start needs is requested at once: the loader, its wasm glue (the same module Pyodide imports
  // later), the snapshot, the wasm (compiled as it arrives) and the standard-library zip.
  const loader = import(new URL("pyodide.mjs", runtimeUrl()).href);
  import(new URL("pyodide.asm.mjs", runtimeUrl()).href).catch(() => {}); // failures surface in loadPyodide
  const snapshot = useSnapshot ? fetchSnapshot(mark).finally(() => mark("snapshot")) : null;
  if (snapshot) snapshot.catch(() => {});
  const prefetched = earlyRuntime(useSnapshot ? SNAPSHOT_STDLIB : STDLIB, mark);
  const { loadPyodide } = await loader;
  let pyodide = null;
  let fallback = null;
  if (snapshot) {
    try {
      pyodide = await loadFromDelta(loadPyodide, prefetched, await snapshot, mark);
    } catch (error) {
      fallback = String((error && error.message) || error).split("\n")[0].slice(0, 200);
      startupErrors = [];
    }
  }
  const mode = pyodide ? "snapshot" : "normal";
  if (!pyodide) pyodide = await startNormally(loadPyodide, prefetched);
  mark("python");
  stdlib = pyodide.pyimport("py_bridge.stdlib");
  stdlib.install(fullStdlibFetcher(pyodide));
  const WorkerSession = pyodide.pyimport("py_bridge.worker").WorkerSession;
  session = WorkerSession.callKwargs(post, () => self.postMessage({ type: "alive" }), { mark: markTransform });
  const ms = Math.round(performance.now() - started);
  self.postMessage({ type: "started", ms: ms, mode: mode, fallback: fallback, phases: phases });
  for (const message of queued.splice(0)) receive(message);
  try {
    if (self.caches) self.caches.delete(LEGACY_CACHE).catch(() => {});
  } catch (error) {
    /* no Cache Storage here (opaque origin): nothing to clean */
  }
}
