"""Who the user is, a restarted worker that goes on from the previous one's state, and transformations that start
afresh when the person on the page changes.

A restarted worker (the page kills one stuck in a transformation) is handed the last state the previous worker
posted, never a replay of the calls it handled: replaying would run the site's transformations again over the past
and throw away what the replay produced (a deferred update's tick).
"""

from __future__ import annotations

import json
import math
import sys
import textwrap
from typing import Any

import pytest

from py_bridge.core.bridge import Bridge, start_bridge
from py_bridge.core.commands import Command, Identity, IntercomCall, LoadWidget, Log, Ready, Schedule, State, to_message
from py_bridge.core.worker import WorkerSession
from tests.unit.test_bridge import Page as PostedMessages

APP = "abc12345"
MESSENGER = {"app_id": APP, "custom_launcher_selector": "#IntercomDefaultWidget"}
LOADED = {"kind": "signal", "name": "widget", "data": {"status": "loaded"}}
TICK = {"kind": "signal", "name": "tick", "data": {}}
PAGE_ORIGIN = "http://127.0.0.1:8000"
ENV = {"origins": [PAGE_ORIGIN]}


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


class Page(PostedMessages):
    """What the worker posts, decoded, also from a given post on."""

    def since(self, start: int) -> list[dict[str, Any]]:
        return [m for text in self.posted[start:] for m in json.loads(text)]

    def state(self) -> Any:
        states = [m["state"] for m in self.messages() if m["op"] == "state"]
        return states[-1] if states else None


def call(method: str, *args: Any) -> dict[str, Any]:
    return {"kind": "call", "method": method, "args": list(args), "context": {"anonymous_id": "anon-1"}}


def calls(commands: list[Command]) -> list[IntercomCall]:
    return [c for c in commands if isinstance(c, IntercomCall)]


def identities(commands: list[Command]) -> list[Identity]:
    return [c for c in commands if isinstance(c, Identity)]


def source(code: str) -> str:
    return textwrap.dedent(code).strip() + "\n"


def url(name: str) -> str:
    return f"{PAGE_ORIGIN}/t/{name}"


def bridge(files: dict[str, str] | None = None, clock: Clock | None = None, env: Any = None, **raw: Any) -> Bridge:
    files = files or {}
    settings = {"app_id": APP, **raw, **({"transform": [url(n) for n in files]} if files else {})}
    made, errors = start_bridge(
        settings, env or ENV, clock or Clock(), transform_sources=[(url(n), source(c)) for n, c in files.items()]
    )
    assert made is not None, errors
    return made


def fetched(name: str, code: str, index: int = 0) -> dict[str, Any]:
    return {"url": url(name), "index": index, "status": 200, "type": "text/x-python", "text": source(code)}


def init(files: dict[str, str], items: list[Any], state: Any = None, widget: str | None = None) -> str:
    message: dict[str, Any] = {
        "type": "init",
        "settings": {"app_id": APP, "transform": [url(n) for n in files]},
        "env": {**ENV, **({"widget": widget} if widget else {})},
        "items": items,
        "transforms": [fetched(n, c, i) for i, (n, c) in enumerate(files.items())],
    }
    if state is not None:
        message["state"] = state
    return json.dumps(message)


def batch(*items: Any) -> str:
    return json.dumps({"type": "batch", "items": list(items)})


PASS = "def transform(event):\n    return event\n"
COUNTER = """
    COUNT = [0]

    def transform(event):
        COUNT[0] += 1
        if event["type"] == "track":
            event["properties"]["count"] = COUNT[0]
        return event
"""
# Keeps every identify's email in module state and stamps them into track properties: a file that would carry
# one user's data into the next user's events if its module lived on.
REMEMBERS = """
    SEEN = []

    def transform(event):
        if event["type"] == "identify" and event["traits"].get("email"):
            SEEN.append(event["traits"]["email"])
        if event["type"] == "track":
            event["properties"]["seen"] = ",".join(SEEN)
        return event
"""


# -- item 2: pybridge.user() ---------------------------------------------------------------------------------------


def test_identify_with_another_user_id_replaces_the_traits_instead_of_merging_them() -> None:
    """analytics.js: a new user id drops the previous user's traits; Bob's user() holds none of Alice's."""
    b = bridge()
    b.start([LOADED, call("identify", "alice", {"email": "alice@example.com", "plan": "pro"})])
    switched = identities(b.receive(call("identify", "bob", {"name": "Bob"})))
    assert switched == [Identity("bob", {"name": "Bob"})]
    assert b.user == ("bob", {"name": "Bob"})


@pytest.mark.parametrize(
    ("first", "second", "merged"),
    [
        (["alice", {"plan": "pro"}], ["alice", {"seats": 3}], ("alice", {"plan": "pro", "seats": 3})),
        (["alice", {"plan": "pro"}], [{"seats": 3}], ("alice", {"plan": "pro", "seats": 3})),
        ([{"plan": "pro"}], ["bob", {"seats": 3}], ("bob", {"plan": "pro", "seats": 3})),
    ],
)
def test_identify_of_the_same_or_a_first_user_merges_the_traits(
    first: list[Any], second: list[Any], merged: tuple[str, dict[str, Any]]
) -> None:
    """Same id, no id, or an anonymous user getting an id: traits merge, as in analytics.js."""
    b = bridge()
    b.start([LOADED, call("identify", *first)])
    b.receive(call("identify", *second))
    assert b.user == merged


def test_consent_withdrawn_forgets_the_user_in_user() -> None:
    """consent(false) ends the session: pybridge.user() no longer names Alice."""
    b = bridge()
    b.start([LOADED, call("identify", "alice", {"email": "alice@example.com"})])
    commands = b.receive({"kind": "consent", "granted": False})
    assert identities(commands) == [Identity(None, {})]
    assert b.user == (None, {})


def test_bobs_boot_carries_none_of_alices_attributes_company_or_pending_data() -> None:
    """A switch ends Alice's session: her traits, her company and her deferred update never reach Bob's boot."""
    clock = Clock()
    b = bridge(clock=clock)
    b.start([LOADED, call("identify", "alice", {"email": "alice@example.com", "plan": "pro"}), call("group", "c1")])
    for i in range(25):
        b.receive(call("identify", "alice", {"n": i}))
    assert b.intercom.pending
    commands = b.receive(call("identify", "bob", {"name": "Bob"}))
    boots = [c.args[0] for c in calls(commands) if c.method == "boot"]
    assert boots == [{**MESSENGER, "user_id": "bob", "name": "Bob"}]
    clock.now += 3600
    assert calls(b.receive(TICK)) == []


# -- item 3: restart from state -------------------------------------------------------------------------------------


def test_the_state_command_is_sent_as_an_op_with_the_state() -> None:
    assert to_message(State({"v": 1})) == {"op": "state", "state": {"v": 1}}


def test_state_is_plain_json_even_with_dates_in_traits() -> None:
    """Dates the page sent as markers become text in the state: it crosses postMessage as JSON."""
    b = bridge(files={"pass.py": PASS})
    date = {"$pybridge": "date", "value": "2024-05-01T12:00:00.000Z"}
    b.start([LOADED, call("identify", "alice", {"created": date, "plan": "pro"})])
    state = b.state()
    assert json.loads(json.dumps(state, allow_nan=False)) == state
    assert state["v"] == 1
    assert state["user"][0] == "alice"


def test_the_worker_hands_the_page_its_state_only_with_transformations_and_only_when_it_changed() -> None:
    """Restarts only happen with transformations: without them no state is sent; an unchanged state is not resent."""
    plain = Page()
    session = WorkerSession(plain.post)
    session.handle(json.dumps({"type": "init", "settings": {"app_id": APP}, "env": ENV, "items": [LOADED]}))
    session.handle(batch(call("identify", "alice")))
    assert not [m for m in plain.messages() if m["op"] == "state"]

    page = Page()
    session = WorkerSession(page.post)
    session.handle(init({"pass.py": PASS}, [LOADED, call("identify", "alice")]))
    assert page.state()["user"] == ["alice", {}]
    count = len(page.posted)
    session.handle(batch(TICK))  # nothing changes
    assert not [m for m in page.since(count) if m["op"] == "state"]
    session.handle(batch(call("identify", "alice", {"plan": "pro"})))
    assert page.state()["user"] == ["alice", {"plan": "pro"}]


def test_a_resumed_worker_does_not_load_or_boot_the_messenger_again() -> None:
    """The page's Messenger is booted: a new worker given the state sends the new call only, no load, no boot."""
    first = Page()
    old = WorkerSession(first.post)
    old.handle(init({"pass.py": PASS}, [LOADED, call("identify", "alice", {"plan": "pro"})]))
    page = Page()
    new = WorkerSession(page.post)
    new.handle(init({"pass.py": PASS}, [call("track", "After")], state=first.state(), widget="loaded"))
    sent = page.messages()
    assert [m.get("method") for m in sent if m["op"] == "call"] == ["trackEvent"]
    assert not [m for m in sent if m["op"] in ("load", "ready", "settings", "watch_pages")]


def test_a_second_restart_still_knows_the_user() -> None:
    """Each worker hands on the state it was given plus what it did: the third worker still updates Alice."""
    state: Any = None
    for worker in range(3):
        page = Page()
        session = WorkerSession(page.post)
        items = [LOADED, call("identify", "alice", {"plan": "pro"})] if worker == 0 else []
        session.handle(init({"pass.py": PASS}, items, state=state, widget="loaded" if state else None))
        session.handle(batch(call("track", f"Seen {worker}")))
        state = page.state()
        assert state["user"] == ["alice", {"plan": "pro"}]
    count = len(page.posted)
    session.handle(batch(call("identify", {"seats": 3})))
    sent = page.since(count)
    assert [m.get("method") for m in sent if m["op"] == "call"] == ["update"]
    assert {"op": "identity", "user_id": "alice", "traits": {"plan": "pro", "seats": 3}} in sent


def test_a_deferred_update_is_scheduled_again_after_a_restart_and_sent_on_the_tick() -> None:
    """The old worker's timer died with it: the resumed bridge schedules the pending update again, and sends it."""
    clock = Clock()
    old = bridge(files={"pass.py": PASS}, clock=clock)
    old.start([LOADED, call("identify", "alice")])
    for i in range(25):
        old.receive(call("identify", "alice", {"n": i}))
    assert old.intercom.pending == {"n": 24}
    state = json.loads(json.dumps(old.state()))
    new = bridge(files={"pass.py": PASS}, clock=clock)
    resumed = new.resume(state, "loaded")
    assert [c for c in resumed if isinstance(c, Schedule)]
    assert not calls(resumed)
    clock.now += 30 * 60
    assert calls(new.receive(TICK)) == [IntercomCall("update", ({"n": 24},))]


def test_a_resumed_bridge_keeps_the_update_budget_it_had_spent() -> None:
    """20 updates spent before the restart: the next data update waits, it is not sent past Intercom's quota."""
    clock = Clock()
    old = bridge(files={"pass.py": PASS}, clock=clock)
    old.start([LOADED, call("identify", "alice")])
    for i in range(20):
        old.receive(call("identify", "alice", {"n": i}))
    new = bridge(files={"pass.py": PASS}, clock=clock)
    new.resume(json.loads(json.dumps(old.state())), "loaded")
    commands = new.receive(call("identify", "alice", {"n": 99}))
    assert calls(commands) == []
    assert [c for c in commands if isinstance(c, Schedule)]


def test_a_resumed_bridge_keeps_the_calls_held_for_consent_and_debug_mode() -> None:
    """Consent pending with calls held: they survive the restart and go out on consent(true)."""
    old = bridge(files={"pass.py": PASS}, consent={"required": True})
    old.start([call("track", "Held")])
    old.receive({"kind": "debug", "on": True})
    new = bridge(files={"pass.py": PASS}, consent={"required": True})
    new.resume(json.loads(json.dumps(old.state())), None)
    assert new.tracer.enabled
    commands = new.receive({"kind": "consent", "granted": True})
    assert any(isinstance(c, LoadWidget) for c in commands)
    assert [c.args[0] for c in calls(commands) if c.method == "trackEvent"] == ["Held"]


def test_transformations_are_not_run_again_over_the_calls_the_previous_worker_handled() -> None:
    """A counting file: after the restart it starts at 0 and counts only the new calls."""
    first = Page()
    old = WorkerSession(first.post)
    old.handle(init({"count.py": COUNTER}, [LOADED, call("identify", "alice")]))
    old.handle(batch(call("track", "A"), call("track", "B"), call("track", "C")))
    page = Page()
    new = WorkerSession(page.post)
    new.handle(init({"count.py": COUNTER}, [call("track", "D")], state=first.state(), widget="loaded"))
    tracks = [m["args"] for m in page.messages() if m.get("method") == "trackEvent"]
    assert tracks == [["D", {"count": 1}]]
    assert not [m for m in page.messages() if m.get("method") == "boot"]


HOSTILE_STATES: list[Any] = [
    "not a state",
    [],
    {},
    {"v": 2},
    {"v": 1, "user": "alice", "consent": [], "intercom": "x", "debug": "yes", "ready_sent": 3, "calls_handled": -1},
    {"v": 1, "user": [None, []], "intercom": {"booted": "yes", "sent": [], "pending": {"a": {"b": 1}}}},
    {"v": 1, "intercom": {"budget": ["x", None, math.inf], "widget": "exploded", "listeners": ["show", 3, "nope"]}},
    {"v": 1, "intercom": {"budget": list(range(10_000)), "company": 7, "mirrored": [], "user_id": 5, "stats": 5}},
    {"v": 1, "consent": {"state": "granted", "held": "x"}, "clock": 1e300},
    {"v": 1, "consent": {"state": "maybe", "held": [1, 2]}, "intercom": {"sent": {"x": object.__name__}}},
]


@pytest.mark.parametrize("state", HOSTILE_STATES)
def test_a_corrupt_state_never_raises_warns_once_and_the_bridge_works(state: Any) -> None:
    """Hostile or corrupt data falls back to defaults, with one warning; the next identify still reaches Intercom."""
    b = bridge(files={"pass.py": PASS})
    commands = b.resume(state, "loaded")
    warnings = [c for c in commands if isinstance(c, Log) and c.level == "warn"]
    assert len(warnings) == 1, commands
    assert not any(isinstance(c, Ready) for c in commands)
    later = b.receive(call("identify", "bob"))
    assert [c.method for c in calls(later)][-1] in ("boot", "update")


def test_a_state_from_a_session_that_the_page_says_is_loaded_overrides_a_loading_widget() -> None:
    """The state says loading, the page says loaded (the signal reached the dead worker): the page wins."""
    old = bridge(files={"pass.py": PASS})
    old.start([])
    assert old.intercom.widget == "loading"
    new = bridge(files={"pass.py": PASS})
    resumed = new.resume(json.loads(json.dumps(old.state())), "loaded")
    assert new.intercom.widget == "loaded"
    assert Ready() in resumed  # the old worker never got to say it: the page's ready callbacks run now
    assert new.receive(LOADED) == []


def test_a_worker_given_a_corrupt_state_warns_once_and_handles_the_calls() -> None:
    page = Page()
    session = WorkerSession(page.post)
    session.handle(init({"pass.py": PASS}, [call("track", "E")], state={"v": 1, "user": 5}, widget="loaded"))
    messages = page.messages()
    assert len([m for m in messages if m["op"] == "log" and m["level"] == "warn"]) == 1
    assert [m["args"][0] for m in messages if m.get("method") == "trackEvent"] == ["E"]


def test_the_state_of_a_typical_session_is_cheap_to_take() -> None:
    """state() plus json.dumps runs after every batch: for a typical session it costs well under a millisecond
    (the bound here is loose, for slow CI machines; the figure is printed)."""
    import time

    b = bridge(files={"pass.py": PASS})
    traits = {"email": "alice@example.com", "name": "Alice", "plan": "pro", "seats": 12, "company_size": "50-200"}
    b.start([LOADED, call("identify", "alice", traits), call("group", "c1", {"name": "Acme", "plan": "team"})])
    b.receive({"kind": "listen", "event": "unread"})
    for i in range(30):
        b.receive(call("identify", "alice", {"n": i}))
    runs = 200
    started = time.perf_counter()
    for _ in range(runs):
        json.dumps(b.state(), ensure_ascii=False, allow_nan=False, default=str)
    per_call_ms = (time.perf_counter() - started) * 1000 / runs
    print(f"state() + json.dumps: {per_call_ms:.3f} ms", file=sys.stderr)
    assert per_call_ms < 5


# -- item 8: transformations start afresh ---------------------------------------------------------------------------


def seen_in_tracks(commands: list[Command]) -> list[str]:
    return [c.args[1].get("seen", "") for c in calls(commands) if c.method == "trackEvent" and len(c.args) > 1]


def alice_then(b: Bridge) -> None:
    b.start([LOADED, call("identify", "alice", {"email": "alice@example.com"})])
    assert seen_in_tracks(b.receive(call("track", "Alice Event"))) == ["alice@example.com"]


def test_after_reset_a_transformation_keeps_no_trace_of_the_previous_user() -> None:
    b = bridge(files={"remembers.py": REMEMBERS})
    alice_then(b)
    b.receive(call("reset"))
    b.receive(call("identify", "bob", {"email": "bob@example.com"}))
    assert seen_in_tracks(b.receive(call("track", "Bob Event"))) == ["bob@example.com"]


def test_a_user_switch_starts_transformations_afresh_before_the_new_users_identify() -> None:
    b = bridge(files={"remembers.py": REMEMBERS})
    alice_then(b)
    b.receive(call("identify", "bob", {"email": "bob@example.com"}))
    assert seen_in_tracks(b.receive(call("track", "Bob Event"))) == ["bob@example.com"]


def test_the_same_user_identifying_again_keeps_the_transformations_state() -> None:
    b = bridge(files={"remembers.py": REMEMBERS})
    alice_then(b)
    b.receive(call("identify", "alice", {"email": "alice@work.example"}))
    assert seen_in_tracks(b.receive(call("track", "Again"))) == ["alice@example.com,alice@work.example"]


def test_consent_withdrawn_and_given_again_starts_transformations_afresh() -> None:
    b = bridge(files={"remembers.py": REMEMBERS})
    alice_then(b)
    b.receive({"kind": "consent", "granted": False})
    b.receive({"kind": "consent", "granted": True})
    b.receive(call("identify", "bob", {"email": "bob@example.com"}))
    assert seen_in_tracks(b.receive(call("track", "Bob Event"))) == ["bob@example.com"]


def test_the_worker_marks_each_reload_after_a_reset() -> None:
    """The page's watchdog hears "load" for every file re-executed at a reset, as at the start."""
    page = Page()
    marks: list[tuple[str, str]] = []
    session = WorkerSession(page.post, mark=lambda name, phase: marks.append((name, phase)))
    session.handle(init({"remembers.py": REMEMBERS}, [LOADED, call("identify", "alice")]))
    session.handle(batch(call("reset")))
    assert marks == [(url("remembers.py"), "load"), (url("remembers.py"), "run"), (url("remembers.py"), "load")]


def test_a_resumed_bridge_does_not_register_a_messenger_listener_twice() -> None:
    """The page's Messenger keeps the callbacks the old worker registered: the same intercom.on() adds none."""
    old = bridge(files={"pass.py": PASS})
    old.start([LOADED])
    assert old.receive({"kind": "listen", "event": "unread"})
    new = bridge(files={"pass.py": PASS})
    new.resume(json.loads(json.dumps(old.state())), "loaded")
    assert new.receive({"kind": "listen", "event": "unread"}) == []
