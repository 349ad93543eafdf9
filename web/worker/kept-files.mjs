// The runtime files kept from an earlier visit (runtime-store.mjs), and those this start downloaded, to keep for the
// next visit. A kept file is used only when its SHA-256 is the build's, like a download: any script on the page can
// write the page's storage.
import { sha256Hex } from "./sha256.mjs";

export class KeptFiles {
  /**
   * @param {Record<string, Promise<unknown>> | null} stored the kept files, each once read; null when the store is
   *   not used (consent not given when the worker started, `fast_start: false`): then nothing is collected to keep either
   */
  constructor(stored) {
    this.stored = stored;
    /** @type {Record<string, Uint8Array>} verified downloads, by bundle-relative name */
    this.fetched = {};
  }

  /**
   * The kept bytes of `file`, not yet checked (null when none were kept).
   * @param {string} file bundle-relative
   * @returns {Promise<Uint8Array<ArrayBuffer> | null>}
   */
  async unchecked(file) {
    if (!this.stored) return null;
    const kept = await this.stored[file];
    return kept instanceof ArrayBuffer ? new Uint8Array(kept) : null;
  }

  /**
   * Whether `bytes` are the build's.
   * @param {Uint8Array<ArrayBuffer>} bytes
   * @param {string | null} sha256 the build's SHA-256 of the file (null: unknown, so never)
   */
  async matches(bytes, sha256) {
    return !!sha256 && (await sha256Hex(bytes)) === sha256;
  }

  /**
   * The kept bytes of `file` when their SHA-256 is `sha256`, else null (the caller downloads it).
   * @param {string} file bundle-relative
   * @param {string | null} sha256 the build's
   */
  async take(file, sha256) {
    const bytes = await this.unchecked(file);
    return bytes && (await this.matches(bytes, sha256)) ? bytes : null;
  }

  /**
   * A download whose SHA-256 matched the build's: kept once Python runs.
   * @param {string} file bundle-relative
   * @param {Uint8Array} bytes
   */
  downloaded(file, bytes) {
    if (this.stored) this.fetched[file] = bytes;
  }

  /**
   * The downloads to keep, each offered once.
   * @param {string[]} except files not worth keeping (a snapshot this browser refused)
   * @returns {Record<string, ArrayBuffer>}
   */
  offer(except) {
    /** @type {Record<string, ArrayBuffer>} */
    const files = {};
    Object.keys(this.fetched).forEach((file) => {
      const bytes = this.fetched[file];
      if (except.indexOf(file) !== -1) return;
      const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
      files[file] = /** @type {ArrayBuffer} */ (whole ? bytes.buffer : bytes.slice().buffer);
    });
    this.fetched = {};
    return files;
  }
}
