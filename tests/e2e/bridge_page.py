"""Page object for a host page carrying the py-bridge tag."""

from __future__ import annotations

import itertools
import json
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from playwright.sync_api import Page, Route

from py_bridge.tools.devserver import DevServer
from py_bridge.tools.sandbox import Sandbox
from tests.host_page import EMBED_PATH, HELP_BUTTON, bridge_tag, host_document

if TYPE_CHECKING:
    from tests.e2e.conftest import Watch

T = TypeVar("T")
APP_ID = "abc12345"
_counter = itertools.count()

README = Path(__file__).resolve().parents[2] / "README.md"
SNIPPET_HEADING = "### Calling before the tag has loaded"


def readme_snippet(readme: Path = README) -> str:
    """The pre-load snippet exactly as README.md documents it: the script of the fenced html block right under its
    heading. Every test pastes this one, so the README cannot drift from what is tested."""
    text = readme.read_text(encoding="utf-8")
    _, heading, section = text.partition(f"\n{SNIPPET_HEADING}\n")
    intro, fence, block = section.partition("\n```html\n")
    code, closed, _ = block.partition("\n```\n")
    if not (heading and fence and closed) or "\n#" in intro:
        raise LookupError(f"README.md: no ```html block right under {SNIPPET_HEADING!r}")
    if not (code.startswith("<script>\n") and code.endswith("\n</script>")):
        raise LookupError(f"README.md: the block under {SNIPPET_HEADING!r} is not one <script> element")
    return textwrap.dedent(code[len("<script>\n") : -len("\n</script>")]) + "\n"


SNIPPET = readme_snippet()


# Records when the tag creates its worker (the moment its runtime downloads begin) on the page's clock.
WORKER_CLOCK = (
    "(() => { const W = window.Worker; window.__workerAt = null;"
    " window.Worker = function (url, options) { if (window.__workerAt === null) window.__workerAt = performance.now();"
    " return new W(url, options); }; })();"
)
# The positive marker before asserting that the runtime did NOT start: the page's load event has fired (the "load"
# policy starts in it) and an idle callback requested after it has run (idle callbacks run in the order they were
# requested, so the "idle" policy's, requested in the load event, has run before it).
PAST_THE_START_POINTS = (
    "() => new Promise((resolve) => { const idle = () => requestIdleCallback(() => setTimeout(resolve, 0));"
    " if (document.readyState === 'complete') idle(); else addEventListener('load', idle, {once: true}); })"
)


class BridgePage:
    def __init__(self, page: Page, server: DevServer, sandbox: Sandbox, watch: Watch) -> None:
        self.page = page
        self.server = server
        self.sandbox = sandbox
        self.watch = watch

    # -- opening pages ------------------------------------------------------------------------------------------
    def tag(
        self,
        *,
        app_id: str | None = APP_ID,
        widget_id: str | None = "#help",
        settings: dict[str, Any] | None = None,
        src: str | None = None,
        extra: str = "",
    ) -> str:
        return bridge_tag(
            src or self.server.origin + EMBED_PATH, app_id=app_id, widget_id=widget_id, settings=settings, extra=extra
        )

    def open(
        self,
        *,
        before: str = "",
        body: str = HELP_BUTTON,
        tag: str | None = None,
        headers: dict[str, str] | None = None,
        wait_ready: bool = True,
        path: str | None = None,
        wait_until: Literal["commit", "load"] = "load",
        **tag_options: Any,
    ) -> None:
        """Serve a fresh host page (scripts in `before` run before the tag) and open it (until its load event, or
        only until the navigation is committed, for a page whose load a test holds)."""
        url = f"{self.server.origin}{path or f'/t/page-{next(_counter)}.html'}"
        document = host_document(before + (tag if tag is not None else self.tag(**tag_options)), body)

        self.server.add_document(url[len(self.server.origin) :], document, headers)
        self.page.goto(url, wait_until=wait_until)
        if wait_ready:
            self.wait_ready()

    def crash_worker_on(self, marker: str) -> None:
        """Serve a worker.mjs that closes itself (self.close(), as a crash) on the first message carrying `marker`."""

        def crashing_worker(route: Route) -> None:
            original = route.fetch().text()
            hook = (
                "const __orig = self.onmessage; self.onmessage = (e) => {"
                f" if (JSON.stringify(e.data).includes({json.dumps(marker)})) {{ self.close(); return; }}"
                " __orig(e); };\n"
            )
            route.fulfill(body=original + "\n" + hook, headers={"content-type": "text/javascript"})

        self.page.route("**/py-bridge/worker.mjs", crashing_worker)

    def open_on_host(self, host: str, tag: str, path: str = "/account") -> None:
        """Open a host page with `tag` on another host name (`https://www.example.test`): the page answered by the
        test, its /py-bridge/ bundle same-origin with it, fetched from the test server (cookies then have a parent
        domain to live on)."""
        document = host_document(tag)

        def serve(route: Route) -> None:
            asked = route.request.url[len(host) :]
            if asked.startswith("/py-bridge/"):
                route.fulfill(response=route.fetch(url=self.server.origin + asked))
            else:
                route.fulfill(status=200, content_type="text/html", body=document)

        self.page.route(f"{host}/**", serve)
        self.page.goto(f"{host}{path}")

    def wait_ready(self, timeout_s: float = 30) -> None:
        self.wait_for(lambda: self.js("() => !!(window.pybridge && window.pybridge.__pybridge)"), what="embed.js")
        self.page.evaluate(
            "(ms) => new Promise((resolve, reject) => {"
            " const t = setTimeout(() => reject(new Error('pybridge.ready did not fire')), ms);"
            " window.pybridge.ready(() => { clearTimeout(t); resolve(); }); })",
            timeout_s * 1000,
        )

    # -- observing ----------------------------------------------------------------------------------------------
    def js(self, expression: str, arg: Any = None) -> Any:
        return self.page.evaluate(expression, arg)

    def workspace(self, app_id: str = APP_ID) -> dict[str, Any]:
        """One app's workspace as the sandbox holds it, plus the workspace-wide rejections."""
        response = self.sandbox.handle("GET", "/workspace", "", {}, b"")
        data: dict[str, Any] = json.loads(response.body)
        empty = {"users": {}, "visitors": {}, "companies": {}, "events": [], "page_views": 0, "opens": 0}
        app: dict[str, Any] = dict(data["apps"].get(app_id, empty))
        app["rejections"] = [*app.get("rejections", []), *data["rejections"]]
        return app

    def widget_state(self) -> dict[str, Any]:
        state: dict[str, Any] = self.page.evaluate(
            "() => { const s = window.__intercomSandbox; return s ? JSON.parse(JSON.stringify({"
            " booted: s.booted, bootCount: s.bootCount, shutdownCount: s.shutdownCount, updateCount: s.updateCount,"
            " rateLimitedUpdates: s.rateLimitedUpdates, calls: s.calls, settings: s.settings, panelOpen: s.panelOpen,"
            " launcherVisible: s.launcherVisible, visitorId: s.visitorId })) : null; }"
        )
        return state

    def calls(self, method: str | None = None) -> list[list[Any]]:
        state = self.widget_state() or {"calls": []}
        return [c for c in state["calls"] if method is None or c[0] == method]

    def wait_for(self, check: Callable[[], T], timeout_s: float = 15, what: str = "condition") -> T:
        """Poll an observable outcome (sandbox workspace or page state) until it is truthy."""
        deadline = time.monotonic() + timeout_s
        while True:
            value = check()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; last value: {value!r}")
            self.page.wait_for_timeout(50)

    def settle(self) -> None:
        """Wait until the bridge has handled everything sent so far and the sandbox has no request in flight."""
        marker = f"settle-{next(_counter)}"
        self.js("(m) => window.pybridge.track(m)", marker)
        self.wait_for(lambda: any(c[0] == "trackEvent" and c[1][0] == marker for c in self.calls()), what=marker)
        self.js("() => window.__intercomSandbox.idle()")
        self.console_seen()

    def handled(self) -> None:
        """Wait until Python has handled every call sent so far and the page has applied what it decided, when nothing
        may reach Intercom (consent pending or withdrawn, the widget blocked), so `settle()`'s marker never would.

        The positive marker is a `pybridge.debug.export()` round trip: Python answers it after every item sent before
        it, and the page applies the answer after those items' commands. Then any sandbox request in flight is awaited.
        Only after this may a test assert that something did not happen. A `load` command applied on the page is
        visible at once (`window.Intercom` stub, script element, hints); the request it starts may still be on its way,
        so assert on those too, not only on `watch.intercom_requests`.
        """
        self.js(
            "async () => { await window.pybridge.debug.export();"
            " if (window.__intercomSandbox) await window.__intercomSandbox.idle(); }"
        )
        self.console_seen()

    def console_seen(self) -> None:
        """Wait until every console line the page printed so far is in `watch.console`: console messages reach the
        test asynchronously but in the order the page printed them, so a marker line printed last closes them."""
        marker = f"[test marker {next(_counter)}]"
        self.js("(m) => console.debug(m)", marker)
        self.wait_for(lambda: self.watch.messages(contains=marker), what=marker)

    def nothing_booted(self) -> None:
        """What a bridge that did not start (or stopped, or was refused) leaves at Intercom when the Messenger's script
        started while Python started (tests/e2e/test_widget_overlap.py): at most that script and its frame, waiting.
        No boot, no ping, no user."""
        assert not [u for u in self.watch.intercom_requests if "/messenger/" in u]
        state = self.widget_state()
        assert state is None or state["bootCount"] == 0, state

    def intercom_on_the_page(self) -> list[str]:
        """What loading the Messenger leaves on the page at once: the `window.Intercom` stub, a script or a
        connection hint naming an Intercom host. Empty on a page that never asked for Intercom."""
        found: list[str] = self.js(
            "() => [...(typeof window.Intercom === 'undefined' ? [] : ['window.Intercom']),"
            " ...Array.from(document.querySelectorAll('script[src], link[href]'))"
            ".map(e => e.src || e.href).filter(u => /intercom/.test(u))]"
        )
        return found

    def users(self) -> list[dict[str, Any]]:
        users: Any = self.workspace()["users"]
        return list(users.values()) if isinstance(users, dict) else list(users)
