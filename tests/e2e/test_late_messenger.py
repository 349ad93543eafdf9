"""A Messenger that starts after widget_timeout_ms (a slow link): the calls made while the page waited for it reach
it, in order and as the user the bridge knows by then; nothing made in that minute is lost. Both entries."""

from __future__ import annotations

import json

from tests.e2e.bridge_page import APP_ID, BridgePage
from tests.e2e.conftest import Watch
from tests.e2e.test_pyscript import open_pyscript_page

WAITING = "has not started yet"


def configure(bridge: BridgePage, **options: object) -> None:
    response = bridge.sandbox.handle("POST", "/config", "", {}, json.dumps(options).encode())
    assert response.status == 200, response.body


def events(bridge: BridgePage) -> list[str]:
    return [e["name"] for e in bridge.workspace()["events"]]


def test_calls_made_between_widget_timeout_ms_and_a_late_messenger_reach_it_in_order(
    bridge: BridgePage, watch: Watch
) -> None:
    """widget_timeout_ms 1 s, the Messenger's frame starts after 4 s: the identify queued before the timeout boots
    u1; a switch to u2, a group and two tracks made after the timeout arrive once it starts, as u2, in order."""
    configure(bridge, frame_delay_ms=4000)
    bridge.open(settings={"widget_timeout_ms": 1000, "load": "eager"}, wait_ready=False)
    bridge.js("() => pybridge.identify('u1', {email: 'u1@example.com'})")
    bridge.wait_for(lambda: watch.messages("warning", WAITING), what="the widget_timeout_ms warning")
    bridge.js(
        "() => { pybridge.track('Late One'); pybridge.identify('u2', {email: 'u2@example.com'});"
        " pybridge.group('c-late', {name: 'Late Co'}); pybridge.track('Late Two', {n: 2}); }"
    )
    bridge.wait_for(lambda: watch.messages("info", "started late"), timeout_s=20, what="the late start")
    bridge.settle()
    assert events(bridge)[:2] == ["Late One", "Late Two"]
    late_two = next(e for e in bridge.workspace()["events"] if e["name"] == "Late Two")
    assert late_two["metadata"] == {"n": 2}
    users = {u["user_id"]: u for u in bridge.users()}
    assert set(users) == {"u1", "u2"}
    assert list(users["u2"]["companies"]) == ["c-late"]
    state = bridge.widget_state()
    assert state["settings"]["user_id"] == "u2"
    assert [c[1][0] for c in bridge.calls("trackEvent")][:2] == ["Late One", "Late Two"]
    assert not watch.messages(contains="could not load")


def test_pyscript_calls_made_between_widget_timeout_ms_and_a_late_messenger_reach_it(
    bridge: BridgePage, watch: Watch
) -> None:
    """The PyScript entry keeps watching after widget_timeout_ms too, and delivers what came meanwhile."""
    configure(bridge, frame_delay_ms=4000)
    open_pyscript_page(
        bridge,
        f"""
        import js
        from pyodide.ffi import create_proxy
        from py_bridge.pyscript import install
        bridge = install("{APP_ID}", "#help", widget_timeout_ms=1000)
        bridge.identify("u-py1", {{"email": "py1@example.com"}})
        js.window.lateCalls = create_proxy(lambda: (bridge.track("Py Late"), bridge.identify("u-py2", {{}})))
        """,
    )
    bridge.wait_for(lambda: watch.messages("warning", WAITING), timeout_s=20, what="the widget_timeout_ms warning")
    bridge.js("() => lateCalls()")
    bridge.wait_for(lambda: watch.messages("info", "started late"), timeout_s=20, what="the late start")
    bridge.wait_for(lambda: "Py Late" in events(bridge), what="the late track in the workspace")
    bridge.wait_for(lambda: (bridge.widget_state() or {}).get("settings", {}).get("user_id") == "u-py2", what="u-py2")
