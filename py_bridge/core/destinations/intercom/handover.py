"""The destination's part of a restarted worker's state: the session as plain JSON, and that JSON taken back.

A worker is replaced only when a transformation hung; the page hands the new one the last state the old one
posted (`Bridge.state` / `Bridge.resume`). That data crossed the page, so every field is checked before anything is
set (saved_state.py), and a budget charge from the future (more than a day past the clock) is not one this page
made. Budget charges are readings of the page's clock: the new worker's clock reads the same wall time, and
`Bridge.resume` moves it on to the newest charge, so they keep their meaning.
"""

from __future__ import annotations

from typing import Any, Final

from py_bridge.core.destinations.intercom.controls import LISTENABLE
from py_bridge.core.destinations.intercom.session import Session
from py_bridge.core.destinations.intercom.stats import Stats
from py_bridge.core.saved_state import Fields

__all__ = ["MAX_AHEAD_S", "WIDGET_STATES", "export_session", "restore_session"]

WIDGET_STATES: Final = ("idle", "loading", "late", "loaded", "failed")
MAX_AHEAD_S: Final = 24 * 3600  # a saved budget charge later than this past the clock is not one this page made


def export_session(widget: str, session: Session) -> dict[str, Any]:
    """The Messenger's state on the page (`widget`) and the session, as plain JSON."""
    updates = session.updates
    return {
        "widget": widget,
        "booted": session.booted,
        "user_id": session.user_id,
        "email": session.email,
        "sent": dict(session.sent),
        "pending": dict(updates.pending),
        "company": session.company,
        "listeners": sorted(session.listeners),
        "fresh_visitor": session.fresh_visitor,
        "mirrored": session.mirrored,
        "budget": updates.budget.charges(),
        "stats": vars(session.stats).copy(),
    }


def restore_session(data: Fields, widget: str, session: Session) -> str:
    """Take an exported session over into `session`; returns the Messenger's state (`widget` where the saved one
    is unusable). Each field is checked (`data` notes the bad ones) before anything is set.

    A scheduled flush died with the old worker: the queue's timer is gone (`IntercomDestination.resumed` sends or
    schedules the pending update again).
    """
    updates = session.updates
    widget = str(data.choice("widget", WIDGET_STATES, widget))
    booted = data.flag("booted", False)
    user_id = data.text("user_id")
    email = data.text("email")
    sent = data.mapping("sent", {}) or {}
    pending = data.mapping("pending", {}) or {}
    company = data.mapping("company", None)
    listeners = data.strings("listeners", LISTENABLE)
    fresh_visitor = data.flag("fresh_visitor", False)
    mirrored = data.mapping("mirrored", None)
    charges = data.numbers("budget", updates.budget.limit)
    if charges and charges[-1] > updates.clock() + MAX_AHEAD_S:
        data.problems.append("intercom.budget")
        charges = []
    counters = data.object("stats")
    stats = Stats(**{name: counters.count(name) for name in vars(Stats())})
    session.booted = booted
    session.user_id = user_id
    session.email = email
    session.sent = sent
    updates.pending = pending
    session.company = company
    session.listeners = {e for e in LISTENABLE if e in listeners}
    session.fresh_visitor = fresh_visitor
    session.mirrored = mirrored
    updates.budget.restore(charges)
    vars(session.stats).update(vars(stats))  # in place: the session's parts share this one record
    updates.timer_gone()
    return widget
