"""The delta snapshot format (web/shared/delta.js), run with Node: what the worker relies on before it restores.

The delta holds the runs of words where the snapshot differs from the initial memory, with the snapshot's values;
the worker copies them in and checks only the words no run covers. So a heap that differs inside a run is restored
to the snapshot all the same, and one that differs anywhere else is refused (its checksum is not the build's).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# A 64 KiB "memory" with scattered changes, a volatile range and a Pyodide-like header; prints what the tests check.
SCRIPT = """
import { applyDelta, changedRuns, deltaLengths, makeDelta, readDelta, uncoveredChecksum } from "DELTA";

const WORDS = 16384, HEADER = 64;
const initial = new Int32Array(WORDS);
for (let i = 0; i < 4096; i++) initial[i] = Math.imul(i, 2654435761); // "data segments"
const snapshot = new Uint8Array(HEADER + 4 * WORDS);
new Uint32Array(snapshot.buffer, 0, 2).set([0x50594f44, HEADER]);
const memory = new Int32Array(snapshot.buffer, HEADER, WORDS);
memory.set(initial);
for (const i of [5, 20, 100, 101, 102, 5000, 16383]) memory[i] = i + 1; // 5 and 20: one run across a gap < 16
const volatile = [[9000, 9004]];
const runs = changedRuns(memory, initial, volatile);
// Free memory (a stack below its pointer, free chunk bodies): whatever a heap holds there is never read.
const free = [[1000, 2000], [5001, 5003], [12000, 12100]];
const delta = makeDelta(snapshot, HEADER, runs, free);
const parsed = readDelta(delta);
const expected = uncoveredChecksum(initial, parsed.unchecked);

/** The heap a browser would hold (initial memory, then `change`), restored as the worker does. */
function restore(change) {
  const heap = initial.slice();
  change(heap);
  const accepted = uncoveredChecksum(heap, parsed.unchecked) === expected;
  applyDelta(heap, parsed);
  const equal = heap.every((word, i) => word === memory[i] || free.some(([a, b]) => a <= i && i < b));
  return { accepted, equal };
}

console.log(JSON.stringify({
  runs: Array.from(parsed.runs),
  bytes: delta.length,
  lengths: deltaLengths(delta.subarray(0, HEADER + 8)),
  short: deltaLengths(delta.subarray(0, HEADER)),
  same: restore(() => {}),
  volatile: restore((heap) => (heap[9002] = 77)),
  insideRun: restore((heap) => (heap[101] = -1)),
  outside: restore((heap) => (heap[13000] = 1)),
  nextToFree: restore((heap) => (heap[2000] = 1)),
  free: restore((heap) => { heap[1000] = 7; heap[1999] = 8; heap[5002] = 9; heap[12050] = -1; }),
  unchecked: Array.from(parsed.unchecked),
}));
"""


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    script = tmp_path_factory.mktemp("delta") / "check.mjs"
    script.write_text(SCRIPT.replace("DELTA", (ROOT / "web" / "shared" / "delta.js").as_uri()), encoding="utf-8")
    run = subprocess.run([node, str(script)], capture_output=True, text=True, timeout=60, check=True)
    data: dict[str, object] = json.loads(run.stdout)
    return data


def test_the_delta_holds_only_the_changed_runs_merged_across_short_gaps(result: dict[str, object]) -> None:
    assert result["runs"] == [5, 16, 100, 3, 5000, 1, 9000, 4, 16383, 1]  # (first word, word count)
    assert result["bytes"] == 64 + 16 + 8 * 5 + 8 * 3 + 4 * (16 + 3 + 1 + 4 + 1)


def test_the_heap_size_is_known_from_the_first_bytes(result: dict[str, object]) -> None:
    assert result["lengths"] == {"header": 64, "memoryLength": 65536}
    assert result["short"] is None


def test_a_heap_that_differs_only_where_the_runs_write_is_restored_to_the_snapshot(result: dict[str, object]) -> None:
    for case in ("same", "volatile", "insideRun"):
        assert result[case] == {"accepted": True, "equal": True}, case


def test_a_heap_that_differs_outside_the_runs_is_refused(result: dict[str, object]) -> None:
    assert result["outside"] == {"accepted": False, "equal": False}
    assert result["nextToFree"] == {"accepted": False, "equal": False}


def test_free_memory_is_left_out_of_the_check(result: dict[str, object]) -> None:
    # Whatever a browser's start left below the stack pointer or in a free chunk's body is never read: the check
    # reads only the words the restored memory relies on (runs and free ranges merged, 5000 and 5001 adjacent).
    assert result["free"] == {"accepted": True, "equal": True}
    assert result["unchecked"] == [5, 16, 100, 3, 1000, 1000, 5000, 3, 9000, 4, 12000, 100, 16383, 1]
