"""Engine fixtures: the core scenarios in Firefox ESR and WebKitGTK (Chromium runs them, and more, in tests/e2e).

One browser per engine per session (`engine`, parametrized: each test id names its engine, `[firefox]` or
`[webkit]`); each test gets a fresh cookie jar and storage in it. The bundle and the sandbox are the session's shared
ones (tests/conftest.py), served by this folder's own server, which logs every request it answers. Both browsers'
proxy is a trap (py_bridge.tools.engines.ExitTrap): anything that would leave loopback is refused there and fails
the test.

A test fails on any uncaught page error, any console error or `[py-bridge]` error it did not declare, any Python
traceback, any request Firefox reports (BiDi) to a non-loopback URL, any non-loopback URL in the page's Resource
Timing, and anything the trap caught.

A missing engine fails every test of that engine with one line naming the binary and the package. Developers
without it may set PY_BRIDGE_SKIP_ENGINES=firefox,webkit (or "all") to skip instead; under CI=true that is refused.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from py_bridge.tools.engines import LOOPBACK, OPT_OUT, Engine, ExitTrap, Firefox, WebKit, missing_binary
from py_bridge.tools.sandbox import Sandbox
from tests.e2e.conftest import Watch
from tests.engines.engine_page import EnginePage, LoggedServer

BLANK = "/t/engine-blank.html"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/engines" in str(item.fspath):
            item.add_marker(pytest.mark.engines)


def skipped_by_developer(engine: str) -> bool:
    """Whether PY_BRIDGE_SKIP_ENGINES names `engine` (or "all"); under CI=true the opt-out is an error."""
    chosen = {name.strip() for name in os.environ.get(OPT_OUT, "").lower().split(",") if name.strip()}
    if not chosen & {engine, "all"}:
        return False
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{OPT_OUT}={os.environ[OPT_OUT]} is for developers' machines; CI runs every engine", False)
    return True


@pytest.fixture(scope="session")
def exit_trap() -> Iterator[ExitTrap]:
    trap = ExitTrap()
    yield trap
    trap.close()


@pytest.fixture(scope="session", params=["firefox", "webkit"])
def engine(request: pytest.FixtureRequest, exit_trap: ExitTrap) -> Iterator[Engine]:
    """One running browser of the engine the test id names; pytest groups the tests by engine, so one at a time."""
    name: str = request.param
    if skipped_by_developer(name):
        pytest.skip(f"{name} skipped: {OPT_OUT} is set")
    missing = missing_binary(name)
    if missing:
        pytest.fail(missing, False)
    browser: Engine = Firefox(exit_trap) if name == "firefox" else WebKit(exit_trap)
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def engine_server(bundle_dir: Path, sandbox: Sandbox) -> Iterator[LoggedServer]:
    server = LoggedServer(bundle_dir, port=0, sandbox=sandbox)
    server.add_document(BLANK, "<!doctype html><meta charset='utf-8'><title>blank</title>")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.fixture
def bridge(
    engine: Engine, engine_server: LoggedServer, sandbox: Sandbox, exit_trap: ExitTrap, watch: Watch
) -> Iterator[EnginePage]:
    """A fresh page in `engine` against a reset sandbox; afterwards the test fails on anything unexpected it did."""
    sandbox.handle("POST", "/reset", "", {}, json.dumps({"secret": "sandbox-secret", "verification": "off"}).encode())
    engine.begin(watch, engine_server.origin + BLANK)
    engine_server.requests.clear()
    trapped = len(exit_trap.trapped)
    page = EnginePage(engine, engine_server, sandbox, watch)
    yield page
    try:
        engine.collect()
        resources = page.resources()
    finally:
        engine.end()
    problems = watch.problems()
    problems += [f"left loopback (Resource Timing): {url}" for url in resources if not LOOPBACK.match(url)]
    own = engine.own_hosts
    trapped_here = [r for r in exit_trap.trapped[trapped:] if not (own and own.match(r))]
    problems += [f"left loopback (caught by the trap proxy): {r}" for r in trapped_here]
    assert not problems, f"{engine.name}:\n" + "\n".join(problems)
