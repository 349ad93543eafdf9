"""The worker's runtime store (web/worker/runtime-store.mjs), run with Node against a recording stand-in for
IndexedDB: how a start finds out whether a runtime is kept before it reads it.

The page asks the browser while the worker is still starting and says so in a `kept` message: a first visit's
downloads then start without the worker listing the databases itself (25-30 ms on a first visit in Chromium), and
a page that could not tell leaves the question to the worker, as before.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import { RuntimeStore } from "STORE";

const calls = [];
function request(result) {
  const req = { result, error: null, onsuccess: null, onerror: null, onupgradeneeded: null, transaction: null };
  setTimeout(() => req.onsuccess && req.onsuccess(), 1);
  return req;
}
function fakeIndexedDB(kept) {
  const files = { "a.wasm": new ArrayBuffer(4), "b.bin": new ArrayBuffer(8) };
  return {
    databases() { calls.push("databases"); return Promise.resolve(kept ? [{ name: "py-bridge" }] : []); },
    open(name) {
      calls.push("open");
      const store = { get(file) { calls.push("get " + file); return request(files[file]); } };
      const db = {
        objectStoreNames: { contains: () => true },
        transaction: () => ({ objectStore: () => store }),
        close() {},
      };
      return request(db);
    },
  };
}

async function read(kept, answer) {
  calls.length = 0;
  globalThis.indexedDB = fakeIndexedDB(kept);
  const store = new RuntimeStore(true);
  const files = store.read(["a.wasm", "b.bin"]);
  store.listed(answer);
  const bytes = await Promise.all([files["a.wasm"], files["b.bin"]]);
  return { calls: calls.slice(), bytes: bytes.map((b) => (b ? b.byteLength : null)) };
}

const notAllowed = new RuntimeStore(false).read(["a.wasm"]);
console.log(JSON.stringify({
  pageSaysNone: await read(true, false),
  pageSaysKept: await read(true, true),
  pageCannotTellKept: await read(true, null),
  pageCannotTellNone: await read(false, null),
  notAllowed: Object.keys(notAllowed),
}));
"""


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    script = tmp_path_factory.mktemp("store") / "check.mjs"
    store = (ROOT / "web" / "worker" / "runtime-store.mjs").as_uri()
    script.write_text(SCRIPT.replace("STORE", store), encoding="utf-8")
    run = subprocess.run([node, str(script)], capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    data: dict[str, Any] = json.loads(run.stdout)
    return data


def test_when_the_page_found_no_runtime_the_worker_neither_lists_nor_opens_databases(
    result: dict[str, Any],
) -> None:
    assert result["pageSaysNone"] == {"calls": [], "bytes": [None, None]}


def test_when_the_page_found_one_the_worker_opens_it_at_once_and_reads_the_wasm_first(result: dict[str, Any]) -> None:
    assert result["pageSaysKept"] == {"calls": ["open", "get a.wasm", "get b.bin"], "bytes": [4, 8]}


def test_when_the_page_could_not_tell_the_worker_lists_the_databases_itself(result: dict[str, Any]) -> None:
    assert result["pageCannotTellKept"] == {"calls": ["databases", "open", "get a.wasm", "get b.bin"], "bytes": [4, 8]}
    assert result["pageCannotTellNone"] == {"calls": ["databases"], "bytes": [None, None]}


def test_a_store_consent_does_not_allow_reads_nothing(result: dict[str, Any]) -> None:
    assert result["notAllowed"] == []
