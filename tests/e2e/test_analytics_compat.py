"""analytics.js compatibility in the browser: callbacks, call shapes, user(), integrations flags, debug mode."""

from __future__ import annotations

import json
import re

from py_bridge.identity import user_hash
from tests.e2e.bridge_page import SNIPPET, BridgePage
from tests.e2e.conftest import Watch

COUNT_CALLBACKS = "window.__cb = {}; window.cb = (name) => () => { window.__cb[name] = (window.__cb[name] || 0) + 1; };"


def callback_counts(bridge: BridgePage) -> dict[str, int]:
    counts: dict[str, int] = bridge.js("() => window.__cb")
    return counts


def test_a_callback_in_any_position_runs_exactly_once(bridge: BridgePage) -> None:
    """Every analytics.js call shape with a callback: each callback runs once, after the call, never twice."""
    bridge.page.add_init_script(COUNT_CALLBACKS)
    bridge.open()
    bridge.js(
        "() => { pybridge.page(cb('page')); pybridge.page('Pricing', cb('page-name'));"
        " pybridge.page('Docs', 'Install', {}, {}, cb('page-full'));"
        " pybridge.identify('u-cb', cb('identify-id'));"
        " pybridge.identify('u-cb', {plan: 'pro'}, {}, cb('identify-full'));"
        " pybridge.identify({seats: 2}, cb('identify-traits'));"
        " pybridge.track('Clicked', cb('track-name')); pybridge.track('Clicked', {n: 1}, cb('track-props'));"
        " pybridge.track('Clicked', {n: 2}, {}, cb('track-full')); pybridge.group('g1', cb('group'));"
        " pybridge.alias('u-cb-2', cb('alias')); pybridge.screen('Home', cb('screen')); }"
    )
    bridge.settle()
    # Not a marker's job: a second run could only come from the 300 ms timer bound, which no call or marker makes
    # happen sooner; let it elapse (with margin) so a late second run would show here.
    bridge.page.wait_for_timeout(600)
    counts = callback_counts(bridge)
    expected = [
        "page", "page-name", "page-full", "identify-id", "identify-full", "identify-traits",
        "track-name", "track-props", "track-full", "group", "alias", "screen",
    ]  # fmt: skip
    assert counts == dict.fromkeys(expected, 1)


def test_callbacks_of_calls_queued_before_the_tag_and_with_the_widget_blocked_still_run_once(
    bridge: BridgePage, watch: Watch
) -> None:
    """Queued before load (replayed later) and with Intercom blocked: at most 300 ms after the call, once."""
    watch.blocked.append(re.compile(r"widget\.intercom\.io"))
    watch.allow_error(r"ERR_BLOCKED_BY_CLIENT|Failed to load resource")
    bridge.page.add_init_script(COUNT_CALLBACKS)
    before = f"<script>{SNIPPET}pybridge.track('Queued', {{}}, cb('queued'));</script>"
    bridge.open(before=before)
    bridge.js("() => pybridge.track('Blocked', {}, {}, cb('blocked'))")
    bridge.wait_for(lambda: callback_counts(bridge) == {"queued": 1, "blocked": 1}, timeout_s=1, what="the callbacks")
    # Then let the 300 ms bound elapse (with margin): a second run can only come from its timer, which no marker
    # makes happen sooner.
    bridge.page.wait_for_timeout(600)
    assert callback_counts(bridge) == {"queued": 1, "blocked": 1}


def test_a_throwing_callback_is_one_warning(bridge: BridgePage, watch: Watch) -> None:
    """A callback that throws never reaches the page as an error."""
    bridge.open()
    bridge.js("() => pybridge.track('E', () => { throw new Error('callback boom'); })")
    bridge.wait_for(lambda: watch.messages("warning", "callback passed to a call threw"), what="warning")


def test_track_with_an_event_object_and_page_with_null_placeholders_resolve_like_analytics_js(
    bridge: BridgePage,
) -> None:
    """track({event, properties}) is a track of that event; page('Pricing', null, {...}) names the page."""
    bridge.open()
    bridge.js("() => { pybridge.track({event: 'Object Event', properties: {plan: 'pro'}}); }")
    bridge.settle()
    event = next(e for e in bridge.workspace()["events"] if e["name"] == "Object Event")
    assert event["metadata"] == {"plan": "pro"}


def test_integrations_intercom_false_skips_the_destination(bridge: BridgePage) -> None:
    """options.integrations.Intercom === false (or All: false) keeps the call away from Intercom."""
    bridge.open()
    bridge.js(
        "() => { pybridge.track('Skipped', {}, {integrations: {Intercom: false}});"
        " pybridge.track('Skipped All', {}, {integrations: {All: false}});"
        " pybridge.track('Kept All', {}, {integrations: {All: false, Intercom: true}}); }"
    )
    bridge.settle()
    names = [e["name"] for e in bridge.workspace()["events"]]
    assert "Kept All" in names
    assert "Skipped" not in names
    assert "Skipped All" not in names


def test_user_and_anonymous_id_are_readable_like_analytics_js(bridge: BridgePage, watch: Watch) -> None:
    """pybridge.user().id()/traits() after identify, anonymousId() always; read-only; empty after reset."""
    bridge.open()
    bridge.js("() => pybridge.identify('u-read', {plan: 'pro'})")
    bridge.settle()
    user = bridge.js(
        "() => { const u = pybridge.user(); return {id: u.id(), traits: u.traits(), anon: u.anonymousId()}; }"
    )
    assert user["id"] == "u-read"
    assert user["traits"] == {"plan": "pro"}
    assert user["anon"] == bridge.js("() => pybridge.anonymousId()")
    bridge.js("() => pybridge.anonymousId('forged')")
    assert bridge.js("() => pybridge.anonymousId()") != "forged"
    bridge.js("() => pybridge.reset()")
    bridge.settle()
    assert bridge.js("() => pybridge.user().id()") is None


def test_debug_mode_prints_one_collapsed_group_per_call_without_credentials(bridge: BridgePage, watch: Watch) -> None:
    """data-debug: each call is a console group with what was received, what happened and the Intercom calls."""
    signed = user_hash("sandbox-secret", "u-debug")
    bridge.open(extra="data-debug")
    bridge.js(
        "(h) => pybridge.identify('u-debug', {email: 'd@example.com'}, {integrations: {Intercom: {user_hash: h}}})",
        signed,
    )
    bridge.js("() => pybridge.track('Debugged', {n: 1})")
    bridge.settle()
    groups = [text for kind, text in watch.console if kind == "startGroupCollapsed"]
    assert any(g.startswith('[py-bridge] identify("u-debug"') for g in groups), groups
    assert any(g.startswith('[py-bridge] track("Debugged"') for g in groups), groups
    assert any(text.startswith('Intercom("trackEvent","Debugged"') for _, text in watch.console)
    assert not [text for _, text in watch.console if signed in text]


def test_debug_mode_set_from_the_page_persists_for_the_tab(bridge: BridgePage, watch: Watch) -> None:
    """pybridge.debug(true) lasts for the tab: the next page view prints groups too."""
    bridge.open()
    bridge.js("() => pybridge.debug(true)")
    bridge.open()
    bridge.js("() => pybridge.track('After Reload')")
    bridge.settle()
    groups = [text for kind, text in watch.console if kind == "startGroupCollapsed"]
    assert any('track("After Reload")' in g for g in groups), groups


def test_debug_export_returns_the_sessions_events_in_the_transform_shape(bridge: BridgePage) -> None:
    """pybridge.debug.export() resolves to JSON lines a transform (and `py-bridge transform`) can replay."""
    bridge.open()
    bridge.js("() => { pybridge.identify('u-export', {plan: 'pro'}); pybridge.track('Exported', {n: 1}); }")
    bridge.settle()
    lines = bridge.js("() => pybridge.debug.export()").splitlines()
    events = [json.loads(line) for line in lines]
    exported = next(e for e in events if e.get("event") == "Exported")
    assert exported["type"] == "track"
    assert exported["properties"] == {"n": 1}
    assert exported["context"]["page"]["url"].startswith(bridge.server.origin)
    assert any(e.get("type") == "identify" and e["userId"] == "u-export" for e in events)
