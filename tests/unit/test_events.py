"""Events: analytics.js argument shapes, hostile input and the transport markers embed.js sends."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from py_bridge.events import Event, normalise
from py_bridge.notes import Notes
from py_bridge.values import DROP, MAX_DEPTH, MAX_STRING, decode

CONTEXT = {"anonymous_id": "anon-1", "locale": "en-GB"}


def norm(method: str, *args: Any, context: Any = None) -> tuple[Event | None, list[str]]:
    notes = Notes()
    event = normalise(method, list(args), CONTEXT if context is None else context, notes)
    return event, notes.items


def ok(method: str, *args: Any) -> Event:
    event, notes = norm(method, *args)
    assert event is not None, notes
    return event


# -- page -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "category", "name", "properties"),
    [
        ((), None, None, {}),
        (("Pricing",), None, "Pricing", {}),
        (("Docs", "Intro"), "Docs", "Intro", {}),
        (("Docs", "Intro", {"path": "/d"}), "Docs", "Intro", {"path": "/d"}),
        (("Intro", {"path": "/d"}), None, "Intro", {"path": "/d"}),
        (({"path": "/d"},), None, None, {"path": "/d"}),
        ((None, "Intro"), None, "Intro", {}),
        (("  Docs  ", "   "), "Docs", None, {}),
    ],
)
def test_page_resolves_optional_category_and_name(
    args: tuple[Any, ...], category: str | None, name: str | None, properties: dict[str, Any]
) -> None:
    """page([category], [name], [properties], [options]) in all the shapes analytics.js accepts."""
    event = ok("page", *args)
    assert (event.type, event.category, event.name, event.properties) == ("page", category, name, properties)


def test_page_options_follow_properties() -> None:
    """The object after properties is options."""
    event = ok("page", "Docs", "Intro", {"a": 1}, {"integrations": {"Intercom": False}})
    assert event.options == {"integrations": {"Intercom": False}}


def test_page_with_a_number_for_properties_is_repaired_with_a_note() -> None:
    """page(42): no usable name, the number is not an object; the call survives with empty properties."""
    event, notes = norm("page", 42)
    assert event is not None
    assert event.properties == {}
    assert notes == ["page properties: expected an object, received a number; ignored"]


# -- identify ---------------------------------------------------------------------------------------------------


def test_identify_with_user_id_traits_and_options() -> None:
    """identify(userId, traits, options) fills the three fields."""
    event = ok("identify", "u1", {"email": "a@b.c"}, {"Intercom": {"user_hash": "h"}})
    assert (event.user_id, event.traits, event.options) == ("u1", {"email": "a@b.c"}, {"Intercom": {"user_hash": "h"}})


def test_identify_with_traits_only_means_no_user_id() -> None:
    """identify(traits, options): a leading object shifts the arguments."""
    event = ok("identify", {"email": "a@b.c"}, {"context": {}})
    assert (event.user_id, event.traits, event.options) == (None, {"email": "a@b.c"}, {"context": {}})


def test_identify_numeric_user_id_becomes_a_string() -> None:
    """analytics.js accepts numbers as ids; Intercom wants strings."""
    assert ok("identify", 12345).user_id == "12345"


def test_identify_number_and_text_keeps_the_id_and_drops_the_text_with_a_note() -> None:
    """identify(12345, "text"): the id is usable, a string is not traits."""
    event, notes = norm("identify", 12345, "text")
    assert event is not None
    assert (event.user_id, event.traits) == ("12345", {})
    assert notes == ["identify traits: expected an object, received a string; ignored"]


@pytest.mark.parametrize(
    ("value", "note"),
    [
        ("", "identify userId: empty string is not an id; ignored"),
        ("   ", "identify userId: empty string is not an id; ignored"),
        (True, "identify userId: a boolean is not an id; ignored"),
        (1.5, "identify userId: 1.5 is not a whole-number id; ignored"),
        (["u1"], "identify userId: a list is not an id; ignored"),
        ("x" * 256, "identify userId: longer than 255 characters; ignored"),
    ],
)
def test_identify_unusable_user_id_is_ignored_with_a_note(value: Any, note: str) -> None:
    """Ids that cannot be a user id are never sent (no user_id: '' or 'True'); one note explains."""
    event, notes = norm("identify", value, {"name": "A"})
    assert event is not None
    assert event.user_id is None
    assert event.traits == {"name": "A"}
    assert notes == [note]


def test_identify_user_id_is_trimmed() -> None:
    """Whitespace around an id is not part of it."""
    assert ok("identify", "  u1 ").user_id == "u1"


def test_whole_float_id_is_accepted_as_an_integer_id() -> None:
    """JavaScript has one number type: 42.0 arrives as a float and means the id 42."""
    assert ok("identify", 42.0).user_id == "42"


# -- track ------------------------------------------------------------------------------------------------------


def test_track_with_name_properties_and_options() -> None:
    """track(event, properties, options)."""
    event = ok("track", "  Signed Up ", {"plan": "pro"}, {"Intercom": {}})
    assert (event.type, event.name, event.properties, event.options) == (
        "track",
        "Signed Up",
        {"plan": "pro"},
        {"Intercom": {}},
    )


@pytest.mark.parametrize(
    ("name", "described"),
    [(None, "nothing"), ("", "an empty string"), ("  ", "an empty string"), (42, "a number"), ({}, "dict")],
)
def test_track_without_a_usable_name_is_dropped_with_a_note(name: Any, described: str) -> None:
    """Intercom needs an event name; a missing or non-string one drops the call with one note."""
    event, notes = norm("track", name, {"a": 1})
    assert event is None
    assert notes == [f"track: event name must be a non-empty string, received {described}; call dropped"]


def test_track_name_is_cut_to_255_characters() -> None:
    """Event names longer than Intercom's limit are cut, not refused."""
    assert ok("track", "e" * 300).name == "e" * 255


# -- group and reset --------------------------------------------------------------------------------------------


def test_group_with_id_traits_and_options() -> None:
    """group(groupId, traits, options)."""
    event = ok("group", 77, {"name": "Acme"}, {"x": 1})
    assert (event.group_id, event.traits, event.options) == ("77", {"name": "Acme"}, {"x": 1})


def test_group_without_id_keeps_traits_and_leaves_the_id_empty() -> None:
    """group(traits): the destination decides what to do with a missing id."""
    event = ok("group", {"name": "Acme"})
    assert (event.group_id, event.traits) == (None, {"name": "Acme"})


def test_reset_ignores_arguments() -> None:
    """reset() takes nothing; extra arguments are harmless."""
    event = ok("reset", "whatever")
    assert event.type == "reset"
    assert event.anonymous_id == "anon-1"


# -- context and unknown methods --------------------------------------------------------------------------------


def test_context_and_anonymous_id_are_carried_on_the_event() -> None:
    """The page context captured at call time travels with the event."""
    event = ok("track", "x")
    assert event.context == CONTEXT
    assert event.anonymous_id == "anon-1"


def test_context_that_is_not_an_object_becomes_empty() -> None:
    """A malformed context never breaks the call."""
    event, _ = norm("page", context="nope")
    assert event is not None
    assert (event.context, event.anonymous_id) == ({}, None)


def test_args_that_are_not_a_list_mean_no_arguments() -> None:
    """A malformed message (args as an object) is treated as a call without arguments."""
    notes = Notes()
    event = normalise("identify", {"0": "u1"}, {}, notes)
    assert event is not None
    assert (event.user_id, event.traits) == (None, {})


@pytest.mark.parametrize("method", ["alias", "__init__", "", "trackEvent", "x" * 100])
def test_unknown_method_is_dropped_with_one_note(method: str) -> None:
    """Only page/identify/track/group/reset are calls; anything else is named (cut to 40 chars) and dropped."""
    event, notes = norm(method, "a")
    assert event is None
    assert notes == [f"unknown method {method[:40]!r}; call dropped"]


# -- transport markers and prototype keys -------------------------------------------------------------------------


def test_date_marker_becomes_an_aware_datetime() -> None:
    """embed.js sends Dates as {"$pybridge": "date", "ms": ...}; they arrive as UTC datetimes."""
    event = ok("identify", "u1", {"createdAt": {"$pybridge": "date", "ms": 1_609_459_200_000}})
    assert event.traits == {"createdAt": datetime(2021, 1, 1, tzinfo=UTC)}


def test_invalid_date_marker_is_dropped_with_a_note() -> None:
    """new Date("nope") is sent with ms null: dropped, naming the key."""
    event, notes = norm("identify", "u1", {"createdAt": {"$pybridge": "date", "ms": None}})
    assert event is not None
    assert event.traits == {}
    assert notes == ["identify[1].createdAt: invalid Date dropped"]


@pytest.mark.parametrize(
    ("marker", "note"),
    [
        ({"$pybridge": "number", "value": "NaN"}, "NaN is not a finite number; dropped"),
        ({"$pybridge": "number", "value": "Infinity"}, "Infinity is not a finite number; dropped"),
        ({"$pybridge": "circular"}, "circular reference dropped"),
        ({"$pybridge": "too_deep"}, "nested too deeply; dropped"),
        ({"$pybridge": "unsupported", "type": "function"}, "a function cannot be sent; dropped"),
        ({"$pybridge": "unsupported", "type": "symbol"}, "a symbol cannot be sent; dropped"),
        ({"$pybridge": "bigint", "value": "12x"}, "BigInt could not be read; dropped"),
    ],
)
def test_unsendable_marker_is_dropped_with_a_note_naming_the_key(marker: dict[str, Any], note: str) -> None:
    """NaN, Infinity, cycles, over-deep objects, functions and Symbols never travel further."""
    event, notes = norm("track", "x", {"bad": marker, "good": 1})
    assert event is not None
    assert event.properties == {"good": 1}
    assert notes == [f"track[1].bad: {note}"]


def test_small_bigint_becomes_an_integer_and_a_large_one_a_string() -> None:
    """BigInts within 2**53 are numbers; larger ones keep their digits as a string, with a note."""
    event, notes = norm(
        "track",
        "x",
        {"small": {"$pybridge": "bigint", "value": "42"}, "big": {"$pybridge": "bigint", "value": str(2**60)}},
    )
    assert event is not None
    assert event.properties == {"small": 42, "big": str(2**60)}
    assert notes == ["track[1].big: BigInt too large for a JavaScript number; sent as a string"]


def test_undefined_marker_becomes_none() -> None:
    """identify(undefined, traits): the undefined id is None, the traits keep their place."""
    event = ok("identify", {"$pybridge": "undefined"}, {"name": "A"})
    assert (event.user_id, event.traits) == (None, {"name": "A"})


def test_unusable_argument_keeps_the_following_arguments_in_place() -> None:
    """track(name, <function>, options): dropping the function must not turn options into properties."""
    event, notes = norm(
        "track", "x", {"$pybridge": "unsupported", "type": "function"}, {"Intercom": {"user_hash": "h"}}
    )
    assert event is not None
    assert event.properties == {}
    assert event.options == {"Intercom": {"user_hash": "h"}}
    assert notes == ["track[1]: a function cannot be sent; dropped"]


def test_unknown_marker_kind_is_kept_as_plain_data() -> None:
    """Page data that happens to use our key is ordinary data, not a marker."""
    event = ok("track", "x", {"p": {"$pybridge": "mine", "a": 1}})
    assert event.properties == {"p": {"$pybridge": "mine", "a": 1}}


@pytest.mark.parametrize("key", ["__proto__", "constructor", "prototype"])
def test_prototype_polluting_keys_are_removed_with_a_note(key: str) -> None:
    """Keys that could pollute JavaScript prototypes never reach the page again."""
    event, notes = norm("identify", "u1", {key: {"isAdmin": True}, "name": "A"})
    assert event is not None
    assert event.traits == {"name": "A"}
    assert notes == [f"identify[1].{key}: key not allowed (prototype pollution); dropped"]


def test_nested_prototype_key_is_removed_too() -> None:
    """Pollution attempts deeper in the structure are removed as well."""
    event = ok("track", "x", {"a": {"b": {"__proto__": 1, "c": 2}}})
    assert event.properties == {"a": {"b": {"c": 2}}}


def test_values_decode_objects_nested_past_the_limit_are_dropped() -> None:
    """A structure deeper than MAX_DEPTH is cut with a note instead of recursing without bound."""
    deep: Any = "leaf"
    for _ in range(MAX_DEPTH + 5):
        deep = {"k": deep}
    notes = Notes()
    out = decode(deep, "p", notes)
    depth = 0
    while isinstance(out, dict) and out:
        out = out["k"]
        depth += 1
    assert depth == MAX_DEPTH - 1
    assert len(notes) == 1
    assert "nested too deeply" in notes.items[0]


def test_values_decode_cuts_megabyte_strings() -> None:
    """Unbounded strings are cut to MAX_STRING before any further step."""
    assert decode("x" * 1_000_000, "p", Notes()) == "x" * MAX_STRING


@pytest.mark.parametrize(("value", "expected"), [(2.0, 2), (2.5, 2.5), (2**60, float(2**60)), (-(2**53), -(2**53))])
def test_values_decode_numbers_as_javascript_would_hold_them(value: Any, expected: Any) -> None:
    """Whole floats become ints; integers beyond 2**53 become the float JavaScript would hold."""
    out = decode(value, "p", Notes())
    assert out == expected
    assert type(out) is type(expected)


def test_values_decode_drops_an_integer_too_large_for_any_number() -> None:
    """A Python int past the float range (possible from the PyScript entry) is dropped, never raised on."""
    notes = Notes()
    assert decode(10**400, "p", notes) is DROP
    assert notes.items == ["p: number too large; dropped"]


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_values_decode_drops_non_finite_floats(value: float) -> None:
    """NaN and Infinity are not JSON and not accepted by Intercom."""
    notes = Notes()
    assert decode(value, "p", notes) is DROP
    assert len(notes) == 1


def test_values_decode_naive_datetime_is_taken_as_utc() -> None:
    """A datetime without zone is read as UTC so Unix seconds are deterministic."""
    assert decode(datetime(2021, 1, 1), "p", Notes()) == datetime(2021, 1, 1, tzinfo=UTC)


def test_values_decode_drops_unsupported_python_objects() -> None:
    """Objects JSON cannot carry (from the PyScript entry) are dropped with a note naming the type."""
    notes = Notes()
    assert decode({"s": {1, 2}}, "p", notes) == {}
    assert notes.items == ["p.s: unsupported value of type set; dropped"]
