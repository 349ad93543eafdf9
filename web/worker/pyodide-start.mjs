// Starting Python: every visit, the first included, starts from a memory snapshot (Python and the core already
// imported) when the build has one and the page allows it; it is stored as a delta against the wasm's initial memory
// (web/shared/delta.js) and verified twice (its SHA-256, and a checksum of the initial memory it relies on).
// Any failure falls back to a normal start on the trimmed standard library plus the core zip. All runtime files have
// content-hashed names, so revisits take them from the HTTP cache.
import { errorText } from "../shared/error-text.js";
import { earlyRuntime, withEarlyRuntime } from "./early-runtime.mjs";
import { built } from "./runtime-files.mjs";
import { DELTA_HEAD_BYTES, loadFromDelta } from "./snapshot-restore.mjs";

/**
 * What startPython needs: the page's config message, the bundle's files and facts, and where Python's output and
 * the start's phases go.
 * @typedef {{
 *   config: PageMessage,
 *   kept: import("./kept-files.mjs").KeptFiles,
 *   files: import("./runtime-files.mjs").RuntimeFiles,
 *   build: BuildFacts,
 *   mark: MarkPhase,
 *   stdout: (text: string) => void,
 *   stderr: (text: string) => void,
 *   logError: (message: string) => void,
 *   snapshotRefused: () => void,
 * }} StartInputs
 */

/**
 * loadPyodide's options for a start on the given standard-library zip.
 * @param {StartInputs} inputs
 * @param {string} stdlibFile
 * @returns {PyodideOptions}
 */
function pyodideOptions(inputs, stdlibFile) {
  const { files, build } = inputs;
  return {
    indexURL: files.runtime.href,
    packageBaseUrl: files.runtime.href,
    ...(built(stdlibFile) ? { stdLibURL: files.bundleUrl(stdlibFile) } : {}),
    ...(typeof build.lockInfo === "object" ? { lockFileContents: { info: build.lockInfo, packages: {} } } : {}),
    // The same environment as at build time (web/snapshot.mjs): start-up copies it into the heap, and the delta
    // snapshot needs that memory to be identical (LANG would otherwise follow navigator.language).
    env: { LANG: "C.UTF-8" },
    _sysExecutable: "./this.program",
    stdout: inputs.stdout,
    stderr: inputs.stderr,
  };
}

/**
 * Pyodide's module factory (pyodide.asm.mjs), whose module is handed back only once the snapshot has arrived (or
 * failed to). Why: loadPyodide restores the snapshot right after the module is created, in the same task; so the
 * wasm's instantiation and Emscripten's own start (~50 ms on a revisit) run while the snapshot still streams in,
 * and only the restore waits for it. A failed snapshot is for the restore to report (it then finds no delta).
 * @param {Promise<{ default: CreatePyodideModule }>} wasmGlue
 * @param {Promise<unknown>} arrived
 * @param {MarkPhase} mark
 * @returns {CreatePyodideModule}
 */
function untilArrived(wasmGlue, arrived, mark) {
  return async (settings) => {
    const module = await (await wasmGlue).default(settings);
    mark("instantiated");
    await arrived.catch(() => {});
    return module;
  };
}

/**
 * A normal start: the trimmed standard library, then the core zip on sys.path.
 * @param {StartInputs} inputs
 * @param {LoadPyodide} loadPyodide
 * @param {Prefetched} prefetched
 */
async function startNormally(inputs, loadPyodide, prefetched) {
  const { files, build } = inputs;
  const core = files.fetchCore(build.coreZip, build.zipSha256); // in parallel with the runtime
  core.catch(() => {}); // awaited below; never an unhandled rejection if loadPyodide fails first
  const pyodide = await withEarlyRuntime(files, prefetched, () => loadPyodide(pyodideOptions(inputs, build.stdlib)));
  pyodide.FS.writeFile("/home/pyodide/py_bridge.zip", await core);
  pyodide.runPython("import sys\nsys.path.insert(0, '/home/pyodide/py_bridge.zip')");
  return pyodide;
}

/**
 * Python started, from the snapshot or normally, with the core importable and the full standard library on demand.
 * @param {StartInputs} inputs
 * @returns {Promise<{ pyodide: Pyodide, mode: "snapshot" | "normal", fallback: string | null }>} `fallback`: why the
 *   snapshot was refused (then mode is "normal")
 */
export async function startPython(inputs) {
  const { config, files, build, mark } = inputs;
  const useSnapshot = config.snapshot === true && built(build.snapshot) && /^[0-9a-f]{64}$/.test(build.snapshotSha256) &&
    /^[0-9a-f]{32}$/.test(build.snapshotInitial) && built(build.snapshotStdlib) &&
    !!(self.crypto && self.crypto.subtle); // without SubtleCrypto nothing can be verified: no snapshot
  // Everything the start needs is requested at once: the loader, its wasm glue (the same module Pyodide imports
  // later), the snapshot, the wasm (compiled as it arrives) and the standard-library zip.
  /** @type {Promise<{ loadPyodide: LoadPyodide }>} */
  const loader = import(files.runtimeUrl("pyodide.mjs"));
  /** @type {Promise<{ default: CreatePyodideModule }>} */
  const wasmGlue = import(files.runtimeUrl("pyodide.asm.mjs"));
  wasmGlue.catch(() => {}); // failures surface in loadPyodide
  const snapshot = useSnapshot ? files.fetchSnapshot(build.snapshot, build.snapshotSha256, DELTA_HEAD_BYTES, mark, inputs.kept) : null;
  const prefetched = earlyRuntime(files, useSnapshot ? build.snapshotStdlib : build.stdlib, mark, inputs.kept);
  const { loadPyodide } = await loader;
  let pyodide = null;
  let fallback = null;
  if (snapshot) {
    /**
     * @param {Promise<Uint8Array>} full
     * @param {Promise<unknown>} arrived
     */
    const load = (full, arrived) => {
      const options = {
        ...pyodideOptions(inputs, build.snapshotStdlib),
        _loadSnapshot: full,
        createPyodideModule: untilArrived(wasmGlue, arrived, mark),
      };
      return withEarlyRuntime(files, prefetched, () => loadPyodide(options));
    };
    try {
      pyodide = await loadFromDelta(snapshot, { initial: build.snapshotInitial }, load, mark);
    } catch (error) {
      fallback = errorText(error).split("\n")[0].slice(0, 200);
      inputs.snapshotRefused();
    }
  }
  const mode = pyodide ? "snapshot" : "normal";
  if (!pyodide) pyodide = await startNormally(inputs, loadPyodide, prefetched);
  mark("python");
  const stdlib = /** @type {StdlibModule} */ (pyodide.pyimport("py_bridge.core.stdlib"));
  stdlib.install(files.fullStdlibFetcher(pyodide, inputs.logError));
  return { pyodide, mode, fallback };
}
