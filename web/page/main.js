/*! py-bridge embed.js (MIT): the public API (window.pybridge), the pre-load queue, page context, and the executor
 * that applies the allowlisted commands Python sends back. Source: web/page/ (ES modules, bundled by esbuild). */
// The entry: reads the tag, builds the parts (each module one concern, with what it needs passed in), connects
// them, replays what the page queued, and starts Python when the load policy allows. All decisions live in Python,
// in a Web Worker (or, on a PyScript page, in that page's Python: the in-page transport); the page only captures
// calls, moves data, and applies commands. Nothing throws into the page.
import { PROTOCOL } from "../shared/protocol.js";
import { createApi } from "./api.js";
import { CallCallbacks, ReadyCallbacks } from "./callbacks.js";
import { ConsentAnswer } from "./consent.js";
import { DebugExports } from "./debug-exports.js";
import { own } from "./dom.js";
import { earlyWidgetScript } from "./early-widget.js";
import { environment, restartFields } from "./environment.js";
import { Executor } from "./executor.js";
import { checkLauncherAfterLoad } from "./launcher-check.js";
import { PythonLink } from "./link.js";
import { StartPolicy, loadPolicy } from "./load-policy.js";
import { pageTransport } from "./page-transport.js";
import { PageWatch } from "./pages.js";
import { PinnedSettings } from "./pinned.js";
import { TagConfig } from "./tag-config.js";
import { Timeline } from "./timeline.js";
import { OnceWarnings, say } from "./report.js";
import { ScriptUrls } from "./trusted-types.js";
import { Visitor } from "./visitor.js";
import { WidgetLoader, widgetScripts } from "./widget-loader.js";
import { workerTransport } from "./worker-transport.js";

const VERSION = "__PY_BRIDGE_VERSION__";
// The user agents Intercom's loader ignores (`docs/intercom-facts.md`, "Loading").
const BOTS = /bot|googlebot|crawler|spider|robot|crawling|facebookexternalhit/i;

/** @param {unknown} existing window.pybridge before this tag ran */
function alreadyRunning(existing) {
  try {
    // `=== true`: an element named "pybridge"/"__pybridge" (clobbering) is truthy but never `true`; own: a polluted
    // Object.prototype is not our tag.
    return !!existing && typeof existing === "object" && !(existing instanceof Node) && own(existing, "__pybridge") === true;
  } catch (e) {
    return false; // a hostile getter: treat as absent
  }
}

function main() {
  const timeline = new Timeline();
  timeline.mark("tag");
  const existing = window.pybridge;
  if (alreadyRunning(existing)) {
    say("warn", "embed.js is included more than once on this page; the first copy stays in charge");
    return;
  }
  const config = new TagConfig(PROTOCOL.storage.debug);
  const bot = BOTS.test(String(navigator.userAgent));
  let nativeIntercom = false;
  try {
    nativeIntercom = typeof window.Intercom === "function";
  } catch (e) { /* a throwing getter: not an install we can drive */ }

  const visitor = new Visitor(!config.consentRequired);
  const consent = new ConsentAnswer(config.consentRequired, config);
  const callbacks = new CallCallbacks();
  const ready = new ReadyCallbacks();
  const exports = new DebugExports(timeline);
  const allowedScript = widgetScripts(config.sandboxUrl);
  const urls = new ScriptUrls(allowedScript);
  /** @type {StartPolicy | null} */
  let policy = null;
  const endInteractionWait = () => { if (policy) policy.endInteractionWait(); };
  /** @type {Executor | null} */
  let executor = null;
  /** @type {WidgetLoader | null} */
  let widget = null;

  const transport = config.pagePython ? pageTransport(config.pagePython) : workerTransport(/** @type {string} */ (config.base), config.settings, urls,
    () => consent.answer === "granted");
  const link = new PythonLink(config, transport, {
    commands: (commands) => { if (executor) executor.schedule(commands); },
    environment: () => environment(config, nativeIntercom, consent.answer),
    restart: (env) => restartFields(env, widget ? widget.status : "idle", ready.fired),
    stopped: () => {
      exports.settle();
      endInteractionWait(); // a dead look-alike launcher must not stay on the page
      ready.fire(); // ready(fn) runs once the Messenger has loaded or failed: a bridge that stopped is the latter
    }
  }, timeline);
  /**
   * @param {string} signalName
   * @param {Record<string, unknown>} data
   */
  const signal = (signalName, data) => link.send({ kind: "signal", name: signalName, data: data || {} });
  widget = new WidgetLoader(config, urls, allowedScript, {
    signal: signal,
    settled: endInteractionWait,
    allowed: () => consent.answer === "granted"
  }, timeline);
  const running = !config.error && !bot && (config.pagePython || typeof Worker === "function");
  // Intercom's load while Python starts (early-widget.js): looked at once the queue is replayed (a consent given
  // there counts) and again when the visitor gives consent; Python's own `load` later finds it started.
  const startEarly = () => {
    if (!running || widget === null || widget.status !== "idle" || link.state === "failed") return;
    const early = earlyWidgetScript(config, consent.answer === "granted", nativeIntercom);
    if (early) widget.preload(early);
  };
  const listeners = { show: [], hide: [], unread: [] };
  const { api, replayQueue } = createApi({
    version: VERSION, config, link, visitor, consent, callbacks, ready, exports, listeners,
    // After the current task: a withdrawal in the same tick as the grant leaves Intercom uncontacted.
    warnings: new OnceWarnings(), endInteractionWait, consentGiven: () => { setTimeout(startEarly, 0); },
    startsByItself: () => loadPolicy(config) !== "interaction"
  });
  executor = new Executor({
    config, consent, visitor, callbacks, ready, exports, widget,
    pinned: new PinnedSettings(config),
    pages: new PageWatch(() => api.page()),
    signal: signal,
    stop: () => link.fail("not started", true),
    keepState: (state) => { link.lastState = state; }
  });
  executor.listeners = listeners;
  policy = new StartPolicy(config, link, api.intercom);

  window.pybridge = /** @type {typeof window.pybridge} */ (/** @type {unknown} */ (api));
  // The policy is set before the queue is replayed: under "eager" (and on a PyScript page) Python is then already
  // on its way, so a queued debug.export() waits for its answer instead of settling with nothing.
  if (running) policy.startWhenPolicyAllows();
  if (Array.isArray(existing)) replayQueue(existing);
  startEarly();

  if (config.error) {
    say("error", config.error + "; py-bridge is disabled on this page (your page keeps working)");
    ready.fire();
  } else if (bot) {
    // Intercom's loader ignores crawlers, so nothing would reach Intercom: spare them the runtime download.
    link.state = "failed";
    say("info", "a crawler user agent: py-bridge stays idle (Intercom's Messenger does not load for bots either)");
    ready.fire();
  } else if (!config.pagePython && typeof Worker !== "function") {
    link.fail("this browser has no Web Workers");
  } else {
    checkLauncherAfterLoad(config.get("widget_id"), () => link.state === "failed");
  }
}

main();
