"""The runtime the worker keeps in IndexedDB (database "py-bridge"): a revisit takes Pyodide's wasm and the memory
snapshot from there, instead of decoding them again out of the HTTP cache (or downloading them again, in an engine
whose cache does not keep them). What it takes is checked against the build's SHA-256 like a download. Nothing is
kept while consent is pending, and a refusal removes what was kept.

The e2e fixtures route every request (the HTTP cache is off), so a file the revisit did not take from the store is
a request the test sees.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from tests.e2e.bridge_page import BridgePage
from tests.e2e.test_runtime_files import LOG_CAPTURE, bundle_requests, manifest, start_mode

# What the store holds, {name: SHA-256 hex}, without ever creating the database (an upgrade means it did not
# exist: aborted).
KEPT = """() => new Promise((resolve) => {
  const request = indexedDB.open("py-bridge");
  request.onupgradeneeded = () => request.transaction.abort();
  request.onerror = () => resolve(null);
  request.onsuccess = () => {
    const db = request.result;
    if (!db.objectStoreNames.contains("runtime")) { db.close(); resolve({}); return; }
    const store = db.transaction("runtime").objectStore("runtime");
    const keys = store.getAllKeys();
    const values = store.getAll();
    values.onsuccess = async () => {
      db.close();
      const kept = {};
      for (const [i, key] of keys.result.entries()) {
        const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", values.result[i]));
        kept[key] = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
      }
      resolve(kept);
    };
  };
})"""
# Flips one byte in the middle of every kept file.
TAMPER = """() => new Promise((resolve, reject) => {
  const request = indexedDB.open("py-bridge");
  request.onsuccess = () => {
    const db = request.result;
    const store = db.transaction("runtime", "readwrite").objectStore("runtime");
    const all = store.getAll();
    const keys = store.getAllKeys();
    keys.onsuccess = () => {
      keys.result.forEach((key, i) => {
        const bytes = new Uint8Array(all.result[i]);
        bytes[bytes.length >> 1] ^= 0xff;
        store.put(bytes.buffer, key);
      });
      store.transaction.oncomplete = () => { db.close(); resolve(keys.result.length); };
    };
  };
  request.onerror = () => reject(request.error);
})"""
DATABASES = "async () => (await indexedDB.databases()).map((d) => d.name)"


def runtime_files(bundle_dir: Path) -> list[str]:
    files = manifest(bundle_dir)
    return sorted([files["snapshot"], f"{files['runtime']}pyodide.asm.wasm"])


def kept(bridge: BridgePage, bundle_dir: Path) -> None:
    """Wait until the store holds exactly the build's wasm and snapshot, byte for byte."""
    files = runtime_files(bundle_dir)
    expected = {name: hashlib.sha256((bundle_dir / name).read_bytes()).hexdigest() for name in files}
    bridge.wait_for(lambda: bridge.js(KEPT) == expected, what="the build's runtime kept")


def test_a_revisit_takes_the_wasm_and_the_snapshot_from_the_pages_store(bridge: BridgePage, bundle_dir: Path) -> None:
    bridge.page.add_init_script(LOG_CAPTURE)
    bridge.open()
    assert start_mode(bridge) == "snapshot"
    kept(bridge, bundle_dir)

    requests = bundle_requests(bridge.page)
    bridge.page.reload()
    bridge.wait_ready()
    assert start_mode(bridge) == "snapshot"
    assert not set(runtime_files(bundle_dir)) & set(requests), requests
    bridge.js("() => pybridge.identify('u-kept', {email: 'kept@example.com'})")
    bridge.settle()
    assert [u["user_id"] for u in bridge.users()] == ["u-kept"]


def test_kept_files_that_do_not_match_the_build_are_never_used_and_are_replaced(
    bridge: BridgePage, bundle_dir: Path
) -> None:
    """Someone who can write the page's storage (one XSS) cannot make the next visit run other memory or code: the
    kept bytes are checked like a download, refused, fetched again, and the good ones kept in their place."""
    bridge.page.add_init_script(LOG_CAPTURE)
    bridge.open()
    kept(bridge, bundle_dir)
    assert bridge.js(TAMPER) == 2

    requests = bundle_requests(bridge.page)
    bridge.page.reload()
    bridge.wait_ready()
    assert start_mode(bridge) == "snapshot"
    assert sorted(set(runtime_files(bundle_dir)) & set(requests)) == runtime_files(bundle_dir), requests
    # Kept again, this time the build's bytes: the next visit takes them without a request.
    kept(bridge, bundle_dir)
    requests.clear()
    bridge.page.reload()
    bridge.wait_ready()
    assert start_mode(bridge) == "snapshot"
    assert not set(runtime_files(bundle_dir)) & set(requests), requests


def test_nothing_is_kept_while_consent_is_pending(bridge: BridgePage) -> None:
    bridge.open(settings={"consent": {"required": True}, "load": "eager"}, wait_ready=False)
    bridge.wait_for(lambda: bridge.js("() => !!(window.pybridge && window.pybridge.__pybridge)"), what="embed.js")
    bridge.handled()  # Python answered: the worker offered its files before that answer
    assert "py-bridge" not in bridge.js(DATABASES)


def test_a_refusal_removes_the_kept_runtime(bridge: BridgePage, bundle_dir: Path) -> None:
    """Consent given before Python starts (queued before the tag, the default `load` policy): the runtime is kept;
    a refusal then deletes it."""
    bridge.open(
        before="<script>window.pybridge = [['consent', true]];</script>",
        settings={"consent": {"required": True}},
    )
    kept(bridge, bundle_dir)
    bridge.js("() => pybridge.consent(false)")
    bridge.wait_for(lambda: "py-bridge" not in bridge.js(DATABASES), what="the database removed")
