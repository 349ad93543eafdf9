"""The page's own record of the consent answer: a refusal forgets Intercom like a withdrawal, and a worker that
starts (or restarts) after the page recorded a refusal starts in the withdrawn state, whatever a saved state says."""

from __future__ import annotations

import json
from typing import Any

from py_bridge.core.bridge import Bridge, start_bridge
from py_bridge.core.commands import Command, ForgetIntercom, IntercomCall, LoadWidget, SetIntercomSettings
from py_bridge.core.worker import WorkerSession

APP = "abc12345"


def bridge(env: dict[str, Any] | None = None, **raw: Any) -> Bridge:
    made, errors = start_bridge({"app_id": APP, **raw}, env or {}, lambda: 1000.0)
    assert made is not None, errors
    return made


def call(method: str, *args: Any) -> dict[str, Any]:
    return {"kind": "call", "method": method, "args": list(args), "context": {"anonymous_id": "anon-1"}}


def touches_intercom(commands: list[Command]) -> bool:
    return any(isinstance(c, IntercomCall | LoadWidget | SetIntercomSettings) for c in commands)


def test_a_refusal_forgets_intercom_cookies_and_settings_as_a_withdrawal_does() -> None:
    """A visitor who consented on an earlier visit refuses on this one: the earlier visit's cookies must go."""
    made = bridge(consent={"required": True})
    made.start([])
    commands = made.receive({"kind": "consent", "granted": False})
    forgets = [c for c in commands if isinstance(c, ForgetIntercom)]
    assert len(forgets) == 1
    assert set(forgets[0].cookies) == {f"intercom-id-{APP}", f"intercom-session-{APP}", f"intercom-device-id-{APP}"}
    assert "app_id" in forgets[0].settings_keys
    assert not touches_intercom(commands)


def test_a_worker_that_starts_after_the_page_recorded_a_refusal_loads_nothing() -> None:
    """consent(false) while the worker was starting: the init says so, and nothing is loaded before the queued
    answer is replayed (today the load came first, then the identify's boot, then the withdrawal)."""
    made = bridge({"consent": "denied"})
    commands = made.start([call("identify", "u1", {"email": "u1@example.com"}), {"kind": "consent", "granted": False}])
    assert not touches_intercom(commands)
    assert not touches_intercom(made.receive(call("track", "After")))


def test_a_restart_takes_the_pages_answer_over_a_state_marked_granted() -> None:
    """A transformation posted a state marked granted and hung: the new worker starts from the page's answer."""
    old = bridge(consent={"required": True})
    old.start([])
    old.receive({"kind": "consent", "granted": True})
    forged = old.state()
    assert forged["consent"]["state"] == "granted"
    for answer in ("denied", "pending"):
        posted: list[str] = []
        session = WorkerSession(posted.append)
        init = {
            "type": "init",
            "settings": {"app_id": APP, "consent": {"required": True}},
            "items": [call("track", "X")],
        }
        session.handle(json.dumps({**init, "env": {"consent": answer, "widget": "idle"}, "state": forged}))
        sent = [c for text in posted for c in json.loads(text)]
        ops = {c.get("op") for c in sent} & {"load", "call", "settings"}
        assert ops == set(), (answer, sent)


def test_the_pages_granted_answer_does_not_skip_a_held_answer_in_the_queue() -> None:
    """Only a refusal is taken from the page's record: a grant still comes through the queue, in order."""
    made = bridge({"consent": "granted"}, consent={"required": True})
    commands = made.start([call("track", "Held"), {"kind": "consent", "granted": True}])
    assert [c.method for c in commands if isinstance(c, IntercomCall)][-1:] == ["trackEvent"]
