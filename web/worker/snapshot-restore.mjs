// Starting Pyodide from the build's delta snapshot (web/shared/delta.js has the format; web/snapshot.mjs makes it).
// Pyodide restores a snapshot with `Module.HEAP8.set(snapshotMemory)` into a fresh instance whose heap holds the
// wasm's initial memory at that moment. The worker hands Pyodide a zero-filled buffer of the snapshot's full length
// (Pyodide's header copied in) and, while loadPyodide runs, wraps %TypedArray%.prototype.set: called with that
// buffer, it checks that the words of the heap neither the delta's runs nor free memory cover hold what the build
// saw (a checksum), then copies the delta's runs in (heap = the memory the snapshot was taken from). Every other call passes through.
//
// loadPyodide needs only the snapshot's length to begin (it sizes the heap by it), and the snapshot itself only when
// it restores, after the wasm is instantiated and Emscripten has started: so it starts as soon as the file's first
// bytes are in, and only the restore waits for the rest (`arrived`, handed to `load`), which meanwhile streams in
// and is verified.
import { applyDelta, deltaLengths, readDelta, uncoveredChecksum } from "../shared/delta.js";

// Enough for Pyodide's header (magic, lengths, build id and its JSON: 128 bytes today) and ours.
export const DELTA_HEAD_BYTES = 4096;

/**
 * Pyodide started from the delta snapshot, or a rejection (the caller falls back to a normal start).
 * @param {StreamedFile} snapshot the delta file as it streams in (its SHA-256 checked before `bytes` resolves)
 * @param {{ initial: string }} expected the build's checksum of the initial memory's words outside the delta's runs
 * @param {(snapshot: Promise<Uint8Array>, arrived: Promise<unknown>) => Promise<Pyodide>} load runs loadPyodide with
 *   `_loadSnapshot: snapshot`, restoring only once `arrived` has settled
 * @param {MarkPhase} mark
 */
export async function loadFromDelta(snapshot, expected, load, mark) {
  /** @type {Uint8Array | null} */
  let full = null; // what Pyodide sizes the heap by: zeros but for Pyodide's header
  /** @type {Delta | null} */
  let delta = null; // set once the whole file is in and verified
  const sized = snapshot.head.then(async (head) => {
    const lengths = deltaLengths(head) || readDelta(await snapshot.bytes); // a header longer than the head: wait
    full = new Uint8Array(lengths.header + lengths.memoryLength);
    return full;
  });
  const arrived = Promise.all([sized, snapshot.bytes]).then(([buffer, bytes]) => {
    const parsed = readDelta(bytes);
    if (parsed.header + parsed.memoryLength !== buffer.length) throw new Error("the snapshot's head and body disagree");
    buffer.set(bytes.subarray(0, parsed.header));
    delta = parsed;
    mark("snapshot");
  });
  // Pyodide awaits `sized` only after its own set-up: until then a failure must not count as unhandled. Either
  // failure is reported below, as the snapshot's refusal.
  sized.catch(() => {});
  arrived.catch(() => {});
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
    if (!source || full === null || source.buffer !== full.buffer || restored !== null) return originalSet.call(this, source, offset);
    if (delta === null) {
      restored = new Error("the snapshot did not arrive");
      throw restored;
    }
    const at = this.byteOffset + (Number(offset) || 0);
    if (source.byteOffset !== delta.header || source.length !== delta.memoryLength || at % 4 || this.length < source.length) {
      restored = new Error("unexpected snapshot restore call");
      throw restored;
    }
    const heap = new Int32Array(this.buffer, at, source.length / 4);
    const checksum = uncoveredChecksum(heap, delta.unchecked); // the words neither a run nor free memory covers
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
    const pyodide = await load(sized, arrived);
    if (restored !== true) throw restored || new Error("the snapshot was not restored");
    return pyodide;
  } catch (error) {
    await arrived; // the snapshot's own failure (missing, tampered) is the more telling reason
    throw error;
  } finally {
    proto.set = originalSet;
  }
}
