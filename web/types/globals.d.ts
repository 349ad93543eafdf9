// Browser globals that page code (web/page/, the sandbox widget) reads and TypeScript's DOM library lacks, or
// that Intercom's Messenger puts on the page. Checked by `tsc -p tsconfig.page.json`; never shipped.
// `window.pybridge` is declared with the public API in web/embed.d.ts.

/**
 * Intercom's Messenger API as a page holds it: the loader's queue stub first (`q` holds the queued `arguments`),
 * then the Messenger itself. Any page script may have replaced it, so callers check before they call.
 */
interface IntercomMessenger {
  (method: string, ...args: unknown[]): unknown;
  /** The stub's queue: `arguments` objects (the official snippet) or arrays (older wrappers). */
  q?: ArrayLike<unknown>[];
  /** The official stub's enqueue function. */
  c?: (args: ArrayLike<unknown>) => void;
  /** Set by Intercom's loader once it ran (not whether a user session is booted). */
  booted?: boolean;
}

/** The Trusted Types API (https://w3c.github.io/trusted-types/): only what the tag uses to load its worker. */
interface TrustedScriptURL {
  toString(): string;
}
interface TrustedTypePolicy {
  readonly name: string;
  createScriptURL(input: string): TrustedScriptURL;
}
interface TrustedTypePolicyFactory {
  createPolicy(
    name: string,
    rules: { createScriptURL?: (input: string) => string },
  ): TrustedTypePolicy;
}

/** The Network Information API (Chromium only): read to respect Save-Data and slow connections. */
interface NetworkInformation {
  readonly saveData?: boolean;
  readonly effectiveType?: string;
}

interface Navigator {
  readonly connection?: NetworkInformation;
}

interface Window {
  Intercom?: IntercomMessenger;
  /** Intercom's boot settings as a page may define them (page input: validated before use). */
  intercomSettings?: unknown;
  trustedTypes?: TrustedTypePolicyFactory;
  /** The sandbox widget's test surface (py_bridge/tools/sandbox/widget.js). */
  __intercomSandbox?: unknown;
}
