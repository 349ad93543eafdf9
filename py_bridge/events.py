"""Events: one normalised value per public call, whatever argument shapes the page used.

The page calls `pybridge.identify(...)` with the analytics.js shapes (optional leading arguments, objects in
several positions). `normalise` resolves those shapes once, so every later step sees the same fields. Bad input
never raises: it is repaired or dropped with a note.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final, Literal

from py_bridge.notes import Notes
from py_bridge.values import DROP, decode

__all__ = ["CALL_METHODS", "Event", "EventType", "normalise"]

EventType = Literal["page", "identify", "track", "group", "reset"]
CALL_METHODS: Final[frozenset[str]] = frozenset({"page", "identify", "track", "group", "reset"})
MAX_ID_LENGTH: Final = 255
MAX_NAME_LENGTH: Final = 255
MAX_ARGS: Final = 8  # analytics.js calls take at most four arguments plus a callback


@dataclass(frozen=True)
class Event:
    """A call as the pipeline sees it. `context` is the page context captured when the call was made."""

    type: EventType
    anonymous_id: str | None = None
    user_id: str | None = None
    group_id: str | None = None
    name: str | None = None  # track: the event name; page: the page name
    category: str | None = None  # page only
    traits: dict[str, Any] = field(default_factory=dict)
    properties: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)


def _id(value: Any, what: str, notes: Notes) -> str | None:
    """Ids are strings; finite integers are stringified (analytics.js accepts them), anything else is dropped."""
    if value is None:
        return None
    if isinstance(value, bool):
        notes.warn(f"{what}: a boolean is not an id; ignored")
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        notes.warn(f"{what}: {value!r} is not a whole-number id; ignored")
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            notes.warn(f"{what}: empty string is not an id; ignored")
            return None
        if len(text) > MAX_ID_LENGTH:
            notes.warn(f"{what}: longer than {MAX_ID_LENGTH} characters; ignored")
            return None
        return text
    notes.warn(f"{what}: a {type(value).__name__} is not an id; ignored")
    return None


def _object(value: Any, what: str, notes: Notes) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    notes.warn(f"{what}: expected an object, received {_kind(value)}; ignored")
    return {}


def _kind(value: Any) -> str:
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "an array"
    return type(value).__name__


def _objects_after(
    args: list[Any], start: int, names: tuple[str, ...], call: str, notes: Notes
) -> list[dict[str, Any]]:
    return [
        _object(args[start + index] if start + index < len(args) else None, f"{call} {name}", notes)
        for index, name in enumerate(names)
    ]


def normalise(method: str, raw_args: Any, raw_context: Any, notes: Notes) -> Event | None:
    """Turn one `pybridge.<method>(...)` call into an Event, or None (with a note) when nothing usable is left."""
    if method not in CALL_METHODS:
        notes.warn(f"unknown method {str(method)[:40]!r}; call dropped")
        return None
    # Arguments are positional: one that cannot be decoded becomes None so the ones after it keep their meaning.
    raw_list = raw_args[:MAX_ARGS] if isinstance(raw_args, list) else []
    args: list[Any] = [
        None if (v := decode(a, f"{method}[{i}]", notes, 1)) is DROP else v for i, a in enumerate(raw_list)
    ]
    context_value = decode(raw_context, "context", notes) if isinstance(raw_context, dict) else {}
    context: dict[str, Any] = context_value if isinstance(context_value, dict) else {}
    anonymous_id = _id(context.get("anonymous_id"), "anonymousId", Notes())
    base: dict[str, Any] = {"anonymous_id": anonymous_id, "context": context}

    if method == "reset":
        return Event(type="reset", **base)

    if method == "track":
        name = args[0] if args else None
        if not isinstance(name, str) or not name.strip():
            notes.warn(f"track: event name must be a non-empty string, received {_describe(name)}; call dropped")
            return None
        properties, options = _objects_after(args, 1, ("properties", "options"), "track", notes)
        return Event(type="track", name=name.strip()[:MAX_NAME_LENGTH], properties=properties, options=options, **base)

    if method == "identify":
        # identify([userId], [traits], [options]): a leading object means "no userId".
        if args and isinstance(args[0], dict):
            args = [None, *args]
        user_id = _id(args[0], "identify userId", notes) if args else None
        traits, options = _objects_after(args, 1, ("traits", "options"), "identify", notes)
        return Event(type="identify", user_id=user_id, traits=traits, options=options, **base)

    if method == "group":
        if args and isinstance(args[0], dict):
            args = [None, *args]
        group_id = _id(args[0], "group groupId", notes) if args else None
        traits, options = _objects_after(args, 1, ("traits", "options"), "group", notes)
        return Event(type="group", group_id=group_id, traits=traits, options=options, **base)

    # page([category], [name], [properties], [options])
    strings = 0
    while strings < min(2, len(args)) and (isinstance(args[strings], str) or args[strings] is None):
        strings += 1
    if strings == 2:
        category, name = args[0], args[1]
    elif strings == 1:
        category, name = None, args[0]
    else:
        category = name = None
    properties, options = _objects_after(args, strings, ("properties", "options"), "page", notes)
    return Event(
        type="page",
        category=category.strip()[:MAX_NAME_LENGTH] or None if isinstance(category, str) else None,
        name=name.strip()[:MAX_NAME_LENGTH] or None if isinstance(name, str) else None,
        properties=properties,
        options=options,
        **base,
    )


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return "an empty string" if not value.strip() else repr(value[:40])
    return _kind(value)
