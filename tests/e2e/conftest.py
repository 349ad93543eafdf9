"""E2E fixtures: the bundle served locally, the Intercom sandbox behind Intercom's hostnames, and a strict page.
(`bundle_dir` and `sandbox` live in tests/conftest.py: tests/engines shares them.)

Every request that is not to this machine is either routed to the sandbox (widget.intercom.io, api-iam*.intercom.io)
or aborted and recorded; a test fails on any unexpected external request, page error, Python traceback or
`[py-bridge]` error it did not declare.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Page

from py_bridge.tools.browser import CHROMIUM, CHROMIUM_ARGS
from py_bridge.tools.devserver import DevServer
from py_bridge.tools.sandbox import Sandbox
from tests.e2e.bridge_page import BridgePage
from tests.e2e.offline import route_offline


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def server(bundle_dir: Path, sandbox: Sandbox) -> Iterator[DevServer]:
    pages = Path(__file__).parent / "pages"
    dev = DevServer(bundle_dir, port=0, sandbox=sandbox, pages_dir=pages).start()
    yield dev
    dev.stop()


@pytest.fixture(scope="session")
def cdn_server(bundle_dir: Path) -> Iterator[DevServer]:
    """The bundle alone on a second port: a CDN on another origin than the page."""
    dev = DevServer(bundle_dir, port=0, demo=False).start()
    yield dev
    dev.stop()


@dataclass
class Watch:
    """What a page did that a test may not expect."""

    page_errors: list[str] = field(default_factory=list)
    console: list[tuple[str, str]] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    intercom_requests: list[str] = field(default_factory=list)
    allowed_errors: list[re.Pattern[str]] = field(default_factory=list)
    allowed_tracebacks: list[re.Pattern[str]] = field(default_factory=list)
    blocked: list[re.Pattern[str]] = field(default_factory=list)

    def allow_error(self, pattern: str) -> None:
        self.allowed_errors.append(re.compile(pattern))

    def allow_user_traceback(self, pattern: str) -> None:
        """A test that makes a site's own Python (a transformation) fail expects its traceback in the console."""
        self.allowed_tracebacks.append(re.compile(pattern))
        self.allowed_errors.append(re.compile(pattern))

    def messages(self, level: str | None = None, contains: str = "") -> list[str]:
        return [text for kind, text in self.console if (level is None or kind == level) and contains in text]

    def problems(self) -> list[str]:
        found = [f"page error: {e}" for e in self.page_errors]
        found += [f"unexpected external request: {u}" for u in self.external]
        for kind, text in self.console:
            if "Traceback" in text and not any(p.search(text) for p in self.allowed_tracebacks):
                found.append(f"python traceback: {text[:300]}")
            elif kind == "error" and not any(p.search(text) for p in self.allowed_errors):
                found.append(f"console error: {text[:300]}")
        return found


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.fixture
def context(context: BrowserContext, sandbox: Sandbox, watch: Watch) -> BrowserContext:
    """Route Intercom's hosts to the sandbox; abort and record anything else that leaves the machine."""

    def intercom(url: str) -> bool:
        watch.intercom_requests.append(url)
        return not any(p.search(url) for p in watch.blocked)

    route_offline(context, sandbox, on_external=watch.external.append, on_intercom=intercom)
    return context


@pytest.fixture
def page(page: Page, watch: Watch) -> Iterator[Page]:
    def on_console(message: ConsoleMessage) -> None:
        watch.console.append((message.type, message.text))

    page.on("console", on_console)
    page.on("pageerror", lambda error: watch.page_errors.append(str(error)))
    yield page
    problems = watch.problems()
    assert not problems, "\n".join(problems)


@pytest.fixture
def bridge(page: Page, server: DevServer, sandbox: Sandbox, watch: Watch) -> BridgePage:
    sandbox.handle("POST", "/reset", "", {}, json.dumps({"secret": "sandbox-secret", "verification": "off"}).encode())
    return BridgePage(page, server, sandbox, watch)
