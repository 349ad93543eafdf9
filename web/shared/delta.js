// The delta snapshot format: written by the build tool (web/snapshot.mjs, with Node) and read by the worker
// (web/worker/snapshot-restore.mjs) while Pyodide restores a memory snapshot. One module for both sides, so that the
// file the build makes is the file the worker reads.
//
// Pyodide restores a snapshot with `Module.HEAP8.set(snapshotMemory)` into a fresh instance whose heap holds the
// wasm's initial memory at that moment. The file holds only the runs of 32-bit words where the snapshot differs from
// that memory, with the snapshot's own values: restoring is one TypedArray.set (a memory copy) a run, and what a run
// covers is right whatever the heap held there. The rest of the memory must already hold the snapshot's values,
// except free memory (the stack below its pointer, the bodies of free heap chunks: the build's walk of the heap,
// web/snapshot.mjs freeRanges), which nothing reads before writing it. The worker checks the words neither a run
// nor free memory covers with a checksum, taken by the build on the initial memory it made the delta against.
// Leaving free memory out halves what the check reads: 10 MB of stack a fresh instance has never touched, whose
// first reads cost page faults. It also accepts whatever a browser's start left below the stack pointer.
//
// Layout: Pyodide's header (magic, header length, JSON length, build id, JSON), then ours: u32 DELTA_MAGIC, memory
// length (bytes), run count, free range count; the runs, then the free ranges, as (words since the previous one's
// end, word count) pairs (small numbers: they compress better than word indices); then the words of every run, in
// order. Runs closer than MERGE_GAP words are merged: a run costs 8 bytes and a copy call, a gap 4 bytes a word (16
// gives 3,357 runs instead of 31,172, for 0.4 MB more raw and 15 KB less brotli).
// Only typed arrays and Math: it runs in Node and in a worker alike.

export const DELTA_MAGIC = 0x324e5552; // "RUN2" (before: "RUNS" without free ranges, "DLTA" the 4 KiB-page XOR format)
export const MERGE_GAP = 16; // words

/**
 * Pyodide's header length and the memory length, from the first bytes of a delta file (enough to size the heap
 * before the rest has arrived), or null while fewer bytes than that are in.
 * @param {Uint8Array} prefix the file's first bytes
 * @returns {{ header: number, memoryLength: number } | null}
 */
export function deltaLengths(prefix) {
  if (prefix.length < 8) return null;
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.length);
  const header = view.getUint32(4, true);
  if (prefix.length < header + 8) return null;
  if (view.getUint32(header, true) !== DELTA_MAGIC) throw new Error("not a py-bridge delta snapshot");
  return { header, memoryLength: view.getUint32(header + 4, true) };
}

/**
 * (first word, word count) pairs from their stored form (words since the previous pair's end, word count), checked
 * to be apart, in order and inside the memory: the checksum of the words they leave out relies on it.
 * @param {Uint32Array} stored
 * @param {number} memoryWords
 */
function wordRanges(stored, memoryWords) {
  const ranges = new Uint32Array(stored.length);
  let end = 0;
  for (let i = 0; i < ranges.length; i += 2) {
    ranges[i] = end + stored[i];
    ranges[i + 1] = stored[i + 1];
    if ((i > 0 && stored[i] === 0) || ranges[i + 1] === 0 || ranges[i] + ranges[i + 1] > memoryWords) throw new Error("bad delta range");
    end = ranges[i] + ranges[i + 1];
  }
  return ranges;
}

/**
 * The union of two lists of (first word, word count) pairs, each in order and apart: in order and apart again.
 * @param {Uint32Array} a
 * @param {Uint32Array} b
 */
function union(a, b) {
  /** @type {number[]} */
  const out = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const takeA = j >= b.length || (i < a.length && a[i] <= b[j]);
    const start = takeA ? a[i] : b[j];
    const end = start + (takeA ? a[i + 1] : b[j + 1]);
    if (takeA) i += 2;
    else j += 2;
    const last = out.length - 2;
    if (last >= 0 && start <= out[last] + out[last + 1]) out[last + 1] = Math.max(out[last + 1], end - out[last]);
    else out.push(start, end - start);
  }
  return Uint32Array.from(out);
}

/**
 * The header fields and views of a delta file (no copy: the views share its buffer).
 * @param {Uint8Array} bytes
 * @returns {Delta}
 */
export function readDelta(bytes) {
  const header = new Uint32Array(bytes.buffer, bytes.byteOffset, 2)[1];
  if (header % 4 || header + 16 > bytes.length) throw new Error("not a py-bridge delta snapshot");
  const [magic, memoryLength, runCount, freeCount] = new Uint32Array(bytes.buffer, bytes.byteOffset + header, 4);
  const dataStart = header + 16 + 8 * (runCount + freeCount);
  if (magic !== DELTA_MAGIC || memoryLength % 4 || dataStart > bytes.length) throw new Error("not a py-bridge delta snapshot");
  const pairs = (/** @type {number} */ at, /** @type {number} */ count) => new Uint32Array(bytes.buffer, bytes.byteOffset + at, 2 * count);
  const runs = wordRanges(pairs(header + 16, runCount), memoryLength / 4); // what the copy takes
  const free = wordRanges(pairs(header + 16 + 8 * runCount, freeCount), memoryLength / 4);
  let words = 0;
  for (let i = 1; i < runs.length; i += 2) words += runs[i];
  if (dataStart + 4 * words !== bytes.length) throw new Error("not a py-bridge delta snapshot");
  const data = new Int32Array(bytes.buffer, bytes.byteOffset + dataStart, words);
  return { header, memoryLength, runs, unchecked: union(runs, free), data };
}

/**
 * The runs of words where the memory differs from the initial memory, together with the forced ranges (the
 * volatile words: whatever a browser leaves there, the snapshot's value is written), merged across short gaps.
 * @param {Int32Array} memory
 * @param {Int32Array} initial
 * @param {WordRanges} forced
 * @returns {WordRanges}
 */
export function changedRuns(memory, initial, forced) {
  const differs = new Uint8Array(memory.length);
  for (let i = 0; i < memory.length; i++) if (memory[i] !== initial[i]) differs[i] = 1;
  for (const [start, end] of forced) differs.fill(1, start, end);
  /** @type {WordRanges} */
  const runs = [];
  for (let i = 0; i < memory.length; i++) {
    if (!differs[i]) continue;
    let end = i + 1;
    while (end < memory.length && differs[end]) end++;
    const last = runs[runs.length - 1];
    if (last && i - last[1] < MERGE_GAP) last[1] = end;
    else runs.push([i, end]);
    i = end;
  }
  return runs;
}

/**
 * (words since the previous range's end, word count) pairs: how the file stores ranges.
 * @param {WordRanges} ranges in order and apart
 */
const storedRanges = (ranges) => ranges.flatMap(([start, end], i) => [start - (i ? ranges[i - 1][1] : 0), end - start]);

/**
 * The delta file of a memory snapshot: Pyodide's header, then ours, the runs, the free ranges and the snapshot's
 * words in the runs.
 * @param {Uint8Array} snapshot Pyodide's memory snapshot: its header (`header` bytes), then the memory
 * @param {number} header the length of Pyodide's header
 * @param {WordRanges} runs from changedRuns
 * @param {WordRanges} free memory nothing reads before writing it (in order and apart): left out of the check
 * @returns {Uint8Array<ArrayBuffer>}
 */
export function makeDelta(snapshot, header, runs, free) {
  const memoryLength = snapshot.length - header;
  const memory = new Int32Array(snapshot.buffer, snapshot.byteOffset + header, memoryLength / 4);
  const words = runs.reduce((n, [start, end]) => n + end - start, 0);
  const dataStart = header + 16 + 8 * (runs.length + free.length);
  const delta = new Uint8Array(dataStart + 4 * words);
  delta.set(snapshot.subarray(0, header));
  new Uint32Array(delta.buffer, header, 4).set([DELTA_MAGIC, memoryLength, runs.length, free.length]);
  new Uint32Array(delta.buffer, header + 16, 2 * (runs.length + free.length)).set([...storedRanges(runs), ...storedRanges(free)]);
  const data = new Int32Array(delta.buffer, dataStart, words);
  let at = 0;
  for (const [start, end] of runs) {
    data.set(memory.subarray(start, end), at);
    at += end - start;
  }
  return delta;
}

/**
 * A 128-bit checksum (hex) of the words of the memory that no range covers (a delta's `unchecked`): four
 * interleaved FNV-1a lanes over 32-bit words (independent multiplications, so the loop is not one long dependency
 * chain).
 * @param {Int32Array} words the memory
 * @param {Uint32Array} runs (first word, word count) pairs, in order and apart
 */
export function uncoveredChecksum(words, runs) {
  const lanes = new Int32Array([0x811c9dc5, 0x2545f491, 0x9e3779b9, 0x7f4a7c15]);
  let from = 0;
  for (let i = 0; i <= runs.length; i += 2) {
    const to = i < runs.length ? runs[i] : words.length;
    hashRange(words, from, to, lanes);
    if (i < runs.length) from = runs[i] + runs[i + 1];
  }
  return Array.from(new Uint32Array(lanes.buffer), (h) => h.toString(16).padStart(8, "0")).join("");
}

/**
 * Folds words [from, to) into the four lanes (lane k takes the words at k mod 4 of the range's groups of four).
 * @param {Int32Array} words
 * @param {number} from
 * @param {number} to
 * @param {Int32Array} lanes
 */
function hashRange(words, from, to, lanes) {
  let a = lanes[0];
  let b = lanes[1];
  let c = lanes[2];
  let d = lanes[3];
  let i = from;
  for (; i + 4 <= to; i += 4) {
    a = Math.imul(a ^ words[i], 0x01000193);
    b = Math.imul(b ^ words[i + 1], 0x01000193);
    c = Math.imul(c ^ words[i + 2], 0x01000193);
    d = Math.imul(d ^ words[i + 3], 0x01000193);
  }
  for (; i < to; i++) a = Math.imul(a ^ words[i], 0x01000193);
  lanes[0] = a;
  lanes[1] = b;
  lanes[2] = c;
  lanes[3] = d;
}

/**
 * Copies the snapshot's words of every run into the heap: the heap becomes the snapshot's memory (given that the
 * uncovered words were checked first).
 * @param {Int32Array} heapWords
 * @param {Delta} delta
 */
export function applyDelta(heapWords, delta) {
  if (heapWords.length * 4 < delta.memoryLength) throw new Error("the heap is smaller than the snapshot");
  const { runs, data } = delta;
  for (let i = 0, at = 0; i < runs.length; i += 2) {
    heapWords.set(data.subarray(at, at + runs[i + 1]), runs[i]);
    at += runs[i + 1];
  }
}
