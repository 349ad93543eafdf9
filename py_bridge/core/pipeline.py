"""The pipeline: middleware over events, then each destination; failures are contained and logged.

Middleware is a plain function `Event -> Event | None` (None drops the event). A destination that raises is reported
once with a `[py-bridge]` error and the call is dropped; the page and the other calls are unaffected.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from py_bridge.core.commands import Command, Log
from py_bridge.core.destinations import Destination
from py_bridge.core.events import Event
from py_bridge.core.settings import EventFilter

__all__ = ["Middleware", "Pipeline", "event_filter"]

Middleware = Callable[[Event], Event | None]


def event_filter(rule: EventFilter) -> Middleware:
    """Drop track calls the site's allow/deny list rejects (RudderStack's client-side event filtering)."""

    def apply(event: Event) -> Event | None:
        if event.type != "track" or event.name is None:
            return event
        return event if rule.admits(event.name) else None

    apply.drop_note = "filtered out"  # type: ignore[attr-defined]
    return apply


class Pipeline:
    def __init__(self, middleware: Sequence[Middleware], destinations: Sequence[Destination]) -> None:
        self.middleware = list(middleware)
        self.destinations = list(destinations)

    def run(self, event: Event) -> list[Command]:
        current = event
        for step in self.middleware:
            kept = step(current)
            if kept is None:
                # the transformations tell their own story (dropped by which file); the event filter needs a line
                said = getattr(step, "drop_note", "dropped before Intercom")
                return [Log("debug", f"{event.type} {event.name or ''} {said}".replace("  ", " "))]
            current = kept
        commands: list[Command] = []
        for destination in self.destinations:
            try:
                commands.extend(destination.handle(current))
            except Exception as error:  # contained: one bad call must never stop the bridge
                commands.append(Log("error", f"{destination.name} failed on {event.type}: {type(error).__name__}"))
        return commands
