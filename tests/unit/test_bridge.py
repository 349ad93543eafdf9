"""The Bridge facade and the worker session: start, queue replay, consent, filters, warnings, Ready, JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest

from py_bridge.core.bridge import Bridge, start_bridge
from py_bridge.core.commands import (
    Callback,
    Command,
    Emit,
    Identity,
    IntercomCall,
    Listen,
    LoadWidget,
    Log,
    Ready,
    Schedule,
    SetIntercomSettings,
    Trace,
    WatchPages,
)
from py_bridge.core.worker import WorkerSession

APP = "abc12345"
MESSENGER = {"app_id": APP, "custom_launcher_selector": "#IntercomDefaultWidget"}
LOADED = {"kind": "signal", "name": "widget", "data": {"status": "loaded"}}
FAILED = {"kind": "signal", "name": "widget", "data": {"status": "failed", "reason": "blocked"}}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def bridge(env: Any = None, clock: Clock | None = None, **raw: Any) -> Bridge:
    made, errors = start_bridge({"app_id": APP, **raw}, env or {}, clock or Clock())
    assert made is not None, errors
    return made


def call(method: str, *args: Any) -> dict[str, Any]:
    return {"kind": "call", "method": method, "args": list(args), "context": {"anonymous_id": "anon-1"}}


def calls(commands: list[Command]) -> list[IntercomCall]:
    return [c for c in commands if isinstance(c, IntercomCall)]


def methods(commands: list[Command]) -> list[str]:
    return [c.method for c in calls(commands)]


def logs(commands: list[Command], level: str = "warn") -> list[str]:
    return [c.message for c in commands if isinstance(c, Log) and c.level == level]


# -- start-up -----------------------------------------------------------------------------------------------------


def test_start_with_invalid_settings_returns_one_error_and_no_bridge() -> None:
    """A config error stops the bridge with one [py-bridge] error naming the field (adapted: no longer quoting it)."""
    made, commands = start_bridge({"app_id": "Bad Id"}, {})
    assert made is None
    assert commands == [
        Log(
            "error",
            "not started: intercom.app_id must be lowercase letters and digits, 1 to 32 "
            "(received: a string of 6 characters, with uppercase letters and spaces)",
        )
    ]


def test_start_refuses_a_secret_without_echoing_it() -> None:
    """A secret in settings stops everything, and the value never appears in any command."""
    made, commands = start_bridge({"app_id": APP, "api_secret": "hunter2-secret-value"}, {})
    assert made is None
    assert len(commands) == 1
    assert "hunter2" not in repr(commands)
    assert "settings.api_secret" in logs(commands, "error")[0]


def test_selector_the_page_rejected_is_a_config_error() -> None:
    """embed.js checks widget_id with querySelector; an invalid selector stops the bridge, naming it."""
    made, commands = start_bridge({"app_id": APP, "widget_id": "#a:::b"}, {"selector_valid": False})
    assert made is None
    assert "intercom.widget_id" in logs(commands, "error")[0]
    assert "(received: a string of 6 characters)" in logs(commands, "error")[0]  # adapted: described, not quoted


def test_queued_identify_boots_the_user_once() -> None:
    """Replayed pre-load queue: the identify boots the user directly; settle adds no visitor boot."""
    b = bridge()
    commands = b.start([call("identify", "u1", {"email": "a@b.c"}), call("track", "Signed Up")])
    assert commands[:2] == [SetIntercomSettings(MESSENGER), LoadWidget(f"https://widget.intercom.io/widget/{APP}")]
    assert calls(commands) == [
        IntercomCall("boot", ({**MESSENGER, "user_id": "u1", "email": "a@b.c"},)),
        IntercomCall("trackEvent", ("Signed Up",)),
    ]


def test_empty_queue_boots_a_visitor_on_settle() -> None:
    """No call at all: the visitor is booted so the Messenger shows."""
    assert calls(bridge().start([])) == [IntercomCall("boot", (MESSENGER,))]


def test_queue_is_replayed_in_order() -> None:
    """Calls made before start arrive in the order they were made."""
    commands = bridge().start([call("track", f"e{i}") for i in range(50)])
    assert [c.args[0] for c in calls(commands) if c.method == "trackEvent"] == [f"e{i}" for i in range(50)]


def test_ready_is_emitted_once_when_the_widget_settles() -> None:
    """Ready fires after the widget loaded (not when loading was merely scheduled), and only once."""
    b = bridge()
    assert not any(isinstance(c, Ready) for c in b.start([]))
    assert b.receive(LOADED) == [Ready()]
    assert b.receive(LOADED) == []
    assert not any(isinstance(c, Ready) for c in b.receive(call("page")))


def test_ready_is_emitted_when_the_widget_fails_too() -> None:
    """A blocked widget still lets the page's ready callbacks run, with one warning."""
    b = bridge()
    b.start([])
    commands = b.receive(FAILED)
    assert commands[-1] == Ready()
    assert len(logs(commands)) == 1


def test_native_intercom_reuse_is_ready_at_once_without_loading() -> None:
    """A native install is reused: no LoadWidget, a warning, a boot and Ready in the start commands."""
    commands = bridge({"native_intercom": True}).start([])
    assert not any(isinstance(c, LoadWidget) for c in commands)
    assert methods(commands) == ["boot"]
    assert commands[-1] == Ready()
    assert "native Intercom" in logs(commands)[0]


def test_track_pages_asks_the_page_to_watch_route_changes() -> None:
    """track_pages: the page is asked to report SPA navigations."""
    assert WatchPages() in bridge(track_pages=True).start([])
    assert WatchPages() not in bridge().start([])


# -- calls after start --------------------------------------------------------------------------------------------


def test_page_after_boot_is_an_argument_less_update() -> None:
    """page -> Intercom('update')."""
    b = bridge()
    b.start([])
    assert calls(b.receive(call("page", "Docs"))) == [IntercomCall("update")]


def test_identify_change_updates_only_changed_keys() -> None:
    """identify twice for one user: the second update holds only the changes."""
    b = bridge()
    b.start([call("identify", "u1", {"name": "Ann", "plan": "free"})])
    assert calls(b.receive(call("identify", "u1", {"name": "Ann", "plan": "pro"}))) == [
        IntercomCall("update", ({"plan": "pro"},))
    ]


def test_reset_shuts_down_boots_a_visitor_and_re_registers_listeners() -> None:
    """reset(): shutdown, visitor boot, then the Messenger callbacks again."""
    b = bridge()
    b.start([call("identify", "u1")])
    assert b.receive({"kind": "listen", "event": "unread"}) == [Listen("unread")]
    assert b.receive(call("reset")) == [
        IntercomCall("shutdown"),
        SetIntercomSettings(MESSENGER),  # the visitor's settings: a boot Intercom does on its own is not u1
        IntercomCall("boot", (MESSENGER,)),
        Listen("unread"),
        Identity(None, {}),
    ]


def test_identity_verification_holds_back_and_names_the_missing_option() -> None:
    """identity_verification=jwt: an identify without a JWT is held back with a warning naming the option."""
    b = bridge(identity_verification="jwt")
    commands = b.start([call("identify", "u1", {"name": "Ann"})])
    assert calls(commands) == [IntercomCall("boot", (MESSENGER,))]
    assert "options.integrations.Intercom.intercom_user_jwt is missing" in logs(commands)[0]
    signed = b.receive(
        call("identify", "u1", {"name": "Ann"}, {"integrations": {"Intercom": {"intercom_user_jwt": "J"}}})
    )
    assert calls(signed) == [IntercomCall("update", ({"user_id": "u1", "name": "Ann", "intercom_user_jwt": "J"},))]


def test_hostile_call_is_repaired_with_a_warning_and_the_bridge_keeps_working() -> None:
    """identify(12345, "text"): the id is kept, the text dropped with a warning; the next call works."""
    b = bridge()
    b.start([])
    commands = b.receive(call("identify", 12345, "text"))
    assert calls(commands) == [IntercomCall("update", ({"user_id": "12345"},))]
    assert logs(commands) == ["identify traits: expected an object, received a string; ignored"]
    assert methods(b.receive(call("track", "ok"))) == ["trackEvent"]


@pytest.mark.parametrize(
    "item",
    [None, "string", 42, [], {}, {"kind": "call"}, {"kind": "call", "method": None}, {"kind": "nope"}],
)
def test_malformed_message_never_raises_and_sends_nothing(item: Any) -> None:
    """Whatever arrives, the bridge answers with at most warnings, never an exception or an Intercom call."""
    b = bridge()
    b.start([])
    commands = b.receive(item)
    assert calls(commands) == []
    assert all(isinstance(c, Log) for c in commands)


def test_unknown_method_warns_and_counts_nothing() -> None:
    """A method analytics.js does not have: one warning, no call handled."""
    b = bridge()
    b.start([])
    assert logs(b.receive(call("trackEvent", "u1"))) == ["unknown method 'trackEvent'; call dropped"]
    assert b.calls_handled == 0


def test_revenue_too_large_for_cents_still_sends_the_event() -> None:
    """A huge revenue is refused with a warning; the event is not lost to an internal error."""
    b = bridge()
    b.start([])
    commands = b.receive(call("track", "Buy", {"revenue": 1e307}))
    assert calls(commands) == [IntercomCall("trackEvent", ("Buy", {"revenue": 1e307}))]
    assert logs(commands, "error") == []


# -- event_filter -------------------------------------------------------------------------------------------------


def test_event_filter_allow_passes_only_listed_events() -> None:
    """allow: only the named track events reach Intercom; other calls are unaffected."""
    b = bridge(event_filter={"allow": ["Signed Up"]})
    b.start([])
    assert methods(b.receive(call("track", "Signed Up"))) == ["trackEvent"]
    assert b.receive(call("track", "Clicked")) == []
    assert methods(b.receive(call("page"))) == ["update"]


def test_event_filter_deny_blocks_listed_events() -> None:
    """deny: the named events are dropped, everything else passes."""
    b = bridge(event_filter={"deny": ["Clicked"]})
    b.start([])
    assert b.receive(call("track", "Clicked")) == []
    assert methods(b.receive(call("track", "Signed Up"))) == ["trackEvent"]


def test_filtered_event_is_reported_in_debug_mode() -> None:
    """With debug on, a filtered call is one trace: what was received, that it was filtered, no Intercom call."""
    b = bridge(debug=True, event_filter={"deny": ["Clicked"]})
    b.start([])
    traces = [c for c in b.receive(call("track", "Clicked")) if isinstance(c, Trace)]
    assert traces == [Trace('track("Clicked")', ["Clicked"], ("track Clicked filtered out",), ())]


def test_debug_traces_redact_credentials_and_list_the_intercom_calls() -> None:
    """A trace shows the call as received and the Intercom calls made, with user_hash never in clear."""
    b = bridge(debug=True)
    b.start([])  # nothing queued: the visitor is booted, so the identify is an update
    options = {"integrations": {"Intercom": {"user_hash": "secret-hash"}}}
    (trace,) = [c for c in b.receive(call("identify", "u1", {"plan": "pro"}, options)) if isinstance(c, Trace)]
    assert trace.title == 'identify("u1", {…}, {…})'
    assert "secret-hash" not in repr(trace)
    assert trace.intercom[0][0] == "update"
    assert trace.intercom[0][1]["user_hash"] == "[redacted]"


def test_a_callback_runs_after_the_calls_commands_even_when_the_event_is_dropped() -> None:
    """analytics.js callbacks: the page's callback id comes back after the Intercom calls, or alone when dropped."""
    b = bridge(event_filter={"deny": ["Clicked"]})
    b.start([LOADED])
    handled = b.receive(call("track", "Kept", {"$pybridge": "callback", "id": 7}))
    assert [type(c).__name__ for c in handled][-2:] == ["IntercomCall", "Callback"]
    assert handled[-1] == Callback(7)
    assert b.receive(call("track", "Clicked", {}, {"$pybridge": "callback", "id": 8}))[-1] == Callback(8)


def test_the_page_learns_who_the_user_is_after_identify_and_reset() -> None:
    """pybridge.user() is fed by Identity commands: merged traits after identify, nothing after reset."""
    b = bridge()
    b.start([LOADED])
    first = [c for c in b.receive(call("identify", "u1", {"plan": "pro"})) if isinstance(c, Identity)]
    second = [c for c in b.receive(call("identify", {"seats": 3})) if isinstance(c, Identity)]
    assert first == [Identity("u1", {"plan": "pro"})]
    assert second == [Identity("u1", {"plan": "pro", "seats": 3})]
    assert [c for c in b.receive(call("reset")) if isinstance(c, Identity)] == [Identity(None, {})]


# -- consent ------------------------------------------------------------------------------------------------------


def test_consent_pending_loads_nothing_and_holds_calls() -> None:
    """Nothing is loaded and nothing sent before consent; ready still fires."""
    b = bridge(consent={"required": True})
    commands = b.start([call("identify", "u1")])
    assert commands == [Ready()]
    assert b.receive(call("track", "E")) == []
    assert len(b.consent.buffer) == 2


def test_consent_granted_loads_and_replays_held_calls_in_order() -> None:
    """consent(true): load the widget, then the held calls in order, then no extra visitor boot."""
    b = bridge(consent={"required": True})
    b.start([call("identify", "u1")])
    b.receive(call("track", "E"))
    commands = b.receive({"kind": "consent", "granted": True})
    assert isinstance(commands[1], LoadWidget)
    assert calls(commands) == [
        IntercomCall("boot", ({**MESSENGER, "user_id": "u1"},)),
        IntercomCall("trackEvent", ("E",)),
    ]
    assert not any(isinstance(c, Ready) for c in b.receive(LOADED))


def test_consent_denied_drops_held_calls_and_later_ones() -> None:
    """consent(false): held calls dropped, Intercom never loaded, later calls dropped too."""
    b = bridge(consent={"required": True})
    b.start([call("identify", "u1"), call("track", "E")])
    commands = b.receive({"kind": "consent", "granted": False})
    assert calls(commands) == []
    assert len(logs(commands, "info")) == 1
    assert len(b.consent.buffer) == 0
    assert b.receive(call("track", "E")) == []
    assert b.intercom.widget == "idle"


def test_consent_refused_message_counts_the_dropped_calls() -> None:
    """The info line says how many held calls were dropped."""
    b = bridge(consent={"required": True})
    b.start([call("identify", "u1"), call("track", "E")])
    commands = b.receive({"kind": "consent", "granted": False})
    assert [c for c in commands if isinstance(c, Log)] == [
        Log("info", "consent refused: 2 held calls dropped, Intercom not loaded")
    ]


def test_consent_buffer_is_bounded_and_says_when_it_drops() -> None:
    """max_queue bounds the consent buffer; overflow warns (and repeated warnings are summarised)."""
    b = bridge(consent={"required": True}, max_queue=3)
    b.start([])
    out: list[Command] = []
    for i in range(10):
        out += b.receive(call("track", f"e{i}"))
    assert len(b.consent.buffer) == 3
    assert b.consent.dropped == 7
    assert len(logs(out)) == 5


def test_consent_withdrawn_shuts_intercom_down() -> None:
    """consent(false) after consent(true): the session is shut down (no new boot), later calls are dropped."""
    b = bridge()
    b.start([call("identify", "u1")])
    commands = b.receive({"kind": "consent", "granted": False})
    assert methods(commands) == ["shutdown"]


def test_consent_withdrawn_drops_later_calls() -> None:
    """After withdrawal nothing more is sent to Intercom."""
    b = bridge()
    b.start([call("identify", "u1")])
    b.receive({"kind": "consent", "granted": False})
    assert b.receive(call("track", "E")) == []
    assert b.receive(call("identify", "u2")) == []


def test_consent_granted_after_a_refusal_loads_intercom() -> None:
    """A visitor who first refuses and later accepts gets the Messenger."""
    b = bridge(consent={"required": True})
    b.start([])
    b.receive({"kind": "consent", "granted": False})
    commands = b.receive({"kind": "consent", "granted": True})
    assert any(isinstance(c, LoadWidget) for c in commands)


# -- controls, listeners, messenger events ------------------------------------------------------------------------


def test_control_message_reaches_the_messenger() -> None:
    """pybridge.intercom.showSpace('help') -> Intercom('showSpace', 'help')."""
    b = bridge()
    b.start([])
    assert b.receive({"kind": "control", "method": "showSpace", "args": ["help"]}) == [
        IntercomCall("showSpace", ("help",))
    ]


def test_invalid_control_and_unknown_listener_warn() -> None:
    """Bad space names and unknown Messenger events are refused with a warning."""
    b = bridge()
    b.start([])
    assert calls(b.receive({"kind": "control", "method": "showSpace", "args": ["admin"]})) == []
    assert logs(b.receive({"kind": "listen", "event": "close"})) == [
        "intercom.on(): unknown Messenger event 'close'; ignored"
    ]


def test_messenger_events_are_emitted_when_enabled() -> None:
    """track_messenger_events: opening/closing the Messenger emits page events; listeners come with the boot."""
    b = bridge(track_messenger_events=True)
    commands = b.start([])
    assert [c for c in commands if isinstance(c, Listen)] == [Listen("hide"), Listen("show")]
    assert b.receive({"kind": "signal", "name": "messenger", "data": {"event": "show"}}) == [Emit("Messenger Opened")]
    assert b.receive({"kind": "signal", "name": "messenger", "data": {"event": "hide"}}) == [Emit("Messenger Closed")]


def test_messenger_events_are_not_emitted_by_default() -> None:
    """Off by default: nothing is emitted for the other destinations."""
    b = bridge()
    b.start([])
    assert b.receive({"kind": "signal", "name": "messenger", "data": {"event": "show"}}) == []


# -- warnings and debug -------------------------------------------------------------------------------------------


def test_identical_warnings_are_summarised_after_five() -> None:
    """A loop cannot flood the console: 5 warnings, the 5th says further ones are suppressed, then silence."""
    b = bridge()
    b.start([])
    out = [logs(b.receive(call("track", ""))) for _ in range(8)]
    assert [len(x) for x in out] == [1, 1, 1, 1, 1, 0, 0, 0]
    assert out[4][0].endswith("(further identical warnings suppressed)")
    assert out[0][0] == "track: event name must be a non-empty string, received an empty string; call dropped"


def test_debug_lines_only_reach_the_page_in_debug_mode() -> None:
    """Debug logs are dropped unless the debug setting is on."""
    quiet, loud = bridge(), bridge(debug=True)
    quiet.start([])
    loud.start([])
    assert logs(quiet.receive(LOADED), "debug") == []
    assert logs(loud.receive(LOADED), "debug") == ["Intercom Messenger script loaded"]


# -- the worker session -------------------------------------------------------------------------------------------


class Page:
    """Collects what the worker posts, decoded."""

    def __init__(self) -> None:
        self.posted: list[str] = []

    def post(self, text: str) -> None:
        self.posted.append(text)

    def messages(self) -> list[dict[str, Any]]:
        return [m for text in self.posted for m in json.loads(text)]


def init(settings: Any, items: list[Any] | None = None, env: Any = None) -> str:
    return json.dumps({"type": "init", "settings": settings, "env": env or {}, "items": items or []})


def test_worker_round_trip_init_and_batch_as_json() -> None:
    """init -> load + boot messages; a batch -> the call messages; every post is one JSON array."""
    page = Page()
    session = WorkerSession(page.post)
    session.handle(init({"app_id": APP}, [{"kind": "call", "method": "identify", "args": ["u1"], "context": {}}]))
    first = json.loads(page.posted[0])
    assert [m["op"] for m in first] == ["settings", "load", "call", "settings", "identity"]
    assert first[1] == {"op": "load", "src": f"https://widget.intercom.io/widget/{APP}"}
    assert first[2] == {"op": "call", "method": "boot", "args": [{**MESSENGER, "user_id": "u1"}]}
    assert first[3] == {"op": "settings", "settings": {**MESSENGER, "user_id": "u1"}}  # intercomSettings follows
    session.handle(json.dumps({"type": "batch", "items": [LOADED, call("track", "E", {"n": 1})]}))
    assert json.loads(page.posted[1]) == [
        {"op": "ready"},
        {"op": "call", "method": "trackEvent", "args": ["E", {"n": 1}]},
    ]


def test_worker_invalid_json_posts_one_error_and_keeps_working() -> None:
    """Garbage on the channel becomes one [py-bridge] error; the session still handles the next message."""
    page = Page()
    session = WorkerSession(page.post)
    session.handle("{not json")
    messages = page.messages()
    assert len(messages) == 1
    assert messages[0]["op"] == "log"
    assert messages[0]["level"] == "error"
    assert messages[0]["message"].startswith("internal error in the worker: json.decoder.JSONDecodeError")
    session.handle(init({"app_id": APP}))
    assert [m["op"] for m in page.messages()[1:]] == ["settings", "load", "call"]


def test_worker_config_error_posts_the_error_and_stop() -> None:
    """Invalid settings: one error then a stop op; later messages are ignored."""
    page = Page()
    session = WorkerSession(page.post)
    session.handle(init({"app_id": APP, "colour": "red"}))
    assert page.messages() == [
        {
            "op": "log",
            "level": "error",
            "message": "not started: colour is not a py-bridge setting (received: a string of 3 characters)",
        },
        {"op": "stop"},
    ]
    session.handle(init({"app_id": APP}))
    session.handle(json.dumps({"type": "batch", "items": [call("page")]}))
    assert len(page.posted) == 1


def test_worker_batch_before_init_and_non_object_messages_post_nothing() -> None:
    """Messages out of order or of the wrong shape are ignored quietly."""
    page = Page()
    session = WorkerSession(page.post)
    session.handle(json.dumps({"type": "batch", "items": [call("page")]}))
    session.handle(json.dumps([1, 2]))
    session.handle(json.dumps({"type": "other"}))
    assert page.posted == []


def test_worker_schedules_a_tick_for_a_deferred_update() -> None:
    """A deferred update becomes a schedule op with a delay in milliseconds (consumed by the worker script)."""
    page = Page()
    session = WorkerSession(page.post)
    session.handle(init({"app_id": APP}, [call("identify", "u1")]))
    for i in range(25):
        session.handle(json.dumps({"type": "batch", "items": [call("identify", "u1", {"n": i})]}))
    schedules = [m for m in page.messages() if m["op"] == "schedule"]
    assert len(schedules) == 1
    assert isinstance(schedules[0]["delay_ms"], int)
    assert schedules[0]["delay_ms"] > 0


def test_worker_output_is_strict_json_even_for_hostile_input() -> None:
    """NaN markers, huge numbers and odd keys never produce non-JSON output."""
    page = Page()
    session = WorkerSession(page.post)
    hostile = {"n": {"$pybridge": "number", "value": "NaN"}, "big": 1e308, "a.b": "x" * 5000, "__proto__": {}}
    session.handle(init({"app_id": APP}, [call("identify", "u1", hostile), call("track", "E", hostile)]))
    for text in page.posted:
        json.loads(text, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    boot = next(m for m in page.messages() if m.get("method") == "boot")
    assert boot["args"][0]["a_b"] == "x" * 255


def test_consent_withdrawn_forgets_the_user_so_a_later_grant_starts_fresh() -> None:
    """After withdrawal and a new grant, the old user's data is gone: the next boot is a plain visitor boot."""
    b = bridge()
    b.start([call("identify", "u1", {"plan": "pro"})])
    b.receive({"kind": "consent", "granted": False})
    assert b.intercom.user_id is None
    assert b.intercom.sent == {}
    commands = b.receive({"kind": "consent", "granted": True})
    boots = [c for c in commands if isinstance(c, IntercomCall) and c.method == "boot"]
    assert len(boots) == 1
    assert "user_id" not in boots[0].args[0]


# -- the page clock and the update budget after a late consent -----------------------------------------------------


class Monotonic:
    """The worker's monotonic clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


WALL = 1_700_000_000.0  # the page's "now" when the bridge starts, in Unix seconds


def timed(ms: float, method: str, *args: Any) -> dict[str, Any]:
    return {"kind": "call", "method": method, "args": list(args), "context": {"anonymous_id": "a", "timestamp": ms}}


def test_page_clock_never_moves_backwards_for_an_older_timestamp() -> None:
    """A replayed call's capture time is in the past: the clock keeps its reading; newer timestamps move it on."""
    from py_bridge.core.bridge import PageClock

    monotonic = Monotonic()
    clock = PageClock(monotonic, wall=lambda: WALL)
    clock.observe((WALL - 2400) * 1000)
    assert clock() == WALL
    monotonic.now = 5
    assert clock() == WALL + 5
    clock.observe((WALL + 60) * 1000)
    assert clock() == WALL + 60
    clock.observe((WALL + 10) * 1000)
    monotonic.now = 6
    assert clock() == WALL + 61


def test_updates_replayed_after_a_late_consent_are_charged_when_sent_not_when_captured() -> None:
    """19 updates held 40 minutes for consent, then 20 live ones: no 30-minute window carries more than 20 updates."""
    from py_bridge.core.bridge import Environment, PageClock
    from py_bridge.core.destinations.intercom.throttle import UPDATE_LIMIT, UPDATE_WINDOW_S
    from py_bridge.core.settings import parse_settings

    monotonic = Monotonic()
    page_clock = PageClock(monotonic, wall=lambda: WALL)
    b = Bridge(parse_settings({"app_id": APP, "consent": {"required": True}}), Environment(), page_clock=page_clock)
    b.start([])
    captured = (WALL - 40 * 60) * 1000
    b.receive(timed(captured, "identify", "u1", {"step": -1}))
    for i in range(19):
        b.receive(timed(captured + i * 1000, "identify", "u1", {"step": i}))
    sent_at: list[float] = []
    due: float | None = None

    def record(commands: list[Command]) -> None:
        nonlocal due
        sent_at.extend(WALL + monotonic.now for c in calls(commands) if c.method == "update")
        for command in commands:
            if isinstance(command, Schedule):
                due = WALL + monotonic.now + command.delay_s

    record(b.receive({"kind": "consent", "granted": True}))
    assert len(sent_at) == 19
    for i in range(20):
        monotonic.now += 3
        record(b.receive(timed((WALL + monotonic.now) * 1000, "identify", "u1", {"step": 100 + i})))
    for index, start in enumerate(sent_at):
        assert len([t for t in sent_at[index:] if t - start < UPDATE_WINDOW_S]) <= UPDATE_LIMIT
    assert b.intercom.pending["step"] == 119  # deferred and merged, not lost
    assert due is not None
    monotonic.now = due - WALL
    record(b.receive({"kind": "signal", "name": "tick", "data": {}}))
    assert b.intercom.sent["step"] == 119
    assert sent_at[-1] - sent_at[0] >= UPDATE_WINDOW_S


# -- consent withdrawal ---------------------------------------------------------------------------------------------


def test_consent_withdrawn_drops_a_pending_update_and_sends_nothing_on_the_next_tick() -> None:
    """Withdrawal forgets the user's deferred data too: the scheduled tick finds nothing to send."""
    clock = Clock()
    b = bridge(clock=clock)
    b.start([call("identify", "u1")])
    for i in range(25):
        b.receive(call("identify", "u1", {"n": i}))
    assert b.intercom.pending
    assert methods(b.receive({"kind": "consent", "granted": False})) == ["shutdown"]
    assert (b.intercom.user_id, b.intercom.pending, b.intercom.company) == (None, {}, None)
    clock.now += 3600
    assert calls(b.receive({"kind": "signal", "name": "tick", "data": {}})) == []
    assert b.receive(call("reset")) == []


def test_consent_withdrawn_then_granted_sends_the_same_users_data_again_in_full() -> None:
    """After withdrawal and a new grant, the same user's next identify carries everything, not a delta."""
    b = bridge()
    b.start([call("identify", "u1", {"plan": "pro"})])
    b.receive({"kind": "consent", "granted": False})
    b.receive({"kind": "consent", "granted": True})
    assert calls(b.receive(call("identify", "u1", {"plan": "pro"}))) == [
        IntercomCall("update", ({"user_id": "u1", "plan": "pro"},))
    ]


def test_a_busy_worker_beats_while_it_works_through_a_long_batch() -> None:
    """Liveness is not backlog: during a long batch the page hears a heartbeat every HEARTBEAT_S of work."""
    page = Page()
    beats: list[float] = []
    now = [0.0]

    def clock() -> float:
        now[0] += 0.3  # every look at the clock: 0.3 s of work done
        return now[0]

    session = WorkerSession(page.post, beat=lambda: beats.append(now[0]), clock=clock)
    session.handle(init({"app_id": APP}))
    session.handle(json.dumps({"type": "batch", "items": [LOADED] + [call("track", f"E{i}") for i in range(20)]}))
    assert len(beats) >= 4
    assert sum(1 for m in page.messages() if m.get("method") == "trackEvent") == 20


def test_calls_held_for_consent_take_the_anonymous_id_the_page_adopts_on_consent() -> None:
    """The id stored by an earlier granted view is read only on consent; held calls then carry it, not a new one."""
    b = bridge(consent={"required": True}, send_anonymous_id=True)
    b.start([call("identify", {"plan": "pro"})])
    commands = b.receive({"kind": "consent", "granted": True, "anonymous_id": "stored-id-1234"})
    boots = [c for c in calls(commands) if c.method == "boot"]
    assert boots
    assert boots[0].args[0]["user_id"] == "stored-id-1234"


# -- transformations in the worker --------------------------------------------------------------------------------
PAGE_ORIGIN = "http://127.0.0.1:8000"
RENAME = "def transform(event):\n    event['event'] = event['event'].lower()\n    return event\n"


def init_with_transforms(sources: list[dict[str, Any]], urls: list[str], items: list[Any]) -> str:
    settings = {"app_id": APP, "transform": urls}
    env = {"origins": [PAGE_ORIGIN]}
    return json.dumps({"type": "init", "settings": settings, "env": env, "items": items, "transforms": sources})


def test_a_fetched_transformation_runs_before_the_mapping_and_names_the_file_it_enters() -> None:
    """The worker hands the fetched files to the bridge; each event passes through them; the page hears which runs."""
    page = Page()
    marks: list[tuple[str, str]] = []
    url = f"{PAGE_ORIGIN}/t/rename.py"
    session = WorkerSession(page.post, mark=lambda name, phase: marks.append((name, phase)))
    fetched = {"url": url, "index": 0, "status": 200, "type": "text/x-python", "text": RENAME}
    session.handle(init_with_transforms([fetched], [url], [LOADED]))
    assert marks == [(url, "load")]  # before its top-level code runs: a file that hangs while loading is named
    session.handle(json.dumps({"type": "batch", "items": [call("track", "Signed Up")]}))
    tracks = [m for m in page.messages() if m.get("method") == "trackEvent"]
    assert tracks[0]["args"][0] == "signed up"
    assert marks == [(url, "load"), (url, "run")]


def test_transformations_from_other_origins_or_failed_fetches_are_reported_and_skipped() -> None:
    """A file the page listed from a foreign origin is refused in Python too; a 404 is one warning; calls still go."""
    page = Page()
    foreign = "https://evil.example/t.py"
    missing = f"{PAGE_ORIGIN}/t/missing.py"
    sources = [
        {"url": foreign, "index": 0, "status": 200, "type": "text/x-python", "text": RENAME},
        {"url": missing, "index": 1, "status": 404, "type": "text/html"},
    ]
    session = WorkerSession(page.post)
    session.handle(init_with_transforms(sources, [foreign, missing], [LOADED, call("track", "Kept As Is")]))
    messages = page.messages()
    warnings = [m["message"] for m in messages if m["op"] == "log" and m["level"] == "warn"]
    assert any("evil.example" in w and "refused" in w for w in warnings)
    assert f"transform[1] ({PAGE_ORIGIN}) could not be fetched (HTTP 404); skipped" in warnings  # no path: no token
    assert [m["args"][0] for m in messages if m.get("method") == "trackEvent"] == ["Kept As Is"]


def test_a_restarted_worker_goes_on_from_the_state_the_previous_one_handed_the_page() -> None:
    """After a hang, the new worker starts from the last state, not a replay: no second boot, the user still known.
    (More of this contract, a second restart, a deferred update, corrupt states: tests/unit/test_bridge_state.py.)"""
    url = f"{PAGE_ORIGIN}/t/rename.py"
    fetched = {"url": url, "index": 0, "status": 200, "type": "text/x-python", "text": RENAME}
    first = Page()
    WorkerSession(first.post).handle(
        init_with_transforms([fetched], [url], [LOADED, call("identify", "u1", {"plan": "pro"})])
    )
    state = [m["state"] for m in first.messages() if m["op"] == "state"][-1]
    page = Page()
    message = json.loads(init_with_transforms([fetched], [url], [call("track", "E")]))
    message["env"]["widget"] = "loaded"
    WorkerSession(page.post).handle(json.dumps({**message, "state": state}))
    sent = page.messages()
    assert [m.get("method") for m in sent if m["op"] == "call"] == ["trackEvent"]
    assert not [m for m in sent if m["op"] in ("load", "ready", "identity")]
    assert state["user"] == ["u1", {"plan": "pro"}]


def test_a_native_install_that_already_booted_is_updated_not_booted_again() -> None:
    """The page's own Intercom session is continued: identify updates it; no second boot starts another session."""
    b = bridge(env={"native_intercom": True, "native_session": {"user_id": None, "email": None}})
    commands = b.start([call("identify", "u1", {"plan": "pro"})])
    assert [c.method for c in calls(commands)] == ["update"]
    assert "its booted session is updated" in logs(commands)[0]


def test_a_native_session_of_another_user_is_ended_before_this_user_boots() -> None:
    """intercomSettings said the native session is u0: identifying u1 is a user switch (shutdown, then boot)."""
    b = bridge(env={"native_intercom": True, "native_session": {"user_id": "u0", "email": None}})
    commands = b.start([call("identify", "u1")])
    assert [c.method for c in calls(commands)] == ["shutdown", "boot"]


def test_consent_withdrawn_tells_the_page_to_forget_intercom_after_the_shutdown() -> None:
    """Withdrawal: shutdown, then ForgetIntercom (app_id out of intercomSettings, cookies expired), and no
    SetIntercomSettings that would hand Intercom's loader an app_id to boot from on the next Turbo load."""
    from py_bridge.core.commands import ForgetIntercom, to_message

    b = bridge()
    b.start([LOADED, call("identify", "u1", {"email": "u1@example.com"})])
    commands = b.receive({"kind": "consent", "granted": False})
    applied = [type(c).__name__ for c in commands if not isinstance(c, Log | Identity)]  # Identity: user() forgets
    assert applied == ["IntercomCall", "ForgetIntercom"]
    forget = next(c for c in commands if isinstance(c, ForgetIntercom))
    assert to_message(forget)["op"] == "forget"
    assert forget.app_id == APP
    assert "app_id" in forget.settings_keys
    assert logs(commands, "info") == ["consent withdrawn: Intercom session shut down"]


def test_consent_granted_again_after_a_withdrawal_writes_intercom_settings_again() -> None:
    """After the page forgot intercomSettings, a new grant boots and mirrors them again."""
    b = bridge()
    b.start([LOADED, call("identify", "u1")])
    b.receive({"kind": "consent", "granted": False})
    commands = b.receive({"kind": "consent", "granted": True})
    assert methods(commands) == ["boot"]
    assert SetIntercomSettings(MESSENGER) in commands
