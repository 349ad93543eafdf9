// The delta snapshot's shapes, for web/shared/delta.js (the format), which web/snapshot.mjs (it makes the file) and
// the worker (it applies it) import. Checked by tsc, never shipped.

/** The header fields and views of a delta snapshot (format: see web/shared/delta.js). */
interface Delta {
  /** Pyodide's header length (bytes). */
  header: number;
  /** The memory's length (bytes). */
  memoryLength: number;
  /** (first word, word count) pairs, in order and apart: the words the restore copies in. */
  runs: Uint32Array;
  /** The runs and the free memory together, as such pairs: the words the check of the heap leaves out. */
  unchecked: Uint32Array;
  /** The snapshot's words of every run, in order. */
  data: Int32Array;
}

/** [start, end) ranges of 32-bit words of memory (the initial memory's volatile words; the delta's runs; free memory). */
type WordRanges = Array<[number, number]>;
