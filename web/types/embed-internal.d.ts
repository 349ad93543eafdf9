// Types that the page runtime (web/page/, bundled into embed.js) names in its JSDoc: the messages between the tag and its worker, and the commands Python
// sends back. Internal (the public API is web/embed.d.ts). Checked by `tsc -p tsconfig.page.json`; never shipped.
// The protocol's names (ItemKind, ToWorkerType...) come from web/types/protocol.d.ts, generated from Python.

/** A call, control, signal... on its way to Python: plain, bounded, cloneable data (see encode in embed.js). */
interface BridgeItem {
  kind: ItemKind;
  [key: string]: unknown;
}

/** A message to the worker: `config`, then `init`, `batch`... with the watchdog's sequence number. */
interface ToWorker {
  type: ToWorkerType;
  seq?: number;
  items?: BridgeItem[];
  [key: string]: unknown;
}

/** A message from Python's side (the worker, or the in-page transport); checked field by field before use. */
interface FromWorker {
  type?: unknown;
  ms?: unknown;
  mode?: unknown;
  /** `started`: the phases Python's side measured from its start, and when that start was (epoch ms). */
  phases?: unknown;
  at?: unknown;
  seq?: unknown;
  index?: unknown;
  phase?: unknown;
  commands?: unknown;
  level?: unknown;
  message?: unknown;
}

/**
 * One command of Python's answer (py_bridge: the executor's allowlist). Python builds them; the executor still
 * checks each field it uses, so every field is optional and untrusted.
 */
interface BridgeCommand {
  op?: unknown;
  /** state: the bridge state a restarted worker goes on from. */
  state?: unknown;
  /** settings: the intercomSettings object; trace: the settings keys to forget (forget). */
  settings?: unknown;
  settings_keys?: unknown;
  cookies?: unknown;
  /** load: the widget script URL. */
  src?: unknown;
  /** call: the Intercom method and its arguments. */
  method?: unknown;
  args?: unknown;
  /** listen / emit: the Messenger event. */
  event?: unknown;
  properties?: unknown;
  level?: unknown;
  message?: unknown;
  /** callback / export: the id the page registered (a number Python got from the page). */
  id?: number;
  user_id?: unknown;
  traits?: unknown;
  jsonl?: unknown;
  /** trace (debug mode): one call as Python handled it. */
  title?: unknown;
  received?: unknown;
  steps?: unknown[];
  intercom?: unknown[];
}

/** A callback passed in a call, waiting to run once. */
interface PendingCallback {
  fn: () => void;
  timer: ReturnType<typeof setTimeout>;
}

/** Bounds of one call's encoding (encode in embed.js). */
interface EncodeBudget {
  nodes: number;
  chars: number;
  droppedKeys: number;
}

/** [message seq, call count, the items (kept only while transformations may need a replay)] per message. */
type InFlight = [number, number, BridgeItem[] | null];

type MessengerEventName = "show" | "hide" | "unread";

/**
 * A PyScript page's Python, as py_bridge.pyscript.install() hands it to the runtime (the `pybridgePython` property
 * of the tag it adds): called once with the session relay's functions, it returns Python's session.
 */
type PageConnect = (post: (json: string) => void, alive: () => void, mark: (url: unknown, phase: unknown) => void) => PythonSession;
