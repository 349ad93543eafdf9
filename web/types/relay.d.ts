// Types of the session relay (web/shared/session-relay.js and transform-files.js): what passes between the page and
// Python's session, wherever Python runs (the worker today; the page for an in-page transport). Script-style (no
// top-level import/export): every name is global to the projects that list this file. Checked by tsc, never shipped.

/** A message from the page (structured-cloned JSON): `config` first, then `init`, `batch` (ToWorkerType). */
interface PageMessage {
  type?: unknown;
  /** The page's watchdog sequence number, acknowledged after Python handled the message. */
  seq?: unknown;
  /** `config`: whether the page allows starting from the memory snapshot. */
  snapshot?: unknown;
  /** `init`: the validated settings; `transform` lists the site's transformation URLs. */
  settings?: { transform?: unknown; [key: string]: unknown };
  [key: string]: unknown;
}

/** One command of Python's answer (py_bridge.core.worker): `schedule` stays with the relay, the rest go to the page. */
interface PythonCommand {
  op: CommandOp;
  delay_ms?: unknown;
  [key: string]: unknown;
}

/** py_bridge.core.worker.WorkerSession as Pyodide proxies it. */
interface PythonSession {
  handle(json: string): void;
}

/** Where the relay's messages for the page go: a worker's global scope, or whatever stands for it on the page. */
interface PagePort {
  postMessage(message: unknown): void;
}

/** What sessionRelay returns: the page's side (receive), Python's side (post, alive, mark) and the hand-over. */
interface SessionRelay {
  /** A message from the page: handed to Python (in order), or kept until Python is ready. */
  receive(message: PageMessage): void;
  /** Python's commands (a JSON list), given to Python when its session is made. */
  post(json: string): void;
  /** Python's heartbeat while it works through a backlog. */
  alive(): void;
  /** Python's mark just before a transformation file loads or runs. */
  mark(url: unknown, phase: unknown): void;
  /** Python's session is made: the messages that waited are handed to it, in order. */
  attach(session: PythonSession): void;
  /** Whether Python's session is attached. */
  ready(): boolean;
}
