// Types that the worker's modules (web/worker/) name in their JSDoc (checked by `tsc -p tsconfig.worker.json`; never
// shipped). The messages it relays are typed in web/types/relay.d.ts, the delta snapshot in web/types/delta.d.ts.
// A script-style declaration file: no top-level import/export, so every name here is global to that project.

/**
 * What the build writes into worker.mjs (web/worker/main.mjs): file names and checksums; each a placeholder string
 * (`__PY_BRIDGE_...`) in an unbuilt worker.
 */
interface BuildFacts {
  /** py_bridge-<hash>.zip */
  coreZip: string;
  /** The core zip's full SHA-256, checked before it is imported. */
  zipSha256: string;
  /** The trimmed standard library zip. */
  stdlib: string;
  /** The delta snapshot file name, or "" when the build has none. */
  snapshot: string;
  /** The snapshot's full SHA-256, checked before every use. */
  snapshotSha256: string;
  /** Checksum of the initial memory's words that the delta's runs do not cover (web/shared/delta.js). */
  snapshotInitial: string;
  /** An empty zip: the snapshot holds every module the core needs. */
  snapshotStdlib: string;
  /** pyodide-lock.json's "info": no packages are loaded, so no lock fetch. */
  lockInfo: Record<string, unknown> | string;
}

/** The py_bridge.core.stdlib module as Pyodide proxies it. */
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

/** A file as it streams in: its first bytes (unverified), then all of them (verified). */
interface StreamedFile {
  head: Promise<Uint8Array>;
  bytes: Promise<Uint8Array>;
}

/** Records a start-up phase (ms since the start) for the `started` message. */
type MarkPhase = (phase: string) => void;
