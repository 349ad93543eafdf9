"""Notes: the warnings a pure step collects while it repairs or drops input.

Pure functions cannot print into the page; they append to a `Notes` and the caller turns each note into one
`[py-bridge]` console warning (a `Log` command). Passing the collector in keeps mapping free of side effects.
"""

from __future__ import annotations

__all__ = ["Notes"]


class Notes:
    """An ordered list of human-readable warnings, each naming the key or call it is about."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def warn(self, message: str) -> None:
        self.items.append(message)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.items)
