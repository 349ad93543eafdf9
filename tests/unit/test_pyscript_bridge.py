"""The PyScript facade and executor in CPython, on a fake page: the real core, commands applied as in the page."""

from __future__ import annotations

import json
from typing import Any

from py_bridge.core.commands import IntercomCall, SetIntercomSettings
from tests.unit.pyscript_fake import FakePage, JsArray, Messenger, run_async, start


def started(page: FakePage) -> None:
    """The microtask after the page's script: the core starts, the stub and the widget script are in place."""
    page.run(max_delay=0)


def test_calls_right_after_install_boot_the_user_once_through_the_queue_stub() -> None:
    """identify() before start is replayed by bridge.start(): the widget drains one boot, as the user."""
    page = FakePage()
    bridge = start(page, widget_id="#help")
    bridge.identify("u-1", {"email": "ada@example.com"})
    started(page)
    assert bridge.widget == "loading"
    assert len(page.scripts) == 1
    messenger = page.load_widget()
    assert bridge.widget == "loaded"
    boots = [c for c in messenger.calls if c[0] == "boot"]
    assert len(boots) == 1
    assert boots[0][1]["user_id"] == "u-1"


def test_a_callback_runs_once_when_the_call_is_handled() -> None:
    """analytics.js: the callback among the arguments runs after the call is handled, and never twice."""
    page = FakePage()
    bridge = start(page)
    started(page)
    page.load_widget()
    ran: list[str] = []
    bridge.track("Signed Up", {"plan": "pro"}, lambda: ran.append("track"))
    assert ran == ["track"]
    page.run()  # the 300 ms timer finds it already run
    assert ran == ["track"]


def test_a_callback_still_runs_after_300_ms_when_the_bridge_is_disabled() -> None:
    """A bad App ID disables the bridge; a call's callback runs anyway, from its 300 ms timer."""
    page = FakePage()
    bridge = start(page, app_id="Not An App Id!")
    ran: list[int] = []
    bridge.track("x", lambda: ran.append(1))
    assert ran == []
    assert any(delay == 300 for _, delay in page.timers.values())
    page.run()
    assert ran == [1]
    assert bridge.state == "failed"
    assert bridge.dropped == 1
    assert any("app_id" in line for line in page.console.texts("error"))


def test_user_and_anonymous_id_follow_identify_and_reset() -> None:
    """user() is the core's read-only view; reset() forgets the user and draws a new anonymous id."""
    page = FakePage()
    bridge = start(page)
    started(page)
    page.load_widget()
    first = bridge.anonymous_id()
    assert page.js.localStorage.getItem("pybridge.anonymous_id") == first
    bridge.identify("u-2", {"plan": "pro"})
    assert bridge.user().id() == "u-2"
    assert bridge.user().traits() == {"plan": "pro"}
    assert bridge.user().anonymous_id() == first
    bridge.reset()
    assert bridge.user().id() is None
    assert bridge.anonymous_id() != first
    assert page.js.localStorage.getItem("pybridge.anonymous_id") == bridge.anonymous_id()


def test_debug_mode_prints_one_collapsed_group_per_call() -> None:
    """debug(True): each call is one console group (received, steps, Intercom calls); remembered for the tab."""
    page = FakePage()
    bridge = start(page)
    started(page)
    page.load_widget()
    bridge.track("Quiet")
    assert page.console.texts("groupCollapsed") == []
    bridge.debug(True).track("Loud", {"user_hash": "secret"})
    groups = page.console.texts("groupCollapsed")
    assert groups == ['[py-bridge] track("Loud", {…})']
    assert len(page.console.texts("groupEnd")) == 1
    logged = json.dumps([args for kind, args in page.console.lines if kind == "log"], default=str)
    assert "secret" not in logged
    assert "Intercom(" in logged
    assert page.js.sessionStorage.getItem("pybridge.debug") == "1"
    bridge.debug(False).track("Quiet again")
    assert len(page.console.texts("groupCollapsed")) == 1


def test_debug_export_gives_the_sessions_events_as_json_lines() -> None:
    """`await bridge.debug.export()`: the recorded events in the transform shape, one JSON object a line."""

    async def scenario() -> str:
        page = FakePage()
        bridge = start(page)
        started(page)
        bridge.track("Exported", {"n": 1})
        return await bridge.debug.export()

    lines = [json.loads(line) for line in run_async(scenario()).splitlines()]
    assert [(e["type"], e.get("event")) for e in lines] == [("track", "Exported")]


def test_transformations_are_fetched_from_the_page_origin_and_run_before_the_mapping() -> None:
    """setting transform: the file is fetched, handed to start_bridge, and rewrites events; another origin is
    refused with a warning; calls made while fetching wait in order."""
    page = FakePage()
    page.fetched["https://shop.example/t/rename.py"] = (
        200,
        'def transform(event):\n    if event["type"] == "track":\n        event["event"] = "Renamed"\n'
        "    return event\n",
    )

    async def scenario() -> Any:
        bridge = start(page, transform=["/t/rename.py", "https://evil.example/t.py"])
        bridge.track("Original")
        assert bridge.state == "starting"
        assert bridge._starting is not None
        await bridge._starting
        return bridge

    run_async(scenario())
    started(page)
    messenger = page.load_widget()
    assert ["trackEvent", "Renamed"] in [c[:2] for c in messenger.calls]
    assert any("evil.example" in w and "refused" in w for w in page.console.texts("warn"))


def test_a_transformation_that_cannot_be_fetched_is_skipped_with_a_warning() -> None:
    """A missing file is one warning; the bridge starts without it."""
    page = FakePage()

    async def scenario() -> Any:
        bridge = start(page, transform="/missing.py")
        assert bridge._starting is not None
        await bridge._starting
        return bridge

    bridge = run_async(scenario())
    started(page)
    assert bridge.state == "running"
    assert any("could not be fetched" in w for w in page.console.texts("warn"))


def test_messenger_handlers_and_ready_run_python() -> None:
    """on("show") handlers run when the Messenger calls back; ready() runs once the widget loaded."""
    page = FakePage()
    bridge = start(page)
    seen: list[str] = []
    bridge.ready(lambda: seen.append("ready")).on("show", lambda: seen.append("show"))
    started(page)
    messenger = page.load_widget()
    assert seen == ["ready"]
    on_show = next(c for c in messenger.calls if c[0] == "onShow")
    on_show[1]()
    assert seen == ["ready", "show"]


def test_bad_calls_only_warn_and_return_the_bridge() -> None:
    """Nothing raises into the page: a bad call is a [py-bridge] warning and the bridge is returned."""
    page = FakePage()
    bridge = start(page)
    started(page)
    assert bridge.track("") is bridge
    assert bridge.on("nope", print) is bridge
    assert bridge.intercom.showSpace("nowhere") is bridge
    warnings = page.console.texts("warn")
    assert any("event name must be a non-empty string" in w for w in warnings), warnings
    assert any("on(event, fn)" in w for w in warnings)


def test_a_native_intercom_that_booted_from_its_settings_is_continued_with_an_update() -> None:
    """As embed.js: the page's Messenger is up (no queue) and intercomSettings name its user, so identifying that
    user updates the session (env.native_session) instead of booting a second one."""
    page = FakePage()
    native = Messenger()
    page.js.window.Intercom = native
    page.js.window.intercomSettings = {"app_id": "abc12345", "user_id": "u-page", "email": "p@example.com"}
    bridge = start(page, widget_id="#help")
    bridge.identify("u-page", {"plan": "pro"})
    started(page)
    assert page.scripts == []  # the widget is not loaded twice
    assert [c[0] for c in native.calls] == ["update"]
    assert native.calls[0][1]["plan"] == "pro"


def test_a_native_queue_holding_a_boot_is_a_session_of_the_user_its_settings_name() -> None:
    """A queued boot counts as a session; identifying another user than intercomSettings' is a switch."""
    page = FakePage()
    stub = Messenger()
    stub.q = JsArray([JsArray(["boot", {"app_id": "abc12345"}])])  # type: ignore[attr-defined]
    page.js.window.Intercom = stub
    page.js.window.intercomSettings = {"app_id": "abc12345", "user_id": 42}
    bridge = start(page, widget_id="#help")
    bridge.identify("u-other")
    started(page)
    assert [c[0] for c in stub.calls] == ["shutdown", "boot"]


def test_without_a_native_session_the_native_install_is_booted_once_by_the_bridge() -> None:
    """A native stub with an empty queue and no settings: nothing booted yet, so the bridge boots (once)."""
    page = FakePage()
    stub = Messenger()
    stub.q = JsArray()  # type: ignore[attr-defined]
    page.js.window.Intercom = stub
    bridge = start(page, widget_id="#help")
    bridge.identify("u-1")
    started(page)
    assert [c[0] for c in stub.calls] == ["boot"]


def test_the_executor_refuses_boot_update_and_intercom_settings_for_another_app_host_or_launcher() -> None:
    """A command the page did not configure (another app_id, api_base or custom_launcher_selector than the settings
    it parsed) is refused with one [py-bridge] error each, and never reaches Intercom or window.intercomSettings."""
    page = FakePage()
    bridge = start(page, widget_id="#help")
    started(page)
    messenger = page.load_widget()
    before = len(messenger.calls)
    page.js.window.intercomSettings = {"app_id": "abc12345"}
    errors_before = len(page.console.texts("error"))
    bridge.executor.apply_all(
        [
            IntercomCall("boot", ({"app_id": "evil0001", "user_id": "u-1"},)),
            IntercomCall("update", ({"api_base": "https://api-iam.eu.intercom.io"},)),
            IntercomCall("boot", ({"app_id": "abc12345", "custom_launcher_selector": "#other"},)),
            SetIntercomSettings({"app_id": "evil0001"}),
        ]
    )
    assert messenger.calls[before:] == []
    assert page.js.window.intercomSettings == {"app_id": "abc12345"}
    errors = page.console.texts("error")[errors_before:]
    assert errors == [
        "[py-bridge] refused Intercom('boot'): its app_id is not the one this page configured",
        "[py-bridge] refused Intercom('update'): its api_base is not the one this page configured",
        "[py-bridge] refused Intercom('boot'): its custom_launcher_selector is not the one this page configured",
        "[py-bridge] refused to set intercomSettings: its app_id is not the one this page configured",
    ]
    assert not any("evil0001" in line or "#other" in line for line in errors)


def test_the_executor_applies_boot_and_intercom_settings_that_match_the_parsed_settings() -> None:
    """The configured app_id, api_base (the US default, written out or not) and launcher selector pass."""
    page = FakePage()
    bridge = start(page, widget_id="#help")
    started(page)
    messenger = page.load_widget()
    before = len(messenger.calls)
    same = {"app_id": "abc12345", "custom_launcher_selector": "#help", "api_base": "https://api-iam.intercom.io"}
    bridge.executor.apply_all(
        [IntercomCall("boot", ({**same, "user_id": "u-1"},)), IntercomCall("update", ()), SetIntercomSettings(same)]
    )
    assert [c[0] for c in messenger.calls[before:]] == ["boot", "update"]
    assert page.js.window.intercomSettings == same
    assert page.console.texts("error") == []
