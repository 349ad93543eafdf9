"""`py-bridge doctor URL` against local pages: a right one passes, pages broken in each way fail the right check.

Doctor runs in-process on the session's Chromium (`diagnose(url, browser=...)`) for speed, and once as the real
command. Intercom's hosts are answered by doctor's own sandbox, so nothing leaves the machine.
"""

from __future__ import annotations

import html
import itertools
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserType

from py_bridge.tools.browser import CHROMIUM, CHROMIUM_ARGS
from py_bridge.tools.devserver import DevServer
from py_bridge.tools.doctor import Report, diagnose

APP_ID = "abc12345"
_pages = itertools.count()
Headers = dict[str, str]


class AlteredServer(DevServer):
    """The bundle alone on its own port, every answer passed through `alter(path, headers)` (a broken CDN)."""

    def __init__(self, bundle_dir: Path, alter: Callable[[str, Headers], Headers]) -> None:
        super().__init__(bundle_dir, port=0, demo=False)
        self.alter = alter

    def route(
        self, method: str, raw_path: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        status, out, payload = super().route(method, raw_path, headers, body)
        return status, self.alter(raw_path, out), payload


@pytest.fixture
def altered(bundle_dir: Path) -> Iterator[Callable[[Callable[[str, Headers], Headers]], AlteredServer]]:
    started: list[AlteredServer] = []

    def start(alter: Callable[[str, Headers], Headers]) -> AlteredServer:
        server = AlteredServer(bundle_dir, alter)
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def host_page(
    server: DevServer,
    *,
    tag: bool = True,
    app_id: str = APP_ID,
    bundle_origin: str | None = None,
    settings: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> str:
    src = f"{bundle_origin or server.origin}/py-bridge/embed.js"
    attrs = f'async src="{src}" data-app-id="{html.escape(app_id)}" data-widget-id="#help"'
    if settings:
        attrs += f" data-settings='{html.escape(json.dumps(settings), quote=False)}'"
    document = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Doctor</title>"
        + (f"<script {attrs}></script>" if tag else "")
        + "</head><body><button id='help'>Help</button></body></html>"
    )
    return server.add_document(f"/doctor/page-{next(_pages)}.html", document, headers)


def statuses(report: Report) -> dict[str, str]:
    return {check.name: check.status for check in report.checks}


def run(browser: Browser, url: str, **options: Any) -> Report:
    report = diagnose(url, browser=browser, timeout=options.pop("timeout", 30.0), **options)
    print("\n".join(report.lines()))  # shown when a test fails
    return report


def test_a_right_page_passes_every_check(browser: Browser, server: DevServer) -> None:
    report = run(browser, host_page(server))
    assert report.ok
    assert statuses(report) == dict.fromkeys(
        ("tag", "settings", "bundle files", "python", "consent", "widget", "intercom", "csp"), "PASS"
    )
    assert report.check("python").reason.startswith("started in ")
    assert report.check("widget").reason.startswith(f"requested for App ID {APP_ID}")


def test_a_right_page_with_a_bundle_on_another_origin_passes(
    browser: Browser, server: DevServer, cdn_server: DevServer
) -> None:
    report = run(browser, host_page(server, bundle_origin=cdn_server.origin))
    assert report.ok, report.lines()
    assert "cross-origin with CORS" in report.check("bundle files").reason


def test_a_page_without_the_tag_fails_the_tag_check(browser: Browser, server: DevServer) -> None:
    report = run(browser, host_page(server, tag=False))
    assert not report.ok
    assert report.check("tag").status == "FAIL"
    assert report.check("python").status == "SKIP"


def test_an_invalid_app_id_fails_the_settings_check(browser: Browser, server: DevServer) -> None:
    report = run(browser, host_page(server, app_id="ABC-123"))
    assert report.check("tag").status == "PASS"
    assert report.check("settings").status == "FAIL"
    assert "app_id" in report.check("settings").reason
    assert report.check("bundle files").status == "PASS"
    assert not report.ok


def test_wasm_served_with_the_wrong_mime_type_fails_the_bundle_check(
    browser: Browser, server: DevServer, altered: Callable[[Callable[[str, Headers], Headers]], AlteredServer]
) -> None:
    def octet_wasm(path: str, headers: Headers) -> Headers:
        if path.endswith(".wasm"):
            headers["Content-Type"] = "application/octet-stream"
        return headers

    cdn = altered(octet_wasm)
    report = run(browser, host_page(server, bundle_origin=cdn.origin))
    check = report.check("bundle files")
    assert check.status == "FAIL"
    assert "pyodide.asm.wasm served as application/octet-stream, needs application/wasm" in check.reason
    assert not report.ok


def test_a_cross_origin_bundle_without_cors_fails_the_bundle_check(
    browser: Browser, server: DevServer, altered: Callable[[Callable[[str, Headers], Headers]], AlteredServer]
) -> None:
    def no_cors(path: str, headers: Headers) -> Headers:
        return {key: value for key, value in headers.items() if key != "Access-Control-Allow-Origin"}

    cdn = altered(no_cors)
    report = run(browser, host_page(server, bundle_origin=cdn.origin), timeout=10.0)
    check = report.check("bundle files")
    assert check.status == "FAIL"
    assert "worker.mjs" in check.reason
    assert "Access-Control-Allow-Origin" in check.reason
    assert report.check("python").status == "FAIL"


def test_a_csp_that_blocks_the_worker_fails_the_csp_check(browser: Browser, server: DevServer) -> None:
    csp = "default-src 'self'; script-src 'self'; worker-src 'none'"
    report = run(browser, host_page(server, headers={"Content-Security-Policy": csp}), timeout=10.0)
    check = report.check("csp")
    assert check.status == "FAIL"
    assert "worker-src" in check.reason
    assert report.check("python").status == "FAIL"


def test_consent_not_answered_is_info_and_granting_it_boots(browser: Browser, server: DevServer) -> None:
    url = host_page(server, settings={"consent": {"required": True}})
    waiting = run(browser, url)
    assert waiting.check("consent").status == "INFO"
    assert "not answered" in waiting.check("consent").reason
    assert waiting.check("widget").status == "SKIP"
    assert waiting.ok
    granted = run(browser, url, consent=True)
    assert granted.check("intercom").status == "PASS"
    assert granted.ok


@pytest.fixture
def unreachable_browser(browser_type: BrowserType) -> Iterator[Browser]:
    """A Chromium for which no host but loopback exists: a live check's requests to Intercom fail at once with a
    DNS error, as on a machine that cannot reach Intercom, and nothing leaves the machine."""
    offline_args = ["--no-proxy-server", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"]
    launched = browser_type.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *offline_args], headless=True)
    yield launched
    launched.close()


def test_live_mode_with_intercom_unreachable_fails_the_widget_check_at_once(
    unreachable_browser: Browser, server: DevServer
) -> None:
    """The widget request failed: no PASS for it, one FAIL saying why, and no 30 s wait for a boot that cannot come."""
    started = time.monotonic()
    report = run(unreachable_browser, host_page(server), live=True, timeout=30.0)
    elapsed = time.monotonic() - started
    widget = report.check("widget")
    assert not any(line.startswith("PASS  widget:") for line in report.lines())
    assert widget.status == "FAIL"
    assert widget.reason.startswith("Intercom could not be reached:")
    assert f"https://widget.intercom.io/widget/{APP_ID}" in widget.reason
    assert "ERR_NAME_NOT_RESOLVED" in widget.reason
    assert report.check("intercom").status == "SKIP"
    assert "widget script did not load" in report.check("intercom").reason
    assert not report.ok
    assert elapsed < 15.0, f"doctor took {elapsed:.1f} s"


def test_the_command_prints_the_checklist_and_its_exit_status_follows_it(server: DevServer) -> None:
    good = subprocess.run(
        [sys.executable, "-m", "py_bridge.tools.cli", "doctor", host_page(server), "--chromium", CHROMIUM],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert good.returncode == 0, good.stdout + good.stderr
    lines = good.stdout.splitlines()
    assert sum(line.startswith("PASS") for line in lines) == 8, good.stdout
    assert lines[-1] == "all checks passed"
    bad = subprocess.run(
        [sys.executable, "-m", "py_bridge.tools.cli", "doctor", host_page(server, tag=False), "--timeout", "10"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert bad.returncode == 1
    assert any(line.startswith("FAIL  tag:") for line in bad.stdout.splitlines())
