"""The consent answer is the page's own: a refusal forgets what an earlier visit left, a withdrawal right after a grant
sends nothing to Intercom, and a worker that is dead, never starts or is restarted cannot undo the answer."""

from __future__ import annotations

import json
import textwrap
from typing import Any

from playwright.sync_api import Page, Route

from py_bridge.core.bridge import start_bridge
from tests.e2e.bridge_page import APP_ID, BridgePage
from tests.e2e.conftest import Watch

FAKE_HOST = "https://www.example.test"
COOKIES = [f"intercom-id-{APP_ID}", f"intercom-session-{APP_ID}", f"intercom-device-id-{APP_ID}"]
PY = {"Content-Type": "text/x-python; charset=utf-8"}
STORAGE = "() => [...Object.keys(localStorage), ...Object.keys(sessionStorage)].filter(k => k.startsWith('pybridge'))"


def intercom_cookies(bridge: BridgePage) -> list[dict[str, Any]]:
    return [c for c in bridge.page.context.cookies() if c["name"].startswith("intercom-")]


def earlier_visit_cookies(bridge: BridgePage, *, url: str | None = None, domain: str | None = None) -> None:
    """The cookies a consented earlier visit left (the Messenger sets them on the site's top-level domain)."""
    where: dict[str, Any] = {"domain": domain, "path": "/"} if domain else {"url": url}
    bridge.page.context.add_cookies([{"name": name, "value": "earlier", **where} for name in COOKIES])


def configure(bridge: BridgePage, **options: object) -> None:
    response = bridge.sandbox.handle("POST", "/config", "", {}, json.dumps(options).encode())
    assert response.status == 200, response.body


def nothing_reached_intercom(bridge: BridgePage, watch: Watch) -> None:
    assert bridge.users() == []
    assert bridge.workspace()["visitors"] == {}
    assert [u for u in watch.intercom_requests if "/messenger/" in u] == []
    assert intercom_cookies(bridge) == []


# -- a refusal ------------------------------------------------------------------------------------------------------


def test_a_refusal_removes_the_intercom_cookies_and_storage_an_earlier_visit_left(bridge: BridgePage) -> None:
    """consent(false) on this visit, never a grant: the earlier visit's cookies go on the host and the parent domain,
    and so does py-bridge's own storage."""
    earlier_visit_cookies(bridge, domain=".example.test")
    earlier_visit_cookies(bridge, url=f"{FAKE_HOST}/")
    bridge.open_on_host(FAKE_HOST, bridge.tag(src="/py-bridge/embed.js", settings={"consent": {"required": True}}))
    bridge.js(
        "() => { localStorage.setItem('pybridge.anonymous_id', 'earlier-visit-id');"
        " sessionStorage.setItem('pybridge.debug', '1'); }"
    )
    bridge.page.reload()
    bridge.wait_ready()
    assert len(intercom_cookies(bridge)) == 6
    bridge.js("() => pybridge.consent(false)")
    bridge.handled()
    assert intercom_cookies(bridge) == []
    assert bridge.js(STORAGE) == []


# -- a withdrawal right after a grant ---------------------------------------------------------------------------------


def test_a_withdrawal_in_the_same_tick_as_the_grant_sends_nothing_to_intercom(bridge: BridgePage, watch: Watch) -> None:
    bridge.open(settings={"consent": {"required": True}, "load": "eager"})
    bridge.js(
        "() => { pybridge.identify('u1', {email: 'u1@example.com'}); pybridge.consent(true); pybridge.consent(false); }"
    )
    bridge.handled()
    nothing_reached_intercom(bridge, watch)
    assert bridge.intercom_on_the_page() == []


def test_a_withdrawal_while_the_messenger_loads_drops_the_queued_boot(bridge: BridgePage, watch: Watch) -> None:
    """The grant's boot waits in Intercom.q while the Messenger's frame loads; consent(false) then: when the frame
    starts it finds nothing to drain and nothing to boot from, and no cookie is written."""
    configure(bridge, frame_delay_ms=1500)
    bridge.open(settings={"consent": {"required": True}, "load": "eager"})
    bridge.js("() => { pybridge.identify('u1', {email: 'u1@example.com'}); pybridge.consent(true); }")
    bridge.wait_for(
        lambda: bridge.js("() => !!(window.Intercom && window.Intercom.booted === true && window.Intercom.q.length)"),
        what="the loader ran with the boot queued",
    )
    bridge.js("() => pybridge.consent(false)")
    bridge.wait_for(
        lambda: bridge.js("() => !!(window.__intercomSandbox && window.__intercomSandbox.apiInstalled)"),
        what="the Messenger's frame started",
    )
    bridge.handled()
    assert bridge.widget_state()["bootCount"] == 0
    nothing_reached_intercom(bridge, watch)


# -- the worker is down ---------------------------------------------------------------------------------------------


def test_consent_withdrawn_while_the_worker_is_dead_shuts_intercom_down_and_forgets_it_at_once(
    bridge: BridgePage, watch: Watch, page: Page
) -> None:
    watch.allow_error(r"^\[py-bridge\] ")

    bridge.crash_worker_on("crash-now")
    bridge.open()
    bridge.js("() => pybridge.identify('u-dead', {email: 'dead@example.com'})")
    bridge.settle()
    assert len(intercom_cookies(bridge)) == 3
    bridge.js("() => { pybridge.track('crash-now'); pybridge.consent(false); }")
    bridge.wait_for(lambda: bridge.widget_state()["shutdownCount"] == 1, what="the shutdown, with no worker")
    assert bridge.widget_state()["booted"] is False
    assert intercom_cookies(bridge) == []
    assert "app_id" not in (bridge.js("() => window.intercomSettings || {}") or {})
    assert bridge.js(STORAGE) == []


def test_a_worker_that_starts_after_a_refusal_starts_withdrawn_and_loads_nothing(
    bridge: BridgePage, watch: Watch, page: Page
) -> None:
    """The worker's script does not arrive; consent(false) forgets the earlier visit at once; when Python does come,
    it starts in the withdrawn state: the Messenger's script, started while Python started (consent was not
    required), boots nothing, and nothing is sent for the identify queued before the answer."""
    held: list[Route] = []
    page.route("**/py-bridge/worker.mjs", lambda route: held.append(route))
    earlier_visit_cookies(bridge, url=bridge.server.origin + "/")
    bridge.open(settings={"load": "eager"}, wait_ready=False)
    bridge.wait_for(lambda: held, what="the worker's script requested")
    bridge.js("() => { pybridge.identify('u-slow', {email: 'slow@example.com'}); pybridge.consent(false); }")
    assert intercom_cookies(bridge) == []
    assert bridge.js(STORAGE) == []
    held[0].continue_()
    bridge.wait_ready()
    bridge.handled()
    bridge.nothing_booted()
    assert intercom_cookies(bridge) == []
    assert bridge.workspace()["visitors"] == {}
    assert bridge.workspace()["users"] == {}


def test_a_restart_after_a_transformation_forged_a_granted_state_loads_nothing(
    bridge: BridgePage, watch: Watch
) -> None:
    """A transformation posts a state marked granted and hangs while loading: the worker restarted without it
    starts from the page's own answer (refused), not from the forged state."""
    watch.allow_error(r"transform\[0\]")
    made, _ = start_bridge({"app_id": APP_ID, "consent": {"required": True}}, {})
    assert made is not None
    made.start([])
    made.receive({"kind": "consent", "granted": True})
    forged = json.dumps({"type": "commands", "commands": [{"op": "state", "state": made.state()}]})
    code = f"""
        import js
        js.postMessage(js.JSON.parse({json.dumps(forged)}))
        while True:
            pass
    """
    path = "/t/transforms/forged-state.py"
    bridge.server.add_document(path, textwrap.dedent(code).strip() + "\n", PY)
    before = "<script>window.pybridge = [['consent', false]];</script>"
    settings = {"consent": {"required": True}, "load": "eager", "transform": path, "transform_load_ms": 1000}
    bridge.open(before=before, settings=settings, wait_ready=False)
    bridge.wait_for(lambda: watch.messages("error", "transform[0]"), timeout_s=30, what="the restart without the file")
    bridge.wait_ready()
    bridge.handled()
    assert bridge.intercom_on_the_page() == []
    assert watch.intercom_requests == []
