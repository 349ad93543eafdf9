// Early downloads: loadPyodide fetches the wasm only once the snapshot has arrived, and compiles it only then.
// Instead the worker starts the wasm's compilation at once (from the kept bytes, or streaming as it downloads), in
// parallel with the snapshot, and hands Pyodide the compiled module: while loadPyodide runs, fetch() answers the
// wasm URL with a placeholder (the module is compiled already; nothing is downloaded twice) and
// WebAssembly.instantiateStreaming instantiates that module. The standard-library zip is requested at once as well, and fetch() hands Pyodide that same response.
import { built } from "./runtime-files.mjs";

/**
 * Starts the wasm's compilation (from the bytes kept by an earlier visit, runtime-store.mjs, or as it downloads)
 * and the standard library's download.
 * @param {import("./runtime-files.mjs").RuntimeFiles} files
 * @param {string} stdlibFile the standard-library zip Pyodide will mount (bundle-relative), or its placeholder
 * @param {MarkPhase} mark
 * @param {import("./kept-files.mjs").KeptFiles} kept
 * @returns {Prefetched}
 */
export function earlyRuntime(files, stdlibFile, mark, kept) {
  const wasmUrl = files.runtimeUrl("pyodide.asm.wasm");
  const stdlibUrl = built(stdlibFile) ? files.bundleUrl(stdlibFile) : null;
  const canCompile = typeof WebAssembly.compileStreaming === "function";
  const wasmFile = files.bundleFile(wasmUrl);
  const expected = files.expectedSha256(wasmUrl);
  // Kept bytes compile while they are hashed; the module is used only when the hash is the build's.
  /** @param {Uint8Array<ArrayBuffer> | null} bytes */
  const fromKept = (bytes) => bytes
    ? Promise.all([WebAssembly.compile(bytes), kept.matches(bytes, expected)]).then(([module, ok]) => (ok ? module : null))
    : null;
  const compiled = canCompile
    ? kept.unchecked(wasmFile)
      .then(fromKept)
      .catch(() => null) // kept bytes that do not compile: downloaded like any other visit's
      .then((module) => module || compileHere(files, wasmUrl, kept))
      .finally(() => mark("compiled"))
    : null;
  if (compiled) compiled.catch(() => {});
  const pending = new Map(stdlibUrl ? [[stdlibUrl, files.fetchVerified(stdlibUrl)]] : []);
  for (const promise of pending.values()) promise.catch(() => {});
  return { wasmUrl, compiled, pending };
}

/**
 * The wasm compiled as it streams in, its bytes hashed alongside (a clone of the response): the module is handed
 * to Pyodide (instantiated) only when the SHA-256 matches the build's. The verified bytes are offered for keeping.
 * @param {import("./runtime-files.mjs").RuntimeFiles} files
 * @param {string} wasmUrl
 * @param {import("./kept-files.mjs").KeptFiles} kept
 * @returns {Promise<WebAssembly.Module>}
 */
function compileHere(files, wasmUrl, kept) {
  return files.nativeFetch(wasmUrl).then(async (response) => {
    if (!response.ok) throw new Error("pyodide.asm.wasm: HTTP " + response.status);
    if (files.expectedSha256(wasmUrl) === null || !response.body) return WebAssembly.compileStreaming(response);
    // A clone, not a second fetch: the module and the bytes checked are the same bytes.
    const forHash = response.clone();
    const [module, bytes] = await Promise.all([
      WebAssembly.compileStreaming(response),
      forHash.arrayBuffer().then((buffer) => files.verified(wasmUrl, new Uint8Array(buffer))),
    ]);
    kept.downloaded(files.bundleFile(wasmUrl), bytes);
    return module;
  });
}

/**
 * Runs `run` (a loadPyodide call) with fetch() and WebAssembly.instantiateStreaming answering from what
 * earlyRuntime started; both are restored afterwards. The wasm is instantiated as soon as it is compiled (a start
 * from the snapshot holds the created module back until the snapshot is in: pyodide-start.mjs untilArrived).
 * @param {import("./runtime-files.mjs").RuntimeFiles} files
 * @param {Prefetched} prefetched
 * @param {() => Promise<Pyodide>} run
 */
export async function withEarlyRuntime(files, prefetched, run) {
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
    if (url !== prefetched.wasmUrl && files.expectedSha256(url) !== null) return files.fetchVerified(url); // e.g. after a fallback
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
      const bytes = await files.verified(prefetched.wasmUrl, new Uint8Array(await response.arrayBuffer()));
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
