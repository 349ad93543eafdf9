// The runtime kept for the next visit: Pyodide's wasm and the memory snapshot (about 20 MB), in IndexedDB (database
// PROTOCOL.storage.runtime, one object store: bundle-relative name -> bytes). Why: a revisit otherwise reads both out
// of the HTTP cache and brotli-decodes them again, which held the revisit's start (Chromium 156, in a worker: the
// snapshot in 81-191 ms from the HTTP cache against 19-39 ms from IndexedDB; docs/performance.md), and WebKitGTK
// downloads them again on every visit.
// The worker, not the page, reads and writes it: 20 MB through the page's main thread were long tasks (83-223 ms).
// What it reads is used only when its SHA-256 is the build's (kept-files.mjs), as for a download: any script on the
// page can write this storage. It holds nothing about the visitor, but it is py-bridge's storage: the page allows it
// only while consent allows it (`store` in the config message), and on a refusal tells the worker (forget), which
// deletes it after any write of its own, while the page deletes it as well (for a worker that is gone).
import { PROTOCOL } from "../shared/protocol.js";

const NAME = PROTOCOL.storage.runtime;
const STORE = "runtime";
const READ_LIMIT_MS = 500; // a storage that hangs must not hold Python's start: the worker downloads instead
const WRITE_AFTER_MS = 1000; // after the start: the first calls and the Messenger's boot come first

/**
 * A request's success, or a rejection (its error event handled: never a console error of ours).
 * @template T
 * @param {IDBRequest<T>} request
 * @returns {Promise<T>}
 */
function settled(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = (failure) => {
      failure.preventDefault();
      reject(request.error);
    };
  });
}

export class RuntimeStore {
  /** @param {boolean} allowed consent allows py-bridge's storage (the page's config message) */
  constructor(allowed) {
    this.allowed = allowed;
    /** @type {Promise<unknown>} the last write, which a refusal waits for before it deletes */
    this.writing = Promise.resolve();
    /** @type {(present: boolean | null) => void} */
    this.answer = () => {};
    /** @type {Promise<boolean | null>} whether the page found a kept runtime (its `kept` message; null: ask here) */
    this.present = new Promise((resolve) => (this.answer = resolve));
  }

  /**
   * The page's answer to whether this origin keeps a runtime (the page asks while this worker still starts).
   * @param {boolean | null} present null when the page could not tell
   */
  listed(present) {
    this.answer(present);
  }

  /**
   * The kept files, each as its own promise of bytes (undefined when not kept, when not allowed, when storage fails
   * or takes too long), read one after the other in the order given. Why separately: a revisit compiles the wasm as
   * soon as its bytes are in, while the snapshot is still being read (one `getAll` held both until the last byte).
   * Never creates the database (an upgrade means there was none: aborted).
   * @param {string[]} names bundle-relative, the one needed first first
   * @returns {Record<string, Promise<unknown>>}
   */
  read(names) {
    /** @type {Record<string, Promise<unknown>>} */
    const files = {};
    if (!this.allowed || typeof indexedDB !== "object") return files;
    const opened = (async () => {
      // A first visit has no database: listing them is quicker than opening one and aborting its creation (the
      // downloads wait for this answer, which the page usually has by now).
      const present = await this.present;
      if (present === false) return null;
      if (present === null && typeof indexedDB.databases === "function" && !(await indexedDB.databases()).some((db) => db.name === NAME)) return null;
      const opening = indexedDB.open(NAME);
      opening.onupgradeneeded = () => { if (opening.transaction) opening.transaction.abort(); };
      const db = await settled(opening);
      if (!db.objectStoreNames.contains(STORE)) {
        db.close();
        return null;
      }
      const transaction = db.transaction(STORE);
      transaction.oncomplete = transaction.onabort = () => db.close();
      return transaction.objectStore(STORE);
    })().catch(() => null);
    const limit = new Promise((resolve) => setTimeout(() => resolve(undefined), READ_LIMIT_MS));
    // The requests are made in one task once the store is open, so they run in the order of `names`.
    const reads = opened.then((store) => names.map((file) => (store ? settled(store.get(file)) : Promise.resolve(undefined))));
    names.forEach((file, i) => {
      const reading = reads.then((all) => all[i]).catch(() => undefined);
      files[file] = Promise.race([reading, limit]);
    });
    return files;
  }

  /**
   * Keeps `files` (verified downloads) instead of whatever was kept before, a little after the start.
   * @param {Record<string, ArrayBuffer>} files
   */
  keep(files) {
    const names = Object.keys(files);
    if (!this.allowed || !names.length || typeof indexedDB !== "object") return;
    this.writing = new Promise((resolve) => setTimeout(resolve, WRITE_AFTER_MS)).then(async () => {
      if (!this.allowed) return; // refused meanwhile
      const opening = indexedDB.open(NAME, 1);
      opening.onupgradeneeded = () => opening.result.createObjectStore(STORE);
      const db = await settled(opening);
      db.onversionchange = () => db.close(); // the page deletes the database: never hold that up
      try {
        const transaction = db.transaction(STORE, "readwrite");
        const store = transaction.objectStore(STORE);
        store.clear(); // an earlier build's files are never used again
        names.forEach((file) => store.put(files[file], file));
        await new Promise((resolve) => {
          transaction.oncomplete = transaction.onabort = resolve;
          transaction.onerror = (failure) => failure.preventDefault(); // a full disk: the next visit downloads
        });
      } finally {
        db.close();
      }
    }).catch(() => {});
  }

  /** Consent refused: nothing more is kept, and what was (or is being) kept goes. */
  forget() {
    this.allowed = false;
    this.writing = this.writing.then(() => {
      if (typeof indexedDB === "object") settled(indexedDB.deleteDatabase(NAME)).catch(() => {});
    });
  }
}
