"""Events: analytics.js argument shapes, hostile input and the transport markers embed.js sends."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from py_bridge.core.commands import Command, IntercomCall, Log
from py_bridge.core.destinations.intercom import IntercomDestination, parse_intercom_settings
from py_bridge.core.events import CALL_METHODS, Event, normalise
from py_bridge.core.notes import Notes
from py_bridge.core.values import DROP, MAX_DEPTH, MAX_STRING, decode

CONTEXT = {"anonymous_id": "anon-1", "locale": "en-GB"}
PAGE_CONTEXT = {
    **CONTEXT,
    "url": "https://shop.example/pricing?plan=pro",
    "path": "/pricing",
    "search": "?plan=pro",
    "referrer": "https://search.example/",
    "title": "Pricing - Shop",
    "timestamp": 1_700_000_000_000,
}
APP = "abc12345"


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
        (("Pricing",), None, "Pricing", {"name": "Pricing"}),
        (("Docs", "Intro"), "Docs", "Intro", {"category": "Docs", "name": "Intro"}),
        (("Docs", "Intro", {"path": "/d"}), "Docs", "Intro", {"path": "/d", "category": "Docs", "name": "Intro"}),
        (("Intro", {"path": "/d"}), None, "Intro", {"path": "/d", "name": "Intro"}),
        (({"path": "/d"},), None, None, {"path": "/d"}),
        ((None, "Intro"), None, "Intro", {"name": "Intro"}),
        (("  Docs  ", "   "), "Docs", "", {"category": "Docs", "name": ""}),
    ],
    ids=["nothing", "name", "category and name", "all three", "name and properties", "properties", "null", "blank"],
)
def test_page_category_and_name_are_cleaned_and_copied_into_properties(
    args: tuple[Any, ...], category: str | None, name: str | None, properties: dict[str, Any]
) -> None:
    """Trimmed, an empty string kept (analytics-next keeps ""); the page's properties carry its category and name."""
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
    assert notes == ["page: argument 1 (a number) is not a category, name, properties, options or callback; ignored"]


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
    [
        (None, "nothing"),
        ("", "an empty string"),
        ("  ", "an empty string"),
        (42, "a number"),
        ([1], "an array"),
        ({"event": 42}, "a number"),
        ({"properties": {}}, "nothing"),
    ],
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


@pytest.mark.parametrize("method", ["__init__", "", "trackEvent", "Alias", "x" * 100])
def test_unknown_method_is_dropped_with_one_note(method: str) -> None:
    """Only analytics.js's seven methods are calls; anything else is named (cut to 40 chars) and dropped."""
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


def test_a_function_in_the_properties_place_is_the_callback_and_options_stay_options() -> None:
    """track(name, <function>, options): the function is the callback (no warning); options keep their meaning."""
    event, notes = norm(
        "track", "x", {"$pybridge": "unsupported", "type": "function"}, {"Intercom": {"user_hash": "h"}}
    )
    assert event is not None
    assert event.properties == {}
    assert event.options == {"Intercom": {"user_hash": "h"}}
    assert notes == []


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


# -- callbacks ----------------------------------------------------------------------------------------------------


def callback(number: int) -> dict[str, Any]:
    return {"$pybridge": "callback", "id": number}


@pytest.mark.parametrize(
    ("method", "args"),
    [
        ("page", ["Pricing", callback(3)]),
        ("screen", [callback(3)]),
        ("track", ["Clicked", {"a": 1}, callback(3)]),
        ("identify", ["u1", callback(3)]),
        ("group", [{"name": "Acme"}, {}, callback(3)]),
        ("alias", ["u2", "u1", callback(3)]),
        ("reset", [callback(3)]),
    ],
)
def test_every_event_carries_the_id_of_the_callback_the_page_passed(method: str, args: list[Any]) -> None:
    """The page numbers its callbacks; the event says which one belongs to the call, and nothing is warned."""
    event, notes = norm(method, *args)
    assert event is not None
    assert event.callback_id == 3
    assert notes == []


def test_an_event_without_a_callback_has_no_callback_id() -> None:
    """No function passed: callback_id is None."""
    assert ok("track", "Clicked").callback_id is None


def test_a_callback_marker_is_never_kept_as_properties() -> None:
    """track(name, callback): the marker is the callback, not the properties object it looks like."""
    event = ok("track", "Kept", callback(7))
    assert (event.properties, event.callback_id) == ({}, 7)


def test_track_accepts_an_event_object_with_options_and_callback() -> None:
    """track({event, properties}, options, callback), as analytics.js allows."""
    event = ok("track", {"event": " Signed Up ", "properties": {"plan": "pro"}}, {"x": 1}, callback(2))
    assert (event.name, event.properties, event.options, event.callback_id) == (
        "Signed Up",
        {"plan": "pro"},
        {"x": 1},
        2,
    )


def test_page_name_followed_by_null_is_the_name_and_the_object_after_it_the_properties() -> None:
    """page("Pricing", null, {...}): one string is the name, and the object after the null is the properties, as
    analytics-next reads it since PR #1259 (its test `should accept (name, null, properties)`)."""
    event = ok("page", "Pricing", None, {"plan": "pro"})
    assert (event.category, event.name, event.options) == (None, "Pricing", {})
    assert event.properties["plan"] == "pro"


# -- alias and screen ---------------------------------------------------------------------------------------------


def test_alias_and_screen_are_call_methods() -> None:
    """analytics.js's seven methods are all accepted."""
    assert {"alias", "screen"} <= CALL_METHODS


def test_alias_carries_the_new_id_and_the_previous_one() -> None:
    """alias(to, from, options): user_id is the new id, previous_id the old; numbers become strings."""
    event = ok("alias", 42, "anon-old", {"integrations": {"All": False}})
    assert (event.type, event.user_id, event.previous_id, event.options) == (
        "alias",
        "42",
        "anon-old",
        {"integrations": {"All": False}},
    )


def test_alias_with_an_unusable_id_keeps_the_call_with_a_note() -> None:
    """alias(true): no id; the call survives (nothing is sent for it anyway) and the page is told why."""
    event, notes = norm("alias", True)
    assert event is not None
    assert (event.user_id, event.previous_id) == (None, None)
    assert notes == ["alias to: a boolean is not an id; ignored"]


def test_screen_has_name_category_and_only_the_calls_properties() -> None:
    """screen() resolves like page(), but analytics.js does not enrich it with the page's url or its name."""
    event, notes = norm("screen", "App", "Home", {"tab": 2}, context=PAGE_CONTEXT)
    assert event is not None
    assert (event.type, event.category, event.name, event.properties) == ("screen", "App", "Home", {"tab": 2})
    assert notes == []


# -- page enrichment ------------------------------------------------------------------------------------------------


def test_page_properties_carry_url_path_search_referrer_and_title_from_the_page() -> None:
    """analytics.js's page enrichment: the captured page context fills the page's properties."""
    event, _ = norm("page", "Shop", "Pricing", context=PAGE_CONTEXT)
    assert event is not None
    assert event.properties == {
        "path": "/pricing",
        "referrer": "https://search.example/",
        "search": "?plan=pro",
        "title": "Pricing - Shop",
        "url": "https://shop.example/pricing?plan=pro",
        "category": "Shop",
        "name": "Pricing",
    }


def test_page_properties_set_by_the_call_win_over_the_page_context() -> None:
    """page({url, title}): what the call says is kept; the rest still comes from the page."""
    event, _ = norm("page", {"url": "https://shop.example/virtual", "title": "Virtual"}, context=PAGE_CONTEXT)
    assert event is not None
    assert event.properties["url"] == "https://shop.example/virtual"
    assert event.properties["title"] == "Virtual"
    assert event.properties["path"] == "/pricing"


def test_page_category_and_name_arguments_win_over_properties_of_the_same_name() -> None:
    """page("Docs", "Intro", {name: "x", category: "y"}): the arguments are the page's name and category."""
    event = ok("page", "Docs", "Intro", {"name": "x", "category": "y"})
    assert (event.properties["category"], event.properties["name"]) == ("Docs", "Intro")


def test_page_enrichment_skips_context_values_that_are_not_strings() -> None:
    """A malformed context (title: 5) adds nothing instead of odd values."""
    event, _ = norm("page", context={"title": 5, "path": "/a", "url": None})
    assert event is not None
    assert event.properties == {"path": "/a"}


def test_page_enrichment_adds_no_timestamp_locale_or_anonymous_id() -> None:
    """Only the five page keys travel into properties; the rest of the context stays context."""
    event, _ = norm("page", context=PAGE_CONTEXT)
    assert event is not None
    assert set(event.properties) == {"path", "referrer", "search", "title", "url"}


# -- integrations switches --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("integrations", "skipped"),
    [
        ({"Intercom": False}, True),
        ({"All": False}, True),
        ({"All": False, "Intercom": True}, False),
        ({"All": False, "Intercom": {"user_hash": "h"}}, False),
        ({"All": False, "Intercom": None}, False),
        ({"All": True, "Intercom": False}, True),
        ({"intercom": False}, False),
        ({"Intercom": 0}, False),
        ({"Amplitude": False}, False),
        ({}, False),
        ("Intercom", False),
    ],
    ids=[
        "Intercom false",
        "All false",
        "All false, Intercom true",
        "All false, Intercom options",
        "All false, Intercom null",
        "All true, Intercom false",
        "other spelling",
        "falsy but not false",
        "another destination off",
        "empty",
        "not an object",
    ],
)
def test_options_integrations_skip_a_destination_as_analytics_js_does(integrations: Any, skipped: bool) -> None:
    """`Intercom: false`, or `All: false` unless Intercom is named: analytics.js's isDisabledIntegration."""
    event = ok("track", "Clicked", {}, {"integrations": integrations})
    assert event.skips_destination("Intercom") is skipped


def test_integrations_outside_options_do_not_skip() -> None:
    """Only options.integrations switches destinations (analytics-next moves other option keys into context)."""
    assert not ok("track", "Clicked", {}, {"Intercom": False}).skips_destination("Intercom")


# -- what the Intercom destination does with them -------------------------------------------------------------------


def destination() -> IntercomDestination:
    intercom = IntercomDestination(parse_intercom_settings({"app_id": APP}), clock=lambda: 1000.0)
    intercom.load()
    intercom.signal("widget", {"status": "loaded"})
    return intercom


def intercom_calls(commands: list[Command]) -> list[IntercomCall]:
    return [c for c in commands if isinstance(c, IntercomCall)]


def debug_lines(commands: list[Command]) -> list[str]:
    return [c.message for c in commands if isinstance(c, Log) and c.level == "debug"]


@pytest.mark.parametrize(
    ("method", "args"),
    [
        ("page", ["Pricing", {}]),
        ("identify", ["u1", {"email": "a@b.c"}]),
        ("track", ["Clicked", {}]),
        ("group", ["g1", {"name": "Acme"}]),
    ],
)
def test_a_call_that_turns_intercom_off_makes_no_intercom_call(method: str, args: list[Any]) -> None:
    """integrations: {Intercom: false}: no boot, no update, no event; one debug line says why."""
    intercom = destination()
    event, _ = norm(method, *args, {"integrations": {"Intercom": False}})
    assert event is not None
    commands = intercom.handle(event)
    assert intercom_calls(commands) == []
    assert debug_lines(commands) == [f"{method} not sent: options.integrations turned Intercom off for this call"]
    assert not intercom.booted


def test_a_skipped_identify_leaves_the_session_untouched() -> None:
    """The next call behaves as if the skipped identify never happened."""
    intercom = destination()
    skipped, _ = norm("identify", "u1", {}, {"integrations": {"All": False}})
    assert skipped is not None
    intercom.handle(skipped)
    (boot,) = intercom_calls(intercom.handle(ok("track", "Clicked")))[:1]
    assert boot.method == "boot"
    assert "user_id" not in boot.args[0]


@pytest.mark.parametrize(("method", "args"), [("alias", ["u2", "u1"]), ("screen", ["Home"])])
def test_alias_and_screen_send_nothing_to_intercom_and_say_so_in_debug(method: str, args: list[Any]) -> None:
    """Intercom has no alias or screen: no boot, no update, one debug note; the session is not touched."""
    intercom = destination()
    commands = intercom.handle(ok(method, *args))
    assert intercom_calls(commands) == []
    assert debug_lines(commands) == [f"{method} has no Intercom equivalent; not sent"]
    assert not intercom.booted


def test_alias_after_a_reset_does_not_end_the_fresh_visitor() -> None:
    """alias is not a logout: a reset after it still has nothing to end (no second boot)."""
    intercom = destination()
    intercom.handle(Event(type="reset"))
    intercom.handle(ok("alias", "u2"))
    assert intercom_calls(intercom.handle(Event(type="reset"))) == []


def test_page_enrichment_is_not_sent_to_intercom() -> None:
    """A page is Intercom('update') with no data: url, title and name stay out of Intercom."""
    intercom = destination()
    intercom.settle()  # the visitor is booted, so the page is an update
    event, _ = norm("page", "Shop", "Pricing", {"plan": "pro"}, context=PAGE_CONTEXT)
    assert event is not None
    assert event.properties  # enriched
    assert intercom_calls(intercom.handle(event)) == [IntercomCall("update")]
