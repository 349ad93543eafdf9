// The delta snapshot format: written by the build tool (web/snapshot.mjs, with Node) and read by the worker
// (web/worker/snapshot-restore.mjs) while Pyodide restores a memory snapshot. One module for both sides, so that the
// file the build makes is the file the worker reads.
//
// Pyodide restores a snapshot with `Module.HEAP8.set(snapshotMemory)` into a fresh instance whose heap holds the
// wasm's initial memory at that moment; the file holds only the pages that differ from that memory, XORed with it.
// Layout: Pyodide's header (magic, header length, JSON length, build id, JSON), then ours: u32 DELTA_MAGIC, memory
// length, page size, page count; the indices (u32) of the pages that differ from the initial memory; those pages,
// XORed with it. Unchanged pages (two thirds of the memory, among them every zero page) are not in the file at all.
// Only typed arrays and Math: it runs in Node and in a worker alike.

export const DELTA_MAGIC = 0x41544c44; // "DLTA"
export const DELTA_PAGE = 4096; // the page size the build writes (the reader takes it from the file)

/**
 * The header fields and views of a delta file (no copy: the views share its buffer).
 * @param {Uint8Array} bytes
 * @returns {Delta}
 */
export function readDelta(bytes) {
  const header = new Uint32Array(bytes.buffer, bytes.byteOffset, 2)[1];
  const [magic, memoryLength, pageSize, pageCount] = new Uint32Array(bytes.buffer, bytes.byteOffset + header, 4);
  const dataStart = header + 16 + 4 * pageCount;
  if (magic !== DELTA_MAGIC || pageSize % 4 || memoryLength % pageSize || dataStart + pageCount * pageSize !== bytes.length) {
    throw new Error("not a py-bridge delta snapshot");
  }
  const pages = new Uint32Array(bytes.buffer, bytes.byteOffset + header + 16, pageCount);
  const data = new Int32Array(bytes.buffer, bytes.byteOffset + dataStart, (pageCount * pageSize) / 4);
  return { header, memoryLength, pageSize, pages, data };
}

/**
 * The delta file of a memory snapshot against the initial memory: Pyodide's header, then ours and the pages of
 * DELTA_PAGE bytes that differ, XORed with the initial memory.
 * @param {Uint8Array} snapshot Pyodide's memory snapshot: its header (`header` bytes), then the memory
 * @param {number} header the length of Pyodide's header
 * @param {Int32Array} initial the initial memory, its volatile words zeroed
 * @returns {Uint8Array<ArrayBuffer>}
 */
export function makeDelta(snapshot, header, initial) {
  const memoryLength = snapshot.length - header;
  const memory = new Int32Array(snapshot.buffer, snapshot.byteOffset + header, memoryLength / 4);
  const wordsPerPage = DELTA_PAGE / 4;
  const changed = [];
  for (let page = 0; page < memoryLength / DELTA_PAGE; page++) {
    for (let k = page * wordsPerPage; k < (page + 1) * wordsPerPage; k++) {
      if (memory[k] !== initial[k]) {
        changed.push(page);
        break;
      }
    }
  }
  const dataStart = header + 16 + 4 * changed.length;
  const delta = new Uint8Array(dataStart + changed.length * DELTA_PAGE);
  delta.set(snapshot.subarray(0, header));
  new Uint32Array(delta.buffer, header, 4 + changed.length).set([DELTA_MAGIC, memoryLength, DELTA_PAGE, changed.length, ...changed]);
  const data = new Int32Array(delta.buffer, dataStart, changed.length * wordsPerPage);
  changed.forEach((page, i) => {
    for (let k = 0; k < wordsPerPage; k++) data[i * wordsPerPage + k] = memory[page * wordsPerPage + k] ^ initial[page * wordsPerPage + k];
  });
  return delta;
}

/**
 * A 64-bit pair of cheap hashes over the 32-bit words of the initial memory (volatile ranges zeroed first, in place).
 * @param {Int32Array} heapWords
 * @param {WordRanges} volatile
 */
export function initialChecksum(heapWords, volatile) {
  for (const [start, end] of volatile) heapWords.fill(0, start, end);
  let h1 = 0x811c9dc5 | 0;
  let h2 = 0;
  for (let i = 0; i < heapWords.length; i++) {
    const word = heapWords[i];
    h1 = Math.imul(h1 ^ word, 0x01000193);
    h2 = (h2 + (word ^ i)) | 0;
  }
  return (h1 >>> 0).toString(16).padStart(8, "0") + (h2 >>> 0).toString(16).padStart(8, "0");
}

/**
 * XORs the changed pages into the initial memory, in place: the heap becomes the memory the snapshot was taken from.
 * @param {Int32Array} heapWords
 * @param {Delta} delta
 */
export function applyDelta(heapWords, delta) {
  const words = delta.pageSize / 4;
  for (let i = 0; i < delta.pages.length; i++) {
    const at = delta.pages[i] * words;
    if (at + words > heapWords.length) throw new Error("delta page out of range");
    for (let k = 0, from = i * words; k < words; k++) heapWords[at + k] ^= delta.data[from + k];
  }
}
