// The `transform` setting as the page lets it through: Python files the site owner wrote, run by Python. Only the
// page's or the bundle's origin may serve them (relative URLs resolve against the page); anything else is refused
// here and again in Python. An entry is a URL or {url, sha256}: the object goes on with its URL resolved, and
// Python checks its keys, its pin's format and the file's bytes against the pin. A warning names an entry by its
// index and origin only: a URL's path or query may carry a token, and a URL with a user name or password is
// refused (the browser's fetch error would quote them).
import { PROTOCOL } from "../shared/protocol.js";
import { own, put } from "./dom.js";
import { say } from "./report.js";

/**
 * @param {unknown} value
 * @returns {value is Record<string, unknown>}
 */
const isEntryObject = (value) => !!value && typeof value === "object" && !Array.isArray(value);

const pinnedEntry = {
  /** @this {{ url: string }} */
  toString: function () { return String(this.url); }
};

/**
 * The entries Python gets (`urls`: a pinned entry's toString is its URL) and the index each one has in the site's
 * own setting (`index`, sent as env.transform_index), so that every message (Python's, the worker's, the
 * watchdog's) names an entry as the site numbered it, whatever the page refused or a restart removed.
 */
export class TransformList {
  /**
   * @param {unknown} asked the page's `transform` setting
   * @param {string | null} base the bundle folder's URL
   */
  constructor(asked, base) {
    /** @type {Array<string | { url: string }>} */
    this.urls = [];
    /** @type {number[]} */
    this.index = [];
    /** Whether the setting had a shape the page reads (else it goes to Python as the site wrote it, to report). */
    this.listed = false;
    if (asked === undefined) return;
    // At most max_transforms entries is Python's rule (settings.MAX_TRANSFORMS): a longer list is never cut down to
    // run. It stays as the site wrote it, the worker fetches none of it, and Python stops the bridge with the
    // settings error.
    const list = typeof asked === "string" || isEntryObject(asked) ? [asked] : Array.isArray(asked) && asked.length <= PROTOCOL.max_transforms ? asked.slice() : null;
    if (!list) return; // Python reports the invalid setting
    this.listed = true;
    const allowed = [location.origin];
    try { if (base) allowed.push(new URL(base).origin); } catch (e) { /* no bundle origin */ }
    list.forEach((entry, index) => this.admit(entry, index, allowed));
  }

  /**
   * @param {unknown} entry
   * @param {number} index
   * @param {string[]} allowed origins
   */
  admit(entry, index, allowed) {
    const label = "transform[" + index + "]";
    const raw = isEntryObject(entry) ? own(entry, "url") : entry;
    if (typeof raw !== "string") return say("warn", label + " must be a URL or {url, sha256}; ignored");
    let url;
    try {
      url = new URL(raw, location.href);
    } catch (e) {
      return say("warn", label + " is not a URL; ignored");
    }
    const web = /^https?:$/.test(url.protocol);
    const where = label + " (" + (web ? url.origin : url.protocol) + ")"; // an origin never shows user:password@
    if (url.username || url.password) return say("warn", where + " refused: its URL carries a user name or password");
    if (!web || allowed.indexOf(url.origin) === -1) {
      return say("warn", where + " refused: only the page's or the bundle's origin may serve transformations");
    }
    this.index.push(index);
    if (!isEntryObject(entry)) return void this.urls.push(url.href);
    const pinned = Object.create(pinnedEntry); // structured clone keeps the own keys only: Python gets plain data
    Object.keys(entry).forEach((key) => put(pinned, key, entry[key]));
    put(pinned, "url", url.href);
    this.urls.push(pinned);
  }

  /**
   * Drop the entry at position (the list Python got) and say how to name it: `transform[<site index>] (origin)`.
   * @param {number} position
   */
  remove(position) {
    const stuck = this.urls.splice(position, 1)[0];
    const site = this.index.splice(position, 1)[0];
    let where = "transform[" + (typeof site === "number" ? site : position) + "]";
    try { where += " (" + new URL(String(stuck)).origin + ")"; } catch (e) { /* named by index only */ }
    return where;
  }
}
