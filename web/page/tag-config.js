// The configuration of this page's tag: read once, from the real <script> element that runs embed.js and nothing
// else. Page input stays page input: every setting is read as an own property (a polluted Object.prototype must
// never become configuration), and Python validates the settings; the page only takes what it needs before
// Python runs, within Python's bounds.
import { PROTOCOL } from "../shared/protocol.js";
import { doc, own, put } from "./dom.js";
import { TransformList } from "./transforms.js";

/**
 * A whole-number setting the tag needs before Python runs: the page's value within Python's bounds, else the
 * default (Python reports a wrong one).
 * @param {Record<string, any>} settings
 * @param {keyof typeof PROTOCOL.settings} key
 */
function wholeNumber(settings, key) {
  const bounds = PROTOCOL.settings[key];
  const value = own(settings, key);
  return typeof value === "number" && value % 1 === 0 && value >= bounds.min && value <= bounds.max ? value : bounds.default;
}

/**
 * The local Intercom emulator is only ever enabled explicitly, and only on this machine.
 * @param {Record<string, any>} settings
 */
function sandboxUrl(settings) {
  if (typeof own(settings, "sandbox_url") !== "string") return null;
  try {
    const sandbox = new URL(settings.sandbox_url, location.href);
    if (/^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(sandbox.hostname) && /^https?:$/.test(sandbox.protocol)) {
      return sandbox.href.replace(/\/+$/, "");
    }
  } catch (e) { /* Python reports the invalid setting */ }
  return null;
}

/** What the tag says: the bundle's folder, the settings for Python, and the few the page itself needs. */
export class TagConfig {
  /** @param {string} debugKey sessionStorage key of the tab's debug switch */
  constructor(debugKey) {
    // Only the real <script> element that is running this file counts: never a named element, never a lookup by
    // selector (injected markup could add a look-alike tag pointing at another folder).
    let script = doc("currentScript");
    if (!(script instanceof HTMLScriptElement)) script = null;
    /** @type {string | null} the bundle folder's URL */
    this.base = null;
    try {
      const ownSrc = script ? HTMLScriptElement.prototype.getAttribute.call(script, "src") : null;
      if (ownSrc) this.base = new URL(".", new URL(ownSrc, doc("baseURI") || location.href)).href;
    } catch (e) { this.base = null; }
    if (this.base && !/^https?:$/.test(new URL(this.base).protocol)) this.base = null;
    /** @type {Record<string, any>} page input (data-settings, data attributes): read with own(), Python validates */
    let settings = {};
    /** @type {string | null} why the tag cannot run, as the one error it prints */
    this.error = null;
    if (!this.base) this.error = "could not find its own <script> tag; load embed.js with a src attribute (not as a module or from a bundler)";
    if (location.protocol === "file:") {
      // Browsers give a file:// page an opaque origin: its worker and fetches fail, which would otherwise read as a
      // missing file or a CSP problem.
      this.error = "this page was opened from a file:// URL, where browsers do not run py-bridge's worker; serve it over http (for example: py-bridge serve BUNDLE --sandbox --pages FOLDER)";
    }
    if (script && script.getAttribute("data-settings")) {
      try {
        const parsed = JSON.parse(/** @type {string} */ (script.getAttribute("data-settings")));
        if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) settings = parsed; // own keys only, below
        else this.error = "data-settings must be a JSON object";
      } catch (e) {
        this.error = "data-settings is not valid JSON";
      }
    }
    /**
     * Where Python runs: null for the tag's own Web Worker; for a PyScript page (`data-transport="page"`, the tag
     * py_bridge.pyscript.install() adds), that page's Python, handed over on the element itself (no global).
     * @type {PageConnect | null}
     */
    this.pagePython = null;
    if (script && script.getAttribute("data-transport") === "page") {
      const connect = own(script, "pybridgePython");
      if (typeof connect === "function") this.pagePython = connect;
      else this.error = "data-transport=\"page\" is for the tag py_bridge.pyscript.install() adds to a PyScript page";
    }
    if (script && script.hasAttribute("data-app-id")) put(settings, "app_id", script.getAttribute("data-app-id"));
    if (script && script.hasAttribute("data-widget-id")) put(settings, "widget_id", script.getAttribute("data-widget-id"));
    let debug = own(settings, "debug") === true || !!(script && script.hasAttribute("data-debug"));
    try {
      if (window.sessionStorage.getItem(debugKey) === "1") debug = true;
    } catch (e) { /* storage blocked */ }
    if (debug) put(settings, "debug", true);
    /** Debug mode: one collapsed console group per call; the page may switch it (pybridge.debug). */
    this.debug = debug;
    this.settings = settings;
    this.maxQueue = wholeNumber(settings, "max_queue");
    this.startTimeoutMs = wholeNumber(settings, "start_timeout_ms");
    this.widgetTimeoutMs = wholeNumber(settings, "widget_timeout_ms");
    this.transformLoadMs = wholeNumber(settings, "transform_load_ms");
    this.consentRequired = own(own(settings, "consent"), "required") === true;
    this.transforms = new TransformList(own(settings, "transform"), this.base);
    if (this.transforms.listed) put(settings, "transform", this.transforms.urls.slice());
    this.sandboxUrl = sandboxUrl(settings);
    if (this.sandboxUrl) put(settings, "sandbox_url", this.sandboxUrl);
  }

  /** @param {string} key a setting (an own property of the page's settings) */
  get(key) {
    return own(this.settings, key);
  }
}
