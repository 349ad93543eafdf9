// Starting Pyodide from the build's delta snapshot (web/shared/delta.js has the format; web/snapshot.mjs makes it).
// Pyodide restores a snapshot with `Module.HEAP8.set(snapshotMemory)` into a fresh instance whose heap holds the
// wasm's initial memory at that moment. The worker hands Pyodide a zero-filled buffer of the snapshot's full length
// (Pyodide's header copied in) and, while loadPyodide runs, wraps %TypedArray%.prototype.set: called with that
// buffer, it checks that the words of the heap the delta does not cover hold what the build saw (a checksum), then
// copies the delta's runs in (heap = the memory the snapshot was taken from). Every other call passes through.
import { applyDelta, readDelta, uncoveredChecksum } from "../shared/delta.js";

/**
 * Pyodide started from the delta snapshot, or a rejection (the caller falls back to a normal start).
 * @param {Uint8Array} bytes the delta file (its SHA-256 already checked)
 * @param {{ initial: string }} expected the build's checksum of the initial memory's words outside the delta's runs
 * @param {(snapshot: Uint8Array) => Promise<Pyodide>} load runs loadPyodide with `_loadSnapshot: snapshot`
 * @param {MarkPhase} mark
 */
export async function loadFromDelta(bytes, expected, load, mark) {
  const delta = readDelta(bytes);
  const full = new Uint8Array(delta.header + delta.memoryLength); // what Pyodide sizes the heap by
  full.set(bytes.subarray(0, delta.header));
  const proto = Object.getPrototypeOf(Uint8Array.prototype);
  const originalSet = proto.set;
  /** @type {null | true | Error} */
  let restored = null; // null: not yet; true: done; an Error: refused
  /**
   * %TypedArray%.prototype.set, for every typed array while loadPyodide runs.
   * @this {ArrayBufferView & ArrayLike<number>}
   * @param {ArrayLike<number> & Partial<ArrayBufferView>} source
   * @param {number} [offset]
   */
  proto.set = function (source, offset) {
    if (!source || source.buffer !== full.buffer || restored !== null) return originalSet.call(this, source, offset);
    mark("instantiated");
    const at = this.byteOffset + (Number(offset) || 0);
    if (source.byteOffset !== delta.header || source.length !== delta.memoryLength || at % 4 || this.length < source.length) {
      restored = new Error("unexpected snapshot restore call");
      throw restored;
    }
    const heap = new Int32Array(this.buffer, at, source.length / 4);
    const checksum = uncoveredChecksum(heap, delta.runs);
    if (checksum !== expected.initial) {
      restored = new Error("the initial wasm memory differs from the build's (" + checksum + ")");
      throw restored;
    }
    applyDelta(heap, delta);
    restored = true;
    mark("restored");
    return undefined;
  };
  try {
    const pyodide = await load(full);
    if (restored !== true) throw restored || new Error("the snapshot was not restored");
    return pyodide;
  } finally {
    proto.set = originalSet;
  }
}
