"""Try your own page without an Intercom account: `py-bridge serve DIR --sandbox --pages PAGES` serves the built
bundle, the local Intercom sandbox and the site's own pages; the tag it prints works as printed. A page opened from
file:// is told the real cause."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import Watch


@pytest.fixture
def served(bundle_dir: Path, tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    pages = tmp_path / "site"
    pages.mkdir()
    with subprocess.Popen(
        [
            sys.executable,
            "-m",
            "py_bridge.tools.cli",
            "serve",
            str(bundle_dir),
            "--port",
            "0",
            "--sandbox",
            "--pages",
            str(pages),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            lines = [process.stdout.readline() for _ in range(4)]
            text = "".join(lines)
            origin = re.search(r"http://127\.0\.0\.1:\d+", text)
            tag = next((line.strip() for line in lines if line.strip().startswith("<script")), None)
            assert origin, text
            assert tag, text
            yield origin.group(0), tag, pages
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_your_own_page_with_the_printed_tag_reaches_the_sandbox(
    served: tuple[str, str, Path], page: Page, watch: Watch
) -> None:
    origin, tag, pages = served
    assert '"sandbox_url": "' + origin + '/sandbox"' in tag.replace("&quot;", '"')
    own_tag = tag.replace("YOUR_APP_ID", "mysite01")  # what a site owner does with the printed tag
    (pages / "index.html").write_text(
        "<!doctype html><meta charset=utf-8><title>My site</title>"
        f"{own_tag}<button id='help'>Help</button>"
        "<script>window.pybridge = window.pybridge || [];"
        " pybridge.push(['identify', 'me-1', {email: 'me@example.com'}]); pybridge.push(['track', 'Tried It']);"
        "</script>",
        encoding="utf-8",
    )
    page.goto(f"{origin}/pages/index.html")
    page.wait_for_function("() => window.__intercomSandbox && window.__intercomSandbox.booted", timeout=30000)

    def workspace() -> dict[str, Any]:
        with urllib.request.urlopen(f"{origin}/sandbox/workspace", timeout=10) as response:
            app: dict[str, Any] = json.loads(response.read())["apps"].get("mysite01", {})
            return app

    page.wait_for_function("() => window.__intercomSandbox.idle().then(() => true)")
    for _ in range(100):  # the track's request may still be on its way: poll the workspace, 10 s at most
        if "Tried It" in [e["name"] for e in workspace().get("events", [])]:
            break
        page.wait_for_timeout(100)
    app = workspace()
    assert "me-1" in app["users"]
    assert "Tried It" in [e["name"] for e in app["events"]]


def test_a_page_opened_from_a_file_url_is_told_to_serve_it_over_http(
    served: tuple[str, str, Path], page: Page, watch: Watch, tmp_path: Path
) -> None:
    watch.allow_error(r"file://")
    _, tag, _ = served
    local = tmp_path / "local.html"
    local.write_text(f"<!doctype html><meta charset=utf-8>{tag}<button id='help'>Help</button>", encoding="utf-8")
    page.goto(local.as_uri())
    page.wait_for_function("() => window.pybridge && window.pybridge.__pybridge")
    page.evaluate("() => new Promise((resolve) => window.pybridge.ready(resolve))")
    errors = [text for kind, text in watch.console if kind == "error" and text.startswith("[py-bridge]")]
    assert len(errors) == 1, watch.console
    assert "file://" in errors[0]
    assert "over http" in errors[0]
