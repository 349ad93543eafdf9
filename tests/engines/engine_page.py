"""Page object for a host page carrying the py-bridge tag in Firefox or WebKit: tests/e2e's BridgePage, engine-neutral.

The differences from BridgePage are the ones the drivers force: every tag carries `sandbox_url` (no driver here can
route Intercom's hosts to the sandbox as Playwright does), so the Messenger's widget and API are the test server's
/sandbox/; what reached Intercom is read from the sandbox and from the server's request log; console lines come from
the engine (Firefox: BiDi events; WebKit: the page's own record).
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from py_bridge.tools.devserver import DevServer
from py_bridge.tools.engines import Engine
from py_bridge.tools.sandbox import Sandbox
from tests.e2e.bridge_page import APP_ID
from tests.e2e.conftest import Watch
from tests.host_page import EMBED_PATH, HELP_BUTTON, bridge_tag, host_document

T = TypeVar("T")
_counter = itertools.count()


class LoggedServer(DevServer):
    """The dev server, keeping a log of every request it answered ("GET /sandbox/widget/abc12345")."""

    def __init__(self, bundle_dir: Path, **options: Any) -> None:
        super().__init__(bundle_dir, **options)
        self.requests: list[str] = []

    def route(
        self, method: str, raw_path: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        self.requests.append(f"{method} {raw_path}")
        return super().route(method, raw_path, headers, body)


class EnginePage:
    def __init__(self, engine: Engine, server: LoggedServer, sandbox: Sandbox, watch: Watch) -> None:
        self.engine = engine
        self.server = server
        self.sandbox = sandbox
        self.watch = watch
        self.sandbox_url = f"{server.origin}/sandbox"

    # -- opening pages ------------------------------------------------------------------------------------------
    def tag(
        self, *, app_id: str = APP_ID, widget_id: str | None = "#help", settings: dict[str, Any] | None = None
    ) -> str:
        return bridge_tag(
            self.server.origin + EMBED_PATH,
            app_id=app_id,
            widget_id=widget_id,
            settings={"sandbox_url": self.sandbox_url, **(settings or {})},
        )

    def open(
        self,
        *,
        before: str = "",
        body: str = HELP_BUTTON,
        tag: str | None = None,
        wait_ready: bool = True,
        **tag_options: Any,
    ) -> None:
        """Serve a fresh host page (the engine's prelude first, then `before`, then the tag) and open it."""
        path = f"/t/engine-page-{next(_counter)}.html"
        document = host_document(
            self.engine.prelude + before + (tag if tag is not None else self.tag(**tag_options)), body
        )
        self.engine.goto(self.server.add_document(path, document))
        if wait_ready:
            self.wait_ready()

    def wait_ready(self, timeout_s: float = 60) -> None:
        self.wait_for(lambda: self.js("() => !!(window.pybridge && window.pybridge.__pybridge)"), what="embed.js")
        self.js(
            "(ms) => new Promise((resolve, reject) => {"
            " const t = setTimeout(() => reject(new Error('pybridge.ready did not fire')), ms);"
            " window.pybridge.ready(() => { clearTimeout(t); resolve(); }); })",
            timeout_s * 1000,
        )

    # -- observing ----------------------------------------------------------------------------------------------
    def js(self, function: str, *args: Any) -> Any:
        return self.engine.call(function, *args)

    def workspace(self, app_id: str = APP_ID) -> dict[str, Any]:
        """One app's workspace as the sandbox holds it, plus the workspace-wide rejections."""
        data: dict[str, Any] = json.loads(self.sandbox.handle("GET", "/workspace", "", {}, b"").body)
        empty = {"users": {}, "visitors": {}, "companies": {}, "events": [], "page_views": 0, "opens": 0}
        app: dict[str, Any] = dict(data["apps"].get(app_id, empty))
        app["rejections"] = [*app.get("rejections", []), *data["rejections"]]
        return app

    def users(self) -> list[dict[str, Any]]:
        users: Any = self.workspace()["users"]
        return list(users.values()) if isinstance(users, dict) else list(users)

    def event_names(self) -> list[str]:
        return [str(event["name"]) for event in self.workspace()["events"]]

    def widget_state(self) -> dict[str, Any] | None:
        state: dict[str, Any] | None = self.js(
            "() => { const s = window.__intercomSandbox; return s ? {"
            " booted: s.booted, bootCount: s.bootCount, shutdownCount: s.shutdownCount, updateCount: s.updateCount,"
            " calls: s.calls, settings: s.settings, panelOpen: s.panelOpen, launcherVisible: s.launcherVisible,"
            " visitorId: s.visitorId } : null; }"
        )
        return state

    def state(self) -> dict[str, Any]:
        """The widget's state, on a page where the Messenger's script has run."""
        state = self.widget_state()
        assert state is not None, "the Messenger's script has not run on this page"
        return state

    def calls(self, method: str | None = None) -> list[list[Any]]:
        state = self.widget_state() or {"calls": []}
        return [c for c in state["calls"] if method is None or c[0] == method]

    def booted(self) -> bool:
        return bool((self.widget_state() or {}).get("booted"))

    def sandbox_requests(self) -> list[str]:
        """The requests that reached the Messenger's widget or API (the sandbox), from the server's log."""
        return [r for r in self.server.requests if r.split(" ", 1)[1].startswith("/sandbox/")]

    def wait_for(self, check: Callable[[], T], timeout_s: float = 20, what: str = "condition") -> T:
        """Poll an observable outcome (sandbox workspace or page state) until it is truthy."""
        deadline = time.monotonic() + timeout_s
        while True:
            value = check()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.engine.name}: timed out waiting for {what}; last value: {value!r}")
            time.sleep(0.05)

    def settle(self) -> None:
        """Wait until the bridge has handled everything sent so far and the sandbox has no request in flight."""
        marker = f"settle-{next(_counter)}"
        self.js("(m) => window.pybridge.track(m)", marker)
        self.wait_for(lambda: any(c[0] == "trackEvent" and c[1][0] == marker for c in self.calls()), what=marker)
        self.js("() => window.__intercomSandbox.idle()")
        self.console_seen()

    def handled(self) -> None:
        """Wait until Python has handled every call sent so far and the page has applied what it decided, when nothing
        may reach Intercom (see BridgePage.handled): the positive marker before asserting that something did not
        happen."""
        self.js(
            "async () => { await window.pybridge.debug.export();"
            " if (window.__intercomSandbox) await window.__intercomSandbox.idle(); }"
        )
        self.console_seen()

    def messages(self, level: str | None = None, contains: str = "") -> list[str]:
        """The console lines recorded so far (`Watch.messages`), with the page's own record read first (WebKit)."""
        self.engine.collect()
        return self.watch.messages(level, contains)

    def problems(self) -> list[str]:
        """What the page did that no test expects (`Watch.problems`), with the page's own record read first."""
        self.engine.collect()
        return self.watch.problems()

    def console_seen(self) -> None:
        """Wait until every console line the page printed so far is in `watch.console` (a marker printed last)."""
        marker = f"[test marker {next(_counter)}]"
        self.js("(m) => console.debug(m)", marker)

        self.wait_for(lambda: self.messages(contains=marker), what=marker)

    def intercom_on_the_page(self) -> list[str]:
        """What loading the Messenger leaves on the page at once: the `window.Intercom` stub, a script or a
        connection hint naming the sandbox or an Intercom host. Empty on a page that never asked for Intercom."""
        found: list[str] = self.js(
            "(sandbox) => [...(typeof window.Intercom === 'undefined' ? [] : ['window.Intercom']),"
            " ...Array.from(document.querySelectorAll('script[src], link[href]'))"
            ".map(e => e.src || e.href).filter(u => /intercom/.test(u) || u.startsWith(sandbox))]",
            self.sandbox_url,
        )
        return found

    def resources(self) -> list[str]:
        """Every URL the page loaded, by its own account (Resource Timing), and its own address."""
        names: list[str] = self.js(
            "() => [location.href, ...performance.getEntriesByType('resource').map(e => e.name)]"
        )
        return names
