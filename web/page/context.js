// The page context each call carries (like analytics.js's `context.page`), read when the call is made.
import { doc, text } from "./dom.js";

/** @type {string | null} */
let timezone = null;
try {
  timezone = Intl.DateTimeFormat().resolvedOptions().timeZone; // once: it costs tens of microseconds per call
} catch (e) { /* older browsers */ }

/**
 * @param {string} anonymousId
 * @returns {Record<string, unknown>}
 */
export function pageContext(anonymousId) {
  return {
    url: location.href, path: location.pathname, search: location.search, referrer: text(doc("referrer")),
    title: text(doc("title")), timestamp: Date.now(), locale: navigator.language || null,
    user_agent: navigator.userAgent, anonymous_id: anonymousId, timezone: timezone
  };
}

/** What the pre-load snippet captures of a call (where and when); the rest comes from the moment it is replayed. */
export const CAPTURED_KEYS = ["url", "path", "search", "referrer", "title", "timestamp"];
