// Types that web/worker.mjs names in its JSDoc (checked by `tsc -p tsconfig.worker.json`; never shipped).
// A script-style declaration file: no top-level import/export, so every name here is global to that project.

/** A message from embed.js (structured-cloned JSON): `config` first, then `init`, `batch` (ToWorkerType). */
interface WorkerInbound {
  type?: unknown;
  /** The page's watchdog sequence number, acknowledged after Python handled the message. */
  seq?: unknown;
  /** `config`: whether the page allows starting from the memory snapshot. */
  snapshot?: unknown;
  /** `init`: the validated settings; `transform` lists the site's transformation URLs. */
  settings?: { transform?: unknown; [key: string]: unknown };
  [key: string]: unknown;
}

/** One command of Python's answer (py_bridge.worker): `schedule` stays in the worker, the rest go to the page. */
interface WorkerCommand {
  op: CommandOp;
  delay_ms?: unknown;
  [key: string]: unknown;
}

/** A transformation file as the worker hands it to Python. */
interface TransformFile {
  url: string;
  ok: boolean;
  /** The file's text (ok). */
  text?: string;
  /** The HTTP status of a failed fetch. */
  status?: number;
  /** Why the fetch failed (a network error). */
  error?: string;
}

/** py_bridge.worker.WorkerSession as Pyodide proxies it. */
interface WorkerSessionProxy {
  handle(json: string): void;
}

/** The py_bridge.stdlib module as Pyodide proxies it. */
interface StdlibModule {
  /** Installs the finder that fetches the full standard library (synchronously) on the first miss. */
  install(fetchFull: () => string): void;
}

/** What earlyRuntime started: the wasm compiling as it streams in, and the standard-library zip being fetched. */
interface Prefetched {
  wasmUrl: string;
  compiled: Promise<WebAssembly.Module> | null;
  pending: Map<string, Promise<Response>>;
}

/** Records a start-up phase (ms since the start) for the `started` message. */
type MarkPhase = (phase: string) => void;
