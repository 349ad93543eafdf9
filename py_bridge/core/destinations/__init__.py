"""Destinations: where events go. Each is a small object that turns events into commands."""

from __future__ import annotations

from typing import Any, Protocol

from py_bridge.core.commands import Command
from py_bridge.core.events import Event

__all__ = ["Destination"]


class Destination(Protocol):
    """What the pipeline needs from a destination. Hooks return commands; they never perform calls."""

    name: str

    def load(self) -> list[Command]:
        """Commands that load the vendor's script (called once, after consent when consent is required)."""
        ...

    def handle(self, event: Event) -> list[Command]:
        """Commands for one event."""
        ...

    def settle(self) -> list[Command]:
        """Called once the pre-load queue has been replayed: e.g. boot a visitor if nothing else did."""
        ...

    def signal(self, name: str, data: dict[str, Any]) -> list[Command]:
        """A fact reported by the page (script loaded or failed, Messenger opened, timer fired)."""
        ...
