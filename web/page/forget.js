// Consent withdrawn: Intercom's loader boots again from intercomSettings.app_id (on every Turbo load), and the
// Messenger keeps its visitor in cookies on the site's top-level domain. Remove the keys Python names from whatever
// object intercomSettings is (the page's own install included) and expire only Intercom's cookies, host-only and on
// each parent domain up to the last two labels.
import { PROTOCOL } from "../shared/protocol.js";
import { DOC } from "./dom.js";
import { APP_ID } from "./widget-loader.js";

/** @param {string} cookie only Intercom's own cookies: one of its prefixes, then an App ID */
function forgettableCookie(cookie) {
  return PROTOCOL.intercom_cookies.some((prefix) => cookie.indexOf(prefix + "-") === 0 && APP_ID.test(cookie.slice(prefix.length + 1)));
}

function cookieDomains() {
  const host = String(location.hostname);
  const domains = [""];
  if (/^[\d.]+$/.test(host) || host.indexOf(":") !== -1 || host.indexOf("[") !== -1) return domains;
  const labels = host.split(".");
  for (let i = 0; i + 2 <= labels.length; i++) domains.push("; domain=" + labels.slice(i).join("."));
  return domains;
}

/**
 * @param {unknown[]} keys intercomSettings keys
 * @param {unknown[]} cookieNames Intercom's cookies (only names of its three kinds are touched)
 */
export function forget(keys, cookieNames) {
  try {
    const queue = window.Intercom && window.Intercom.q;
    if (Array.isArray(queue)) queue.splice(0, queue.length); // not yet drained by the Messenger's frame: never will be
  } catch (e) { /* a hostile getter: nothing queued we can reach */ }
  const current = window.intercomSettings;
  if (current && typeof current === "object") {
    keys.forEach((key) => {
      try {
        if (typeof key === "string") delete /** @type {Record<string, unknown>} */ (current)[key];
      } catch (e) { /* a frozen object: nothing more to do here */ }
    });
  }
  // not document.cookie: clobbering
  const setCookie = /** @type {{ set: (this: Document, cookie: string) => void }} */ (Object.getOwnPropertyDescriptor(DOC, "cookie")).set;
  const domains = cookieDomains();
  cookieNames.forEach((cookieName) => {
    if (typeof cookieName !== "string" || !forgettableCookie(cookieName)) return;
    domains.forEach((domain) => {
      try {
        setCookie.call(document, cookieName + "=; path=/; max-age=0" + domain);
      } catch (e) { /* cookies blocked: nothing was stored */ }
    });
  });
}

/**
 * Consent refused or withdrawn, applied by the page at once and by itself (Python may be starting, stuck or
 * dead): a Messenger that is up is shut down, calls still waiting in the widget's queue (a boot for the user) are
 * dropped before its frame can drain them, and the intercomSettings keys and cookies are forgotten, and so is
 * py-bridge's own storage (the worker's kept runtime included). The names are
 * the ones Python's `forget` command carries (py_bridge/destinations/intercom/destination.py).
 * @param {string} app the configured App ID
 * @param {boolean} alreadyDenied a Messenger already shut down by an earlier refusal is left alone
 */
export function forgetNow(app, alreadyDenied) {
  try {
    const intercom = window.Intercom;
    if (typeof intercom === "function" && !Array.isArray(intercom.q) && !alreadyDenied) {
      intercom("shutdown"); // the Messenger's API is in place: end its session now, not when Python answers
    }
  } catch (e) { /* a Messenger that throws: its cookies are expired below all the same */ }
  forget(PROTOCOL.forget_settings_keys, PROTOCOL.intercom_cookies.map((prefix) => prefix + "-" + app));
  try { window.sessionStorage.removeItem(PROTOCOL.storage.debug); } catch (e) { /* storage blocked */ }
  try {
    indexedDB.deleteDatabase(PROTOCOL.storage.runtime); // the runtime the worker kept (waits for its connection)
  } catch (e) { /* storage blocked: nothing was kept */ }
  try {
    window.localStorage.removeItem(PROTOCOL.storage.accepted); // written by earlier builds, read by none
  } catch (e) { /* storage blocked */ }
}
