/**
 * py-bridge: TypeScript declarations of `window.pybridge`, the API embed.js installs (also on PyScript pages that
 * run py_bridge.pyscript.install()).
 *
 * The calls follow analytics.js (Segment, RudderStack): optional leading arguments, an options object, and a
 * callback in any position that runs once, after the call was handled or after at most 300 ms. No call ever throws.
 */

export type JSONValue = string | number | boolean | null | Date | JSONValue[] | { [key: string]: JSONValue | undefined };
export type Traits = { [key: string]: JSONValue | undefined };
export type Properties = { [key: string]: JSONValue | undefined };
export type Callback = () => void;

/** Identity verification values, computed on your server (never the secret). */
export interface IntercomOptions {
  user_hash?: string;
  userHash?: string;
  intercom_user_jwt?: string;
  intercomUserJwt?: string;
  hide_default_launcher?: boolean;
  hideDefaultLauncher?: boolean;
  language_override?: string;
}

export interface CallOptions {
  /** `Intercom: false`, or `All: false` without `Intercom: true`, keeps the call away from Intercom. */
  integrations?: { All?: boolean; Intercom?: boolean | IntercomOptions; [destination: string]: unknown };
  /** Segment classic's place for the same values. */
  Intercom?: IntercomOptions;
  context?: { Intercom?: IntercomOptions; [key: string]: unknown };
  [key: string]: unknown;
}

/** A transformation file: its URL, or its URL with the SHA-256 of its exact bytes (`sha256-<base64>` or hex). */
export interface TransformEntry {
  url: string;
  sha256: string;
}

/**
 * The settings of `data-settings` (snake_case; JSON). `app_id`/`widget_id` usually come from data attributes.
 * Checked against Python's settings by tests/unit/test_declarations.py: every setting, alias and accepted value.
 */
export interface Settings {
  app_id?: string;
  widget_id?: string;
  region?: "us" | "eu" | "au";
  api_base?: "https://api-iam.intercom.io" | "https://api-iam.eu.intercom.io" | "https://api-iam.au.intercom.io";
  hide_default_launcher?: boolean;
  alignment?: "left" | "right";
  horizontal_padding?: number;
  vertical_padding?: number;
  rich_link_properties?: string[];
  max_metadata_keys?: number;
  nested?: "drop" | "flatten";
  identity_verification?: "user_hash" | "jwt" | null;
  send_anonymous_id?: boolean;
  include_context?: boolean;
  event_filter?: { allow: string[] } | { deny: string[] };
  track_pages?: boolean;
  track_messenger_events?: boolean;
  consent?: { required: boolean };
  max_queue?: number;
  start_timeout_ms?: number;
  widget_timeout_ms?: number;
  load?: "eager" | "load" | "idle" | "interaction";
  fast_start?: boolean;
  transform?: string | TransformEntry | Array<string | TransformEntry>;
  transform_errors?: "send" | "drop";
  transform_slow_ms?: number;
  transform_load_ms?: number;
  debug?: boolean;
  sandbox_url?: string;
  /** Legacy names (Segment's and RudderStack's Intercom integrations), accepted so their settings paste over. */
  appId?: string;
  activator?: string;
  apiBase?: "https://api-iam.intercom.io" | "https://api-iam.eu.intercom.io" | "https://api-iam.au.intercom.io";
  richLinkProperties?: string[];
  hideDefaultLauncher?: boolean;
}

export type MessengerSpace = "home" | "messages" | "help" | "news" | "tasks" | "tickets";
export type MessengerEvent = "show" | "hide" | "unread";

export interface IntercomControls {
  show(): PyBridge;
  hide(): PyBridge;
  showMessages(): PyBridge;
  showNewMessage(text?: string): PyBridge;
  showSpace(name: MessengerSpace): PyBridge;
  showArticle(id: number | string): PyBridge;
  startTour(id: number | string): PyBridge;
  startSurvey(id: number | string): PyBridge;
  on(event: "unread", fn: (count: number) => void): PyBridge;
  on(event: "show" | "hide", fn: () => void): PyBridge;
}

export interface User {
  id(): string | null;
  anonymousId(): string;
  traits(): Traits;
}

export interface Debug {
  /** Turn debug mode on (one collapsed console group per call) for this tab, or off. */
  (on?: boolean): PyBridge;
  /** The session's events as JSON lines, in the shape a transformation receives. */
  export(): Promise<string>;
}

export interface PyBridge {
  readonly __pybridge: true;
  readonly VERSION: string;

  page(callback?: Callback): PyBridge;
  page(name: string, callback?: Callback): PyBridge;
  page(name: string, properties: Properties | null, callback: Callback): PyBridge;
  page(name: string, properties?: Properties | null, options?: CallOptions | null, callback?: Callback): PyBridge;
  page(
    category: string | null,
    name: string | null,
    properties?: Properties | null,
    options?: CallOptions | null,
    callback?: Callback,
  ): PyBridge;
  page(properties: Properties, options?: CallOptions | null, callback?: Callback): PyBridge;

  identify(callback?: Callback): PyBridge;
  identify(userId: string | number | null, callback?: Callback): PyBridge;
  identify(userId: string | number | null, traits: Traits | null, callback: Callback): PyBridge;
  identify(userId: string | number | null, traits?: Traits | null, options?: CallOptions | null, callback?: Callback): PyBridge;
  identify(traits: Traits, options?: CallOptions | null, callback?: Callback): PyBridge;
  identify(traits: Traits, callback: Callback): PyBridge;

  track(event: string, callback?: Callback): PyBridge;
  track(event: string, properties: Properties | null, callback: Callback): PyBridge;
  track(event: string, properties?: Properties | null, options?: CallOptions | null, callback?: Callback): PyBridge;
  track(event: { event: string; properties?: Properties }, options?: CallOptions | null, callback?: Callback): PyBridge;

  group(groupId: string | number, callback?: Callback): PyBridge;
  group(groupId: string | number, traits: Traits | null, callback: Callback): PyBridge;
  group(groupId: string | number, traits?: Traits | null, options?: CallOptions | null, callback?: Callback): PyBridge;

  /** Accepted for compatibility; Intercom has no equivalent (noted in debug mode). */
  alias(to: string, from?: string | null, options?: CallOptions | null, callback?: Callback): PyBridge;
  alias(to: string, callback?: Callback): PyBridge;
  /** Accepted for compatibility; Intercom has no equivalent (noted in debug mode). */
  screen(category?: string | null, name?: string | null, properties?: Properties | null, options?: CallOptions | null, callback?: Callback): PyBridge;

  /** Logout: shut the Messenger down, forget the user, boot a fresh visitor. */
  reset(): PyBridge;
  /** Runs once Python has started and the Messenger has loaded or failed. */
  ready(fn: () => void): PyBridge;
  /** Answers the consent gate (setting `consent`). */
  consent(granted: boolean): PyBridge;
  /** `[method, ...args]` as queued before the tag loaded. */
  push(call: [string, ...unknown[]]): PyBridge;

  user(): User;
  /** Read-only in py-bridge. */
  anonymousId(): string;
  debug: Debug;
  intercom: IntercomControls;
}

export interface PyBridgeLogDetail {
  level: "debug" | "info" | "warn" | "error" | "call";
  message?: string;
  method?: string;
  args?: unknown[];
  /** On the "Python started in N ms" line: how long Python took to start, and from what. */
  started?: { ms: number; mode: "snapshot" | "normal" };
}

declare global {
  interface Window {
    /** The array queue of the README snippet until embed.js loads, then the API. */
    pybridge: PyBridge | (unknown[] & Partial<PyBridge>);
  }
  interface WindowEventMap {
    "pybridge:log": CustomEvent<PyBridgeLogDetail>;
    "pybridge:event": CustomEvent<{ event: string; properties: Properties }>;
  }
}
