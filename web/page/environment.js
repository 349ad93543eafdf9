// What the page tells Python about itself in the init message (`env`, py_bridge/protocol.py ENV): whether the
// launcher selector is valid, which origins may serve transformations, the page's consent answer, the site's index
// of each transformation entry, and a session the page's own Intercom install already has.
import { DOC, own } from "./dom.js";

/**
 * A page's own Intercom install has a session when it queued a `boot`, or when its Messenger is up (API in place
 * of the stub) with intercomSettings to boot from. Who it is comes from intercomSettings, if the page said.
 * @param {boolean} nativeIntercom window.Intercom was a function when the tag started
 */
function nativeSession(nativeIntercom) {
  if (!nativeIntercom) return null;
  try {
    const intercom = /** @type {IntercomMessenger} */ (window.Intercom); // a function when the tag started
    const q = intercom.q;
    let queuedBoot = false;
    if (Array.isArray(q)) {
      for (let i = 0; i < q.length && i < 1000; i++) if (q[i] && q[i][0] === "boot") queuedBoot = true;
    }
    const pageSettings = window.intercomSettings;
    const autoBooted = !Array.isArray(q) && !!pageSettings && typeof pageSettings === "object" && !!own(pageSettings, "app_id");
    if (!queuedBoot && !autoBooted) return null;
    const userId = pageSettings && own(pageSettings, "user_id");
    const email = pageSettings && own(pageSettings, "email");
    return {
      user_id: typeof userId === "string" || typeof userId === "number" ? String(userId) : null,
      email: typeof email === "string" ? email : null
    };
  } catch (e) {
    return null;
  }
}

/**
 * @param {import("./tag-config.js").TagConfig} config
 * @param {boolean} nativeIntercom
 * @param {string} consent the page's consent answer
 * @returns {Record<string, unknown>}
 */
export function environment(config, nativeIntercom, consent) {
  let selectorValid = true;
  const selector = config.get("widget_id");
  if (typeof selector === "string") {
    try {
      DOC.createDocumentFragment.call(document).querySelector(selector);
    } catch (e) {
      selectorValid = false;
    }
  }
  const origins = [location.origin];
  try { origins.push(new URL(/** @type {string} */ (config.base)).origin); } catch (e) { /* no bundle origin */ }
  /** @type {Record<string, unknown>} */
  const env = { native_intercom: nativeIntercom, selector_valid: selectorValid, origins: origins, consent: consent };
  if (config.transforms.urls.length) env.transform_index = config.transforms.index.slice(); // the site's index of each entry sent
  const session = nativeSession(nativeIntercom);
  if (session) env.native_session = session;
  return env;
}

/**
 * What a restart's init adds (py_bridge/protocol.py RESTART_ENV): a new Python must know the widget's status and
 * whether ready already ran, which the page saw and the old Python took with it.
 * @param {Record<string, unknown>} env
 * @param {string} widget the widget loader's status
 * @param {boolean} readyFired
 */
export function restartFields(env, widget, readyFired) {
  env.widget = widget;
  env.ready = readyFired;
}
