// The part of Pyodide's JavaScript API that the worker (web/worker/) and web/snapshot.mjs use, with the private
// start-up options they rely on (`_loadSnapshot`, `_makeSnapshot`, `_sysExecutable`, the Emscripten module). Declared
// here rather than taken from node_modules/pyodide/pyodide.d.ts, which needs the DOM, Node's types and ESNext at
// once; the names and shapes follow that file for the pinned Pyodide (package.json). Checked by tsc, never shipped.

/** loadPyodide's options as py-bridge passes them. */
interface PyodideOptions {
  indexURL?: string;
  packageBaseUrl?: string;
  stdLibURL?: string;
  lockFileContents?: { info: unknown; packages: Record<string, unknown> };
  env?: Record<string, string>;
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
  /** Private: the program name start-up writes into the heap (fixed so the snapshot memory matches). */
  _sysExecutable?: string;
  /** Private: prepare the instance for makeMemorySnapshot(). */
  _makeSnapshot?: boolean;
  /** Private: start from this memory snapshot. */
  _loadSnapshot?: Uint8Array | ArrayBuffer | PromiseLike<Uint8Array | ArrayBuffer>;
  /** Semi-private: the Emscripten module factory to use instead of importing pyodide.asm.mjs's default export. */
  createPyodideModule?: CreatePyodideModule;
}

/** pyodide.asm.mjs's default export: Emscripten's module factory, given Pyodide's Emscripten settings. */
type CreatePyodideModule = (settings: Record<string, unknown>) => Promise<unknown>;

/** The Emscripten module behind an instance (private), as far as the snapshot tool reads it. */
interface PyodideEmscriptenModule {
  HEAP32: Int32Array;
  /** Address of CPython's _PyRuntime. */
  __PyRuntime: number;
  /** Address of the offset (in _PyRuntime) of the wasm call trampoline's function-table index. */
  __PyEM_EMSCRIPTEN_TRAMPOLINE_OFFSET: number;
  /** Where malloc's heap (sbrk's first address) begins: just above the wasm stack. */
  ___heap_base: number;
  /** The wasm stack's lowest address (it grows down from ___stack_high). */
  ___stack_low: number;
  ___stack_high: number;
  /** The address of sbrk's current break (a word of the memory). */
  _emscripten_get_sbrk_ptr(): number;
  _emscripten_stack_get_current(): number;
}

interface Pyodide {
  FS: { writeFile(path: string, data: string | ArrayBufferView): void };
  /** The value of the last expression: a Python object crossing the FFI, untyped like in Pyodide's own types. */
  runPython(code: string, options?: { filename?: string }): any;
  /** A Python module as a proxy (untyped, as in Pyodide's own types). */
  pyimport(name: string): any;
  globals: { set(name: string, value: unknown): void };
  toPy(value: unknown): unknown;
  makeMemorySnapshot(): Uint8Array;
  _module: PyodideEmscriptenModule;
}

type LoadPyodide = (options: PyodideOptions) => Promise<Pyodide>;
