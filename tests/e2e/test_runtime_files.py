"""The runtime files on the wire: the compact snapshot and its fallbacks, the trimmed standard library with its
on-demand rest, content-hashed names served precompressed and cached, and no file fetched twice.

Most tests use the e2e fixtures (every request routed, so the browser's HTTP cache is off). The revisit test opens
its own browser context without any routing, so the cache works as it does for a visitor.
"""

from __future__ import annotations

import json
import re
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route

from py_bridge.tools.devserver import DevServer
from tests.e2e.bridge_page import BridgePage
from tests.e2e.conftest import Watch

# The log lines, and the start-up figures the "Python started" line carries as data (`started`: {ms, mode}).
LOG_CAPTURE = (
    "window.__logs = []; window.__started = []; addEventListener('pybridge:log', e => {"
    " window.__logs.push(String(e.detail.message || ''));"
    " if (e.detail.started) window.__started.push(e.detail.started); });"
)
# A page that starts the bundle's worker itself and watches its messages (how it starts, or why it does not).
WORKER_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>worker</title>
<script type="module">
window.messages = [];
const worker = new Worker("/py-bridge/worker.mjs", { type: "module" });
worker.onmessage = (event) => window.messages.push(event.data);
worker.postMessage({ type: "config", snapshot: SNAPSHOT });
</script></head><body></body></html>"""
_pages = iter(range(1_000_000))


def manifest(bundle_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((bundle_dir / "manifest.json").read_text())
    return data


def start_mode(bridge: BridgePage) -> str:
    """How Python started ("snapshot" or "normal"), from the `started` figures of the bridge's log event."""
    (started,) = bridge.js("() => window.__started")
    mode: str = started["mode"]
    return mode


def bundle_requests(page: Page) -> list[str]:
    """Every bundle file the page and its worker request, by path relative to the bundle."""
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url.split("/py-bridge/", 1)[1]) if "/py-bridge/" in r.url else None)
    return seen


def open_worker_page(page: Page, server: DevServer, *, snapshot: bool) -> None:
    path = f"/t/worker-{next(_pages)}.html"
    server.add_document(path, WORKER_PAGE.replace("SNAPSHOT", "true" if snapshot else "false"))
    page.goto(server.origin + path)


def wait_message(page: Page, kind: str, count: int = 1, timeout_s: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        found = [m for m in page.evaluate("() => window.messages") if m.get("type") in (kind, "fatal")]
        if len(found) >= count:
            message: dict[str, Any] = found[count - 1]
            assert message["type"] == kind, message
            return message
        assert time.monotonic() < deadline, f"no {kind!r} message from the worker"
        page.wait_for_timeout(50)


def test_a_first_visit_starts_from_the_compact_snapshot_and_fetches_each_file_once(
    bridge: BridgePage, bundle_dir: Path
) -> None:
    """The default tag: Python starts from the delta snapshot on the very first visit; the core zip, the trimmed and
    the full standard library are never downloaded, and no file is requested twice."""
    files = manifest(bundle_dir)
    requests = bundle_requests(bridge.page)
    encodings: dict[str, str] = {}
    bridge.page.on(
        "response",
        lambda r: encodings.__setitem__(r.url.rsplit("/", 1)[1], r.headers.get("content-encoding", "")),
    )
    bridge.page.add_init_script(LOG_CAPTURE)
    bridge.open()
    assert start_mode(bridge) == "snapshot"
    bridge.js("() => pybridge.identify('u-first', {email: 'first@example.com', plan: 'pro'})")
    bridge.settle()
    user = next(u for u in bridge.users() if u["user_id"] == "u-first")
    assert user["custom_attributes"] == {"plan": "pro"}

    assert sorted(requests) == sorted(files["first_visit_files"]), requests
    assert len(requests) == len(set(requests))
    assert files["core_zip"] not in requests
    assert files["stdlib"] not in requests
    assert encodings["pyodide.asm.wasm"] == "br"
    assert encodings[files["snapshot"]] == "br"


@pytest.mark.parametrize("fault", ["404", "corrupt", "mismatched initial memory"])
def test_a_missing_corrupt_or_mismatched_snapshot_falls_back_to_a_normal_start(
    bridge: BridgePage, bundle_dir: Path, page: Page, watch: Watch, fault: str
) -> None:
    """Whatever is wrong with the snapshot, the bridge boots normally (trimmed standard library + core zip)."""
    files = manifest(bundle_dir)
    watch.allow_error(r"Failed to load resource")

    if fault == "404":
        page.route(f"**/py-bridge/{files['snapshot']}", lambda route: route.fulfill(status=404, body="missing"))
    elif fault == "corrupt":

        def corrupt(route: Route) -> None:
            body = bytearray((bundle_dir / files["snapshot"]).read_bytes())
            body[len(body) // 2] ^= 0xFF
            route.fulfill(status=200, body=bytes(body), headers={"Content-Type": "application/octet-stream"})

        page.route(f"**/py-bridge/{files['snapshot']}", corrupt)
    else:
        # The worker checks the initial wasm memory before undoing the delta: a different one must never be used.
        checksum = files["snapshot_info"]["initial_checksum"]
        worker = (bundle_dir / "worker.mjs").read_text().replace(checksum, "0" * len(checksum))
        page.route(
            "**/py-bridge/worker.mjs",
            lambda route: route.fulfill(status=200, body=worker, headers={"Content-Type": "text/javascript"}),
        )
    requests = bundle_requests(page)
    bridge.page.add_init_script(LOG_CAPTURE)
    bridge.open()
    assert start_mode(bridge) == "normal"
    assert bridge.js("() => window.__started[0].fallback"), "the started data says why the snapshot was not used"
    assert files["stdlib"] in requests
    assert files["core_zip"] in requests
    assert requests.count(f"{files['runtime']}pyodide.asm.wasm") == 1  # compiled once, used by both attempts
    bridge.js("() => pybridge.identify('u-fallback', {email: 'fallback@example.com'})")
    bridge.settle()
    assert [u["user_id"] for u in bridge.users()] == ["u-fallback"]


def test_a_snapshot_made_against_another_initial_memory_is_tried_and_refused(
    page: Page, server: DevServer, bundle_dir: Path
) -> None:
    """The words of the heap that no run of the delta writes must hold what the build saw (their checksum): a worker
    whose build saw other values starts loading the snapshot, refuses it at the restore and starts normally,
    saying why."""
    files = manifest(bundle_dir)
    checksum = files["snapshot_info"]["initial_checksum"]
    worker = (bundle_dir / "worker.mjs").read_text().replace(checksum, "0" * len(checksum))
    page.route(
        "**/py-bridge/worker.mjs",
        lambda route: route.fulfill(status=200, body=worker, headers={"Content-Type": "text/javascript"}),
    )
    open_worker_page(page, server, snapshot=True)
    started = wait_message(page, "started")
    assert started["mode"] == "normal"
    assert started["fallback"].startswith("the initial wasm memory differs from the build's"), started
    assert "instantiated" in started["phases"]
    assert "restored" not in started["phases"]


# A transformation that imports standard modules the core does not use (the case the on-demand standard library is
# for), records what each import gave and whether the full standard library was on sys.path by then, and hands the
# record to Intercom as the metadata of the next tracked event.
ON_DEMAND = """
import sys


def attempt(name):
    try:
        __import__(name)
        return "ok"
    except ImportError as error:
        return type(error).__name__


def full():
    return str(any(str(path).endswith("python_stdlib_full.zip") for path in sys.path))


SEEN = {"numpy": attempt("numpy"), "full_after_numpy": full()}
SEEN["difflib"] = attempt("difflib")
SEEN["full_after_difflib"] = full()
SEEN["fractions"] = attempt("fractions")


def transform(event):
    if event["type"] == "track":
        event["properties"] = dict(SEEN)
    return event
"""


@pytest.mark.parametrize("snapshot", [False, True], ids=["normal start", "snapshot start"])
def test_other_standard_modules_are_fetched_on_demand(bridge: BridgePage, bundle_dir: Path, snapshot: bool) -> None:
    """The core runs on the trimmed standard library (or the snapshot); a transformation's `import difflib` fetches
    the full python_stdlib.zip once, later standard imports use it, and a non-standard name fetches nothing."""
    files = manifest(bundle_dir)
    with zipfile.ZipFile(bundle_dir / files["stdlib"]) as archive:
        trimmed = set(archive.namelist())
    assert "json/__init__.py" in trimmed
    assert "difflib.py" not in trimmed
    assert "fractions.py" not in trimmed

    requests = bundle_requests(bridge.page)
    bridge.server.add_document(
        "/t/transforms/on-demand.py", ON_DEMAND, {"Content-Type": "text/x-python; charset=utf-8"}
    )
    bridge.page.add_init_script(LOG_CAPTURE)
    bridge.open(settings={"transform": ["/t/transforms/on-demand.py"], "fast_start": snapshot})
    assert start_mode(bridge) == ("snapshot" if snapshot else "normal")
    bridge.js("() => pybridge.track('Imported')")
    bridge.settle()
    (event,) = [e for e in bridge.workspace()["events"] if e["name"] == "Imported"]
    assert event["metadata"] == {
        "numpy": "ModuleNotFoundError",
        "full_after_numpy": "False",
        "difflib": "ok",
        "full_after_difflib": "True",
        "fractions": "ok",
    }
    assert requests.count(files["stdlib_full"]) == 1


@pytest.fixture
def counting_server(bundle_dir: Path) -> Iterator[tuple[DevServer, list[str]]]:
    """The bundle on its own server that records every request path it answers (a cache hit never arrives)."""
    served: list[str] = []
    lock = threading.Lock()
    dev = DevServer(bundle_dir, port=0, demo=False)
    original = dev.route

    def route(method: str, raw_path: str, headers: Any, body: bytes) -> tuple[int, dict[str, str], bytes]:
        status, out, payload = original(method, raw_path, headers, body)
        with lock:
            served.append(f"{status} {raw_path}")
        return status, out, payload

    dev.route = route  # type: ignore[method-assign]
    dev.start()
    yield dev, served
    dev.stop()


def test_a_revisit_takes_every_runtime_file_from_the_http_cache(
    browser: Browser, counting_server: tuple[DevServer, list[str]]
) -> None:
    """No routing here, so the HTTP cache works: the second page view starts from the snapshot again and the
    server sees no request for the worker, the runtime or the snapshot (content-hashed names are immutable)."""
    server, served = counting_server
    context = browser.new_context()
    try:
        page = context.new_page()
        headers: dict[str, dict[str, str]] = {}
        page.on("response", lambda r: headers.__setitem__(r.url.rsplit("/py-bridge/", 1)[-1], r.headers))
        open_worker_page(page, server, snapshot=True)
        assert wait_message(page, "started")["mode"] == "snapshot"
        first_visit = [line for line in served if "/py-bridge/" in line]
        assert first_visit
        assert all(line.startswith("200 ") for line in first_visit), first_visit
        wasm = next(name for name in headers if name.endswith("pyodide.asm.wasm"))
        assert headers[wasm]["cache-control"] == "public, max-age=31536000, immutable"
        assert headers[wasm]["content-type"] == "application/wasm"
        assert headers[wasm]["content-encoding"] == "br"
        assert headers["worker.mjs"]["cache-control"] == "public, max-age=300"

        served.clear()
        page.reload()
        started = wait_message(page, "started")
        assert started["mode"] == "snapshot", started
        assert [line for line in served if "/py-bridge/" in line] == []
    finally:
        context.close()


def test_precompressed_files_are_negotiated_by_accept_encoding(server: DevServer, bundle_dir: Path) -> None:
    """br when accepted, else gzip, else the file itself; always Vary: Accept-Encoding; a matching ETag gives 304."""
    files = manifest(bundle_dir)
    wasm = f"/py-bridge/{files['runtime']}pyodide.asm.wasm"
    raw = (bundle_dir / files["runtime"] / "pyodide.asm.wasm").read_bytes()
    for accept, coding in (("gzip, deflate, br, zstd", "br"), ("gzip", "gzip"), ("identity", None)):
        status, out, payload = server.route("GET", wasm, {"Accept-Encoding": accept}, b"")
        assert status == 200
        assert out.get("Content-Encoding") == coding
        assert out["Vary"] == "Accept-Encoding"
        assert out["Content-Type"] == "application/wasm"
        if coding is None:
            assert payload == raw
    status, out, _ = server.route("GET", wasm, {"Accept-Encoding": "br"}, b"")
    again = server.route("GET", wasm, {"Accept-Encoding": "br", "If-None-Match": out["ETag"]}, b"")
    assert again[0] == 304
    assert again[2] == b""
    assert re.fullmatch(r"snapshot-[0-9a-f]{16}\.bin", files["snapshot"])
