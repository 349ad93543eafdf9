"""The analytics.js spec shape: what a transformation receives and returns, and its conversion to and from Event.

A transform file works on plain dicts in the shape Segment and RudderStack document (`userId`, `properties`,
`context.page.url`, ISO 8601 `timestamp`, ...), so the same file runs on events recorded in the browser and in a
site's own pytest suite. `to_spec` builds that dict from an `Event`; `from_spec` reads back what a transform returned,
repairing or reporting anything the pipeline cannot use, so user code can never hand the mapping a malformed event.

Round trip: `from_spec(to_spec(event), event)` gives back `event` (Dates in traits and properties travel as ISO
strings and come back as the same datetimes when unchanged). Options other than `integrations` and `context` are
not shown to transforms and pass through unchanged.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
import typing
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal, Required, TypedDict, cast

from py_bridge.core.events import Event
from py_bridge.core.notes import Notes
from py_bridge.core.values import decode

__all__ = [
    "SPEC_FIELDS",
    "SPEC_TYPES",
    "SpecContext",
    "SpecEvent",
    "SpecPage",
    "SpecType",
    "event_from_spec",
    "from_spec",
    "iso_timestamp",
    "message_id",
    "spec_record",
    "to_spec",
]

SpecType = Literal["page", "identify", "track", "group", "alias", "screen"]
SPEC_TYPES: Final[tuple[str, ...]] = ("page", "identify", "track", "group", "alias", "screen")
MAX_ID_LENGTH: Final = 255
MAX_NAME_LENGTH: Final = 255
MAX_SHOWN: Final = 40  # characters of a received value quoted in a message


class SpecPage(TypedDict, total=False):
    """`context.page`: where the call was made, captured when it was made."""

    url: str
    path: str
    referrer: str
    title: str
    search: str


class SpecContext(TypedDict, total=False):
    """`context`: the captured browser facts. Other keys come from the call's `options.context` and go back there."""

    page: SpecPage
    locale: str
    userAgent: str
    timezone: str


class SpecEvent(TypedDict, total=False):
    """One event in the analytics.js spec shape. Only `type` is always present; see docs/transformations.md."""

    type: Required[SpecType]
    event: str  # track: the event name
    name: str  # page and screen: the page name
    category: str  # page and screen
    properties: dict[str, Any]  # page, track, screen (always present for those types)
    traits: dict[str, Any]  # identify, group (always present for those types)
    userId: str | None  # always present
    anonymousId: str | None  # always present
    groupId: str
    previousId: str  # alias
    context: SpecContext
    timestamp: str  # ISO 8601 UTC with milliseconds: 2024-05-01T12:00:00.123Z
    messageId: str  # stable per event
    integrations: dict[str, Any]  # options.integrations, e.g. {"Intercom": false}


SPEC_FIELDS: Final[frozenset[str]] = frozenset(SpecEvent.__annotations__)
# Event.context key -> SpecContext key (page keys live under context.page).
PAGE_KEYS: Final = ("url", "path", "referrer", "title", "search")
BROWSER_KEYS: Final = {"locale": "locale", "user_agent": "userAgent", "timezone": "timezone"}
SHOWN_CONTEXT: Final = frozenset({"page", *BROWSER_KEYS.values()})
ID_FIELDS: Final = {
    "userId": "user_id",
    "anonymousId": "anonymous_id",
    "groupId": "group_id",
    "previousId": "previous_id",
}
EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


@functools.cache
def _event_types() -> frozenset[str]:
    """The spec types the Event class accepts today (alias and screen arrive with the analytics.js work)."""
    hints = typing.get_type_hints(Event)
    accepted = set(typing.get_args(hints.get("type"))) or {"page", "identify", "track", "group"}
    return frozenset(t for t in SPEC_TYPES if t in accepted)


@functools.cache
def _has_field(name: str) -> bool:
    return any(f.name == name for f in dataclasses.fields(Event))


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else _kind(value)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "a dict"
    return f"a {type(value).__name__}"


# -- Event -> spec ------------------------------------------------------------------------------------------------


def iso_timestamp(ms: Any) -> str | None:
    """Unix milliseconds -> `2024-05-01T12:00:00.123Z` (what analytics.js sends), or None when not a time."""
    if isinstance(ms, bool) or not isinstance(ms, int | float) or not math.isfinite(ms):
        return None
    try:
        moment = EPOCH + timedelta(milliseconds=round(ms))
    except OverflowError:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _date_text(moment: datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return iso_timestamp((aware - EPOCH) / timedelta(milliseconds=1)) or aware.isoformat()


def _jsonable(value: Any, depth: int = 0) -> Any:
    """A JSON-shaped copy: datetimes become ISO strings, tuples lists; the copy keeps transforms off the Event."""
    if isinstance(value, datetime):
        return _date_text(value)
    if depth > 64:
        return None
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v, depth + 1) for v in value]
    return value


def _canonical(value: Any) -> Any:
    """Numbers as JavaScript sees them (2.0 is 2), so the id survives a trip through JSON and back."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value


def message_id(event: Event) -> str:
    """The page's own id (`context.message_id`/`messageId`), else a digest of the event's content and capture time.

    Deterministic, so the event recorded for export and the event a transform sees carry the same id. Two identical
    calls captured in the same millisecond share it.
    """
    given = event.context.get("message_id", event.context.get("messageId"))
    if isinstance(given, str) and given.strip() and len(given) <= MAX_ID_LENGTH:
        return given.strip()
    content = [
        event.type,
        event.name,
        event.category,
        event.user_id,
        event.anonymous_id,
        event.group_id,
        getattr(event, "previous_id", None),
        _jsonable(event.properties),
        _jsonable(event.traits),
        event.context.get("timestamp"),
        event.context.get("url"),
    ]
    text = json.dumps(_canonical(content), sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
    return "pyb-" + hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:32]


def to_spec(event: Event) -> SpecEvent:
    """The event as a transform receives it (a fresh dict: changing it never changes `event`).

    Raises ValueError for an event type the spec has no shape for (`reset`).
    """
    if event.type not in SPEC_TYPES:
        raise ValueError(f"a {event.type} event has no analytics.js spec shape")
    spec: dict[str, Any] = {"type": event.type}
    if event.type == "track":
        if event.name is not None:
            spec["event"] = event.name
    else:
        if event.name is not None:
            spec["name"] = event.name
        if event.category is not None:
            spec["category"] = event.category
    if event.type in ("page", "track", "screen") or event.properties:
        spec["properties"] = _jsonable(event.properties)
    if event.type in ("identify", "group") or event.traits:
        spec["traits"] = _jsonable(event.traits)
    spec["userId"] = event.user_id
    spec["anonymousId"] = event.anonymous_id
    if event.group_id is not None:
        spec["groupId"] = event.group_id
    previous_id = getattr(event, "previous_id", None)
    if previous_id is not None:
        spec["previousId"] = previous_id

    page = {key: event.context[key] for key in PAGE_KEYS if isinstance(event.context.get(key), str)}
    context: dict[str, Any] = {"page": page} if page else {}
    for ours, theirs in BROWSER_KEYS.items():
        if isinstance(event.context.get(ours), str):
            context[theirs] = event.context[ours]
    given = event.options.get("context")
    if isinstance(given, Mapping):  # analytics.js merges options.context into the event's context
        context.update({k: v for k, v in _jsonable(given).items() if k not in SHOWN_CONTEXT})
    spec["context"] = context

    timestamp = iso_timestamp(event.context.get("timestamp"))
    if timestamp is not None:
        spec["timestamp"] = timestamp
    spec["messageId"] = message_id(event)
    integrations = event.options.get("integrations")
    spec["integrations"] = _jsonable(integrations) if isinstance(integrations, Mapping) else {}
    return cast(SpecEvent, spec)


def spec_record(event: Any) -> dict[str, Any] | None:
    """`to_spec` as a plain dict, or None for events without a spec shape (for the debug export's recorder)."""
    if not isinstance(event, Event) or event.type not in SPEC_TYPES:
        return None
    return dict(to_spec(event))


# -- spec -> Event ------------------------------------------------------------------------------------------------


def _restore_dates(new: Any, old: Any) -> Any:
    """Values a transform left unchanged keep their original type: an untouched Date stays a datetime."""
    if isinstance(old, datetime) and isinstance(new, str) and new == _date_text(old):
        return old
    if isinstance(new, dict) and isinstance(old, Mapping):
        return {k: _restore_dates(v, old[k]) if k in old else v for k, v in new.items()}
    if isinstance(new, list) and isinstance(old, list | tuple) and len(new) == len(old):
        return [_restore_dates(n, o) for n, o in zip(new, old, strict=True)]
    return new


def _object(data: Mapping[str, Any], key: str, fallback: Any, notes: Notes) -> dict[str, Any]:
    """A dict field: absent -> empty; not a dict -> the original kept; values cleaned like the page's input."""
    if key not in data or data[key] is None:
        return {}
    value = data[key]
    if not isinstance(value, Mapping):
        notes.warn(f"{key} must be a dict, received {_kind(value)}; kept the original")
        return dict(fallback) if isinstance(fallback, Mapping) else {}
    cleaned = decode(dict(value), key, notes)
    result: dict[str, Any] = cleaned if isinstance(cleaned, dict) else {}
    return result


def _text(data: Mapping[str, Any], key: str, original: str | None, notes: Notes) -> str | None:
    """An optional name field: a string (trimmed, cut to 255), null or absent to remove it."""
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        notes.warn(f"{key} must be a string, received {_show(value)}; kept the original")
        return original
    text = value.strip()[:MAX_NAME_LENGTH]
    return text or None


def _identifier(data: Mapping[str, Any], key: str, original: str | None, notes: Notes) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        notes.warn(f"{key} must be a string, received {_show(value)}; kept the original")
        return original
    text = value.strip()
    if not text:
        notes.warn(f"{key}: an empty string is not an id; removed")
        return None
    if len(text) > MAX_ID_LENGTH:
        notes.warn(f"{key}: longer than {MAX_ID_LENGTH} characters; kept the original")
        return original
    return text


def _timestamp_ms(value: Any, original: Event, notes: Notes) -> Any:
    before = original.context.get("timestamp")
    if value is None or value == iso_timestamp(before):
        return before
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            moment = None
        if moment is not None:
            return round((_aware(moment) - EPOCH) / timedelta(milliseconds=1))
    notes.warn(f"timestamp must be an ISO 8601 string, received {_show(value)}; kept the original")
    return before


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _context(data: Mapping[str, Any], original: Event, notes: Notes) -> tuple[dict[str, Any], dict[str, Any]]:
    """(Event.context, the options.context extras) from the returned `context`."""
    context = dict(original.context)
    raw = data.get("context")
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        notes.warn(f"context must be a dict, received {_kind(raw)}; kept the original")
        given = original.options.get("context")
        return context, dict(given) if isinstance(given, Mapping) else {}
    page = raw.get("page")
    if page is None:
        page = {}
    if not isinstance(page, Mapping):
        notes.warn(f"context.page must be a dict, received {_kind(page)}; kept the original")
        page = {k: context[k] for k in PAGE_KEYS if k in context}
    for key in PAGE_KEYS:
        _context_value(context, key, page.get(key), f"context.page.{key}", notes)
    for ours, theirs in BROWSER_KEYS.items():
        _context_value(context, ours, raw.get(theirs), f"context.{theirs}", notes)
    extras = {k: v for k, v in raw.items() if k not in SHOWN_CONTEXT}
    cleaned = decode(extras, "context", notes) if extras else {}
    return context, cleaned if isinstance(cleaned, dict) else {}


def _context_value(context: dict[str, Any], key: str, value: Any, what: str, notes: Notes) -> None:
    if value is None:
        if isinstance(context.get(key), str):  # shown to the transform and removed by it (other values were hidden)
            del context[key]
    elif isinstance(value, str):
        context[key] = value
    else:
        notes.warn(f"{what} must be a string, received {_show(value)}; kept the original")


def from_spec(data: Mapping[str, Any], original: Event) -> tuple[Event | None, list[str]]:
    """The Event for what a transform returned, plus a note for each field repaired or ignored. Never raises.

    `original` is the event the transform chain started from: fields the spec does not show (and fields a returned
    value cannot replace) are taken from it. None only when `data` is not a dict at all.
    """
    notes = Notes()
    if not isinstance(data, Mapping):
        return None, [f"expected a dict, received {_kind(data)}; event dropped"]
    for key in data:
        if key not in SPEC_FIELDS:
            notes.warn(f"unknown field {_show(key) if isinstance(key, str) else _kind(key)} ignored")

    allowed = _event_types()
    event_type: str = original.type
    raw_type = data.get("type")
    if raw_type != original.type:
        if isinstance(raw_type, str) and raw_type in allowed:
            event_type = raw_type
        else:
            accepted = ", ".join(sorted(allowed))
            notes.warn(f"type must be one of {accepted}, received {_show(raw_type)}; kept {original.type!r}")

    changes: dict[str, Any] = {}
    if event_type == "track":
        name = data.get("event")
        if isinstance(name, str) and name.strip():
            changes["name"] = name.strip()[:MAX_NAME_LENGTH]
        elif original.type == "track":
            notes.warn(f"event must be a non-empty string, received {_show(name)}; kept {original.name!r}")
            changes["name"] = original.name
        else:
            notes.warn(f"a track event needs an event name, received {_show(name)}; type kept {original.type!r}")
            event_type = original.type
    if event_type != "track":
        changes["name"] = _text(data, "name", original.name, notes)
        changes["category"] = _text(data, "category", original.category, notes)
    else:
        changes["category"] = None
    changes["type"] = event_type

    changes["properties"] = _restore_dates(_object(data, "properties", original.properties, notes), original.properties)
    changes["traits"] = _restore_dates(_object(data, "traits", original.traits, notes), original.traits)

    for key, attribute in ID_FIELDS.items():
        before = getattr(original, attribute, None)
        value = _identifier(data, key, before, notes)
        if _has_field(attribute):
            changes[attribute] = value
        elif value is not None:
            notes.warn(f"{key} is not supported by this version; ignored")

    context, extras = _context(data, original, notes)
    context["timestamp"] = _timestamp_ms(data.get("timestamp"), original, notes)
    if context["timestamp"] is None:
        del context["timestamp"]
    if changes.get("anonymous_id") != original.anonymous_id:
        context["anonymous_id"] = changes.get("anonymous_id")
    changes["context"] = context

    options = dict(original.options)
    before_context = original.options.get("context")
    kept = (
        {k: v for k, v in before_context.items() if k in SHOWN_CONTEXT} if isinstance(before_context, Mapping) else {}
    )
    merged = {**kept, **_restore_dates(extras, before_context)}
    if merged or "context" in options:
        options["context"] = merged
    integrations = _object(data, "integrations", original.options.get("integrations"), notes)
    if integrations or "integrations" in options:
        options["integrations"] = _restore_dates(integrations, original.options.get("integrations"))
    changes["options"] = options

    event = dataclasses.replace(original, **changes)
    # The id travels with the event whatever else changed; it is written down only when it can no longer be derived.
    wanted = data.get("messageId")
    if not (isinstance(wanted, str) and wanted.strip() and len(wanted) <= MAX_ID_LENGTH):
        if wanted is not None:
            notes.warn(
                f"messageId must be a string of up to {MAX_ID_LENGTH} characters, received {_show(wanted)}; kept"
            )
        wanted = message_id(original)
    if message_id(event) != wanted.strip():
        event = dataclasses.replace(event, context={**context, "message_id": wanted.strip()})
    return event, notes.items


def event_from_spec(data: Any) -> tuple[Event | None, list[str]]:
    """An Event for a recorded SpecEvent (one line of `pybridge.debug.export()`), for replay outside the browser."""
    if not isinstance(data, Mapping):
        return None, [f"expected a JSON object, received {_kind(data)}"]
    event_type = data.get("type")
    if not isinstance(event_type, str) or event_type not in _event_types():
        accepted = ", ".join(sorted(_event_types()))
        return None, [f"type must be one of {accepted}, received {_show(event_type)}"]
    return from_spec(data, Event(type=cast(Any, event_type)))
