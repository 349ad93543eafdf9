// Who the visitor is, as the browser keeps it (like analytics.js): a random anonymous id, stored only while
// storage is allowed (consent not required, or granted), and a read-only view of the user Python identified.
import { PROTOCOL } from "../shared/protocol.js";

const ANON_KEY = PROTOCOL.storage.anonymous_id;
const ANONYMOUS_ID = new RegExp("^(?:" + PROTOCOL.anonymous_id_pattern + ")$");

function uuid() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  return "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g, (c) => {
    const r = (Math.random() * 16) | 0;
    return (c === "x" ? r : (r & 0x3) | 0x8).toString(16);
  });
}

function readStored() {
  try {
    const stored = window.localStorage.getItem(ANON_KEY);
    if (typeof stored === "string" && ANONYMOUS_ID.test(stored)) return stored;
  } catch (e) { /* storage blocked: keep it in memory */ }
  return null;
}

export class Visitor {
  /** @param {boolean} storageAllowed false while consent is required and not given: nothing is read or written */
  constructor(storageAllowed) {
    this.storageAllowed = storageAllowed;
    this.anonymousId = (storageAllowed && readStored()) || uuid();
    /** What Python last said of the user (its `identity` command). */
    this.userId = /** @type {string | null} */ (null);
    /** @type {unknown} */
    this.traits = {};
    this.save();
  }

  save() {
    try {
      if (this.storageAllowed) window.localStorage.setItem(ANON_KEY, this.anonymousId);
    } catch (e) { /* storage blocked */ }
  }

  /** Storage is allowed from now on: adopt the id a previous granted page view stored, or store this one. */
  allowStorage() {
    this.storageAllowed = true;
    const stored = readStored();
    if (stored) this.anonymousId = stored;
    else this.save();
  }

  /** A new visitor (reset, or consent refused): a fresh id, and the stored one removed. */
  forget() {
    this.anonymousId = uuid();
    try { window.localStorage.removeItem(ANON_KEY); } catch (e) { /* storage blocked */ }
  }
}
