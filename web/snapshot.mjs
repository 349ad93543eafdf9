// Build-time tool, run with Node by `py-bridge build` (py_bridge/tools/bundle/node.py). Two steps:
//
//   node snapshot.mjs trace <pyodide dir> <py_bridge.zip> <core modules.json> <exercise.py> <out.json>
//     boots the pinned Pyodide normally, imports every module of the core, runs <exercise.py> (a session driven
//     through every kind of call) and writes the names of every module then in sys.modules: the trimmed standard
//     library is built from that list.
//
//   node snapshot.mjs make <pyodide dir> <stdlib.zip> <restore stdlib.zip> <py_bridge.zip> <modules.json> <exercise.py>
//        <out.bin> <out.json>
//     boots Pyodide on the trimmed standard library, imports the modules the core needs and takes a memory
//     snapshot; then writes it as a DELTA against the memory a fresh instance holds at the moment Pyodide restores
//     a snapshot (the wasm's initial data, mostly unchanged by start-up): only the runs of words that differ, with
//     the snapshot's values, and a checksum of the words no run covers. Free memory (malloc's free chunks, the
//     stack below its pointer) is first set to the initial memory's values, so it drops out of the delta (see
//     freeRanges); the file lists it, and the checksum leaves it out too. The worker applies it while Pyodide copies
//     the snapshot into its heap (see web/worker/snapshot-restore.mjs); the format is web/shared/delta.js, which
//     both import. Determinism is checked here: the initial memory is captured in four fresh instances (words that
//     vary are "volatile": the runs cover them), and a fifth restores from the delta with the worker's own code,
//     must give the snapshot's memory word for word and then run the exercise.
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
// The delta format, the same module the worker reads it with.
import { applyDelta, changedRuns, makeDelta, readDelta, uncoveredChecksum } from "./shared/delta.js";

const [mode, ...args] = process.argv.slice(2);

// The typed-array `set` every heap copy goes through (HEAP8 is an Int8Array; the method lives on %TypedArray%).
const TypedArrayProto = Object.getPrototypeOf(Uint8Array.prototype);
const originalSet = TypedArrayProto.set;

/**
 * @param {string} dir
 * @returns {Promise<{ indexURL: string, loadPyodide: LoadPyodide }>}
 */
async function pyodideModule(dir) {
  const indexURL = path.resolve(dir) + path.sep;
  const { loadPyodide } = await import(pathToFileURL(path.join(indexURL, "pyodide.mjs")).href);
  return { indexURL, loadPyodide };
}

// The lock file trimmed to what the loader checks: the worker passes the same object (no packages are ever loaded).
/** @param {string} indexURL */
function minimalLock(indexURL) {
  const lock = JSON.parse(fs.readFileSync(path.join(indexURL, "pyodide-lock.json"), "utf8"));
  return { info: lock.info, packages: {} };
}

/** @type {PyodideOptions} */
const quiet = { stdout: () => {}, stderr: (text) => process.stderr.write(text + "\n") };
// What start-up writes into the heap from its environment must be the same in Node and in every browser (LANG comes
// from navigator.language, the program name from process.argv): the worker passes the same values (see
// web/worker/pyodide-start.mjs).
const FIXED_ENVIRONMENT = { env: { LANG: "C.UTF-8" }, _sysExecutable: "./this.program" };

/**
 * @param {Pyodide} pyodide
 * @param {string} file
 */
function exercise(pyodide, file) {
  pyodide.runPython(fs.readFileSync(file, "utf8"), { filename: "exercise.py" });
}

// Emscripten's malloc is dlmalloc (Pyodide's CPython is built --without-pymalloc: every Python object is a malloc
// chunk), with 4-byte size_t and 8-byte alignment. A chunk at address c: c+0 the previous chunk's size if that one is
// free (prev_foot), c+4 its size | CINUSE | PINUSE (head); a free chunk keeps its bin links after that (fd, bk; a
// chunk of 256 bytes or more also a tree's two children, parent and index: 32 bytes in all), and its size again in
// the next chunk's prev_foot. The heap is one segment from __heap_base to sbrk's break: chunks, then the top chunk
// (the not-yet-used rest), then TOP_FOOT_SIZE bytes whose head word holds TOP_FOOT_SIZE.
const CHUNK_PINUSE = 1;
const CHUNK_CINUSE = 2;
const CHUNK_FLAGS = 7;
const CHUNK_MIN = 16;
const CHUNK_SMALL_KEEP = 16; // prev_foot, head, fd, bk
const CHUNK_TREE_KEEP = 32; // and child[0], child[1], parent, index
const CHUNK_TREE_MIN = 256;
const TOP_FOOT_SIZE = 40;

/**
 * The word ranges of the snapshot's memory that hold nothing the program reads before writing it: the bodies of
 * dlmalloc's free chunks and of its top chunk (without the words malloc itself reads: headers, bin links, the
 * sizes in the next chunk's prev_foot) and the wasm stack below the stack pointer (no wasm frame is live while the
 * snapshot is taken). Their bytes are whatever the maker's imports left there, 1.5 MB of the delta that a restored
 * instance never looks at: set to the initial memory's values they are not in the delta at all, and the worker's
 * check of the heap does not read them (web/shared/delta.js). The heap is walked
 * chunk by chunk and every invariant checked (one segment, sizes, the coalesced neighbours, the top's trailer): a
 * Pyodide whose allocator differs fails here rather than make a snapshot whose malloc state is wrong.
 * @param {Int32Array} memory the snapshot's memory
 * @param {PyodideEmscriptenModule} module the maker's: the heap's and the stack's addresses
 * @param {number} stackPointer the maker's stack pointer when the snapshot was taken
 */
function freeRanges(memory, module, stackPointer) {
  const heapBase = module.___heap_base;
  const brk = memory[module._emscripten_get_sbrk_ptr() / 4];
  const topEnd = brk - TOP_FOOT_SIZE;
  /** @param {string} what */
  const fail = (what) => new Error(`free memory: ${what} (the heap walk expects Emscripten's dlmalloc)`);
  if (heapBase % 8 || brk % 8 || topEnd <= heapBase || brk > memory.length * 4) throw fail(`heap ${heapBase}..${brk}`);
  if (memory[topEnd / 4 + 1] !== TOP_FOOT_SIZE) throw fail(`no top foot at ${topEnd}`);
  const words = { heap_chunks: 0, heap_top: 0, stack: 0 };
  /** @type {WordRanges} */
  const ranges = [];
  let chunk = heapBase;
  while (chunk < topEnd) {
    const head = memory[chunk / 4 + 1];
    const size = head & ~CHUNK_FLAGS;
    const next = chunk + size;
    if (size < CHUNK_MIN || size % 8 || next > topEnd) throw fail(`chunk at ${chunk} of size ${size}`);
    if (head & CHUNK_CINUSE) {
      if (next < topEnd && !(memory[next / 4 + 1] & CHUNK_PINUSE)) throw fail(`chunk at ${next} after one in use`);
    } else if (next === topEnd) {
      // the top chunk: only its head is read (malloc splits it and writes the new chunks' heads)
      ranges.push([(chunk + CHUNK_SMALL_KEEP) / 4, next / 4]);
      words.heap_top += (size - CHUNK_SMALL_KEEP) / 4;
    } else {
      const nextHead = memory[next / 4 + 1];
      // a free chunk's neighbours are in use (dlmalloc coalesces) and the next one holds its size
      if (!(head & CHUNK_PINUSE) || nextHead & CHUNK_PINUSE || !(nextHead & CHUNK_CINUSE) || memory[next / 4] !== size) {
        throw fail(`free chunk at ${chunk}`);
      }
      const keep = size < CHUNK_TREE_MIN ? CHUNK_SMALL_KEEP : CHUNK_TREE_KEEP;
      if (size > keep) {
        ranges.push([(chunk + keep) / 4, next / 4]);
        words.heap_chunks += (size - keep) / 4;
      }
    }
    chunk = next;
  }
  if (chunk !== topEnd) throw fail(`the chunks end at ${chunk}, not ${topEnd}`);
  const stackLow = module.___stack_low;
  if (stackLow % 4 || stackPointer % 4 || stackPointer < stackLow || stackPointer > module.___stack_high || module.___stack_high > heapBase) {
    throw fail(`stack ${stackLow}..${module.___stack_high} at ${stackPointer}`);
  }
  if (stackPointer > stackLow) {
    ranges.unshift([stackLow / 4, stackPointer / 4]);
    words.stack = (stackPointer - stackLow) / 4;
  }
  return { ranges, words };
}

/** @param {string[]} args the command line after `trace` */
async function trace([dir, zipPath, modulesPath, exerciseFile, outPath]) {
  const { indexURL, loadPyodide } = await pyodideModule(dir);
  const pyodide = await loadPyodide({ indexURL, lockFileContents: minimalLock(indexURL), ...FIXED_ENVIRONMENT, ...quiet });
  pyodide.FS.writeFile("/home/pyodide/py_bridge.zip", fs.readFileSync(zipPath));
  pyodide.globals.set("MODULES", pyodide.toPy(JSON.parse(fs.readFileSync(modulesPath, "utf8"))));
  pyodide.runPython(`
import importlib, sys
sys.path.insert(0, "/home/pyodide/py_bridge.zip")
for name in MODULES:
    importlib.import_module(name)
del MODULES
`);
  exercise(pyodide, exerciseFile);
  const modules = pyodide.runPython("import json, sys\njson.dumps(sorted(sys.modules))");
  fs.writeFileSync(outPath, modules);
}

/** @param {string[]} args the command line after `make` */
async function make([dir, stdlibPath, restoreStdlibPath, zipPath, modulesPath, exerciseFile, outPath, infoPath]) {
  const { indexURL, loadPyodide } = await pyodideModule(dir);
  const options = { indexURL, lockFileContents: minimalLock(indexURL), ...FIXED_ENVIRONMENT, ...quiet };
  const modules = JSON.parse(fs.readFileSync(modulesPath, "utf8"));

  // 1. The snapshot: the core and every module it needs at run time imported, nothing holding a JS object.
  const maker = await loadPyodide({ ...options, stdLibURL: path.resolve(stdlibPath), _makeSnapshot: true });
  maker.FS.writeFile("/home/pyodide/py_bridge.zip", fs.readFileSync(zipPath));
  maker.globals.set("MODULES", maker.toPy(modules));
  maker.runPython(`
import gc, importlib, sys, zipimport
sys.path.insert(0, "/home/pyodide/py_bridge.zip")
for name in MODULES:
    importlib.import_module(name)
del MODULES
# The core's zip is not in the file system of a restored instance, and its standard library zip is another one:
# forget both so that a later import looks at the files actually there.
sys.path.remove("/home/pyodide/py_bridge.zip")
sys.path_importer_cache.clear()
zipimport._zip_directory_cache.clear()
gc.collect()
`);
  const snapshot = maker.makeMemorySnapshot();
  const stackPointer = maker._module._emscripten_stack_get_current(); // as during the copy: no wasm frame is live
  const header = new Uint32Array(snapshot.buffer, snapshot.byteOffset, 4)[1]; // Pyodide's header + JSON length
  const memoryLength = snapshot.length - header;
  const restoreOptions = { ...options, stdLibURL: path.resolve(restoreStdlibPath) };

  // 2. The initial memory: what the heap holds when restoreSnapshot copies the snapshot in (HEAP8.set). Captured
  // in four fresh instances: the few words that differ (a ChaCha random state seeded at start, timers) are
  // "volatile": zeroed on both sides, so the delta carries the snapshot's own value there.
  async function captureInitial() {
    const copy = snapshot.slice();
    let initial = /** @type {Int8Array | null} */ (null); // set inside the wrapper below
    /**
     * @this {Int8Array}
     * @param {ArrayLike<number> & Partial<ArrayBufferView>} source
     * @param {number} [offset]
     */
    TypedArrayProto.set = function (source, offset) {
      if (source && source.buffer === copy.buffer && initial === null) initial = this.slice(0, source.length);
      return originalSet.call(this, source, offset);
    };
    try {
      await loadPyodide({ ...restoreOptions, _loadSnapshot: copy });
    } finally {
      TypedArrayProto.set = originalSet;
    }
    if (initial === null) throw new Error("the snapshot restore did not copy through TypedArray.prototype.set");
    if (initial.length !== memoryLength || memoryLength % 4 !== 0) throw new Error("unexpected initial memory size");
    return new Int32Array(initial.buffer, initial.byteOffset, memoryLength / 4);
  }
  const captures = [];
  for (let k = 0; k < 4; k++) captures.push(await captureInitial());
  const initial = captures[0];
  // A varying word may hold a low-entropy value (a flag, a small random number) that happened to agree in these
  // captures: each volatile range is widened by PAD words on both sides (the random state and timer structures
  // are a few dozen bytes).
  // Also volatile by design: the word where Pyodide's pre-run stores the function-table index of its wasm call
  // trampoline (0 in Node and on iOS, a table index in other browsers); the snapshot's own value (0) is restored.
  const PAD = 16;
  const module = maker._module;
  const trampolineWord = (module.__PyRuntime + module.HEAP32[module.__PyEM_EMSCRIPTEN_TRAMPOLINE_OFFSET / 4]) / 4;
  /** @type {WordRanges} */
  const volatile = [];
  for (let i = 0; i < initial.length; i++) {
    if (i === trampolineWord) {
      const last = volatile[volatile.length - 1];
      if (last && i <= last[1]) last[1] = Math.max(last[1], i + 1);
      else volatile.push([i, i + 1]);
    } else if (captures.some((c) => c[i] !== initial[i])) {
      const [a, b] = [Math.max(0, i - PAD), Math.min(initial.length, i + PAD + 1)];
      const last = volatile[volatile.length - 1];
      if (last && a <= last[1]) last[1] = Math.max(last[1], b);
      else volatile.push([a, b]);
    }
  }
  if (volatile.reduce((n, [a, b]) => n + b - a, 0) > 4096) throw new Error("the initial memory is not deterministic");
  // The runs of words where the snapshot differs from the initial memory, the volatile words among them (the
  // snapshot's value is written there whatever a browser left), and the checksum of every word they do not cover:
  // the worker restores only where that checksum matches (web/shared/delta.js).
  const memory = new Int32Array(snapshot.buffer, snapshot.byteOffset + header, memoryLength / 4);
  // Free memory takes the initial memory's values (see freeRanges): the delta is 1.5 MB (15 %) smaller raw and
  // 0.29 MB (10 %) smaller with brotli. What is restored is this memory, word for word, checked below.
  const free = freeRanges(memory, module, stackPointer);
  for (const [start, end] of free.ranges) memory.set(initial.subarray(start, end), start);
  const delta = makeDelta(snapshot, header, changedRuns(memory, initial, volatile), free.ranges);
  const parsed = readDelta(delta.slice());
  const expected = uncoveredChecksum(initial, parsed.unchecked);
  captures.forEach((capture, k) => {
    if (uncoveredChecksum(capture, parsed.unchecked) !== expected) throw new Error(`fresh instance ${k} differs outside the delta`);
  });

  // 3. A fresh instance restores from the delta exactly as the worker does, and must then run the exercise.
  const restoredFrom = new Uint8Array(parsed.header + parsed.memoryLength);
  restoredFrom.set(delta.subarray(0, parsed.header));
  let checksum = null;
  /** @type {number[]} */
  let differing = [];
  let mismatch = null;
  /**
   * @this {Int8Array}
   * @param {ArrayLike<number> & Partial<ArrayBufferView>} source
   * @param {number} [offset]
   */
  TypedArrayProto.set = function (source, offset) {
    if (source && source.buffer === restoredFrom.buffer) {
      const words = new Int32Array(this.buffer, this.byteOffset + (offset || 0), source.length / 4);
      checksum = uncoveredChecksum(words, parsed.unchecked);
      differing = [];
      for (let i = 0; i < words.length && differing.length < 8; i++) if (words[i] !== initial[i]) differing.push(i);
      applyDelta(words, parsed);
      mismatch = words.findIndex((word, i) => word !== memory[i]); // restored = the snapshot, word for word
      return undefined;
    }
    return originalSet.call(this, source, offset);
  };
  let restored;
  try {
    restored = await loadPyodide({ ...restoreOptions, _loadSnapshot: restoredFrom });
  } finally {
    TypedArrayProto.set = originalSet;
  }
  if (checksum !== expected) throw new Error(`initial memory differs between instances at words ${differing.join(", ")}`);
  if (mismatch !== -1) throw new Error(`the restored memory differs from the snapshot at word ${mismatch}`);
  exercise(restored, exerciseFile);

  fs.writeFileSync(outPath, delta);
  const info = {
    initial_checksum: expected,
    volatile_words: volatile,
    trampoline_word: trampolineWord,
    header_bytes: header,
    memory_bytes: memoryLength,
    runs: parsed.runs.length / 2,
    run_words: parsed.data.length,
    total_words: memoryLength / 4,
    free_words: free.words, // set to the initial memory's values
  };
  fs.writeFileSync(infoPath, JSON.stringify(info));
}

try {
  if (mode === "trace") await trace(args);
  else if (mode === "make") await make(args);
  else throw new Error("usage: node snapshot.mjs trace|make ...");
} catch (error) {
  // One readable line (or a Python traceback), not Node's dump of the minified line that threw.
  const text = error instanceof Error && error.message ? error.message : String(error);
  process.stderr.write("\n" + text.slice(-3000) + "\n");
  process.exit(1);
}
