"""Pyodide's own files are checked by SHA-256 in the worker before they are used (see the README's Security section):
the wasm (hashed while it compiles; instantiated only when it matches), the standard-library zips Pyodide mounts,
and the full standard library fetched on demand. pyodide.mjs and pyodide.asm.mjs (ES module imports) are not."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, Route

from py_bridge.tools.devserver import DevServer
from tests.e2e.bridge_page import BridgePage
from tests.e2e.conftest import Watch
from tests.e2e.test_runtime_files import manifest, open_worker_page, wait_message

IMPORTS_DIFFLIB = """
try:
    import difflib
    RESULT = "ok"
except ImportError as error:
    RESULT = type(error).__name__


def transform(event):
    if event["type"] == "track":
        event["properties"] = {"difflib": RESULT}
    return event
"""


def tamper(page: Page, bundle_dir: Path, name: str) -> None:
    body = bytearray((bundle_dir / name).read_bytes())
    body[-100] ^= 0x01  # one bit, near the end (a data byte of the wasm, a zip's central directory)

    def serve(route: Route) -> None:
        route.fulfill(status=200, body=bytes(body), headers={"Content-Type": route.request.headers.get("accept", "")})

    page.route(f"**/py-bridge/{name}", serve)


@pytest.mark.parametrize("snapshot", [True, False])
def test_a_tampered_wasm_is_never_instantiated(
    page: Page, server: DevServer, bundle_dir: Path, watch: Watch, snapshot: bool
) -> None:
    watch.allow_error(r".")
    name = manifest(bundle_dir)["runtime"] + "pyodide.asm.wasm"
    body = bytearray((bundle_dir / name).read_bytes())
    body[-100] ^= 0x01
    page.route(
        f"**/py-bridge/{name}",
        lambda route: route.fulfill(status=200, body=bytes(body), headers={"Content-Type": "application/wasm"}),
    )
    open_worker_page(page, server, snapshot=snapshot)
    with pytest.raises(AssertionError, match="does not match the bundle's checksum"):
        wait_message(page, "started")


def test_a_tampered_trimmed_standard_library_stops_the_start(
    page: Page, server: DevServer, bundle_dir: Path, watch: Watch
) -> None:
    watch.allow_error(r".")
    stdlib = manifest(bundle_dir)["stdlib"]
    tamper(page, bundle_dir, stdlib)
    open_worker_page(page, server, snapshot=False)
    with pytest.raises(AssertionError, match=f"{stdlib} does not match the bundle's checksum"):
        wait_message(page, "started")


def test_a_tampered_full_standard_library_is_not_imported(
    bridge: BridgePage, page: Page, bundle_dir: Path, watch: Watch
) -> None:
    """A transformation's `import difflib` (not in the trimmed standard library) fetches the full one: tampered, it is
    never used; the import fails and the page says why."""
    tamper(page, bundle_dir, manifest(bundle_dir)["stdlib_full"])
    watch.allow_error(r".")
    bridge.server.add_document("/t/transforms/difflib.py", IMPORTS_DIFFLIB, {"Content-Type": "text/x-python"})
    bridge.open(settings={"transform": ["/t/transforms/difflib.py"]})
    bridge.js("() => pybridge.track('Imported')")
    bridge.settle()
    (event,) = [e for e in bridge.workspace()["events"] if e["name"] == "Imported"]
    assert event["metadata"] == {"difflib": "ModuleNotFoundError"}
    assert watch.messages("error", "python_stdlib.zip does not match the bundle's checksum")
