"""Intercom's rules seen in the sandbox: identity verification, the update throttle, SPA pages, mapping details."""

from __future__ import annotations

import json

from playwright.sync_api import Page

from py_bridge.identity import user_hash
from tests.e2e.bridge_page import BridgePage
from tests.e2e.conftest import Watch

SECRET = "sandbox-secret"


def enforce(bridge: BridgePage, mode: str) -> None:
    bridge.sandbox.handle("POST", "/config", "", {}, json.dumps({"secret": SECRET, "verification": mode}).encode())


def test_signed_identify_is_accepted_under_enforced_verification(bridge: BridgePage) -> None:
    """identify with a server-computed user_hash boots a verified user."""
    enforce(bridge, "user_hash")
    bridge.open(settings={"identity_verification": "user_hash"})
    signed = user_hash(SECRET, "u-signed")
    bridge.js(
        "(h) => pybridge.identify('u-signed', {email: 's@example.com'}, {integrations: {Intercom: {user_hash: h}}})",
        signed,
    )
    bridge.settle()
    user = bridge.wait_for(lambda: next((u for u in bridge.users() if u["user_id"] == "u-signed"), None), what="user")
    assert user["verified"] is True
    assert bridge.workspace()["rejections"] == []


def test_unsigned_identify_is_held_back_with_a_warning_naming_the_option(bridge: BridgePage, watch: Watch) -> None:
    """identity_verification on and no user_hash: not sent as that user, no 403 noise, one clear warning."""
    enforce(bridge, "user_hash")
    bridge.open(settings={"identity_verification": "user_hash"})
    bridge.js("() => pybridge.identify('u-unsigned', {email: 'x@example.com'})")
    bridge.settle()
    assert bridge.users() == []
    warning = watch.messages("warning", "held back")
    assert len(warning) == 1
    assert "options.integrations.Intercom.user_hash is missing" in warning[0]
    assert bridge.workspace()["rejections"] == []


def test_a_wrong_hash_is_refused_by_the_workspace(bridge: BridgePage, watch: Watch) -> None:
    """A forged user_hash reaches Intercom and is refused (403, Intercom's console error); nothing is stored."""
    enforce(bridge, "user_hash")
    watch.allow_error(r"Missing user_hash|403|Failed to load resource")
    bridge.open(settings={"identity_verification": "user_hash"})
    bridge.js("() => pybridge.identify('u-forged', {}, {Intercom: {userHash: 'deadbeef'}})")
    bridge.wait_for(lambda: watch.messages("error", "Missing user_hash"), what="403 error")
    assert bridge.users() == []
    assert bridge.workspace()["rejections"][0]["status"] == 403


def test_a_spa_navigation_becomes_a_page_update_with_the_new_url(bridge: BridgePage) -> None:
    """track_pages: pushState, replaceState and back each reach the workspace as a page view of the new URL."""
    bridge.open(settings={"track_pages": True})
    bridge.settle()
    first = bridge.js("() => location.href")
    views = bridge.workspace()["page_views"]
    bridge.js("() => history.pushState(null, '', '/spa/one?tab=2')")
    bridge.wait_for(lambda: bridge.workspace()["page_views"] > views, what="a page view after pushState")
    assert bridge.users() == []
    assert any(
        str(v.get("last_page_url", "")).endswith("/spa/one?tab=2") for v in bridge.workspace()["visitors"].values()
    )
    bridge.js("() => history.replaceState(null, '', '/spa/two')")
    bridge.wait_for(
        lambda: any(str(v.get("last_page_url")).endswith("/spa/two") for v in bridge.workspace()["visitors"].values()),
        what="a page view after replaceState",
    )
    bridge.js("() => history.back()")
    bridge.wait_for(
        lambda: any(v.get("last_page_url") == first for v in bridge.workspace()["visitors"].values()),
        what="a page view after back()",
    )


def test_spa_navigations_and_trait_changes_lose_no_data_to_the_update_throttle(bridge: BridgePage, page: Page) -> None:
    """100 route changes and 10 trait changes: never over Intercom's 20 updates, and the last values arrive."""
    page.clock.install()
    bridge.open(settings={"track_pages": True, "debug": True})
    bridge.js("() => pybridge.identify('u-spa', {email: 'spa@example.com', step: 0})")
    bridge.js(
        "() => { for (let i = 1; i <= 100; i++) { history.pushState(null, '', '/route/' + i);"
        " if (i % 10 === 0) pybridge.identify({step: i / 10}); } }"
    )
    bridge.settle()
    state = bridge.widget_state()
    assert state["rateLimitedUpdates"] == 0
    assert state["updateCount"] <= 20
    page.clock.fast_forward("31:00")
    bridge.js("() => pybridge.page()")
    bridge.wait_for(
        lambda: (
            next((u for u in bridge.users() if u["user_id"] == "u-spa"), {})
            .get("last_page_url", "")
            .endswith("/route/100")
            and next((u for u in bridge.users() if u["user_id"] == "u-spa"), {})
            .get("custom_attributes", {})
            .get("step")
            == 10
        ),
        what="last step value and the last route as the page",
    )
    assert bridge.widget_state()["rateLimitedUpdates"] == 0


def test_order_completed_total_becomes_the_price(bridge: BridgePage) -> None:
    """Segment's convention: total of "Order Completed" -> price in whole cents, currency upper-cased."""
    bridge.open()
    bridge.js("() => pybridge.track('Order Completed', {total: 10.005, currency: 'gbp', order_id: 'o1'})")
    bridge.settle()
    event = next(e for e in bridge.workspace()["events"] if e["name"] == "Order Completed")
    assert event["metadata"] == {"price": {"amount": 1001, "currency": "GBP"}, "order_id": "o1"}


def test_metadata_is_cut_to_ten_keys_in_sending_order_with_price_first(bridge: BridgePage, watch: Watch) -> None:
    """More than 10 properties: the first keys are kept (price first) and a warning names the rest."""
    bridge.open()
    bridge.js(
        "() => { const p = {revenue: 5}; for (let i = 0; i < 12; i++) p['k' + i] = i; pybridge.track('Many', p); }"
    )
    bridge.settle()
    event = next(e for e in bridge.workspace()["events"] if e["name"] == "Many")
    assert list(event["metadata"]) == ["price", *[f"k{i}" for i in range(9)]]
    assert event["metadata_keys_dropped"] == 0
    assert watch.messages("warning", "Intercom keeps 10 metadata keys")


def test_a_company_from_group_follows_a_later_identify(bridge: BridgePage) -> None:
    """group before identify: the company is remembered and attached when the visitor becomes a user."""
    bridge.open()
    bridge.js(
        "() => { pybridge.group('co-1', {name: 'Co One'}); pybridge.identify('u-co', {email: 'co@example.com'}); }"
    )
    bridge.settle()
    user = bridge.wait_for(lambda: next((u for u in bridge.users() if u["user_id"] == "u-co"), None), what="user")
    assert "co-1" in user["companies"]


def test_switching_users_shuts_down_before_booting_the_next(bridge: BridgePage) -> None:
    """identify('a') then identify('b'): shutdown + boot, so two people never share one Intercom session."""
    bridge.open()
    bridge.js(
        "() => { pybridge.identify('u-a', {email: 'a@example.com'});"
        " pybridge.identify('u-b', {email: 'b@example.com'}); }"
    )
    bridge.settle()
    methods = [c[0] for c in bridge.calls() if c[0] in ("boot", "shutdown", "update")]
    # the visitor booted on load becomes u-a by update; u-b needs a session of its own
    assert methods[:4] == ["boot", "update", "shutdown", "boot"]
    assert sorted(u["user_id"] for u in bridge.users()) == ["u-a", "u-b"]


def test_messenger_open_and_close_can_be_tracked_for_other_tools(bridge: BridgePage) -> None:
    """track_messenger_events: opening and closing the Messenger dispatch pybridge:event for the page."""
    bridge.open(settings={"track_messenger_events": True})
    bridge.js(
        "() => { window.__events = []; addEventListener('pybridge:event', e => window.__events.push(e.detail.event)); }"
    )
    bridge.settle()
    bridge.js("() => pybridge.intercom.show()")
    bridge.wait_for(lambda: bridge.widget_state()["panelOpen"], what="open")
    bridge.js("() => pybridge.intercom.hide()")
    bridge.wait_for(
        lambda: bridge.js("() => window.__events") == ["Messenger Opened", "Messenger Closed"], what="events"
    )


def test_event_filter_deny_list_drops_those_tracks(bridge: BridgePage) -> None:
    """event_filter deny: the listed events never reach Intercom; others do."""
    bridge.open(settings={"event_filter": {"deny": ["Noise"]}})
    bridge.js("() => { pybridge.track('Noise'); pybridge.track('Signal'); }")
    bridge.settle()
    names = [c[1][0] for c in bridge.calls("trackEvent")]
    assert "Noise" not in names
    assert "Signal" in names
