"""Decoding what crosses the page -> worker boundary into plain Python values.

embed.js cannot post functions, Symbols or cycles to a worker, so it encodes anything JSON cannot carry as a
marker object `{"$pybridge": kind, ...}` (Dates keep their instant). Here those markers become Python values or are
dropped with a note, and keys that would pollute JavaScript prototypes are removed, so nothing unserialisable or
unbounded travels further.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any, Final

from py_bridge.core.notes import Notes

__all__ = [
    "MAX_CHARS",
    "MAX_DEPTH",
    "MAX_ITEMS",
    "MAX_KEY",
    "MAX_NODES",
    "MAX_STRING",
    "POISON_KEYS",
    "decode",
    "is_date",
]

# The transport's bounds, applied by both entries' encoders (embed.js reads them from py_bridge.core.protocol, the
# PyScript entry from here) and again when decoding.
MAX_DEPTH: Final = 32  # deeper structures are dropped; nothing Intercom accepts is more than 2 levels deep
MAX_ITEMS: Final = 1000  # per object or array
MAX_STRING: Final = 10_000  # longer strings are cut; Intercom itself stops at 255
MAX_NODES: Final = 20_000  # values per call: shared references can make a small object graph enormous as a tree
MAX_CHARS: Final = 1_000_000  # characters per call (strings and object keys)
MAX_KEY: Final = 255  # characters in one object key: embed.js drops a longer key
POISON_KEYS: Final = frozenset({"__proto__", "constructor", "prototype"})


class _Drop:
    """Sentinel for 'leave this value out'."""


DROP: Final = _Drop()


def is_date(value: object) -> bool:
    return isinstance(value, datetime)


def _marker(value: dict[str, Any], path: str, notes: Notes, depth: int) -> Any:
    kind = value.get("$pybridge")
    if kind == "date":
        ms = value.get("ms")
        if isinstance(ms, int | float) and not isinstance(ms, bool) and math.isfinite(ms):
            try:
                return datetime.fromtimestamp(ms / 1000, tz=UTC)
            except (OverflowError, OSError, ValueError):
                pass
        notes.warn(f"{path}: invalid Date dropped")
        return DROP
    if kind == "number":
        notes.warn(f"{path}: {value.get('value')} is not a finite number; dropped")
        return DROP
    if kind == "bigint":
        text = str(value.get("value", ""))
        try:
            number = int(text)
        except ValueError:
            notes.warn(f"{path}: BigInt could not be read; dropped")
            return DROP
        if abs(number) <= 2**53:
            return number
        notes.warn(f"{path}: BigInt too large for a JavaScript number; sent as a string")
        return text
    if kind == "circular":
        notes.warn(f"{path}: circular reference dropped")
        return DROP
    if kind == "too_deep":
        notes.warn(f"{path}: nested too deeply; dropped")
        return DROP
    if kind == "too_large":
        limits = f"over {MAX_NODES:,} values or {MAX_CHARS:,} characters"
        notes.warn(f"{path}: the call carries too much data ({limits}); rest dropped")
        return DROP
    if kind == "unsupported":
        notes.warn(f"{path}: a {value.get('type', 'value')} cannot be sent; dropped")
        return DROP
    if kind == "undefined":
        return None
    # An unknown marker is ordinary page data that happens to use our key: keep it as a plain object.
    return _plain_dict(value, path, notes, depth)


def decode(value: Any, path: str, notes: Notes, depth: int = 0) -> Any:
    """Return `value` as JSON-like Python (dates as aware datetimes), or DROP. Never raises."""
    if value is None or isinstance(value, bool | str):
        if isinstance(value, str) and len(value) > MAX_STRING:
            return value[:MAX_STRING]
        return value
    if isinstance(value, int):
        if abs(value) <= 2**53:
            return value
        # Beyond 2**53 a JavaScript number is a float anyway; one too large even for that is dropped, not raised on.
        try:
            value = float(value)
        except OverflowError:
            notes.warn(f"{path}: number too large; dropped")
            return DROP
    if isinstance(value, float):
        if math.isfinite(value):
            return int(value) if value.is_integer() and abs(value) < 2**53 else value
        notes.warn(f"{path}: {value} is not a finite number; dropped")
        return DROP
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if depth >= MAX_DEPTH:
        notes.warn(f"{path}: nested too deeply; dropped")
        return DROP
    if isinstance(value, dict):
        if "$pybridge" in value:
            return _marker(value, path, notes, depth)
        return _plain_dict(value, path, notes, depth)
    if isinstance(value, list | tuple):
        out = []
        for index, item in enumerate(value[:MAX_ITEMS]):
            decoded = decode(item, f"{path}[{index}]", notes, depth + 1)
            if decoded is not DROP:
                out.append(decoded)
        return out
    notes.warn(f"{path}: unsupported value of type {type(value).__name__}; dropped")
    return DROP


def _plain_dict(value: dict[Any, Any], path: str, notes: Notes, depth: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for count, (key, item) in enumerate(value.items()):
        if count >= MAX_ITEMS:
            notes.warn(f"{path}: more than {MAX_ITEMS} keys; the rest dropped")
            break
        name = str(key)
        if name in POISON_KEYS:
            notes.warn(f"{path}.{name}: key not allowed (prototype pollution); dropped")
            continue
        decoded = decode(item, f"{path}.{name}", notes, depth + 1)
        if decoded is not DROP:
            out[name] = decoded
    return out
