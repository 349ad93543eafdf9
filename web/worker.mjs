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
/** @type {WordRanges | string} */
const SNAPSHOT_VOLATILE = "__PY_BRIDGE_SNAPSHOT_VOLATILE__"; // [start, end) word ranges of that memory that vary per run
const SNAPSHOT_STDLIB = "__PY_BRIDGE_SNAPSHOT_STDLIB__"; // an empty zip: the snapshot holds every module the core needs
// SHA-256 of Pyodide's files and of the standard-library zips, checked before they are used (a wasm whose bytes do
// not match is never instantiated). pyodide.mjs and pyodide.asm.mjs are ES modules loaded with import(), which a
// worker cannot check: they stay unverified (see the README's Security section).
/** @type {Record<string, string> | string} (a string until the build fills it in) */
const FILE_SHA256 = "__PY_BRIDGE_FILE_SHA256__"; // {bundle-relative path: sha256}
/** @type {Record<string, unknown> | string} */
const LOCK_INFO = "__PY_BRIDGE_LOCK_INFO__"; // pyodide-lock.json's "info": we load no packages, so no lock fetch
// The constants shared with Python: py_bridge/page_constants.py, written in by the build (and by
// `python -m py_bridge.page_constants --write` here; a unit test keeps the two equal).
const PROTOCOL = /*__PY_BRIDGE_PROTOCOL__*/{"limits": {"max_string": 10000, "max_items": 1000, "max_depth": 32, "max_nodes": 20000, "max_chars": 1000000, "max_key": 255, "max_args": 8}, "settings": {"max_queue": {"default": 10000, "min": 1, "max": 100000}, "start_timeout_ms": {"default": 20000, "min": 1000, "max": 120000}, "widget_timeout_ms": {"default": 30000, "min": 1000, "max": 120000}, "transform_load_ms": {"default": 5000, "min": 100, "max": 60000}}, "max_transforms": 20, "load_policies": ["eager", "load", "idle", "interaction"], "default_load": "load", "calls": ["page", "identify", "track", "group", "reset", "alias", "screen"], "controls": ["show", "hide", "showMessages", "showNewMessage", "showSpace", "showArticle", "startTour", "startSurvey"], "listen_methods": {"show": "onShow", "hide": "onHide", "unread": "onUnreadCountChange"}, "intercom_methods": ["boot", "hide", "onHide", "onShow", "onUnreadCountChange", "reattach_activator", "show", "showArticle", "showMessages", "showNewMessage", "showSpace", "shutdown", "startSurvey", "startTour", "trackEvent", "update"], "region_hosts": {"us": "https://api-iam.intercom.io", "eu": "https://api-iam.eu.intercom.io", "au": "https://api-iam.au.intercom.io"}, "widget_origin": "https://widget.intercom.io", "default_launcher": "#IntercomDefaultWidget", "intercom_cdn": "https://js.intercomcdn.com", "app_id_pattern": "[a-z0-9]{1,32}", "intercom_cookies": ["intercom-id", "intercom-session", "intercom-device-id"], "forget_settings_keys": ["app_id", "user_id", "email", "intercomUserJwt", "intercom_user_jwt", "jwt", "userHash", "user_hash"], "credential_keys": ["intercomUserJwt", "intercom_user_jwt", "jwt", "userHash", "user_hash"], "callback_timeout_ms": 300, "late_messenger_ms": 120000, "start_poll_ms": 50, "late_poll_ms": 200, "heartbeat_ms": 1000, "storage": {"anonymous_id": "pybridge.anonymous_id", "debug": "pybridge.debug"}, "anonymous_id_pattern": "[A-Za-z0-9_-]{8,64}"};
const FULL_STDLIB_PATH = "/lib/python_stdlib_full.zip";
const LEGACY_CACHE = "py-bridge-snapshot"; // Cache Storage of earlier builds (a 31 MB raw snapshot): dropped
/** @type {WorkerInbound[]} */
const queued = []; // messages that arrived before Python was ready
/** @type {WorkerSessionProxy | null} */
let session = null;
/** @type {string[]} */
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
/** @param {string} message */
function fatal(message) {
  if (fatalSent) return;
  fatalSent = true;
  const detail = startupErrors.length ? " (" + startupErrors.slice(0, 3).join(" | ").slice(0, 300) + ")" : "";
  self.postMessage({ type: "fatal", message: message + detail });
}

/**
 * The text of anything thrown or rejected (an Error, a Pyodide PythonError, a DOMException, a plain value).
 * @param {unknown} error
 */
function errorText(error) {
  return String((error && /** @type {{ message?: unknown }} */ (error).message) || error);
}

/** @param {WorkerInbound} message */
function deliver(message) {
  try {
    if (!session) throw new Error("Python has not started");
    session.handle(JSON.stringify(message));
  } catch (error) {
    // A JS-level failure calling into Python means the runtime itself is broken (e.g. a fatal Pyodide error).
    fatalSent = false;
    fatal("Python runtime failed: " + errorText(error));
  }
  if (typeof message.seq === "number") self.postMessage({ type: "ack", seq: message.seq }); // the page's watchdog
}

/** @param {string} json Python's commands (py_bridge.worker) */
function post(json) {
  /** @type {WorkerCommand[]} */
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
// The worker fetches them when the page's init message arrives and hands Python what came back with that message;
// messages that arrive meanwhile wait, in order. Python decides which answers may run (py_bridge/transform_files.py:
// no redirect, a Python/text Content-Type, the entry's SHA-256 pin), exactly as for the PyScript entry. Here:
// - a redirect is never followed (`redirect: "manual"`): an open redirect on the page's origin must not run another
//   origin's Python with the page's origin. Cookies stay "same-origin": files behind the site's own login work, and
//   with no redirect followed they go nowhere else.
// - each file has transform_load_ms (default 5 s) to arrive in full, then it is skipped: a silent server never
//   holds the start.
// - the bytes are decoded as strict UTF-8 keeping a byte-order mark, so the text's UTF-8 is exactly the bytes the
//   pin was made from (response.text() would drop a BOM and replace invalid bytes).
// - a URL with a user name or password is never requested, and an error text never carries a URL (`<url>`).
// `transformUrls` is the list as the page sent it (an entry is a URL or {url, sha256}): the page's watchdog is told
// the index of the file that is about to run.
/**
 * What came back for one file, for py_bridge.worker._transform_sources: the answer's facts, or why there is none.
 * @typedef {{ url: string, index: number, status?: number, type?: string | null, redirected?: boolean,
 *   text?: string, error?: string }} TransformAnswer
 */
/** @type {string[]} */
let transformUrls = [];
/** @type {Promise<void> | null} */
let chain = null; // while an init message waits for its transformation files, every later message waits behind it

/**
 * @param {WorkerInbound} message
 * @returns {string[]}
 */
function transformList(message) {
  const asked = message.type === "init" && message.settings && message.settings.transform;
  // A list longer than Python's MAX_TRANSFORMS (the page leaves it as the site wrote it) is never cut down and
  // fetched: nothing of it is, and Python stops the bridge with the settings error.
  if (!Array.isArray(asked) || asked.length > PROTOCOL.max_transforms) return [];
  /** @param {unknown} entry */
  const url = (entry) => {
    if (typeof entry === "string") return entry;
    const pinned = /** @type {{ url?: unknown } | null} */ (entry);
    return pinned && typeof pinned === "object" && typeof pinned.url === "string" ? pinned.url : null;
  };
  return /** @type {string[]} */ (asked.map(url).filter((entry) => entry !== null));
}

/** @param {WorkerInbound} message */
function transformLoadMs(message) {
  const ms = message.settings && message.settings.transform_load_ms;
  const bounds = PROTOCOL.settings.transform_load_ms; // Python checks it
  return typeof ms === "number" && Number.isInteger(ms) && ms >= bounds.min && ms <= bounds.max ? ms : bounds.default;
}

/**
 * The index an entry has in the site's own `transform` setting: the page dropped the entries it refused, and says
 * where each one it kept came from (env.transform_index), so a warning points at the entry the site wrote.
 * @param {WorkerInbound} message
 * @param {number} index in the list the page sent
 */
function siteIndex(message, index) {
  const env = /** @type {{ transform_index?: unknown } | null | undefined} */ (message.env);
  const listed = env && typeof env === "object" ? env.transform_index : undefined;
  const original = Array.isArray(listed) ? listed[index] : undefined;
  return typeof original === "number" && Number.isInteger(original) && original >= 0 ? original : index;
}

/** @param {string} url */
function hasCredentials(url) {
  try {
    const parsed = new URL(url);
    return !!(parsed.username || parsed.password);
  } catch (error) {
    return false; // not a URL: fetch fails, and Python names the entry by index and origin
  }
}

/**
 * @param {string} url
 * @param {number} index the entry's index in the site's setting (for warnings)
 * @param {number} ms
 * @returns {Promise<TransformAnswer>}
 */
async function fetchTransform(url, index, ms) {
  // A user name or password in the URL: never requested (the browser's error would quote them); Python refuses it.
  if (hasCredentials(url)) return { url: url, index: index, error: "not fetched" };
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  try {
    const response = await fetch(url, { credentials: "same-origin", redirect: "manual", signal: controller.signal });
    /** @type {TransformAnswer} */
    const answer = {
      url: url,
      index: index,
      status: response.status,
      type: response.headers.get("content-type"),
      redirected: response.type === "opaqueredirect" || response.redirected,
    };
    if (!response.ok) return answer;
    const bytes = await response.arrayBuffer();
    try {
      answer.text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch (error) {
      return { url: url, index: index, error: "not UTF-8 text" };
    }
    return answer;
  } catch (error) {
    const reason = controller.signal.aborted
      ? "no answer within " + ms + " ms, setting transform_load_ms"
      : errorText(error).replace(/[a-z][a-z0-9+.-]*:\/\/[^\s"'<>()]*/gi, "<url>").slice(0, 200); // never a URL
    return { url: url, index: index, error: reason };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * @param {WorkerInbound} message
 * @returns {Promise<WorkerInbound & { transforms: TransformAnswer[] }>}
 */
async function withTransforms(message) {
  transformUrls = transformList(message);
  const ms = transformLoadMs(message);
  // The page's watchdog (15 s) waits for this message's ack; transform_load_ms may be longer. A worker waiting for
  // the network is alive: say so every second, as Python does while it works through a backlog.
  const beat = setInterval(() => self.postMessage({ type: "alive" }), PROTOCOL.heartbeat_ms);
  try {
    const fetching = transformUrls.map((url, index) => fetchTransform(url, siteIndex(message, index), ms));
    const transforms = await Promise.all(fetching);
    return { ...message, transforms: transforms };
  } finally {
    clearInterval(beat);
  }
}

/** @param {WorkerInbound} message */
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

/**
 * Python calls this (two positional arguments through Pyodide) just before a transformation file loads or runs.
 * @param {unknown} url the transformation file
 * @param {unknown} phase "load" (its top-level code is about to run) or "run" (it is about to run on an event)
 */
const markTransform = (url, phase) =>
  self.postMessage({ type: "transform", index: transformUrls.indexOf(String(url)), phase: String(phase) });

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

/**
 * @param {Uint8Array<ArrayBuffer>} bytes
 * @returns {Promise<string | null>}
 */
async function sha256Hex(bytes) {
  if (!(self.crypto && self.crypto.subtle)) return null; // not a secure context: nothing to verify with
  const digest = await self.crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

// SubtleCrypto is async; the full standard library is fetched synchronously (a Python import is waiting), so its
// check uses this small synchronous SHA-256 (FIPS 180-4; constants derived from the primes as the standard defines).
/** @type {number[]} */
const SHA_K = [];
/** @type {number[]} */
const SHA_H = [];
for (let n = 2, found = 0; found < 64; n++) {
  let prime = true;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) prime = false;
  if (!prime) continue;
  if (found < 8) SHA_H.push((Math.pow(n, 1 / 2) % 1) * 2 ** 32 | 0);
  SHA_K.push((Math.cbrt(n) % 1) * 2 ** 32 | 0);
  found++;
}
/** @param {Uint8Array} bytes */
function sha256HexSync(bytes) {
  const length = bytes.length;
  const padded = new Uint8Array(((length + 9 + 63) >> 6) << 6);
  padded.set(bytes);
  padded[length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(length / 2 ** 29));
  view.setUint32(padded.length - 4, (length << 3) >>> 0);
  const h = SHA_H.slice();
  const w = new Int32Array(64);
  for (let offset = 0; offset < padded.length; offset += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getInt32(offset + 4 * i);
    for (let i = 16; i < 64; i++) {
      const a = w[i - 15], b = w[i - 2];
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
    }
    let [a, b, c, d, e, f, g, k] = h;
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (k + S1 + ((e & f) ^ (~e & g)) + SHA_K[i] + w[i]) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      k = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    h[0] = (h[0] + a) | 0; h[1] = (h[1] + b) | 0; h[2] = (h[2] + c) | 0; h[3] = (h[3] + d) | 0;
    h[4] = (h[4] + e) | 0; h[5] = (h[5] + f) | 0; h[6] = (h[6] + g) | 0; h[7] = (h[7] + k) | 0;
  }
  return h.map((x) => (x >>> 0).toString(16).padStart(8, "0")).join("");
}

// The expected SHA-256 of a bundle URL, or null for files the build did not list (an unbuilt worker.mjs).
/** @param {string} url */
function expectedSha256(url) {
  if (typeof FILE_SHA256 !== "object" || !url.startsWith(here.href)) return null;
  return FILE_SHA256[url.slice(here.href.length)] || null;
}

const nativeFetch = self.fetch.bind(self); // start-up wraps self.fetch (withEarlyRuntime)

// Bytes of a bundle file, checked against the build's SHA-256 (when the build lists it and SubtleCrypto exists). A
// mismatch stops Python's start with one fatal message naming the file (Pyodide would otherwise hide it).
/**
 * @param {string} url
 * @param {Uint8Array<ArrayBuffer>} bytes
 */
async function verified(url, bytes) {
  const expected = expectedSha256(url);
  if (expected !== null) {
    const digest = await sha256Hex(bytes);
    if (digest !== null && digest !== expected) {
      const message = url.slice(here.href.length) + " does not match the bundle's checksum (a partial deploy or a tampered file)";
      fatal("could not start Python: " + message);
      throw new Error(message);
    }
  }
  return bytes;
}

/** @param {string} url */
async function fetchVerified(url) {
  const response = await nativeFetch(url);
  if (!response.ok) throw new Error(url.slice(here.href.length) + ": HTTP " + response.status);
  const bytes = await verified(url, new Uint8Array(await response.arrayBuffer()));
  return new Response(bytes, { status: 200, headers: { "Content-Type": response.headers.get("Content-Type") || "" } });
}

/** @param {unknown} value */
const built = (value) => typeof value === "string" && value !== "" && !value.startsWith("__PY_BRIDGE");
const runtimeUrl = () => new URL(built(RUNTIME) ? RUNTIME : "pyodide/", here);

/**
 * @param {string} stdlibFile
 * @returns {PyodideOptions}
 */
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
/**
 * @param {string} stdlibFile
 * @param {MarkPhase} mark
 * @returns {Prefetched}
 */
function earlyRuntime(stdlibFile, mark) {
  const wasmUrl = new URL("pyodide.asm.wasm", runtimeUrl()).href;
  const stdlibUrl = built(stdlibFile) ? new URL(stdlibFile, here).href : null;
  const canCompile = typeof WebAssembly.compileStreaming === "function";
  // The wasm is compiled as it streams in and its bytes are hashed alongside (a clone of the response): the module is
  // handed to Pyodide (instantiated) only when the SHA-256 matches the build's.
  const compiled = canCompile
    ? fetch(wasmUrl).then(async (response) => {
        if (!response.ok) throw new Error("pyodide.asm.wasm: HTTP " + response.status);
        if (expectedSha256(wasmUrl) === null || !response.body) return WebAssembly.compileStreaming(response);
        // A clone, not a new Response: the fetched response keeps its URL, so Chromium's wasm code cache serves
        // revisits a compiled module instead of compiling 9.6 MB again.
        const forHash = response.clone();
        const [module] = await Promise.all([
          WebAssembly.compileStreaming(response),
          forHash.arrayBuffer().then((buffer) => verified(wasmUrl, new Uint8Array(buffer))),
        ]);
        return module;
      }).finally(() => mark("compiled"))
    : null;
  if (compiled) compiled.catch(() => {});
  const pending = new Map(stdlibUrl ? [[stdlibUrl, fetchVerified(stdlibUrl)]] : []);
  for (const promise of pending.values()) promise.catch(() => {});
  return { wasmUrl, compiled, pending };
}

/**
 * @param {Prefetched} prefetched
 * @param {() => Promise<Pyodide>} run
 */
async function withEarlyRuntime(prefetched, run) {
  const originalFetch = self.fetch;
  const originalStreaming = WebAssembly.instantiateStreaming;
  self.fetch = function (input, init) {
    const url = String(input instanceof Request ? input.url : input);
    if (prefetched.compiled && url === prefetched.wasmUrl) return Promise.resolve(new Response(null, { status: 200 }));
    const response = prefetched.pending.get(url);
    if (response) {
      prefetched.pending.delete(url);
      return response;
    }
    if (url !== prefetched.wasmUrl && expectedSha256(url) !== null) return fetchVerified(url); // e.g. after a fallback
    return originalFetch.call(self, input, init);
  };
  WebAssembly.instantiateStreaming = async function (source, imports) {
    let module;
    try {
      if (!prefetched.compiled) throw new Error("no streaming compilation");
      module = await prefetched.compiled;
    } catch (error) {
      if (error instanceof Error && /checksum/.test(error.message)) throw error; // tampered: never retried unverified
      // Not compiled (e.g. served with a wrong MIME type for streaming): instantiate from the (checked) bytes.
      const response = await originalFetch.call(self, prefetched.wasmUrl);
      if (!response.ok) throw new Error("pyodide.asm.wasm: HTTP " + response.status);
      const bytes = await verified(prefetched.wasmUrl, new Uint8Array(await response.arrayBuffer()));
      return WebAssembly.instantiate(bytes, imports);
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

/**
 * @param {Uint8Array} bytes
 * @returns {Delta}
 */
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
/**
 * @param {Int32Array} heapWords
 * @param {WordRanges} volatile
 */
function initialChecksum(heapWords, volatile) {
  for (const [from, end] of volatile) heapWords.fill(0, from, end);
  let h1 = 0x811c9dc5 | 0;
  let h2 = 0;
  for (let i = 0; i < heapWords.length; i++) {
    const word = heapWords[i];
    h1 = Math.imul(h1 ^ word, 0x01000193);
    h2 = (h2 + (word ^ i)) | 0;
  }
  return (h1 >>> 0).toString(16).padStart(8, "0") + (h2 >>> 0).toString(16).padStart(8, "0");
}

/**
 * @param {Int32Array} heapWords
 * @param {Delta} delta
 */
function applyDelta(heapWords, delta) {
  const words = delta.pageSize / 4;
  for (let i = 0; i < delta.pages.length; i++) {
    const at = delta.pages[i] * words;
    if (at + words > heapWords.length) throw new Error("delta page out of range");
    for (let k = 0, from = i * words; k < words; k++) heapWords[at + k] ^= delta.data[from + k];
  }
}

/**
 * @param {LoadPyodide} loadPyodide
 * @param {Prefetched} prefetched
 * @param {Uint8Array} bytes
 * @param {MarkPhase} mark
 */
async function loadFromDelta(loadPyodide, prefetched, bytes, mark) {
  const delta = readDelta(bytes);
  const full = new Uint8Array(delta.header + delta.memoryLength); // what Pyodide sizes the heap by
  full.set(bytes.subarray(0, delta.header));
  const proto = Object.getPrototypeOf(Uint8Array.prototype);
  const originalSet = proto.set;
  /** @type {null | true | Error} */
  let restored = null; // null: not yet; true: done; an Error: refused
  /**
   * %TypedArray%.prototype.set, for every typed array while loadPyodide runs.
   * @this {ArrayBufferView & ArrayLike<number>}
   * @param {ArrayLike<number> & Partial<ArrayBufferView>} source
   * @param {number} [offset]
   */
  proto.set = function (source, offset) {
    if (!source || source.buffer !== full.buffer || restored !== null) return originalSet.call(this, source, offset);
    mark("instantiated");
    const at = this.byteOffset + (Number(offset) || 0);
    if (source.byteOffset !== delta.header || source.length !== delta.memoryLength || at % 4 || this.length < source.length) {
      restored = new Error("unexpected snapshot restore call");
      throw restored;
    }
    const heap = new Int32Array(this.buffer, at, source.length / 4);
    const checksum = initialChecksum(heap, /** @type {WordRanges} */ (SNAPSHOT_VOLATILE)); // start() checked it is one
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

/** @param {MarkPhase} mark */
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

/**
 * @param {LoadPyodide} loadPyodide
 * @param {Prefetched} prefetched
 */
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
/** @param {Pyodide} pyodide */
function fullStdlibFetcher(pyodide) {
  return () => {
    const request = new XMLHttpRequest();
    request.open("GET", new URL("python_stdlib.zip", runtimeUrl()).href, false);
    request.responseType = "arraybuffer";
    request.send();
    if (request.status !== 200) throw new Error("python_stdlib.zip: HTTP " + request.status);
    const bytes = new Uint8Array(request.response);
    const expected = expectedSha256(new URL("python_stdlib.zip", runtimeUrl()).href);
    if (expected !== null && sha256HexSync(bytes) !== expected) {
      const message = "python_stdlib.zip does not match the bundle's checksum (a partial deploy or a tampered file)";
      self.postMessage({ type: "log", level: "error", message: message });
      throw new Error(message);
    }
    pyodide.FS.writeFile(FULL_STDLIB_PATH, bytes);
    return FULL_STDLIB_PATH;
  };
}

/** @param {WorkerInbound} config */
async function start(config) {
  const started = performance.now();
  /** @type {Record<string, number>} */
  const phases = {}; // ms since start, reported with "started" (the bench's breakdown)
  /** @param {string} phase */
  const mark = (phase) => (phases[phase] = Math.round(performance.now() - started));
  const useSnapshot = config.snapshot === true && built(SNAPSHOT) && /^[0-9a-f]{64}$/.test(SNAPSHOT_SHA256) &&
    Array.isArray(SNAPSHOT_VOLATILE) && built(SNAPSHOT_STDLIB) &&
    !!(self.crypto && self.crypto.subtle); // without SubtleCrypto nothing can be verified: no snapshot
  // Everything the start needs is requested at once: the loader, its wasm glue (the same module Pyodide imports
  // later), the snapshot, the wasm (compiled as it arrives) and the standard-library zip.
  /** @type {Promise<{ loadPyodide: LoadPyodide }>} */
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
      fallback = errorText(error).split("\n")[0].slice(0, 200);
      startupErrors = [];
    }
  }
  const mode = pyodide ? "snapshot" : "normal";
  if (!pyodide) pyodide = await startNormally(loadPyodide, prefetched);
  mark("python");
  const stdlib = /** @type {StdlibModule} */ (pyodide.pyimport("py_bridge.core.stdlib"));
  stdlib.install(fullStdlibFetcher(pyodide));
  const WorkerSession = pyodide.pyimport("py_bridge.core.worker").WorkerSession;
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
