"""Events: one normalised value per public call, whatever argument shapes the page used.

The page calls `pybridge.identify(...)` with the analytics.js shapes (optional leading arguments, objects in
several positions, a callback anywhere). `arguments` resolves those shapes the way analytics.js does; `normalise`
then checks ids and names and enriches page events, so every later step sees the same fields. Bad input never
raises: it is repaired or dropped with a note.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final, Literal

from py_bridge.core.arguments import AliasArgs, PageArgs, TrackArgs, UserArgs, callback_id, kind_of, resolve
from py_bridge.core.notes import Notes
from py_bridge.core.values import decode

__all__ = ["CALL_METHODS", "PAGE_CONTEXT_KEYS", "Event", "EventType", "normalise"]

EventType = Literal["page", "identify", "track", "group", "reset", "alias", "screen"]
CALL_METHODS: Final[frozenset[str]] = frozenset({"page", "identify", "track", "group", "reset", "alias", "screen"})
# analytics.js copies these from the page into every page event's properties (unless the call set them).
PAGE_CONTEXT_KEYS: Final = ("path", "referrer", "search", "title", "url")
MAX_ID_LENGTH: Final = 255
MAX_NAME_LENGTH: Final = 255
MAX_ARGS: Final = 8  # analytics.js calls take at most five arguments including the callback


@dataclass(frozen=True)
class Event:
    """A call as the pipeline sees it. `context` is the page context captured when the call was made."""

    type: EventType
    anonymous_id: str | None = None
    user_id: str | None = None  # identify: the user; alias: the new id (`to`)
    group_id: str | None = None
    previous_id: str | None = None  # alias only: the id being replaced (`from`)
    name: str | None = None  # track: the event name; page/screen: the page name
    category: str | None = None  # page/screen only
    traits: dict[str, Any] = field(default_factory=dict)
    properties: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)
    callback_id: int | None = None  # the page's callback for this call (embed.js numbers them), if it passed one

    def skips_destination(self, name: str) -> bool:
        """analytics.js's per-call switch: `integrations: {Intercom: false}`, or `{All: false}` without naming it."""
        integrations = self.options.get("integrations")
        if not isinstance(integrations, dict):
            return False
        if name in integrations:
            return integrations[name] is False
        return integrations.get("All") is False


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


def _name(value: str | None) -> str | None:
    """Page and screen names and categories: trimmed and cut. An empty string stays one, as analytics.js keeps it."""
    return value.strip()[:MAX_NAME_LENGTH] if isinstance(value, str) else None


def _page_properties(
    resolved: PageArgs, category: str | None, name: str | None, context: dict[str, Any]
) -> dict[str, Any]:
    """analytics.js's page enrichment: url, path, referrer, title and search from the page unless the call set them;
    the call's category and name always win."""
    properties = {key: context[key] for key in PAGE_CONTEXT_KEYS if isinstance(context.get(key), str)}
    properties.update(resolved.properties)
    if category is not None:
        properties["category"] = category
    if name is not None:
        properties["name"] = name
    return properties


def normalise(method: str, raw_args: Any, raw_context: Any, notes: Notes) -> Event | None:
    """Turn one `pybridge.<method>(...)` call into an Event, or None (with a note) when nothing usable is left."""
    if method not in CALL_METHODS:
        notes.warn(f"unknown method {str(method)[:40]!r}; call dropped")
        return None
    args = raw_args[:MAX_ARGS] if isinstance(raw_args, list) else []
    context_value = decode(raw_context, "context", notes) if isinstance(raw_context, dict) else {}
    context: dict[str, Any] = context_value if isinstance(context_value, dict) else {}
    anonymous_id = _id(context.get("anonymous_id"), "anonymousId", Notes())
    base: dict[str, Any] = {"anonymous_id": anonymous_id, "context": context}

    resolved = resolve(method, args, notes)
    if resolved is None:  # reset() takes no arguments
        return Event(type="reset", callback_id=callback_id(args), **base)
    base["callback_id"] = resolved.callback_id
    base["options"] = resolved.options

    if isinstance(resolved, TrackArgs):
        name = resolved.event
        if not isinstance(name, str) or not name.strip():
            notes.warn(f"track: event name must be a non-empty string, received {_describe(name)}; call dropped")
            return None
        return Event(type="track", name=name.strip()[:MAX_NAME_LENGTH], properties=resolved.properties, **base)

    if isinstance(resolved, UserArgs):
        if method == "identify":
            user_id = _id(resolved.id, "identify userId", notes)
            return Event(type="identify", user_id=user_id, traits=resolved.traits, **base)
        group_id = _id(resolved.id, "group groupId", notes)
        return Event(type="group", group_id=group_id, traits=resolved.traits, **base)

    if isinstance(resolved, AliasArgs):
        to = _id(resolved.to, "alias to", notes)
        previous_id = _id(resolved.previous_id, "alias from", notes)
        return Event(type="alias", user_id=to, previous_id=previous_id, **base)

    category, name = _name(resolved.category), _name(resolved.name)
    if method == "screen":  # analytics.js enriches page events only
        return Event(type="screen", category=category, name=name, properties=resolved.properties, **base)
    properties = _page_properties(resolved, category, name, context)
    return Event(type="page", category=category, name=name, properties=properties, **base)


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return "an empty string" if not value.strip() else repr(value[:40])
    return kind_of(value)
