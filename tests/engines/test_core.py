"""The core scenarios in Firefox and WebKit: what the Messenger (the local sandbox) received from each call.

Each runs once per engine (`[firefox]`, `[webkit]`); Chromium runs them and the rest in tests/e2e. Assertions are on
the sandbox's workspace (what Intercom would have stored), the sandbox widget's record of the calls it was given,
and the test server's log, never on py-bridge's internals.
"""

from __future__ import annotations

import hashlib
import json
import socket
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from py_bridge.identity import user_hash
from tests.e2e.bridge_page import APP_ID, SNIPPET
from tests.e2e.conftest import Watch
from tests.e2e.test_runtime_store import KEPT, runtime_files
from tests.engines.engine_page import EnginePage

SECRET = "sandbox-secret"


def test_calls_made_before_the_tag_loaded_are_delivered_in_order_and_the_queued_identify_boots_the_user(
    bridge: EnginePage,
) -> None:
    """The README's pre-load snippet queues calls; the tag replays them in order, booting the identified user once."""
    before = (
        f"<script>{SNIPPET}"
        "pybridge.identify('u-queued', {email: 'q@example.com', name: 'Queued User'});"
        "pybridge.track('Queued Event', {step: 1});"
        "pybridge.page('Docs', 'Queue');"
        "pybridge.push(['track', 'Pushed Event', {step: 2}]);"
        "</script>"
    )
    bridge.open(before=before)
    bridge.settle()
    calls = [c for c in bridge.calls() if c[0] in ("boot", "trackEvent", "update")]
    order = [c[0] if c[0] != "trackEvent" else c[1][0] for c in calls[:4]]
    assert order == ["boot", "Queued Event", "update", "Pushed Event"]
    assert calls[0][1][0]["user_id"] == "u-queued"
    assert bridge.state()["bootCount"] == 1
    users = bridge.users()
    assert [(u["user_id"], u["email"]) for u in users] == [("u-queued", "q@example.com")]
    assert bridge.workspace()["visitors"] == {}
    assert bridge.event_names()[:2] == ["Queued Event", "Pushed Event"]


def test_identify_with_a_user_hash_boots_the_verified_user(bridge: EnginePage) -> None:
    """With identity verification enforced, an identify carrying the server-computed user_hash boots that user."""
    bridge.sandbox.handle(
        "POST", "/config", "", {}, json.dumps({"secret": SECRET, "verification": "user_hash"}).encode()
    )
    bridge.open(settings={"identity_verification": "user_hash"})
    bridge.js(
        "(h) => pybridge.identify('u-signed', {email: 's@example.com'}, {integrations: {Intercom: {user_hash: h}}})",
        user_hash(SECRET, "u-signed"),
    )
    bridge.settle()
    user = bridge.wait_for(lambda: next((u for u in bridge.users() if u["user_id"] == "u-signed"), None), what="user")
    assert user is not None
    assert user["verified"] is True
    assert user["email"] == "s@example.com"
    assert bridge.state()["settings"]["user_id"] == "u-signed"
    assert bridge.workspace()["rejections"] == []


def test_page_calls_become_intercom_updates_counted_as_page_views(bridge: EnginePage) -> None:
    """page() -> Intercom('update') with no data: one page impression each."""
    bridge.open()
    bridge.settle()
    views = bridge.workspace()["page_views"]
    bridge.js("() => { pybridge.page('Pricing'); pybridge.page('Docs', 'Intro', {path: '/docs'}); }")
    bridge.settle()
    assert bridge.calls("update") == [["update", []], ["update", []]]
    assert bridge.workspace()["page_views"] == views + 2


def visited(bridge: EnginePage, ending: str) -> bool:
    """Whether the workspace holds a visitor whose last page view is a URL ending so."""
    return any(str(v.get("last_page_url", "")).endswith(ending) for v in bridge.workspace()["visitors"].values())


def test_track_pages_turns_spa_navigations_into_page_views_of_the_new_url(bridge: EnginePage) -> None:
    """track_pages: pushState, replaceState and back() each reach the sandbox as a page view of the new URL."""
    bridge.open(settings={"track_pages": True})
    bridge.wait_for(bridge.booted, what="the Messenger booted")
    bridge.js("() => window.__intercomSandbox.idle()")
    first = bridge.js("() => location.href")
    updates = len(bridge.calls("update"))
    bridge.js("() => history.pushState(null, '', '/spa/pushed?tab=2')")
    bridge.wait_for(lambda: len(bridge.calls("update")) > updates, what="an update after pushState")
    bridge.wait_for(lambda: visited(bridge, "/spa/pushed?tab=2"), what="a page view of the pushed URL")
    bridge.js("() => history.replaceState(null, '', '/spa/replaced')")
    bridge.wait_for(lambda: visited(bridge, "/spa/replaced"), what="a page view after replaceState")
    bridge.js("() => history.back()")
    bridge.wait_for(lambda: visited(bridge, first), what="a page view after back()")


def test_track_sends_the_event_with_its_metadata_and_price(bridge: EnginePage) -> None:
    """track -> trackEvent; revenue becomes price in cents; falsy properties are kept."""
    bridge.open()
    bridge.js("() => pybridge.track('Order Completed', {revenue: 19.99, currency: 'eur', items: 0, gift: false})")
    bridge.settle()
    metadata = {"price": {"amount": 1999, "currency": "EUR"}, "items": 0, "gift": False}
    assert ["trackEvent", ["Order Completed", metadata]] in bridge.calls("trackEvent")
    events = [e for e in bridge.workspace()["events"] if e["name"] == "Order Completed"]
    assert [e["metadata"] for e in events] == [metadata]


def test_group_attaches_the_company_to_the_user(bridge: EnginePage) -> None:
    """group -> update({company}) with company_id = groupId; the user is attached in the workspace."""
    bridge.open()
    bridge.js("() => pybridge.identify('u-7', {email: 'g@example.com'})")
    bridge.js("() => pybridge.group('acme', {name: 'Acme', plan: 'enterprise', employees: 250})")
    bridge.settle()
    company = bridge.wait_for(lambda: bridge.workspace()["companies"].get("acme"), what="company")
    assert (company["name"], company["plan"], company["size"]) == ("Acme", "enterprise", 250)
    user = next(u for u in bridge.users() if u["user_id"] == "u-7")
    assert "acme" in user["companies"]


def test_reset_shuts_the_user_down_and_boots_a_fresh_visitor(bridge: EnginePage) -> None:
    """reset -> shutdown, then a visitor boot: the Messenger keeps working after logout, for a visitor."""
    bridge.open()
    bridge.js("() => pybridge.identify('u-out', {email: 'out@example.com'})")
    bridge.settle()
    bridge.js("() => pybridge.reset()")
    bridge.settle()
    state = bridge.widget_state()
    assert state is not None
    assert [c[0] for c in state["calls"] if c[0] in ("boot", "shutdown")] == ["boot", "shutdown", "boot"]
    assert state["booted"] is True
    assert state["settings"].get("user_id") is None
    assert bridge.workspace()["events"][-1]["contact_type"] == "visitor"


def test_clicking_the_custom_launcher_opens_the_messenger(bridge: EnginePage) -> None:
    """The element data-widget-id names is the launcher: the boot carries it, and a real click opens the Messenger."""
    bridge.open()
    bridge.wait_for(bridge.booted, what="boot")
    assert bridge.calls("boot")[0][1][0]["custom_launcher_selector"] == "#help"
    assert bridge.js("() => window.__intercomSandbox.panelOpen") is False
    bridge.engine.click("#help")
    bridge.wait_for(lambda: bridge.js("() => window.__intercomSandbox.panelOpen"), what="the Messenger open")
    assert bridge.js("() => !!document.getElementById('intercom-sandbox-messenger')")


def intercom_cookies(bridge: EnginePage) -> list[str]:
    """The Messenger's cookies, as the driver sees the browser's jar and as the page sees document.cookie."""
    jar = [name for name in bridge.engine.cookie_names() if name.startswith("intercom-")]
    page = [c.split("=")[0].strip() for c in str(bridge.js("() => document.cookie")).split(";")]
    return jar + [name for name in page if name.startswith("intercom-")]


def test_nothing_reaches_intercom_before_consent_and_a_withdrawal_leaves_no_intercom_cookie(
    bridge: EnginePage, watch: Watch
) -> None:
    """Consent required: a call is held and nothing is asked of the Messenger until consent(true); consent(false)
    then shuts it down, expires its cookies and takes the app_id out of intercomSettings."""
    bridge.open(settings={"consent": {"required": True}, "load": "eager", "debug": True})
    bridge.js("() => pybridge.identify('u-consent', {email: 'c@example.com'})")
    bridge.handled()
    assert bridge.messages(contains="held until"), "Python held the identify for consent"
    assert bridge.intercom_on_the_page() == []
    assert bridge.sandbox_requests() == []
    assert intercom_cookies(bridge) == []

    bridge.js("() => pybridge.consent(true)")
    bridge.settle()
    assert [u["user_id"] for u in bridge.users()] == ["u-consent"]
    assert f"GET /sandbox/widget/{APP_ID}" in bridge.sandbox_requests()
    assert len(intercom_cookies(bridge)) >= 3  # visitor, device and session cookies, in the jar and the page

    bridge.js("() => pybridge.consent(false)")
    bridge.wait_for(lambda: bridge.messages("info", "consent withdrawn"), what="the withdrawal")
    bridge.wait_for(lambda: bridge.state()["shutdownCount"] == 1, what="the shutdown")
    bridge.js("() => pybridge.identify('u-after', {email: 'after@example.com'})")
    bridge.handled()
    assert intercom_cookies(bridge) == []
    assert "app_id" not in (bridge.js("() => window.intercomSettings || {}") or {})
    assert bridge.state()["booted"] is False
    assert "u-after" not in json.dumps(bridge.workspace())


RENAME = """
    def transform(event):
        if event["type"] == "track":
            event["event"] = event["event"].lower().replace(" ", "_")
            event["properties"]["engine_checked"] = True
        return event
"""


def test_a_transformation_file_changes_the_event_before_intercom_gets_it(bridge: EnginePage) -> None:
    """The site's Python file runs in the worker before the mapping: the renamed, enriched event reaches Intercom."""
    bridge.server.add_document("/t/transforms/rename.py", textwrap.dedent(RENAME).strip() + "\n", PY)
    bridge.open(settings={"transform": ["/t/transforms/rename.py"]})
    bridge.js("() => pybridge.track('Signed Up', {plan: 'pro'})")
    bridge.settle()
    events = [e for e in bridge.workspace()["events"] if e["name"] == "signed_up"]
    assert [e["metadata"] for e in events] == [{"plan": "pro", "engine_checked": True}]
    assert "Signed Up" not in bridge.event_names()


PY = {"Content-Type": "text/x-python; charset=utf-8"}


def test_invalid_settings_give_one_py_bridge_error_and_send_nothing_to_intercom(
    bridge: EnginePage, watch: Watch
) -> None:
    """Settings Python refuses stop the bridge with one error naming the field; nothing reaches the Messenger, and
    calls never throw."""
    watch.allow_error(r"^\[py-bridge\] ")
    bridge.open(settings={"region": "mars", "load": "eager"}, wait_ready=False)
    bridge.wait_for(lambda: bridge.messages("error", "not started"), what="the settings error")
    assert bridge.js("() => { pybridge.track('after the error'); return 'ok'; }") == "ok"
    bridge.console_seen()
    errors = bridge.messages("error", "[py-bridge]")
    assert len(errors) == 1, errors
    assert "intercom.region" in errors[0]
    assert "mars" in errors[0]
    assert bridge.intercom_on_the_page() == []
    assert bridge.sandbox_requests() == []
    assert bridge.workspace()["events"] == []
    assert bridge.js("() => document.querySelector('h1').textContent") == "Host page"


@pytest.fixture
def dead_port() -> Iterator[int]:
    """A loopback port nobody listens on (bound, never listening: connections are refused) while the test runs."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


def test_an_unreachable_widget_is_one_warning_and_the_page_keeps_working(
    bridge: EnginePage, watch: Watch, dead_port: int
) -> None:
    """The Messenger's script cannot be fetched (as behind an ad blocker): one warning, ready still fires, calls are
    accepted and never throw."""
    # the browser's own report of the failed script, where it prints one
    watch.allow_error(r"Loading failed for the <script>|Failed to load resource|Could not connect|NetworkError")
    bridge.open(settings={"sandbox_url": f"http://127.0.0.1:{dead_port}/sandbox"})
    bridge.wait_for(lambda: bridge.messages("warning", "could not load"), what="the warning")
    result = bridge.js("() => { for (let i = 0; i < 200; i++) pybridge.track('Offline ' + i); return 'ok'; }")
    assert result == "ok"
    bridge.js("() => pybridge.identify('u-blocked', {email: 'b@example.com'})")
    bridge.handled()
    warnings = bridge.messages("warning", "could not load")
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith("[py-bridge] the Intercom Messenger could not load")
    assert bridge.js("() => document.querySelector('h1').textContent") == "Host page"
    assert bridge.workspace()["events"] == []


def pyscript_page(bridge: EnginePage, code: str) -> None:
    """A host page whose `<script type="py">` (PyScript, self-hosted in the bundle) runs `code`, then marks the body."""
    manifest = json.loads((bridge.server.bundle_dir / "manifest.json").read_text(encoding="utf-8"))
    config = {
        "interpreter": f"/py-bridge/{manifest['runtime']}pyodide.mjs",
        "files": {f"/py-bridge/{manifest['core_zip']}": "./*"},
    }
    body = textwrap.dedent(code).strip() + '\nfrom js import document\ndocument.body.dataset.pyDone = "1"\n'
    head = (
        '<link rel="stylesheet" href="/py-bridge/pyscript/core.css">'
        '<script type="module" src="/py-bridge/pyscript/core.js"></script>'
    )
    tag = f"<script type=\"py\" config='{json.dumps(config)}'>\n{body}</script>"
    bridge.open(before=head, tag=tag, wait_ready=False)
    bridge.wait_for(lambda: bridge.js("() => document.body.dataset.pyDone === '1'"), 90, "the PyScript code ran")


def test_the_pyscript_entry_installs_and_a_python_track_reaches_intercom(bridge: EnginePage) -> None:
    """py_bridge.pyscript.install() in a PyScript page boots the Messenger; a track from Python reaches the sandbox."""
    pyscript_page(
        bridge,
        f"""
        from py_bridge.pyscript import install
        bridge = install("{APP_ID}", "#help", sandbox_url="{bridge.sandbox_url}")
        bridge.track("PyScript Used", {{"n": 1}})
        """,
    )
    bridge.wait_for(lambda: "PyScript Used" in bridge.event_names(), timeout_s=30, what="the PyScript Used event")
    event: dict[str, Any] = next(e for e in bridge.workspace()["events"] if e["name"] == "PyScript Used")
    assert event["metadata"] == {"n": 1}
    state = bridge.widget_state()
    assert state is not None
    assert (state["booted"], state["bootCount"]) == (True, 1)
    assert bridge.calls("boot")[0][1][0]["custom_launcher_selector"] == "#help"


def test_a_revisit_takes_the_runtime_from_the_workers_store(bridge: EnginePage, bundle_dir: Path) -> None:
    """The worker keeps the wasm and the snapshot in IndexedDB, byte for byte the build's, and this engine's next page
    view asks the server for neither and boots the Messenger (WebKit's MiniBrowser runs a private session without an
    HTTP disk cache, so there only the store can answer; Firefox's cache could answer too)."""
    files = runtime_files(bundle_dir)
    expected = {name: hashlib.sha256((bundle_dir / name).read_bytes()).hexdigest() for name in files}
    bridge.open()
    bridge.wait_for(lambda: bridge.js(KEPT) == expected, timeout_s=30, what="the build's runtime kept")

    bridge.server.requests.clear()
    bridge.open()
    bridge.js("() => pybridge.identify('u-stored', {email: 'stored@example.com'})")
    bridge.settle()
    assert [u["user_id"] for u in bridge.users()] == ["u-stored"]
    asked = [r for r in bridge.server.requests if any(r.endswith("/py-bridge/" + name) for name in files)]
    assert asked == [], asked
