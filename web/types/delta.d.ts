// The delta snapshot's shapes, for web/shared/delta.js (the format), which web/snapshot.mjs (it makes the file) and
// the worker (it applies it) import. Checked by tsc, never shipped.

/** The header fields and views of a delta snapshot (format: see web/shared/delta.js). */
interface Delta {
  header: number;
  memoryLength: number;
  pageSize: number;
  pages: Uint32Array;
  data: Int32Array;
}

/** [start, end) ranges of 32-bit words of the initial memory that vary between runs. */
type WordRanges = Array<[number, number]>;
