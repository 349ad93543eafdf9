"""The page's user: who the bridge believes is on the page, as the read-only `pybridge.user()` shows it.

analytics.js offers the same read: the user id and the traits, kept in step with identify and reset. The page is
told after each change (an `Identity` command). The bridge also asks it whether a call is about another person
than before: then the transformations start afresh, so no module state outlives the person it was about.
"""

from __future__ import annotations

import json
from typing import Any

from py_bridge.core.commands import Command, Identity
from py_bridge.core.events import Event

__all__ = ["PageUser", "User"]

User = tuple[str | None, dict[str, Any]]  # the user id and the traits as plain JSON (what the page shows)


class PageUser:
    """The known user id and traits, updated by identify and reset, forgotten when consent is withdrawn."""

    def __init__(self) -> None:
        self.current: User = (None, {})

    def another_person(self, event: Event) -> bool:
        """A reset, or an identify naming a user other than the known one: someone else is on the page now."""
        if event.type == "reset":
            return True
        known = self.current[0]
        return event.type == "identify" and bool(event.user_id) and known is not None and event.user_id != known

    def follow(self, event: Event) -> list[Command]:
        """Keep the user in step with identify and reset; the page is told when it changed.

        As analytics.js: an identify with a user id other than the known one is another person, whose traits
        replace the previous user's; otherwise (same id, no id, the first id) the traits are merged.
        """
        user_id, traits = self.current
        if event.type == "reset":
            updated: User = (None, {})
        elif event.type == "identify":
            plain = json.loads(json.dumps(event.traits, default=str))  # plain JSON (decoded traits hold datetimes)
            if self.another_person(event):
                updated = (event.user_id, plain)
            else:
                updated = (event.user_id or user_id, {**traits, **plain})
        else:
            return []
        if updated == self.current:
            return []
        self.current = updated
        return [Identity(updated[0], updated[1])]

    def forget(self) -> list[Command]:
        """No one is known any more (consent withdrawn); the page is told if someone was."""
        forgotten: list[Command] = [] if self.current == (None, {}) else [Identity(None, {})]
        self.current = (None, {})
        return forgotten
