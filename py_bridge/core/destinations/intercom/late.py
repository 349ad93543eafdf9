"""The late Messenger's queue: calls kept while the page waits for a Messenger that missed widget_timeout_ms.

On a slow link the script may still arrive after the page stopped waiting ("late"). Dropping the calls made
meanwhile would lose a login or a purchase for good, so they are kept, in order, and sent if the Messenger starts
after all (within two minutes, the page's watch); if it fails they are dropped and counted in one warning. The
queue is bounded like the pre-start queue (the `max_queue` setting): past it, calls are dropped with one warning.
Listeners asked for meanwhile are kept too: they cannot be registered with a Messenger that is not there yet.
"""

from __future__ import annotations

from py_bridge.core.commands import Command, Listen, Log, MessengerEvent
from py_bridge.core.events import Event

__all__ = ["LateMessenger"]


class LateMessenger:
    """What waits for a late Messenger: the calls (bounded by `limit`) and the listeners not yet registered."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.kept: list[Event] = []
        self.dropped = 0  # calls past the limit; counted in the warning if the Messenger fails
        self.unregistered: set[MessengerEvent] = set()

    def keep(self, event: Event) -> list[Command]:
        """Keep one call for the Messenger; past the limit, drop it (one warning for the whole wait)."""
        if len(self.kept) < self.limit:
            self.kept.append(event)
            return [Log("debug", f"{event.type} kept until the Intercom Messenger starts")]
        self.dropped += 1
        if self.dropped > 1:
            return []
        return [
            Log(
                "warn",
                f"the queue for the late Messenger is full ({self.limit} calls, setting max_queue); further "
                "calls are dropped until it starts",
            )
        ]

    def started(self, booted: bool) -> tuple[list[Command], list[Event]]:
        """The Messenger started: the listener registrations it missed (when a session is booted to receive
        them; a later boot registers every listener anyway) and the kept calls, in order, to send now."""
        registrations: list[Command] = [Listen(e) for e in sorted(self.unregistered)] if booted else []
        kept, self.kept = self.kept, []
        self.unregistered = set()
        return registrations, kept

    def failed(self) -> int:
        """The Messenger will not start: forget the kept calls; returns how many were kept or dropped."""
        count = len(self.kept) + self.dropped
        self.kept.clear()
        self.dropped = 0
        return count
