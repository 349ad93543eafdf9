// The delta snapshot's shapes, shared by web/worker.mjs (which applies it) and web/snapshot.mjs (which makes it).
// Checked by tsc, never shipped.

/** The header fields and views of a delta snapshot (format: see readDelta in either file). */
interface Delta {
  header: number;
  memoryLength: number;
  pageSize: number;
  pages: Uint32Array;
  data: Int32Array;
}

/** [start, end) ranges of 32-bit words of the initial memory that vary between runs. */
type WordRanges = Array<[number, number]>;
