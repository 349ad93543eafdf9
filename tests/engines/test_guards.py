"""The engine fixtures' own guards, proven in each engine: a page that leaks a request, logs an error or throws is
caught. Without this a guard that silently saw nothing (a driver that stopped reporting) would pass every test."""

from __future__ import annotations

from py_bridge.tools.engines import Engine, ExitTrap
from py_bridge.tools.sandbox import Sandbox
from tests.e2e.conftest import Watch
from tests.engines.conftest import BLANK
from tests.engines.engine_page import EnginePage, LoggedServer

LEAKY_PAGE = """<script>
  fetch('http://leak.example.test/from-page').catch(() => {});
  const code = "fetch('https://leak.example.test/from-worker').catch(() => {})";
  const worker = new Blob([code], {type: 'text/javascript'});
  new Worker(URL.createObjectURL(worker));
  console.error('[py-bridge] planted error');
  setTimeout(() => { throw new Error('planted page error'); }, 0);
</script>"""


def test_requests_leaving_loopback_errors_and_uncaught_exceptions_are_all_caught(
    engine: Engine, engine_server: LoggedServer, sandbox: Sandbox, exit_trap: ExitTrap
) -> None:
    """From the page and from a worker, plain HTTP and HTTPS: the trap refuses and records both requests (and Firefox
    reports the page's through BiDi); the console error and the uncaught exception become the watch's problems."""
    watch = Watch()
    trapped = len(exit_trap.trapped)
    engine.begin(watch, engine_server.origin + BLANK)
    try:
        page = EnginePage(engine, engine_server, sandbox, watch)
        page.open(tag=LEAKY_PAGE, wait_ready=False)
        # WebKitGTK speaks TLS to an HTTPS proxy at once and names no host to an IP address: only Firefox's CONNECT
        # names the worker's host
        https = "HTTPS leak.example.test" if engine.name == "firefox" else "HTTPS (host unknown)"
        expected = ["GET http://leak.example.test/from-page", https]
        page.wait_for(
            lambda: all(r in exit_trap.trapped[trapped:] for r in expected), what=f"the trap caught {expected}"
        )
        page.wait_for(lambda: any("planted page error" in p for p in page.problems()), what="the page error")
        page.console_seen()
        problems = page.problems()
        assert any("[py-bridge] planted error" in p for p in problems), problems
        if engine.name == "firefox":
            page.wait_for(lambda: "http://leak.example.test/from-page" in watch.external, what="BiDi's request event")
    finally:
        engine.end()
