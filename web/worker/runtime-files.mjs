// The bundle's files as the worker fetches them: where they are (everything is resolved relative to the worker's
// own URL, so the bundle works from any folder of any static host) and whether their bytes are the build's. The
// build lists the SHA-256 of Pyodide's files and of the standard-library zips, checked before they are used (a wasm
// whose bytes do not match is never instantiated); the core zip and the snapshot have their own digests.
// pyodide.mjs and pyodide.asm.mjs are ES modules loaded with import(), which a worker cannot check: they stay
// unverified (see the README's Security section).
import { sha256Hex, sha256HexSync } from "./sha256.mjs";

const FULL_STDLIB_PATH = "/lib/python_stdlib_full.zip";

/**
 * Whether the build filled in a placeholder (a string still starting with `__PY_BRIDGE` is an unbuilt worker).
 * @param {unknown} value
 * @returns {value is string}
 */
export const built = (value) => typeof value === "string" && value !== "" && !value.startsWith("__PY_BRIDGE");

export class RuntimeFiles {
  /**
   * @param {URL} here the folder of the worker's own URL (the bundle's root)
   * @param {string} runtime the content-hashed Pyodide folder (e.g. "pyodide-0123456789abcdef/"), or its placeholder
   * @param {Record<string, string> | string} fileSha256 {bundle-relative path: sha256}, or its placeholder
   * @param {(message: string) => void} onMismatch told (before the start fails) which file does not match the build
   */
  constructor(here, runtime, fileSha256, onMismatch) {
    this.here = here;
    /** The Pyodide folder: the content-hashed one of a build, `pyodide/` in a checkout. */
    this.runtime = new URL(built(runtime) ? runtime : "pyodide/", here);
    this.fileSha256 = fileSha256;
    this.onMismatch = onMismatch;
    this.nativeFetch = self.fetch.bind(self); // start-up wraps self.fetch (early-runtime.mjs)
  }

  /**
   * A file of the bundle.
   * @param {string} file relative to the bundle's root
   */
  bundleUrl(file) {
    return new URL(file, this.here).href;
  }

  /**
   * A bundle URL's name relative to the bundle's root (how the page keeps it).
   * @param {string} url
   */
  bundleFile(url) {
    return url.startsWith(this.here.href) ? url.slice(this.here.href.length) : url;
  }

  /**
   * A file of the Pyodide folder.
   * @param {string} file
   */
  runtimeUrl(file) {
    return new URL(file, this.runtime).href;
  }

  /**
   * The expected SHA-256 of a bundle URL, or null for files the build did not list (an unbuilt worker.mjs).
   * @param {string} url
   */
  expectedSha256(url) {
    if (typeof this.fileSha256 !== "object" || !url.startsWith(this.here.href)) return null;
    return this.fileSha256[url.slice(this.here.href.length)] || null;
  }

  /**
   * Bytes of a bundle file, checked against the build's SHA-256 (when the build lists it and SubtleCrypto exists).
   * A mismatch stops Python's start with one fatal message naming the file (Pyodide would otherwise hide it).
   * @param {string} url
   * @param {Uint8Array<ArrayBuffer>} bytes
   */
  async verified(url, bytes) {
    const expected = this.expectedSha256(url);
    if (expected !== null) {
      const digest = await sha256Hex(bytes);
      if (digest !== null && digest !== expected) {
        const message = url.slice(this.here.href.length) + " does not match the bundle's checksum (a partial deploy or a tampered file)";
        this.onMismatch(message);
        throw new Error(message);
      }
    }
    return bytes;
  }

  /**
   * A bundle file as a Response whose bytes were verified (fetched without the start-up's fetch wrapper).
   * @param {string} url
   */
  async fetchVerified(url) {
    const response = await this.nativeFetch(url);
    if (!response.ok) throw new Error(url.slice(this.here.href.length) + ": HTTP " + response.status);
    const bytes = await this.verified(url, new Uint8Array(await response.arrayBuffer()));
    return new Response(bytes, { status: 200, headers: { "Content-Type": response.headers.get("Content-Type") || "" } });
  }

  /**
   * The core zip, refused unless its SHA-256 is the build's.
   * @param {string} file py_bridge-<hash>.zip
   * @param {string} sha256 its full SHA-256 (or its placeholder in an unbuilt worker)
   */
  async fetchCore(file, sha256) {
    const response = await fetch(this.bundleUrl(file));
    if (!response.ok) throw new Error(file + ": HTTP " + response.status);
    const bytes = new Uint8Array(await response.arrayBuffer());
    const digest = await sha256Hex(bytes);
    if (digest !== null && built(sha256) && digest !== sha256) {
      throw new Error("the core zip does not match the bundle's checksum (a partial deploy or a tampered file)");
    }
    return bytes;
  }

  /**
   * The delta snapshot as it streams in: its first bytes as soon as they are there (enough to size the heap while
   * the rest arrives, never trusted for more), and all its bytes once they are in and byte for byte the build's.
   * @param {string} file the snapshot file
   * @param {string} sha256 its full SHA-256
   * @param {number} headLength how many bytes `head` waits for (fewer only when the file is shorter)
   * @param {MarkPhase} mark
   * @param {import("./kept-files.mjs").KeptFiles} kept the snapshot the page kept is used when it is the build's
   * @returns {StreamedFile}
   */
  fetchSnapshot(file, sha256, headLength, mark, kept) {
    const stored = kept.take(file, sha256).catch(() => null);
    const streamed = stored.then((bytes) => (bytes ? null : this.streamSnapshot(file, sha256, headLength, mark, kept)));
    /** @type {Promise<Uint8Array>} */
    const bytes = Promise.all([stored, streamed]).then(([found, download]) => {
      if (found) mark("downloaded");
      return found || /** @type {StreamedFile} */ (download).bytes;
    });
    /** @type {Promise<Uint8Array>} */
    const head = Promise.all([stored, streamed]).then(([found, download]) => found || /** @type {StreamedFile} */ (download).head);
    head.catch(() => {});
    bytes.catch(() => {});
    return { head, bytes };
  }

  /**
   * The snapshot downloaded (see fetchSnapshot); once verified, offered for keeping.
   * @param {string} file the snapshot file
   * @param {string} sha256 its full SHA-256
   * @param {number} headLength
   * @param {MarkPhase} mark
   * @param {import("./kept-files.mjs").KeptFiles} kept
   * @returns {StreamedFile}
   */
  streamSnapshot(file, sha256, headLength, mark, kept) {
    /** @type {(head: Uint8Array) => void} */
    let headIn = () => {};
    /** @type {Promise<Uint8Array>} */
    const head = new Promise((resolve) => (headIn = resolve));
    const bytes = this.nativeFetch(this.bundleUrl(file)).then(async (response) => {
      if (!response.ok || !response.body) throw new Error("snapshot: HTTP " + response.status);
      /** @type {Uint8Array[]} */
      const chunks = [];
      let length = 0;
      const reader = response.body.getReader();
      for (let read = await reader.read(); !read.done; read = await reader.read()) {
        chunks.push(read.value);
        const before = length;
        length += read.value.length;
        if (before < headLength && length >= headLength) headIn(concat(chunks, length));
      }
      const all = concat(chunks, length);
      headIn(all); // shorter than headLength (a promise settles once: no effect otherwise)
      mark("downloaded");
      // The snapshot is memory that will run as Python: used only when it is byte for byte the one of this build.
      if ((await sha256Hex(all)) !== sha256) throw new Error("snapshot does not match the bundle");
      kept.downloaded(file, all);
      return all;
    });
    // A failed download never leaves `head` pending: whoever waits on it hears of the failure through `bytes`.
    const streamed = { head: Promise.race([head, bytes]), bytes };
    // Both are awaited later (after Pyodide's loader is in), or never: until then a failure is not unhandled.
    streamed.head.catch(() => {});
    bytes.catch(() => {});
    return streamed;
  }

  /**
   * The full standard library, fetched synchronously (allowed in workers) the first time Python needs a module the
   * trimmed zip lacks; Python calls the returned function through py_bridge.core.stdlib's finder.
   * @param {Pyodide} pyodide
   * @param {(message: string) => void} logError tells the page that the file does not match the build
   * @returns {() => string} writes the zip into Pyodide's file system and returns its path there
   */
  fullStdlibFetcher(pyodide, logError) {
    return () => {
      const url = this.runtimeUrl("python_stdlib.zip");
      const request = new XMLHttpRequest();
      request.open("GET", url, false);
      request.responseType = "arraybuffer";
      request.send();
      if (request.status !== 200) throw new Error("python_stdlib.zip: HTTP " + request.status);
      const bytes = new Uint8Array(request.response);
      const expected = this.expectedSha256(url);
      if (expected !== null && sha256HexSync(bytes) !== expected) {
        const message = "python_stdlib.zip does not match the bundle's checksum (a partial deploy or a tampered file)";
        logError(message);
        throw new Error(message);
      }
      pyodide.FS.writeFile(FULL_STDLIB_PATH, bytes);
      return FULL_STDLIB_PATH;
    };
  }
}

/**
 * The chunks, one after the other, in one new array.
 * @param {Uint8Array[]} chunks
 * @param {number} length their total length
 * @returns {Uint8Array<ArrayBuffer>}
 */
function concat(chunks, length) {
  const all = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.length;
  }
  return all;
}
