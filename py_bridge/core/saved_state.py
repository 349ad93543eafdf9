"""Reading a saved bridge state defensively: a restarted worker starts from data that crossed the page.

`Bridge.state()` hands the page its state as plain JSON after each message (only when transformations are
configured: a worker is only ever restarted because a transformation hung), and a new worker is given the last one
back (`Bridge.resume`). That data went through the page, so it is read as untrusted: every field is checked, a
missing one takes its default quietly, a wrong one takes its default and is named in `problems` (the bridge then
says once that part of the state was unusable). Nothing here raises.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from typing import Any, Final, TypeVar

__all__ = ["MAX_DEPTH", "STATE_VERSION", "Fields", "is_json"]

STATE_VERSION: Final = 1
MAX_DEPTH: Final = 32  # nested JSON deeper than this is not data the bridge ever made
T = TypeVar("T")


def is_json(value: Any, depth: int = 0) -> bool:
    """True for plain JSON data: objects with string keys, lists, strings, finite numbers, booleans, null."""
    if value is None or isinstance(value, bool | str):
        return True
    if isinstance(value, int | float):
        return math.isfinite(value)
    if depth >= MAX_DEPTH:
        return False
    if isinstance(value, list):
        return all(is_json(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_json(v, depth + 1) for k, v in value.items())
    return False


class Fields:
    """One object of a saved state, read field by field: each read returns a checked value or the default."""

    def __init__(self, data: Any, path: str = "", problems: list[str] | None = None) -> None:
        self.problems: list[str] = [] if problems is None else problems
        self.path = path
        if data is not None and not isinstance(data, dict):
            self._bad("")
            data = None
        self.data: dict[str, Any] = data or {}

    def _bad(self, key: str) -> None:
        self.problems.append(".".join(p for p in (self.path, key) if p) or "state")

    def _get(self, key: str, valid: bool | None, default: T) -> Any:
        """The value when `valid`, else the default (and a problem when the key was there)."""
        if key not in self.data:
            return default
        if not valid:
            self._bad(key)
            return default
        return self.data[key]

    def object(self, key: str) -> Fields:
        return Fields(self.data.get(key), ".".join(p for p in (self.path, key) if p), self.problems)

    def flag(self, key: str, default: bool) -> bool:
        value: bool = self._get(key, isinstance(self.data.get(key), bool), default)
        return value

    def count(self, key: str, default: int = 0) -> int:
        value = self.data.get(key)
        valid = isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**53
        result: int = self._get(key, valid, default)
        return result

    def text(self, key: str, limit: int = 2000) -> str | None:
        value = self.data.get(key)
        valid = value is None or (isinstance(value, str) and len(value) <= limit)
        result: str | None = self._get(key, valid, None)
        return result

    def choice(self, key: str, options: Iterable[str], default: T) -> T | str:
        value = self.data.get(key)
        result: T | str = self._get(key, isinstance(value, str) and value in set(options), default)
        return result

    def mapping(self, key: str, default: dict[str, Any] | None) -> dict[str, Any] | None:
        """A JSON object (copied), or None where `default` is None and the state holds null."""
        value = self.data.get(key)
        valid = (isinstance(value, dict) and is_json(value)) or (value is None and default is None)
        result: dict[str, Any] | None = self._get(key, valid, default)
        return dict(result) if result is not None else None

    def numbers(self, key: str, limit: int) -> list[float]:
        """At most `limit` finite numbers in ascending order."""
        value = self.data.get(key)
        valid = (
            isinstance(value, list)
            and len(value) <= limit
            and all(isinstance(n, int | float) and not isinstance(n, bool) and math.isfinite(n) for n in value)
            and all(a <= b for a, b in itertools.pairwise(value))
        )
        result: list[Any] = self._get(key, valid, [])
        return [float(n) for n in result]

    def strings(self, key: str, options: Iterable[str]) -> list[str]:
        value = self.data.get(key)
        allowed = set(options)
        valid = isinstance(value, list) and all(isinstance(v, str) and v in allowed for v in value)
        result: list[str] = self._get(key, valid, [])
        return list(result)

    def objects(self, key: str, limit: int) -> list[dict[str, Any]]:
        """At most `limit` JSON objects (a longer list, or one with anything else in it, is a problem)."""
        value = self.data.get(key)
        valid = (
            isinstance(value, list)
            and len(value) <= limit
            and all(isinstance(item, dict) and is_json(item) for item in value)
        )
        result: list[dict[str, Any]] = self._get(key, valid, [])
        return list(result)
