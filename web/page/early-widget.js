// Intercom's own load, started while Python starts, so that the two overlap instead of adding up (issue 21, item
// 3), on a first visit as on a revisit. Only where the settings allow it: a policy that loads at once, consent not
// required or already given, no Intercom install of the page's own, and settings in which the page sees nothing
// Python would refuse. The page checks what Python's rules give it as generated constants (PROTOCOL: the setting
// names and their legacy aliases, the App ID pattern, the region hosts, the launcher selector's forbidden
// characters); a setting those do not cover (a wrong type, a secret pasted in) only means a script that started
// and waits, since nothing boots before Python's `boot` and Python's refusal stops the bridge. The script's URL is
// Python's own formula (IntercomSettings.widget_src): the sandbox's or Intercom's widget host, then the App ID.
import { PROTOCOL } from "../shared/protocol.js";
import { DOC, own } from "./dom.js";
import { loadPolicy } from "./load-policy.js";
import { APP_ID } from "./widget-loader.js";

const FORBIDDEN_IN_SELECTOR = new RegExp(PROTOCOL.selector_forbidden);
const API_HOSTS = Object.keys(PROTOCOL.region_hosts).map((region) => own(PROTOCOL.region_hosts, region));

/**
 * The settings by Python's names (legacy aliases resolved), or null when one name is unknown or a setting is
 * spelt twice: Python refuses both.
 * @param {Record<string, any>} settings
 * @returns {Record<string, unknown> | null}
 */
function byName(settings) {
  /** @type {Record<string, unknown>} */
  const named = Object.create(null);
  const keys = Object.keys(settings);
  for (let i = 0; i < keys.length; i++) {
    const setting = own(PROTOCOL.setting_aliases, keys[i]) || keys[i];
    if (PROTOCOL.setting_names.indexOf(setting) === -1 || setting in named) return null;
    named[setting] = settings[keys[i]];
  }
  return named;
}

/**
 * Whether Python's rules, as far as the page has them, accept these settings' Intercom part.
 * @param {Record<string, unknown>} named
 * @param {string | null} sandboxUrl the tag's accepted sandbox (TagConfig)
 */
function admissible(named, sandboxUrl) {
  const { app_id: appId, region, api_base: apiBase, widget_id: selector } = named;
  if (typeof appId !== "string" || !APP_ID.test(appId)) return false;
  if (region !== undefined && (typeof region !== "string" || !own(PROTOCOL.region_hosts, region))) return false;
  if (apiBase !== undefined && !sandboxUrl) {
    if (API_HOSTS.indexOf(apiBase) === -1) return false;
    if (typeof region === "string" && own(PROTOCOL.region_hosts, region) !== apiBase) return false;
  }
  if (named.sandbox_url !== undefined && !sandboxUrl) return false;
  if (selector !== undefined) {
    if (typeof selector !== "string" || !selector.trim()) return false;
    if (selector.trim().length > PROTOCOL.max_selector || FORBIDDEN_IN_SELECTOR.test(selector)) return false;
    try {
      DOC.querySelector.call(document, selector.trim()); // the page's own check once Python runs (launcher-check.js)
    } catch (e) {
      return false;
    }
  }
  return true;
}

/**
 * The Messenger's script URL when the page may start it now, while Python starts; else null.
 * @param {import("./tag-config.js").TagConfig} config
 * @param {boolean} consentGiven the visitor's answer is "granted" (always so when consent is not required)
 * @param {boolean} nativeIntercom the page has an Intercom install of its own (its loader may boot by itself)
 */
export function earlyWidgetScript(config, consentGiven, nativeIntercom) {
  if (config.error || !consentGiven || nativeIntercom) return null;
  const policy = loadPolicy(config);
  if (policy !== "eager" && policy !== "load") return null;
  let pageSettings = true;
  try { pageSettings = window.intercomSettings !== undefined; } catch (e) { /* a throwing getter: leave it alone */ }
  if (pageSettings) return null;
  const named = byName(config.settings);
  if (!named || !admissible(named, config.sandboxUrl)) return null;
  return (config.sandboxUrl || PROTOCOL.widget_origin) + "/widget/" + named.app_id;
}
