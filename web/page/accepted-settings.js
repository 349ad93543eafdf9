// What Python accepted on an earlier visit: these exact settings, and the Messenger script it loaded for them. On a
// revisit with the same settings the page may start that script while Python starts, so Intercom's own load and
// Python's start overlap instead of adding up; on a first visit, or with settings Python has not accepted, nothing
// reaches Intercom before Python decides (settings it refuses never load the script). Kept in localStorage only
// while storage is allowed, and removed with the rest of py-bridge's storage when consent is refused.
import { PROTOCOL } from "../shared/protocol.js";

const KEY = PROTOCOL.storage.accepted;

export class AcceptedSettings {
  /**
   * @param {Record<string, any>} settings the settings this page sends Python
   * @param {string} version the runtime's version: another build re-validates
   */
  constructor(settings, version) {
    /** @type {string | null} */
    this.text = null;
    try {
      this.text = JSON.stringify({ v: version, settings: settings });
    } catch (e) { /* settings JSON cannot write (a cycle): never remembered */ }
  }

  /** The script Python loaded for these settings on an earlier visit, or null. */
  script() {
    try {
      const stored = JSON.parse(String(window.localStorage.getItem(KEY)));
      return stored && stored.accepted === this.text && typeof stored.src === "string" ? stored.src : null;
    } catch (e) {
      return null; // nothing stored, storage blocked, or not ours
    }
  }

  /**
   * Python loaded src for these settings.
   * @param {string} src
   */
  remember(src) {
    if (this.text === null || this.text.length > 20000) return;
    try {
      window.localStorage.setItem(KEY, JSON.stringify({ accepted: this.text, src: src }));
    } catch (e) { /* storage blocked or full: a revisit only starts later */ }
  }

  static forget() {
    try { window.localStorage.removeItem(KEY); } catch (e) { /* storage blocked */ }
  }
}
