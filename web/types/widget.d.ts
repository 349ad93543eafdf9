// Types that the Intercom sandbox widget (py_bridge/tools/sandbox/widget.js) names in its JSDoc. Checked by
// `tsc -p tsconfig.page.json`; never shipped.

/** Settings and attributes as a page passed them, after a JSON round trip: page input, every value unchecked. */
type SandboxSession = Record<string, unknown>;

/** A Messenger callback registered by the page (onShow, onHide, onUnreadCountChange, onUserEmailSupplied). */
type SandboxCallback = (...args: unknown[]) => unknown;

/** What the panel shows (a space, an article...), from the Messenger method that opened it. */
interface SandboxView {
  label?: string;
  composer?: string;
  sent?: string;
}

/** Answers a request: the response, or the network error (then the response is null). */
type SandboxOnResponse = (response: Response | null, error: unknown) => unknown;

interface SandboxState {
  booted: boolean;
  autoBooted: boolean;
  bootCount: number;
  shutdownCount: number;
  updateCount: number;
  rateLimitedUpdates: number;
  /** Every call as [method, JSON-safe arguments]. */
  calls: Array<[string, unknown]>;
  session: SandboxSession | null;
  generation: number;
  visitorId: string | null;
  panelOpen: boolean;
  unreadCount: number;
  hideNotifications: boolean;
  lastContent: { type: string; id: unknown } | null;
  updateWindowStart: number | null;
  updateWindowCount: number;
  callbacks: { show: SandboxCallback[]; hide: SandboxCallback[]; unread: SandboxCallback[]; email: SandboxCallback[] };
  pending: number;
  idleWaiters: Array<() => void>;
  requestChain: Promise<unknown>;
  launcher: HTMLButtonElement | null;
  badge: HTMLSpanElement | null;
  panel: HTMLElement | null;
  panelSeq: number;
  activatorSelector: string | null;
  clickListenerBound: boolean;
  frameGeneration: number;
  frameStarts: number;
}

/** The loader's queue stub as the widget installs it (the official snippet's shape). */
interface SandboxStub {
  (...args: unknown[]): void;
  q: ArrayLike<unknown>[];
  c: (args: ArrayLike<unknown>) => void;
}
