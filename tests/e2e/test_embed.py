"""The tag on a host page: loading, booting, the pre-load queue, each call observed in the sandbox workspace."""

from __future__ import annotations

import json

from playwright.sync_api import Page

from py_bridge.tools.devserver import DevServer
from tests.e2e.bridge_page import APP_ID, SNIPPET, BridgePage
from tests.e2e.conftest import Watch


def booted(bridge: BridgePage) -> bool:
    return bool((bridge.widget_state() or {}).get("booted"))


def test_tag_alone_boots_a_visitor_with_launcher_and_settings(bridge: BridgePage, watch: Watch) -> None:
    """With no call at all, the visitor is booted so the Messenger shows, with app_id and the launcher selector."""
    bridge.open()
    bridge.wait_for(lambda: booted(bridge), what="visitor boot")
    bridge.js("() => window.__intercomSandbox.idle()")
    state = bridge.widget_state()
    assert state["calls"][0] == ["boot", [{"app_id": APP_ID, "custom_launcher_selector": "#help"}]]
    assert state["launcherVisible"] is True
    assert bridge.js("() => window.intercomSettings") == {"app_id": APP_ID, "custom_launcher_selector": "#help"}
    assert len(bridge.workspace()["visitors"]) == 1
    assert watch.intercom_requests.count(f"https://widget.intercom.io/widget/{APP_ID}") == 1


def test_python_runs_in_a_worker_not_on_the_main_thread(bridge: BridgePage) -> None:
    """Pyodide starts in a dedicated worker: no Pyodide global on the page, no long task >= 200 ms of ours."""
    bridge.page.add_init_script(
        "window.__longTasks = []; new PerformanceObserver(l => l.getEntries().forEach(e =>"
        " window.__longTasks.push(e.duration))).observe({type: 'longtask', buffered: true});"
    )
    bridge.open()
    assert bridge.js("() => typeof window.loadPyodide === 'undefined' && typeof window.pyodide === 'undefined'")
    assert bridge.page.workers, "expected the py-bridge worker"
    long_tasks = bridge.js("() => window.__longTasks")
    assert all(duration < 200 for duration in long_tasks), long_tasks


def test_preload_queue_is_replayed_in_order_and_a_queued_identify_boots_the_user(bridge: BridgePage) -> None:
    """Calls queued with the snippet before the tag loads are replayed in order; the identify boots the user once."""
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
    assert calls[0][0] == "boot"
    assert calls[0][1][0]["user_id"] == "u-queued"
    assert [c[1][0] for c in calls[1:3] if c[0] == "trackEvent"] == ["Queued Event"]
    order = [c[0] if c[0] != "trackEvent" else c[1][0] for c in calls[:4]]
    assert order == ["boot", "Queued Event", "update", "Pushed Event"]
    assert bridge.widget_state()["bootCount"] == 1
    users = bridge.users()
    assert [u["user_id"] for u in users] == ["u-queued"]
    assert users[0]["email"] == "q@example.com"


def test_queued_calls_keep_the_context_captured_when_they_were_made(bridge: BridgePage) -> None:
    """A call queued before load carries the URL of the moment it was made, not of the replay."""
    before = f"<script>{SNIPPET}pybridge.page('Before'); history.replaceState(null, '', '?moved=1');</script>"
    bridge.open(before=before, settings={"debug": True})
    bridge.settle()
    # The ping of the boot carries page_url; the first (queued) page call boots with the pre-move URL context.
    assert bridge.js("() => location.search") == "?moved=1"
    assert bridge.workspace()["page_views"] >= 1


def test_page_calls_update_and_are_counted_as_page_views(bridge: BridgePage) -> None:
    """page() -> Intercom('update') with no data: one page impression each."""
    bridge.open()
    bridge.settle()
    views = bridge.workspace()["page_views"]
    bridge.js("() => { pybridge.page('Pricing'); pybridge.page('Docs', 'Intro', {path: '/docs'}); }")
    bridge.settle()
    assert [c for c in bridge.calls("update")] == [["update", []], ["update", []]]
    assert bridge.workspace()["page_views"] == views + 2


def test_identify_sends_user_data_to_the_workspace(bridge: BridgePage) -> None:
    """identify maps email, name, created_at seconds and custom traits; the user shows up in the workspace."""
    bridge.open()
    bridge.js(
        "() => pybridge.identify('u-42', {email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace',"
        " createdAt: new Date('2024-01-02T03:04:05Z'), plan: 'pro', seats: 0, beta: false})"
    )
    bridge.settle()
    user = bridge.wait_for(lambda: next((u for u in bridge.users() if u["user_id"] == "u-42"), None), what="user")
    assert user["email"] == "ada@example.com"
    assert user["name"] == "Ada Lovelace"
    assert user["created_at"] == 1704164645
    assert user["custom_attributes"] == {"plan": "pro", "seats": 0, "beta": False}
    assert bridge.workspace()["rejections"] == []


def test_track_sends_the_event_with_metadata_and_price(bridge: BridgePage) -> None:
    """track -> trackEvent; revenue becomes price in cents; falsy properties are kept."""
    bridge.open()
    bridge.js("() => pybridge.track('Order Completed', {revenue: 19.99, currency: 'eur', items: 0, gift: false})")
    bridge.settle()
    events = [e for e in bridge.workspace()["events"] if e["name"] == "Order Completed"]
    assert len(events) == 1
    assert events[0]["metadata"] == {"price": {"amount": 1999, "currency": "EUR"}, "items": 0, "gift": False}


def test_group_attaches_the_company_to_the_user(bridge: BridgePage) -> None:
    """group -> update({company}) with company_id = groupId; the user is attached in the workspace."""
    bridge.open()
    bridge.js("() => pybridge.identify('u-7', {email: 'g@example.com'})")
    bridge.js("() => pybridge.group('acme', {name: 'Acme', plan: 'enterprise', employees: 250, monthlySpend: 99.5})")
    bridge.settle()
    company = bridge.wait_for(lambda: bridge.workspace()["companies"].get("acme"), what="company")
    assert company["name"] == "Acme"
    assert company["plan"] == "enterprise"
    assert company["size"] == 250
    assert company["monthly_spend"] == 99.5
    user = next(u for u in bridge.users() if u["user_id"] == "u-7")
    assert "acme" in user["companies"]


def test_reset_shuts_down_and_boots_a_fresh_visitor(bridge: BridgePage) -> None:
    """reset -> shutdown, then a new visitor boot: the Messenger keeps working after logout."""
    bridge.open()
    bridge.js("() => pybridge.identify('u-out', {email: 'out@example.com'})")
    bridge.settle()
    anonymous_before = bridge.js("() => localStorage.getItem('pybridge.anonymous_id')")
    bridge.js("() => pybridge.reset()")
    bridge.settle()
    state = bridge.widget_state()
    methods = [c[0] for c in state["calls"] if c[0] in ("boot", "shutdown")]
    assert methods == ["boot", "shutdown", "boot"]
    assert state["booted"] is True
    assert state["settings"].get("user_id") is None
    assert state["launcherVisible"] is True
    assert bridge.js("() => localStorage.getItem('pybridge.anonymous_id')") != anonymous_before
    # the event after reset belongs to a visitor, not to the user who logged out
    last = bridge.workspace()["events"][-1]
    assert last["contact_type"] == "visitor"


def test_custom_launcher_selector_opens_the_messenger(bridge: BridgePage, page: Page) -> None:
    """Clicking the element matching data-widget-id opens the Messenger."""
    bridge.open()
    bridge.wait_for(lambda: booted(bridge), what="boot")
    page.click("#help")
    bridge.wait_for(lambda: bridge.widget_state()["panelOpen"], what="panel open")
    assert page.is_visible("#intercom-sandbox-messenger")


def test_default_widget_selector_applies_without_data_widget_id(bridge: BridgePage) -> None:
    """Without data-widget-id the launcher selector is #IntercomDefaultWidget."""
    bridge.open(widget_id=None)
    bridge.wait_for(lambda: booted(bridge), what="boot")
    assert bridge.calls("boot")[0][1][0]["custom_launcher_selector"] == "#IntercomDefaultWidget"


def test_data_settings_are_applied(bridge: BridgePage) -> None:
    """data-settings carries the other settings (snake_case), e.g. launcher alignment and padding."""
    bridge.open(settings={"alignment": "left", "horizontal_padding": 40, "hide_default_launcher": True})
    bridge.wait_for(lambda: booted(bridge), what="boot")
    boot = bridge.calls("boot")[0][1][0]
    assert boot["alignment"] == "left"
    assert boot["horizontal_padding"] == 40
    assert boot["hide_default_launcher"] is True
    assert bridge.widget_state()["launcherVisible"] is False


def test_ready_callbacks_fire_once_also_when_registered_late(bridge: BridgePage) -> None:
    """ready(fn) fires after start; a callback registered after that still runs (asynchronously)."""
    before = f"<script>{SNIPPET}window.readyCount = 0; pybridge.ready(() => window.readyCount++);</script>"
    bridge.open(before=before)
    late = bridge.js("() => new Promise(r => pybridge.ready(() => r('late')))")
    assert late == "late"
    assert bridge.js("() => window.readyCount") == 1


def test_messenger_controls_and_callbacks(bridge: BridgePage) -> None:
    """pybridge.intercom.showNewMessage opens the composer; on('show') callbacks fire; hide closes it."""
    bridge.open()
    bridge.js("() => { window.shown = 0; pybridge.intercom.on('show', () => window.shown++); }")
    bridge.wait_for(lambda: booted(bridge), what="boot")
    bridge.js("() => pybridge.intercom.showNewMessage('Hello from the page')")
    bridge.wait_for(lambda: bridge.widget_state()["panelOpen"], what="panel")
    bridge.wait_for(lambda: bridge.js("() => window.shown") == 1, what="onShow callback")
    assert ["showNewMessage", ["Hello from the page"]] in bridge.calls()
    bridge.js("() => pybridge.intercom.hide()")
    bridge.wait_for(lambda: not bridge.widget_state()["panelOpen"], what="panel closed")


def test_bundle_on_another_origin_starts_through_a_blob_worker(
    bridge: BridgePage, cdn_server: DevServer, server: DevServer
) -> None:
    """The tag served from a CDN origin (another port) still starts Python and boots the Messenger."""
    assert cdn_server.origin != server.origin
    bridge.open(src=f"{cdn_server.origin}/py-bridge/embed.js")
    bridge.js("() => pybridge.identify('u-cdn', {email: 'cdn@example.com'})")
    bridge.settle()
    assert [u["user_id"] for u in bridge.users()] == ["u-cdn"]


def test_the_tag_included_twice_keeps_one_bridge_and_warns(bridge: BridgePage, watch: Watch) -> None:
    """A second copy of the tag warns and does nothing: one worker, one widget load."""
    tag = bridge.tag()
    bridge.open(tag=tag + tag)
    bridge.settle()
    assert len(watch.messages("warning", "included more than once")) == 1
    assert watch.intercom_requests.count(f"https://widget.intercom.io/widget/{APP_ID}") == 1
    assert bridge.widget_state()["bootCount"] == 1


def test_a_native_intercom_install_is_reused_not_loaded_twice(bridge: BridgePage, watch: Watch) -> None:
    """A page that already loaded Intercom itself keeps its widget; py-bridge warns and drives it."""
    native = (
        f"<script>window.intercomSettings = {{app_id: '{APP_ID}'}};"
        "(function(){var i=function(){i.c(arguments)};i.q=[];i.c=function(a){i.q.push(a)};window.Intercom=i;})();"
        f"</script><script src='https://widget.intercom.io/widget/{APP_ID}'></script>"
    )
    bridge.open(before=native)
    bridge.js("() => pybridge.track('Native Reused')")
    bridge.settle()
    assert watch.intercom_requests.count(f"https://widget.intercom.io/widget/{APP_ID}") == 1
    assert watch.messages("warning", "native Intercom install")
    assert any(e["name"] == "Native Reused" for e in bridge.workspace()["events"])


def test_invalid_app_id_loads_nothing_and_reports_one_error(bridge: BridgePage, watch: Watch) -> None:
    """An App ID that is not lowercase letters/digits: clear error, no widget request, page unaffected."""
    watch.allow_error(r"^\[py-bridge\] ")
    bridge.open(app_id="Bad App!", wait_ready=False)
    bridge.wait_for(lambda: watch.messages("error", "app_id"), what="config error")
    bridge.js("() => pybridge.track('after error')")  # must not throw
    assert watch.intercom_requests == []
    error = watch.messages("error", "app_id")[0]
    assert "must be lowercase letters and digits" in error
    assert "with uppercase letters and spaces" in error
    assert "Bad App!" not in error  # a token pasted into data-app-id would not be echoed either
    assert bridge.js("() => document.querySelector('h1').textContent") == "Host page"


def test_settings_with_a_secret_refuse_to_start_without_echoing_it(bridge: BridgePage, watch: Watch) -> None:
    """A secret in data-settings stops the bridge; the error says why and never contains the value."""
    watch.allow_error(r"^\[py-bridge\] ")
    bridge.open(settings={"api_secret": "sk_live_very_secret_value"}, wait_ready=False)
    bridge.wait_for(lambda: watch.messages("error", "secret"), what="secret error")
    assert watch.intercom_requests == []
    text = json.dumps(watch.console)
    assert "sk_live_very_secret_value" not in text
    assert "belong on your server" in text


# The log lines, and the start-up figures the "Python started" line carries as data (`started`: {ms, mode}).
LOG_CAPTURE = (
    "window.__logs = []; window.__started = []; addEventListener('pybridge:log', e => {"
    " window.__logs.push(String(e.detail.message || ''));"
    " if (e.detail.started) window.__started.push(e.detail.started); });"
)


def test_python_starts_from_the_builds_memory_snapshot_and_works(bridge: BridgePage) -> None:
    """Default fast_start: Python starts from the compact snapshot (first visit too) and handles calls as usual."""
    bridge.page.add_init_script(LOG_CAPTURE)
    bridge.open()
    logs = bridge.js("() => window.__logs")
    assert any(m.startswith("Python started in") and m.endswith(" ms (from snapshot)") for m in logs), logs
    (started,) = bridge.js("() => window.__started")
    assert started["mode"] == "snapshot"
    assert isinstance(started["ms"], int)
    assert started["ms"] > 0
    bridge.js("() => pybridge.identify('u-snap', {email: 'snap@example.com', plan: 'pro'})")
    bridge.settle()
    user = next(u for u in bridge.users() if u["user_id"] == "u-snap")
    assert user["custom_attributes"] == {"plan": "pro"}


def test_fast_start_false_never_fetches_the_snapshot(bridge: BridgePage, watch: Watch) -> None:
    """fast_start: false (or the browser's Save-Data) starts Python normally and never downloads the snapshot."""
    requests: list[str] = []
    bridge.page.on("request", lambda r: requests.append(r.url))
    bridge.page.add_init_script(LOG_CAPTURE)
    bridge.open(settings={"fast_start": False})
    assert not [u for u in requests if "snapshot-" in u]
    assert [started["mode"] for started in bridge.js("() => window.__started")] == ["normal"]
