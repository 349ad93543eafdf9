"""The tag against a sandbox that loads like Intercom's real loader (docs/intercom-facts.md, "Loading").

The loader keeps the page's queue stub and marks it `booted`; its frame drains `Intercom.q` and installs the API
only later, asynchronously. These tests stretch that delay to seconds and assert on what the sandbox's Messenger API
received (the workspace), not only on the calls made to `window.Intercom`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from py_bridge.identity import user_hash
from py_bridge.tools.devserver import DevServer
from py_bridge.tools.sandbox import Sandbox
from tests.e2e.bridge_page import APP_ID, PAST_THE_START_POINTS, SNIPPET, WORKER_CLOCK, BridgePage
from tests.e2e.conftest import Watch
from tests.e2e.offline import route_offline

SECRET = "sandbox-secret"
WIDGET_URL = f"https://widget.intercom.io/widget/{APP_ID}"


def configure(bridge: BridgePage, **options: object) -> None:
    response = bridge.sandbox.handle("POST", "/config", "", {}, json.dumps(options).encode())
    assert response.status == 200, response.body


def frame_started(bridge: BridgePage) -> bool:
    return bool(bridge.js("() => !!(window.__intercomSandbox && window.__intercomSandbox.apiInstalled)"))


def no_load_failure(watch: Watch) -> None:
    assert not watch.messages(contains="could not load"), watch.console


def test_a_queued_identify_with_user_hash_boots_that_user_when_the_frame_starts_seconds_later(
    bridge: BridgePage, watch: Watch
) -> None:
    """The loader's frame drains the queue 2 s after the script loaded: the queued identify still boots u1, verified."""
    configure(bridge, verification="user_hash", frame_delay_ms=2000)
    signed = user_hash(SECRET, "u1")
    before = (
        f"<script>{SNIPPET}"
        f"pybridge.identify('u1', {{email: 'u1@example.com', name: 'User One'}},"
        f" {{integrations: {{Intercom: {{user_hash: '{signed}'}}}}}});"
        "pybridge.track('Queued Before Tag');"
        "</script>"
    )
    bridge.open(before=before, settings={"identity_verification": "user_hash"})
    assert frame_started(bridge), "ready fires once the Messenger has started, not at the script's load event"
    bridge.settle()
    workspace = bridge.workspace()
    assert [(u["user_id"], u["email"], u["name"]) for u in bridge.users()] == [("u1", "u1@example.com", "User One")]
    assert workspace["visitors"] == {}, "no anonymous visitor may be created"
    assert workspace["rejections"] == []
    assert [e["name"] for e in workspace["events"]][:1] == ["Queued Before Tag"]
    state = bridge.widget_state()
    assert state["bootCount"] == 1
    assert state["settings"]["user_id"] == "u1"
    no_load_failure(watch)


def test_calls_made_while_the_frame_is_loading_wait_in_the_queue_and_arrive(bridge: BridgePage, watch: Watch) -> None:
    """Between the script's load and the frame's start, identify/track/page wait in Intercom.q; none is lost."""
    configure(bridge, frame_delay_ms=2500)
    bridge.open(wait_ready=False)
    bridge.wait_for(
        lambda: bridge.js("() => !!(window.Intercom && window.Intercom.booted === true)"), what="loader marked booted"
    )
    assert not frame_started(bridge)
    bridge.js(
        "() => { pybridge.identify('u-wait', {email: 'w@example.com'}); pybridge.track('While Loading');"
        " pybridge.page(); }"
    )
    bridge.wait_ready()
    bridge.settle()
    assert [u["user_id"] for u in bridge.users()] == ["u-wait"]
    assert "While Loading" in [e["name"] for e in bridge.workspace()["events"]]
    no_load_failure(watch)


def test_identify_track_page_after_the_asynchronous_start_reach_the_workspace(bridge: BridgePage, watch: Watch) -> None:
    """Once the frame installed the API, later calls go straight to it and reach the Messenger API."""
    bridge.open()
    bridge.js("() => pybridge.identify('u-after', {email: 'after@example.com', plan: 'pro'})")
    bridge.js("() => { pybridge.track('After Start', {n: 1}); pybridge.page(); }")
    bridge.settle()
    user = bridge.users()[0]
    assert (user["user_id"], user["custom_attributes"]["plan"]) == ("u-after", "pro")
    events = [e for e in bridge.workspace()["events"] if e["name"] == "After Start"]
    assert len(events) == 1
    assert events[0]["metadata"] == {"n": 1}
    no_load_failure(watch)


def test_intercom_settings_hold_the_booted_user_and_after_reset_the_visitor(bridge: BridgePage) -> None:
    """window.intercomSettings mirrors the session, so a boot the loader does on its own keeps the right person."""
    signed = user_hash(SECRET, "u-mirror")
    bridge.open()
    bridge.js(
        "(h) => pybridge.identify('u-mirror', {email: 'm@example.com'}, {integrations: {Intercom: {user_hash: h}}})",
        signed,
    )
    bridge.settle()
    mirrored = bridge.js("() => window.intercomSettings")
    assert mirrored["user_id"] == "u-mirror"
    assert mirrored["email"] == "m@example.com"
    assert mirrored["user_hash"] == signed
    assert mirrored["app_id"] == APP_ID
    bridge.js("() => pybridge.reset()")
    bridge.settle()
    assert bridge.js("() => window.intercomSettings") == {"app_id": APP_ID, "custom_launcher_selector": "#help"}


def test_a_turbo_visit_and_load_reboot_the_messenger_as_the_same_verified_user(
    bridge: BridgePage, watch: Watch
) -> None:
    """Turbo: the loader shuts down on turbo:visit and boots from intercomSettings on turbo:load; u1 stays u1."""
    configure(bridge, verification="user_hash")
    signed = user_hash(SECRET, "u-turbo")
    bridge.open(settings={"identity_verification": "user_hash"})
    bridge.js(
        "(h) => pybridge.identify('u-turbo', {email: 't@example.com'}, {integrations: {Intercom: {user_hash: h}}})",
        signed,
    )
    bridge.settle()
    boots = bridge.widget_state()["bootCount"]
    bridge.js(
        "() => { document.dispatchEvent(new Event('turbo:visit')); history.pushState(null, '', '/t/next-page');"
        " document.dispatchEvent(new Event('turbo:load')); }"
    )
    bridge.wait_for(lambda: bridge.widget_state()["bootCount"] == boots + 1, what="re-boot after turbo:load")
    bridge.js("() => window.__intercomSandbox.idle()")
    state = bridge.widget_state()
    assert state["booted"]
    assert state["settings"]["user_id"] == "u-turbo"
    assert state["shutdownCount"] >= 1
    workspace = bridge.workspace()
    assert workspace["visitors"] == {}
    assert workspace["rejections"] == []
    bridge.js("() => pybridge.track('After Turbo')")
    bridge.settle()
    after = [e for e in bridge.workspace()["events"] if e["name"] == "After Turbo"]
    assert len(after) == 1
    assert after[0]["contact_type"] == "user"
    assert "u-turbo" in str(after[0]["contact_key"])
    no_load_failure(watch)


def test_turbolinks_cache_and_load_after_reset_boot_a_visitor_not_the_old_user(bridge: BridgePage) -> None:
    """After logout the mirror holds the visitor's settings, so a Turbolinks re-boot does not bring the user back."""
    bridge.open()
    bridge.js("() => pybridge.identify('u-gone', {email: 'gone@example.com'})")
    bridge.settle()
    bridge.js("() => pybridge.reset()")
    bridge.settle()
    boots = bridge.widget_state()["bootCount"]
    bridge.js(
        "() => { document.dispatchEvent(new Event('turbolinks:visit'));"
        " document.dispatchEvent(new Event('turbolinks:before-cache'));"
        " document.dispatchEvent(new Event('turbolinks:load')); }"
    )
    bridge.wait_for(lambda: bridge.widget_state()["bootCount"] == boots + 1, what="re-boot after turbolinks:load")
    state = bridge.widget_state()
    assert "user_id" not in state["settings"]
    assert "email" not in state["settings"]


def test_a_widget_that_loads_but_never_starts_is_reported_and_its_queue_kept(bridge: BridgePage, watch: Watch) -> None:
    """The loader ran (stub marked booted) but its frame never starts: one warning after the widget timeout, and the
    queued calls stay in Intercom.q for a frame that may still come."""
    configure(bridge, frame_delay_ms=-1)
    before = f"<script>{SNIPPET}pybridge.identify('u-stuck', {{email: 's@example.com'}});</script>"
    bridge.open(before=before, settings={"widget_timeout_ms": 1500})
    bridge.wait_for(lambda: watch.messages("warning", "did not start within 1.5 s"), what="start failure warning")
    queued = bridge.js("() => window.Intercom.q.map(entry => entry[0])")
    assert "boot" in queued, queued
    bridge.js("() => pybridge.track('after failure')")  # accepted, never thrown


def test_the_tag_on_a_page_whose_native_loader_already_ran_drives_that_messenger(
    bridge: BridgePage, watch: Watch
) -> None:
    """Intercom's loader already ran (booted set, API installed): no second widget load, the user reaches it."""
    native = (
        f"<script>window.intercomSettings = {{app_id: '{APP_ID}'}};"
        "(function(){var i=function(){i.c(arguments)};i.q=[];i.c=function(a){i.q.push(a)};window.Intercom=i;})();"
        f"</script><script src='{WIDGET_URL}'></script>"
    )
    bridge.open(before=native, wait_ready=False)
    bridge.wait_for(lambda: frame_started(bridge), what="native frame start")
    bridge.wait_ready()
    bridge.js("() => pybridge.identify('u-native', {email: 'n@example.com'})")
    bridge.settle()
    assert watch.intercom_requests.count(WIDGET_URL) == 1
    assert [u["user_id"] for u in bridge.users()] == ["u-native"]
    assert bridge.js("() => document.querySelectorAll('#intercom-frame').length") == 1
    # The page's own session (booted from its intercomSettings) was continued with an update, not booted again.
    assert bridge.widget_state()["bootCount"] == 1
    assert bridge.calls("update")


def test_the_sandbox_loader_refuses_to_run_twice(bridge: BridgePage, watch: Watch) -> None:
    """A second copy of Intercom's script sees `Intercom.booted` and does nothing: one frame, one boot."""
    bridge.open()
    bridge.settle()
    bridge.js(
        "(src) => new Promise(r => { const s = document.createElement('script'); s.src = src; s.onload = r;"
        " document.head.appendChild(s); })",
        WIDGET_URL,
    )
    bridge.settle()
    assert bridge.js("() => document.querySelectorAll('#intercom-frame').length") == 1
    assert bridge.widget_state()["bootCount"] == 1
    assert watch.messages("warning", "included more than once")


@pytest.fixture
def bot_page(browser: Browser, sandbox: Sandbox, watch: Watch) -> Iterator[Page]:
    context = browser.new_context(user_agent="Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")
    requests: list[str] = []
    route_offline(context, sandbox, on_external=watch.external.append)
    page = context.new_page()
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: watch.console.append((message.type, message.text)))
    page.on("pageerror", lambda error: watch.page_errors.append(str(error)))
    page.requests = requests  # type: ignore[attr-defined]
    yield page
    context.close()
    assert not watch.problems(), watch.problems()


def test_crawlers_get_neither_the_runtime_nor_the_messenger(
    bot_page: Page, server: DevServer, bridge: BridgePage, watch: Watch
) -> None:
    """Intercom's loader ignores bots; the tag does too and spares them the Python download."""
    document = (
        f"<!doctype html><html><head><title>Bot</title>{bridge.tag()}</head><body>"
        f"<script src='{WIDGET_URL}'></script></body></html>"
    )
    server.add_document("/t/bot-page.html", document)
    bot_page.add_init_script(WORKER_CLOCK)
    bot_page.goto(f"{server.origin}/t/bot-page.html")
    bot_page.wait_for_function("() => !!(window.pybridge && window.pybridge.__pybridge)")
    bot_page.evaluate("() => pybridge.track('from a bot')")
    # Positive markers first: the tag said it stays idle, and the points where a load policy would start have passed.
    bridge.wait_for(lambda: [t for k, t in watch.console if "crawler" in t], what="the crawler line")
    bot_page.evaluate(PAST_THE_START_POINTS)
    assert bot_page.evaluate("() => window.__workerAt") is None
    requested: list[str] = bot_page.requests  # type: ignore[attr-defined]
    assert not [u for u in requested if u.endswith((".wasm", ".zip", "worker.mjs"))], requested
    assert bot_page.evaluate("() => document.getElementById('intercom-frame') === null")
    assert bot_page.evaluate("() => !(window.Intercom && window.Intercom.booted)")
