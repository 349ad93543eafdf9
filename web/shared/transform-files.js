// Transformation files: the site's Python files named by the `transform` setting, fetched for Python when the
// page's init message arrives (the session relay hands Python what came back, with that message). Python decides
// which answers may run (py_bridge/core/transform_files.py: no redirect, a Python/text Content-Type, the entry's SHA-256
// pin), exactly as for the PyScript entry. Here:
// - a redirect is never followed (`redirect: "manual"`): an open redirect on the page's origin must not run another
//   origin's Python with the page's origin. Cookies stay "same-origin": files behind the site's own login work, and
//   with no redirect followed they go nowhere else.
// - each file has transform_load_ms (default 5 s) to arrive in full, then it is skipped: a silent server never
//   holds the start.
// - the bytes are decoded as strict UTF-8 keeping a byte-order mark, so the text's UTF-8 is exactly the bytes the
//   pin was made from (response.text() would drop a BOM and replace invalid bytes).
// - a URL with a user name or password is never requested, and an error text never carries a URL (`<url>`).
// Wherever Python runs (a worker today, the page for an in-page transport): only globals both contexts have.
/* global fetch, AbortController, setTimeout, clearTimeout, TextDecoder, URL */
import { errorText } from "./error-text.js";
import { PROTOCOL } from "./protocol.js";

/**
 * What came back for one file, for py_bridge.core.worker._transform_sources: the answer's facts, or why there is none.
 * @typedef {{ url: string, index: number, status?: number, type?: string | null, redirected?: boolean,
 *   text?: string, error?: string }} TransformAnswer
 */

/**
 * The URLs of the transformation files a message asks for: the init message's `transform` setting as the page sent
 * it (an entry is a URL or {url, sha256}); none for any other message.
 * @param {PageMessage} message
 * @returns {string[]}
 */
export function transformList(message) {
  const asked = message.type === "init" && message.settings && message.settings.transform;
  // A list longer than Python's MAX_TRANSFORMS (the page leaves it as the site wrote it) is never cut down and
  // fetched: nothing of it is, and Python stops the bridge with the settings error.
  if (!Array.isArray(asked) || asked.length > PROTOCOL.max_transforms) return [];
  /** @param {unknown} entry */
  const url = (entry) => {
    if (typeof entry === "string") return entry;
    const pinned = /** @type {{ url?: unknown } | null} */ (entry);
    return pinned && typeof pinned === "object" && typeof pinned.url === "string" ? pinned.url : null;
  };
  return /** @type {string[]} */ (asked.map(url).filter((entry) => entry !== null));
}

/** @param {PageMessage} message */
function transformLoadMs(message) {
  const ms = message.settings && message.settings.transform_load_ms;
  const bounds = PROTOCOL.settings.transform_load_ms; // Python checks it
  return typeof ms === "number" && Number.isInteger(ms) && ms >= bounds.min && ms <= bounds.max ? ms : bounds.default;
}

/**
 * The index an entry has in the site's own `transform` setting: the page dropped the entries it refused, and says
 * where each one it kept came from (env.transform_index), so a warning points at the entry the site wrote.
 * @param {PageMessage} message
 * @param {number} index in the list the page sent
 */
function siteIndex(message, index) {
  const env = /** @type {{ transform_index?: unknown } | null | undefined} */ (message.env);
  const listed = env && typeof env === "object" ? env.transform_index : undefined;
  const original = Array.isArray(listed) ? listed[index] : undefined;
  return typeof original === "number" && Number.isInteger(original) && original >= 0 ? original : index;
}

/** @param {string} url */
function hasCredentials(url) {
  try {
    const parsed = new URL(url);
    return !!(parsed.username || parsed.password);
  } catch (error) {
    return false; // not a URL: fetch fails, and Python names the entry by index and origin
  }
}

/**
 * @param {string} url
 * @param {number} index the entry's index in the site's setting (for warnings)
 * @param {number} ms
 * @returns {Promise<TransformAnswer>}
 */
async function fetchTransform(url, index, ms) {
  // A user name or password in the URL: never requested (the browser's error would quote them); Python refuses it.
  if (hasCredentials(url)) return { url: url, index: index, error: "not fetched" };
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  try {
    const response = await fetch(url, { credentials: "same-origin", redirect: "manual", signal: controller.signal });
    /** @type {TransformAnswer} */
    const answer = {
      url: url,
      index: index,
      status: response.status,
      type: response.headers.get("content-type"),
      redirected: response.type === "opaqueredirect" || response.redirected,
    };
    if (!response.ok) return answer;
    const bytes = await response.arrayBuffer();
    try {
      answer.text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch (error) {
      return { url: url, index: index, error: "not UTF-8 text" };
    }
    return answer;
  } catch (error) {
    const reason = controller.signal.aborted
      ? "no answer within " + ms + " ms, setting transform_load_ms"
      : errorText(error).replace(/[a-z][a-z0-9+.-]*:\/\/[^\s"'<>()]*/gi, "<url>").slice(0, 200); // never a URL
    return { url: url, index: index, error: reason };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Every file of `urls` (transformList(message)) at once, each within the message's transform_load_ms.
 * @param {PageMessage} message the init message (its settings and env)
 * @param {string[]} urls
 * @returns {Promise<TransformAnswer[]>} in the order of `urls`
 */
export function fetchTransforms(message, urls) {
  const ms = transformLoadMs(message);
  return Promise.all(urls.map((url, index) => fetchTransform(url, siteIndex(message, index), ms)));
}
