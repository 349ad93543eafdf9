/*! py-bridge embed.js (MIT): the public API (window.pybridge), the pre-load queue, page context, and the executor
 * that applies the allowlisted commands Python sends back. Source: web/page/ (ES modules, bundled by esbuild). */
// The entry: reads the tag, builds the parts (each module one concern, with what it needs passed in), connects
// them, replays what the page queued, and starts Python when the load policy allows. All decisions live in Python,
// in a Web Worker (or, on a PyScript page, in that page's Python: the in-page transport); the page only captures
// calls, moves data, and applies commands. Nothing throws into the page.
import { PROTOCOL } from "../shared/protocol.js";
import { AcceptedSettings } from "./accepted-settings.js";
import { createApi } from "./api.js";
import { CallCallbacks, ReadyCallbacks } from "./callbacks.js";
import { ConsentAnswer } from "./consent.js";
import { DebugExports } from "./debug-exports.js";
import { own } from "./dom.js";
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

/**
 * The Messenger's script URL when the page may start loading it while Python starts, else null: only for settings
 * Python accepted on an earlier visit (it loaded this script for exactly these settings), under a policy that
 * starts at once, with consent not required, and where the script cannot boot anything by itself (no Intercom
 * install or intercomSettings of the page's own). Python still decides every boot, update and call.
 * @param {TagConfig} config
 * @param {AcceptedSettings} accepted
 * @param {boolean} nativeIntercom
 */
function earlyWidget(config, accepted, nativeIntercom) {
  const policy = loadPolicy(config);
  let pageSettings = true;
  try { pageSettings = window.intercomSettings !== undefined; } catch (e) { /* a throwing getter: leave it alone */ }
  if ((policy !== "eager" && policy !== "load") || config.consentRequired || nativeIntercom || pageSettings) return null;
  return accepted.script();
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
  let nativeIntercom = false;
  try {
    nativeIntercom = typeof window.Intercom === "function";
  } catch (e) { /* a throwing getter: not an install we can drive */ }

  const visitor = new Visitor(!config.consentRequired);
  const accepted = new AcceptedSettings(config.settings, VERSION);
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
  widget = new WidgetLoader(config, urls, allowedScript, { signal: signal, settled: endInteractionWait }, timeline);
  const listeners = { show: [], hide: [], unread: [] };
  const { api, replayQueue } = createApi({
    version: VERSION, config, link, visitor, consent, callbacks, ready, exports, listeners,
    warnings: new OnceWarnings(), endInteractionWait,
    startsByItself: () => loadPolicy(config) !== "interaction"
  });
  executor = new Executor({
    config, consent, visitor, callbacks, ready, exports, widget, accepted,
    pinned: new PinnedSettings(config),
    pages: new PageWatch(() => api.page()),
    signal: signal,
    stop: () => link.fail("not started", true),
    keepState: (state) => { link.lastState = state; }
  });
  executor.listeners = listeners;
  policy = new StartPolicy(config, link, api.intercom);

  window.pybridge = /** @type {typeof window.pybridge} */ (/** @type {unknown} */ (api));
  const bot = BOTS.test(String(navigator.userAgent));
  // The policy is set before the queue is replayed: under "eager" (and on a PyScript page) Python is then already
  // on its way, so a queued debug.export() waits for its answer instead of settling with nothing.
  if (!config.error && !bot && (config.pagePython || typeof Worker === "function")) {
    policy.startWhenPolicyAllows();
    const early = earlyWidget(config, accepted, nativeIntercom);
    if (early) widget.preload(early);
  }
  if (Array.isArray(existing)) replayQueue(existing);

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
