"""Arguments: which value of a `pybridge.<method>(...)` call is the id, the name, the traits, the options, the callback.

analytics.js methods take optional leading arguments and a callback anywhere, so the same position means different
things from call to call. Resolution follows Segment's analytics-next argument resolver (its `arguments-resolver`
module and tests), which RudderStack's SDK mostly agrees with; where they differ, Segment wins:

- page / screen (analytics-next since PRs #1246 and #1259: the tests `should accept (null, name, properties, options,
  callback)`, `(name, null, properties, options, callback)`, `(name, null, properties)`, `(name, null, null,
  options)`; resolver as published in @segment/analytics-next 1.82.0): one string is the name; of two strings,
  argument 1 is the category and argument 2 the name. Two plain objects are properties and options; a single object
  is the options when it is argument 4 (`page("", "", null, options)`) and the properties anywhere else, so
  `page(name, null, properties)` gives properties. `null` and `undefined` hold no place. Three or more strings (or
  objects) use none of them, as analytics-next does.
- track: the name, or an object `{event, properties}` followed by options; `null`/`undefined` properties leave the
  options in third place.
- identify / group: read left to right: the id (a string or number; `null`/`undefined` keep its place), then
  traits and options (plain objects, `null` or `undefined`), until the first function.
- alias: the first two strings (numbers in the first two places count) are `to` and `from`; the first plain object
  is options.

Values arrive encoded by embed.js: JavaScript `undefined` as `{"$pybridge": "undefined"}`, `null` as None, a function
as `{"$pybridge": "callback", "id": n}` (or, from older pages and the PyScript entry, the id-less
`{"$pybridge": "unsupported", "type": "function"}`). Two deliberate departures from analytics-next, both about input
its types do not allow: a function anywhere in the arguments is the callback (analytics-next looks only at the
parameters it declares), and a value that cannot be an id in the id position of identify/group (a boolean, an array)
keeps that position, where analytics-next would shift the traits into the options. Ids and the track name are
returned as the page sent them; `events` validates them. Arguments that fit nowhere are noted and ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, TypeAlias

from py_bridge.core.notes import Notes
from py_bridge.core.values import DROP, decode

__all__ = [
    "UNDEFINED",
    "AliasArgs",
    "CallbackArg",
    "PageArgs",
    "Resolved",
    "TrackArgs",
    "UserArgs",
    "callback_id",
    "kind_of",
    "resolve",
    "resolve_alias",
    "resolve_group",
    "resolve_identify",
    "resolve_page",
    "resolve_screen",
    "resolve_track",
]

PAGE_PARAMETERS: Final = 5  # page(category, name, properties, options, callback)
TRACK_PARAMETERS: Final = 4  # track(event, properties, options, callback)
ALIAS_PARAMETERS: Final = 4  # alias(to, from, options, callback)


class _Undefined:
    """JavaScript `undefined` as an argument, kept apart from None (`null`) to say what the page sent; the resolvers
    treat the two alike (analytics.js's `isNil`), page() included since analytics-next PR #1259."""

    def __repr__(self) -> str:
        return "UNDEFINED"


UNDEFINED: Final = _Undefined()


@dataclass(frozen=True)
class CallbackArg:
    """A function passed as an argument; `id` names it on the page (None when the page sent no id)."""

    id: int | None


@dataclass(frozen=True)
class PageArgs:
    """page() and screen(): category and name as given (possibly empty strings), properties, options, callback."""

    category: str | None = None
    name: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    callback_id: int | None = None


@dataclass(frozen=True)
class TrackArgs:
    """track(): `event` is the name candidate as sent (None when there is none); `events` checks it is usable."""

    event: Any = None
    properties: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    callback_id: int | None = None


@dataclass(frozen=True)
class UserArgs:
    """identify() and group(): `id` as sent (a string, a number, or an unusable value `events` reports), or None."""

    id: Any = None
    traits: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    callback_id: int | None = None


@dataclass(frozen=True)
class AliasArgs:
    """alias(to, from): both as sent (strings or numbers), or None."""

    to: Any = None
    previous_id: Any = None
    options: dict[str, Any] = field(default_factory=dict)
    callback_id: int | None = None


Resolved: TypeAlias = PageArgs | TrackArgs | UserArgs | AliasArgs
Slot = Literal["id", "traits", "options", "callback"]


# -- argument kinds, as analytics.js tests them -------------------------------------------------------------------


def _function(raw: Any) -> CallbackArg | None:
    """The callback a top-level argument stands for, if it is a function's marker."""
    marker = raw.get("$pybridge") if isinstance(raw, dict) else None
    if marker == "callback":
        number = raw.get("id")
        return CallbackArg(number if isinstance(number, int) and not isinstance(number, bool) else None)
    if marker == "unsupported" and raw.get("type") == "function":
        return CallbackArg(None)  # a function from a page that does not number its callbacks (older embed, PyScript)
    return None


def _arguments(method: str, raw_args: Any, notes: Notes) -> list[Any]:
    """Top-level arguments as plain values, with UNDEFINED and CallbackArg for what JSON cannot say."""
    out: list[Any] = []
    for index, raw in enumerate(raw_args if isinstance(raw_args, list) else []):
        function = _function(raw)
        if function is not None:
            out.append(function)
        elif isinstance(raw, dict) and raw.get("$pybridge") == "undefined":
            out.append(UNDEFINED)
        else:
            out.append(decode(raw, f"{method}[{index}]", notes, 1))  # may be DROP: decode has noted why
    return out


def _is_string(value: Any) -> bool:
    return isinstance(value, str)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_object(value: Any) -> bool:
    """analytics.js's isPlainObject: not null, not an array, not a Date."""
    return isinstance(value, dict)


def _is_function(value: Any) -> bool:
    return isinstance(value, CallbackArg)


def _is_nothing(value: Any) -> bool:
    """null or undefined."""
    return value is None or value is UNDEFINED


def _silent(value: Any) -> bool:
    """Left over without a note: placeholders, functions (never warned about) and values decode already reported."""
    return _is_nothing(value) or _is_function(value) or value is DROP


def _at(args: Sequence[Any], index: int) -> Any:
    return args[index] if index < len(args) else UNDEFINED


def _callback_id(args: Sequence[Any]) -> int | None:
    """The first function anywhere in the arguments is the callback (analytics.js: `args.find(isFunction)`)."""
    for value in args:
        if isinstance(value, CallbackArg):
            return value.id
    return None


def kind_of(value: Any) -> str:
    """How a value is named in notes, in the page's (JavaScript) words."""
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if _is_number(value):
        return "a number"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, CallbackArg):
        return "a function"
    if value is None or value is UNDEFINED:
        return "nothing"
    return f"a {type(value).__name__}"


def _object(value: Any, what: str, notes: Notes) -> dict[str, Any]:
    """A resolved properties/traits/options value as a dict: null, undefined and dropped values are empty."""
    if isinstance(value, dict):
        return value
    if not _silent(value):
        notes.warn(f"{what}: expected an object, received {kind_of(value)}; ignored")
    return {}


def _note_unused(method: str, args: Sequence[Any], used: set[int], fits: str, notes: Notes) -> None:
    for index, value in enumerate(args):
        if index not in used and not _silent(value):
            notes.warn(f"{method}: argument {index + 1} ({kind_of(value)}) is not {fits}; ignored")


# -- resolvers ----------------------------------------------------------------------------------------------------


def _resolve_page_like(method: str, raw_args: Any, notes: Notes) -> PageArgs:
    """analytics-next's resolvePageArguments since PRs #1246 and #1259, as published in @segment/analytics-next 1.82.0
    (packages/browser/src/core/arguments-resolver/index.ts): strings and objects are counted, and only positions
    decide between them. `null` and `undefined` are placeholders that hold nothing, so `page(name, null, {...})`
    gives properties (its tests `should accept (null, name, properties, options, callback)`, `(name, null,
    properties, options, callback)`, `(name, null, properties)` and `(name, null, null, options)`). Copying its quirks
    too (three strings or three objects use none) keeps a page's data where Segment would have put it."""
    args = _arguments(method, raw_args, notes)
    window = [_at(args, i) for i in range(PAGE_PARAMETERS)]
    strings = [i for i, value in enumerate(window) if _is_string(value)]
    used: set[int] = set()
    category: str | None = None
    name: str | None = None
    if len(strings) == 1:
        name = window[strings[0]]
        used.add(strings[0])
    elif len(strings) == 2:
        # Of two strings, the category is read only from argument 1 and the name only from argument 2.
        if _is_string(window[0]):
            category = window[0]
            used.add(0)
        if _is_string(window[1]):
            name = window[1]
            used.add(1)
        for index in sorted(set(strings) - used):
            notes.warn(
                f"{method}: argument {index + 1} (a string): of two strings, analytics.js reads the category only "
                "from argument 1 and the name only from argument 2; ignored"
            )
            used.add(index)
    elif strings:
        notes.warn(
            f"{method}: {len(strings)} strings; analytics.js reads a name from one string and a category and name "
            "from two, so none is used; ignored"
        )
        used.update(strings)
    objects = [i for i, value in enumerate(window) if _is_object(value)]
    properties: dict[str, Any] = {}
    options: dict[str, Any] = {}
    if len(objects) == 1:
        # One object: in the options place (argument 4, with no object in argument 3) it is the options; anywhere
        # else, the properties.
        if objects[0] == 3:
            options = window[3]
        else:
            properties = window[objects[0]]
    elif len(objects) == 2:
        properties, options = window[objects[0]], window[objects[1]]
    elif objects:
        notes.warn(
            f"{method}: {len(objects)} objects; analytics.js reads properties and options from one or two objects, "
            "so none is used; ignored"
        )
    used.update(objects)
    _note_unused(method, args, used, "a category, name, properties, options or callback", notes)
    return PageArgs(category, name, properties, options, _callback_id(args))


def resolve_page(raw_args: Any, notes: Notes) -> PageArgs:
    """page([category], [name], [properties], [options], [callback])."""
    return _resolve_page_like("page", raw_args, notes)


def resolve_screen(raw_args: Any, notes: Notes) -> PageArgs:
    """screen([category], [name], [properties], [options], [callback]): resolved exactly like page()."""
    return _resolve_page_like("screen", raw_args, notes)


def resolve_track(raw_args: Any, notes: Notes) -> TrackArgs:
    """track(event, [properties], [options], [callback]) or track({event, properties}, [options], [callback])."""
    args = _arguments("track", raw_args, notes)
    first, second, third = _at(args, 0), _at(args, 1), _at(args, 2)
    used = {0}
    if _is_object(first):
        event = first.get("event")
        properties = _object(first.get("properties"), "track properties", notes)
    else:
        event = None if _is_nothing(first) or first is DROP else first
        properties = {}
        if _is_object(second):
            properties = second
            used.add(1)
    options_at: int | None = None
    if not _is_function(third):
        options_at = 2
    if _is_object(first) and not _is_function(second):
        options_at = 1  # track({event, properties}, options)
    options: dict[str, Any] = {}
    if options_at is not None:
        used.add(options_at)
        options = _object(args[options_at] if options_at < len(args) else None, "track options", notes)
    if 1 not in used and not _silent(second):
        notes.warn(f"track properties: expected an object, received {kind_of(second)}; ignored")
        used.add(1)
    _note_unused("track", args, used, "an event, properties, options or callback", notes)
    return TrackArgs(event, properties, options, _callback_id(args))


def _resolve_user(method: str, raw_args: Any, notes: Notes) -> UserArgs:
    args = _arguments(method, raw_args, notes)
    slots: list[Slot] = ["id", "traits", "options", "callback"]
    user_id: Any = None
    objects: dict[Slot, Any] = {}
    used: set[int] = set()
    for index, value in enumerate(args):
        slot = slots.pop(0) if slots else None
        if slot == "id":
            if _is_object(value) or _is_function(value):
                slot = slots.pop(0)  # an object or a function first: there is no id
            else:
                # A string or number is the id; null/undefined keep its place. So does a value that cannot be an
                # id (true, [...]): `events` says why it is unusable, and the traits after it stay traits.
                user_id = None if _silent(value) else value
                used.add(index)
                continue
        if slot == "traits" or slot == "options":
            if _is_object(value) or _is_nothing(value):
                objects[slot] = value
                used.add(index)
            elif not _silent(value):
                notes.warn(f"{method} {slot}: expected an object, received {kind_of(value)}; ignored")
                used.add(index)
        if _is_function(value):
            break  # the callback is always the last argument
    _note_unused(method, args, used, "an id, traits, options or callback", notes)
    return UserArgs(
        user_id,
        _object(objects.get("traits"), f"{method} traits", notes),
        _object(objects.get("options"), f"{method} options", notes),
        _callback_id(args),
    )


def resolve_identify(raw_args: Any, notes: Notes) -> UserArgs:
    """identify([userId], [traits], [options], [callback])."""
    return _resolve_user("identify", raw_args, notes)


def resolve_group(raw_args: Any, notes: Notes) -> UserArgs:
    """group([groupId], [traits], [options], [callback])."""
    return _resolve_user("group", raw_args, notes)


def resolve_alias(raw_args: Any, notes: Notes) -> AliasArgs:
    """alias(to, [from], [options], [callback])."""
    args = _arguments("alias", raw_args, notes)
    window = [_at(args, i) for i in range(ALIAS_PARAMETERS)]
    # Numbers count as ids in the first two places only (analytics-next's "legacy behaviour").
    ids = [i for i, value in enumerate(window) if _is_string(value) or (i < 2 and _is_number(value))]
    objects = [i for i, value in enumerate(window) if _is_object(value)]
    used = set(ids[:2]) | set(objects[:1])
    to: Any = window[ids[0]] if ids else None
    if not ids and not _silent(window[0]) and not _is_object(window[0]):
        to = window[0]  # alias(true): no id at all; `events` says why the value is unusable
        used.add(0)
    previous_id = window[ids[1]] if len(ids) > 1 else None
    options = window[objects[0]] if objects else {}
    _note_unused("alias", args, used, "an id, options or callback", notes)
    return AliasArgs(to, previous_id, options, _callback_id(args))


RESOLVERS: Final[dict[str, Callable[[Any, Notes], Resolved]]] = {
    "page": resolve_page,
    "screen": resolve_screen,
    "track": resolve_track,
    "identify": resolve_identify,
    "group": resolve_group,
    "alias": resolve_alias,
}


def resolve(method: str, raw_args: Any, notes: Notes) -> Resolved | None:
    """Resolve the arguments of `pybridge.<method>(...)`; None for a method that takes none (reset) or is unknown."""
    resolver = RESOLVERS.get(method)
    return resolver(raw_args, notes) if resolver else None


def callback_id(raw_args: Any) -> int | None:
    """The id of a call's callback without resolving the rest (reset, or a call dropped before resolution)."""
    functions = (_function(raw) for raw in (raw_args if isinstance(raw_args, list) else []))
    return _callback_id([f for f in functions if f is not None])
