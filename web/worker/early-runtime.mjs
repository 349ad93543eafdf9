// Early downloads: loadPyodide fetches the wasm only once the snapshot has arrived, and compiles it only then.
// Instead the worker starts the wasm's download and streaming compilation at once, in parallel with the snapshot,
// and hands Pyodide the compiled module: while loadPyodide runs, fetch() answers the wasm URL with a placeholder
// (the module is compiled already; nothing is downloaded twice) and WebAssembly.instantiateStreaming instantiates
// that module. The standard-library zip is requested at once as well, and fetch() hands Pyodide that same response.
import { built } from "./runtime-files.mjs";

/**
 * Starts the wasm's download and compilation and the standard library's download.
 * @param {import("./runtime-files.mjs").RuntimeFiles} files
 * @param {string} stdlibFile the standard-library zip Pyodide will mount (bundle-relative), or its placeholder
 * @param {MarkPhase} mark
 * @returns {Prefetched}
 */
export function earlyRuntime(files, stdlibFile, mark) {
  const wasmUrl = files.runtimeUrl("pyodide.asm.wasm");
  const stdlibUrl = built(stdlibFile) ? files.bundleUrl(stdlibFile) : null;
  const canCompile = typeof WebAssembly.compileStreaming === "function";
  // The wasm is compiled as it streams in and its bytes are hashed alongside (a clone of the response): the module is
  // handed to Pyodide (instantiated) only when the SHA-256 matches the build's.
  const compiled = canCompile
    ? fetch(wasmUrl).then(async (response) => {
        if (!response.ok) throw new Error("pyodide.asm.wasm: HTTP " + response.status);
        if (files.expectedSha256(wasmUrl) === null || !response.body) return WebAssembly.compileStreaming(response);
        // A clone, not a new Response: the fetched response keeps its URL, so Chromium's wasm code cache serves
        // revisits a compiled module instead of compiling 9.6 MB again.
        const forHash = response.clone();
        const [module] = await Promise.all([
          WebAssembly.compileStreaming(response),
          forHash.arrayBuffer().then((buffer) => files.verified(wasmUrl, new Uint8Array(buffer))),
        ]);
        return module;
      }).finally(() => mark("compiled"))
    : null;
  if (compiled) compiled.catch(() => {});
  const pending = new Map(stdlibUrl ? [[stdlibUrl, files.fetchVerified(stdlibUrl)]] : []);
  for (const promise of pending.values()) promise.catch(() => {});
  return { wasmUrl, compiled, pending };
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
