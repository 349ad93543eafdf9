"""The hand-over between workers: the bridge's state as plain JSON, and that JSON read back by the next worker.

A worker is replaced only when a transformation hung (worker.py). The page keeps the last `Bridge.state()` and gives
it to the new worker, whose `Bridge.resume` goes on from it. That data crossed the page, so it is read as untrusted
(saved_state.py): each field checked, a bad one named in `problems` and started afresh, and the problems said in one
warning. The destination's part is its own (`IntercomDestination.export_state` / `restore_state`): this module only
carries it. The transformations' module state is not in it: a new worker loads the files afresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, cast

from py_bridge.core.commands import Command, Log
from py_bridge.core.consent import ConsentGate
from py_bridge.core.consent import State as ConsentState
from py_bridge.core.page_user import User
from py_bridge.core.saved_state import STATE_VERSION, Fields, is_json

__all__ = ["MAX_SHOWN_PROBLEMS", "Saved", "read_state", "unusable", "write_state"]

MAX_SHOWN_PROBLEMS: Final = 5


@dataclass(frozen=True)
class Saved:
    """The bridge's part of a saved state, every field checked; `intercom` is read by the destination itself."""

    ready_sent: bool
    calls_handled: int
    debug: bool
    user: User
    consent: ConsentState
    held: list[dict[str, Any]]
    intercom: Fields


def write_state(
    *, ready_sent: bool, calls_handled: int, user: User, debug: bool, consent: ConsentGate, intercom: dict[str, Any]
) -> dict[str, Any]:
    """The state as plain JSON (cheap enough to take after every message)."""
    return {
        "v": STATE_VERSION,
        "ready_sent": ready_sent,
        "calls_handled": calls_handled,
        "user": [user[0], user[1]],
        "debug": debug,
        "consent": {"state": consent.state, "held": list(consent.buffer)},
        "intercom": intercom,
    }


def read_state(state: Any, problems: list[str], *, debug: bool, consent: ConsentGate) -> Saved | None:
    """`state` read field by field (a bad field takes the current value, `debug` or `consent`'s, or the default, and
    is named in `problems`); None when it is not a state of this version at all."""
    root = Fields(state, "", problems)
    if not root.data or root.data.get("v") != STATE_VERSION:
        if isinstance(state, dict):
            problems.append("state" if not state else "v")
        return None
    ready_sent = root.flag("ready_sent", True)
    calls_handled = root.count("calls_handled")
    saved_debug = root.flag("debug", debug)
    user = _saved_user(root)
    gate = root.object("consent")
    consent_state = gate.choice("state", ("pending", "granted", "denied"), consent.state)
    held = gate.objects("held", consent.limit)
    return Saved(
        ready_sent=ready_sent,
        calls_handled=calls_handled,
        debug=saved_debug,
        user=user,
        consent=cast(ConsentState, consent_state),  # one of the three, checked above
        held=held,
        intercom=root.object("intercom"),
    )


def unusable(problems: list[str]) -> list[Command]:
    """One warning naming the unusable parts of a saved state (the first few), or nothing when all was usable."""
    if not problems:
        return []
    shown = ", ".join(dict.fromkeys(problems[:MAX_SHOWN_PROBLEMS]))
    more = f" and {len(problems) - MAX_SHOWN_PROBLEMS} more" if len(problems) > MAX_SHOWN_PROBLEMS else ""
    return [Log("warn", f"worker restarted: part of the saved state was unusable ({shown}{more}); it starts afresh")]


def _saved_user(root: Fields) -> User:
    value = root.data.get("user")
    if value is None:
        return (None, {})
    if (
        isinstance(value, list)
        and len(value) == 2
        and (value[0] is None or isinstance(value[0], str))
        and isinstance(value[1], dict)
        and is_json(value[1])
    ):
        return (value[0], dict(value[1]))
    root.problems.append("user")
    return (None, {})
