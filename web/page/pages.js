// SPA navigation (the `track_pages` setting, Python's `watch_pages` command): a pushState, replaceState or popstate
// that changes the path or the query is one page() call, like analytics.js's page tracking in SPAs.
import { on } from "./dom.js";

export class PageWatch {
  /** @param {() => void} page what a navigation calls (pybridge.page) */
  constructor(page) {
    this.page = page;
    this.watching = false;
  }

  watch() {
    if (this.watching) return;
    this.watching = true;
    let last = location.pathname + location.search;
    const changed = () => {
      const now = location.pathname + location.search;
      if (now !== last) {
        last = now;
        this.page();
      }
    };
    const pageHistory = window.history; // explicit: a local name must never stand in for the page's History
    ["pushState", "replaceState"].forEach((method) => {
      const pageNavigation = /** @type {Record<string, Function>} */ (/** @type {unknown} */ (pageHistory));
      const original = pageNavigation[method];
      pageNavigation[method] = function () {
        const result = original.apply(this, arguments);
        try { changed(); } catch (e) { /* never break navigation */ }
        return result;
      };
    });
    on(window, "popstate", changed);
  }
}
