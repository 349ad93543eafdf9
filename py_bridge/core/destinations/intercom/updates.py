"""The update queue: data on its way to Intercom through the `update` budget.

Intercom ignores updates past its quota (see throttle.py), so an update is sent only when the budget allows it.
Data that cannot go now waits here, merged (the newest value per key wins), and one timer (a `Schedule` command,
whose tick comes back as a signal) sends it once the budget frees: nothing carrying data is lost. A page view's
update carries no data: when the budget is short it is skipped rather than queued, keeping the last updates for data.

The queue decides when an update goes; what sending it means (what Intercom then holds, what the page mirrors) is
the session's, passed in as `send`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from py_bridge.core.commands import Command, Log, Schedule
from py_bridge.core.destinations.intercom.stats import Stats
from py_bridge.core.destinations.intercom.throttle import UpdateBudget

__all__ = ["UpdateQueue"]

_MISSING: Final = object()


class UpdateQueue:
    """Pending data, the budget it waits for, and the one timer that sends it."""

    def __init__(
        self,
        clock: Callable[[], float],
        budget: UpdateBudget,
        stats: Stats,
        send: Callable[[dict[str, Any]], list[Command]],
    ) -> None:
        self.clock = clock  # the page's clock: Intercom counts the quota in the page
        self.budget = budget
        self.stats = stats
        self.send = send  # the session's: records the payload as held by Intercom, returns the commands
        self.pending: dict[str, Any] = {}  # data waiting for update budget; newest value per key wins
        self.flush_scheduled = False

    def update(
        self, data: dict[str, Any] | None, held: Mapping[str, Any], force: tuple[str, ...] = ()
    ) -> list[Command]:
        """Send `data` (None: a page view's update, carrying nothing) as far as Intercom does not `held` it already,
        now if the budget allows, else merged into the pending update. Keys in `force` are sent even when held."""
        now = self.clock()
        changes = {k: v for k, v in (data or {}).items() if k in force or held.get(k, _MISSING) != v}
        for key in (data or {}).keys() - changes.keys():
            self.pending.pop(key, None)  # changed back to what Intercom holds: an older pending value must not win
        if data is not None and not changes and not self.pending:
            return [Log("debug", "update skipped: Intercom already holds this data")]
        self.pending.update(changes)
        carries = bool(self.pending)
        if self.budget.can_send(now, carries_data=carries):
            return self._send(now)
        if not carries:
            self.stats.page_updates_skipped += 1
            return [Log("debug", "page update skipped: keeping the Intercom update budget for data")]
        self.stats.updates_deferred += 1
        return self._schedule(
            now, "update deferred (Intercom allows 20 per 30 minutes); merged into the pending update"
        )

    def flush(self) -> list[Command]:
        """Send the pending update if the budget allows, else wait for the timer (the caller has checked that
        there is a booted session and a Messenger to send it to)."""
        if not self.pending:
            return []
        now = self.clock()
        if self.budget.can_send(now, carries_data=True):
            return self._send(now)
        return self._schedule(now, "pending update still waiting for budget")

    def timer_gone(self) -> None:
        """The timer fired, or died with a previous worker: a later wait schedules a new one."""
        self.flush_scheduled = False

    def clear(self) -> None:
        """Nothing pending: a boot carries the data itself, and an ended session's data is no one's."""
        self.pending = {}

    def latest_charge(self) -> float | None:
        """When the newest update still in the budget's window was sent (a restarted worker's clock starts there)."""
        charges = self.budget.charges()
        return charges[-1] if charges else None

    def _send(self, now: float) -> list[Command]:
        payload, self.pending = self.pending, {}
        self.budget.use(now)
        self.stats.updates_sent += 1
        return self.send(payload)

    def _schedule(self, now: float, message: str) -> list[Command]:
        commands: list[Command] = [Log("debug", message)]
        if not self.flush_scheduled:
            self.flush_scheduled = True
            commands.append(Schedule(self.budget.seconds_until_free(now) + 0.05))
        return commands
