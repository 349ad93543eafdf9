"""Notes: the warnings a pure step collects while it repairs or drops input.

Pure functions cannot print into the page; they append to a `Notes` and the caller turns each note into one
`[py-bridge]` console warning (a `Log` command). Passing the collector in keeps mapping free of side effects.

A note may name its kind (what went wrong) and its subject (the key it went wrong for): notes of one kind fold into
one line that counts them and names the first few subjects, so a call with a thousand bad keys is one console line,
not a thousand. A note without a kind stands alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

__all__ = ["MAX_SUBJECTS", "Notes"]

MAX_SUBJECTS: Final = 10  # a folded line names this many subjects, then counts the rest


@dataclass
class _Kind:
    first: str  # the first note of this kind, word for word: shown alone when it stays the only one
    kind: str
    subjects: list[str] = field(default_factory=list)
    count: int = 0

    def text(self) -> str:
        if self.count == 1:
            return self.first
        named = ", ".join(self.subjects)
        more = f", and {self.count - len(self.subjects)} more" if self.count > len(self.subjects) else ""
        return f"{self.kind} ({self.count}): {named}{more}"


class Notes:
    """An ordered list of human-readable warnings, each naming the key or call it is about."""

    def __init__(self) -> None:
        self._notes: list[str | _Kind] = []
        self._kinds: dict[str, _Kind] = {}

    def warn(self, message: str, *, kind: str | None = None, subject: str = "") -> None:
        """Add a note. With a `kind`, it folds into the first note of that kind (its place in the order)."""
        if kind is None:
            self._notes.append(message)
            return
        group = self._kinds.get(kind)
        if group is None:
            group = self._kinds[kind] = _Kind(message, kind)
            self._notes.append(group)
        group.count += 1
        if len(group.subjects) < MAX_SUBJECTS:
            group.subjects.append(subject or "?")

    @property
    def items(self) -> list[str]:
        return [note if isinstance(note, str) else note.text() for note in self._notes]

    def __len__(self) -> int:
        return len(self._notes)

    def __iter__(self) -> Iterator[str]:
        return iter(self.items)

    def __getitem__(self, index: int) -> str:
        return self.items[index]
