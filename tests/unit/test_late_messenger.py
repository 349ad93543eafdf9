"""A Messenger that starts after widget_timeout_ms: the calls made while the page waited for it are kept, in order,
bounded like the pre-start queue, and delivered once it starts; when the late window ends without it, they are
dropped with one note saying how many."""

from __future__ import annotations

from typing import Any

from py_bridge.core.bridge import Bridge, start_bridge
from py_bridge.core.commands import Command, IntercomCall, Log

APP = "abc12345"
LATE = {"kind": "signal", "name": "widget", "data": {"status": "late", "reason": "did not start within 8 s"}}
LATE_START = {"kind": "signal", "name": "widget", "data": {"status": "loaded", "late": True}}
NEVER = {"kind": "signal", "name": "widget", "data": {"status": "failed", "reason": "no Messenger within 2 min"}}


def bridge(**raw: Any) -> Bridge:
    made, errors = start_bridge({"app_id": APP, **raw}, {}, lambda: 1000.0)
    assert made is not None, errors
    return made


def call(method: str, *args: Any) -> dict[str, Any]:
    return {"kind": "call", "method": method, "args": list(args), "context": {"anonymous_id": "anon-1"}}


def intercom(commands: list[Command]) -> list[tuple[str, tuple[Any, ...]]]:
    return [(c.method, c.args) for c in commands if isinstance(c, IntercomCall)]


def lines(commands: list[Command], level: str) -> list[str]:
    return [c.message for c in commands if isinstance(c, Log) and c.level == level]


def timed_out(made: Bridge) -> list[Command]:
    """Start, identify u1 (queued in the widget's stub before the timeout), then widget_timeout_ms passes."""
    made.start([call("identify", "u1", {"email": "u1@example.com"})])
    return made.receive(LATE)


def test_calls_made_after_the_timeout_reach_a_messenger_that_starts_late_in_order() -> None:
    made = bridge()
    said = timed_out(made)
    assert len(lines(said, "warn")) == 1
    assert "did not start" in lines(said, "warn")[0]
    meanwhile: list[Command] = []
    meanwhile += made.receive(call("track", "Late 1"))
    meanwhile += made.receive(call("group", "c1", {"name": "Acme"}))
    meanwhile += made.receive(call("track", "Late 2", {"n": 2}))
    assert intercom(meanwhile) == []  # nothing to send to yet: the page's Messenger is not there
    delivered = made.receive(LATE_START)
    assert intercom(delivered) == [
        ("trackEvent", ("Late 1",)),
        ("update", ({"company": {"company_id": "c1", "name": "Acme"}},)),
        ("trackEvent", ("Late 2", {"n": 2})),
    ]
    assert any("3 call(s)" in line for line in lines(delivered, "info"))
    assert intercom(made.receive(call("track", "After"))) == [("trackEvent", ("After",))]


def test_a_user_switch_while_waiting_is_delivered_as_shutdown_and_boot_of_the_new_user_with_its_credential() -> None:
    made = bridge(identity_verification="user_hash")
    made.start([call("identify", "u1", {}, {"integrations": {"Intercom": {"user_hash": "h1"}}})])
    made.receive(LATE)
    made.receive(
        call("identify", "u2", {"email": "u2@example.com"}, {"integrations": {"Intercom": {"user_hash": "h2"}}})
    )
    made.receive(call("track", "As u2"))
    delivered = intercom(made.receive(LATE_START))
    assert [method for method, _ in delivered] == ["shutdown", "boot", "trackEvent"]
    booted = delivered[1][1][0]
    assert (booted["user_id"], booted["email"], booted["user_hash"]) == ("u2", "u2@example.com", "h2")


def test_the_late_queue_has_the_pre_start_bound_and_one_note_for_what_it_drops() -> None:
    made = bridge(max_queue=3)
    timed_out(made)
    said: list[Command] = []
    for n in range(10):
        said += made.receive(call("track", f"E{n}"))
    full = [line for line in lines(said, "warn") if "max_queue" in line]
    assert len(full) == 1, lines(said, "warn")
    delivered = intercom(made.receive(LATE_START))
    assert delivered == [("trackEvent", ("E0",)), ("trackEvent", ("E1",)), ("trackEvent", ("E2",))]


def test_when_the_late_window_ends_without_a_messenger_the_kept_calls_are_dropped_with_one_note() -> None:
    made = bridge()
    timed_out(made)
    for n in range(4):
        made.receive(call("track", f"E{n}"))
    ended = made.receive(NEVER)
    warned = lines(ended, "warn")
    assert len(warned) == 1, warned
    assert "4 call(s)" in warned[0]
    assert intercom(made.receive(call("track", "Later"))) == []
    assert intercom(made.receive(LATE_START)) == []  # the window is over: a start now is not waited for


def test_ready_fires_when_the_timeout_passes_not_only_when_the_late_window_ends() -> None:
    made = bridge()
    made.start([])
    commands = made.receive(LATE)
    assert any(type(c).__name__ == "Ready" for c in commands)
