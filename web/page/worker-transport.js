// The tag's transport to Python: a module Web Worker (worker.mjs, beside embed.js) that starts Pyodide off the
// page's main thread. A worker script must be same-origin with the page: from a CDN, a blob: module worker imports
// the bundle's worker instead.
import { PROTOCOL } from "../shared/protocol.js";
import { own } from "./dom.js";

/**
 * Whether this origin keeps a runtime (web/worker/runtime-store.mjs): true or false, null when the browser cannot
 * say. Asked here, while the worker is still starting: a first visit's downloads waited 25-30 ms for the worker to
 * ask itself. Listing the databases creates nothing.
 * @returns {Promise<boolean | null>}
 */
function runtimeKept() {
  try {
    if (typeof indexedDB !== "object" || typeof indexedDB.databases !== "function") return Promise.resolve(null);
    return indexedDB.databases().then((all) => all.some((db) => db.name === PROTOCOL.storage.runtime), () => null);
  } catch (error) {
    return Promise.resolve(null); // e.g. storage blocked for this page
  }
}

/**
 * @param {string} base the bundle folder's URL
 * @param {Record<string, any>} settings the page's settings (fast_start)
 * @param {import("./trusted-types.js").ScriptUrls} urls
 * @param {() => boolean} mayStore whether consent allows py-bridge's storage now
 * @returns {import("./link.js").OpenTransport}
 */
export function workerTransport(base, settings, urls, mayStore) {
  return (handlers) => {
    const url = new URL("worker.mjs", base).href;
    /** @type {Worker} */
    let worker;
    try {
      if (new URL(url).origin === location.origin) {
        urls.trust(url);
        worker = new Worker(urls.sign(url), { type: "module", name: "py-bridge" });
      } else {
        const blobUrl = URL.createObjectURL(new Blob(["import " + JSON.stringify(url) + ";\n"], { type: "text/javascript" }));
        urls.trust(blobUrl);
        worker = new Worker(urls.sign(blobUrl), { type: "module", name: "py-bridge" });
        setTimeout(() => URL.revokeObjectURL(blobUrl), 60000);
      }
    } catch (e) {
      const failure = /** @type {{ name?: unknown } | null | undefined} */ (e);
      throw new Error(failure && failure.name === "TypeError" && window.trustedTypes
        ? "could not start its worker: Trusted Types refused the worker URL (add the policy name to your CSP: trusted-types py-bridge)"
        : "could not start its worker (" + (failure && failure.name) + "; check the Content-Security-Policy worker-src)");
    }
    worker.onmessage = (received) => handlers.message(received.data);
    const saveData = !!(navigator.connection && navigator.connection.saveData);
    const snapshot = own(settings, "fast_start") !== false && !saveData;
    // `store`: the worker may read and keep the runtime in IndexedDB (web/worker/runtime-store.mjs); whether one
    // is kept follows in a `kept` message.
    const store = snapshot && mayStore();
    worker.postMessage({ type: "config", snapshot: snapshot, store: store });
    if (store) runtimeKept().then((present) => worker.postMessage({ type: "kept", present: present }));
    worker.onerror = (problem) => {
      if (problem && problem.preventDefault) problem.preventDefault();
      handlers.error();
    };
    return {
      post: (message) => worker.postMessage(message),
      close: () => worker.terminate(),
      forget: () => worker.postMessage({ type: "forget" })
    };
  };
}
