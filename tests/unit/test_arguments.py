"""Argument resolution: every call shape analytics.js accepts, resolved as Segment's analytics-next resolves it.

The table's rows come from the public tests of analytics-next's `arguments-resolver` (browser and core packages)
and RudderStack's `eventMethodOverloads`, mapped to what embed.js sends: `undefined` as a marker, `null` as None,
a function as a numbered callback marker. Rows named "segment ..." and "rudderstack ..." follow those tests' cases;
"py-bridge ..." rows pin shapes they do not cover (placeholders, numbers, the id-less function marker) and the two
documented departures. Ids and names are as sent: `events` validates them.
"""

from __future__ import annotations

from typing import Any

import pytest

from py_bridge.core.arguments import (
    AliasArgs,
    PageArgs,
    Resolved,
    TrackArgs,
    UserArgs,
    callback_id,
    resolve,
)
from py_bridge.core.notes import Notes

UNDEFINED = {"$pybridge": "undefined"}
FUNCTION = {"$pybridge": "unsupported", "type": "function"}  # a function from a page that does not number callbacks
BANANA = {"banana": "phone"}
BASE_OPTIONS = {"integrations": {"amplitude": False}}
INTERCOM_OFF = {"integrations": {"intercom": False}}
TRAITS = {"phone": "555 5555"}
PROPS: dict[str, Any] = {"props": {}}
OPTS: dict[str, Any] = {"options": {}}


def cb(number: int = 1) -> dict[str, Any]:
    """A callback as embed.js encodes it."""
    return {"$pybridge": "callback", "id": number}


def row(case: str, method: str, args: list[Any], expected: Resolved) -> Any:
    return pytest.param(method, args, expected, id=case)


TABLE = [
    # -- track: analytics-next resolveArguments ----------------------------------------------------------------
    row(
        "segment track: resolves all args",
        "track",
        ["Test Event", BANANA, BASE_OPTIONS, cb(1)],
        TrackArgs("Test Event", BANANA, BASE_OPTIONS, 1),
    ),
    row("segment track: event, props", "track", ["Test Event", BANANA], TrackArgs("Test Event", BANANA)),
    row(
        "segment track: event, props, options",
        "track",
        ["Test Event", BANANA, INTERCOM_OFF],
        TrackArgs("Test Event", BANANA, INTERCOM_OFF),
    ),
    row(
        "segment track: event, props, callback",
        "track",
        ["Test Event", BANANA, cb(2)],
        TrackArgs("Test Event", BANANA, {}, 2),
    ),
    row("segment track: event, callback", "track", ["Test Event", cb(3)], TrackArgs("Test Event", {}, {}, 3)),
    row(
        "segment track: options set if properties undefined",
        "track",
        ["Test Event", UNDEFINED, {"context": {"page": {"path": "/custom"}}}],
        TrackArgs("Test Event", {}, {"context": {"page": {"path": "/custom"}}}),
    ),
    row("segment track object: requires an event name", "track", [{"type": "track"}], TrackArgs(None)),
    row(
        "segment track object: all args",
        "track",
        [{"type": "track", "event": "Test Event", "properties": BANANA}, BASE_OPTIONS, cb(4)],
        TrackArgs("Test Event", BANANA, BASE_OPTIONS, 4),
    ),
    row(
        "segment track object: event, options",
        "track",
        [{"type": "track", "event": "Test Event", "properties": BANANA}, BASE_OPTIONS],
        TrackArgs("Test Event", BANANA, BASE_OPTIONS),
    ),
    row(
        "segment track object: event, callback",
        "track",
        [{"type": "track", "event": "Test Event", "properties": BANANA}, cb(5)],
        TrackArgs("Test Event", BANANA, {}, 5),
    ),
    row("rudderstack track: event", "track", ["event"], TrackArgs("event")),
    row(
        "rudderstack track: a properties object with a key named properties is properties",
        "track",
        ["event", {"properties": {}}, OPTS],
        TrackArgs("event", {"properties": {}}, OPTS),
    ),
    row("rudderstack track: event, null, options", "track", ["event", None, OPTS], TrackArgs("event", {}, OPTS)),
    row(
        "py-bridge track: object without properties, options and callback",
        "track",
        [{"event": "Signed Up"}, OPTS, cb(6)],
        TrackArgs("Signed Up", {}, OPTS, 6),
    ),
    row(
        "py-bridge track: the callback before options still leaves them options",
        "track",
        ["event", cb(7), OPTS],
        TrackArgs("event", {}, OPTS, 7),
    ),
    row(
        "py-bridge track: an id-less function is a callback without id",
        "track",
        ["event", FUNCTION, OPTS],
        TrackArgs("event", {}, OPTS, None),
    ),
    row(
        "py-bridge track: the first of two callbacks is the callback",
        "track",
        ["event", BANANA, OPTS, cb(8), cb(9)],
        TrackArgs("event", BANANA, OPTS, 8),
    ),
    # -- page: analytics-next resolvePageArguments (browser and core) ------------------------------------------
    # Rows named "segment page (#1246/#1259)" are the cases analytics-next added with PR #1246 ("Fix argument
    # resolver interpreting settings arg correctly if first and/or second arg is null", ee838db5) and PR #1259
    # ("refactor argument resolver to address edge cases"): its tests `should accept (null, name, properties,
    # options, callback)`, `(name, null, properties, options, callback)`, `(name, null, properties)` and
    # `(name, null, null, options)`. Expected values follow the resolver those PRs left, as published in
    # @segment/analytics-next 1.82.0 (packages/browser/src/core/arguments-resolver/index.ts, "The legacy logic is
    # basically"): the object after a `null` is the properties. (The stored copies of analytics-next's resolver test
    # files, browser __tests__/index.test.ts @ e14b33c and core __tests__/page.test.ts @ 7e3f3d6, predate these PRs.)
    row(
        "segment page: (category, name, properties, options, callback)",
        "page",
        ["category", "name", BANANA, BASE_OPTIONS, cb(1)],
        PageArgs("category", "name", BANANA, BASE_OPTIONS, 1),
    ),
    row(
        'segment page: empty strings ("", "", null, {integrations})',
        "page",
        ["", "", None, {"integrations": {"Amplitude": {"sessionId": "123"}}}],
        PageArgs("", "", {}, {"integrations": {"Amplitude": {"sessionId": "123"}}}),
    ),
    row(
        "segment page: (category, name, properties, callback)",
        "page",
        ["category", "name", BANANA, cb(2)],
        PageArgs("category", "name", BANANA, {}, 2),
    ),
    row(
        "segment page: (category, name, callback)",
        "page",
        ["category", "name", cb(3)],
        PageArgs("category", "name", {}, {}, 3),
    ),
    row(
        "segment page: (name, properties, options, callback)",
        "page",
        ["name", BANANA, BASE_OPTIONS, cb(4)],
        PageArgs(None, "name", BANANA, BASE_OPTIONS, 4),
    ),
    row(
        "segment page: (name, properties, callback)",
        "page",
        ["name", BANANA, cb(5)],
        PageArgs(None, "name", BANANA, {}, 5),
    ),
    row("segment page: (name, callback)", "page", ["name", cb(6)], PageArgs(None, "name", {}, {}, 6)),
    row(
        "segment page: (properties, options, callback)",
        "page",
        [BANANA, BASE_OPTIONS, cb(7)],
        PageArgs(None, None, BANANA, BASE_OPTIONS, 7),
    ),
    row("segment page: (properties, callback)", "page", [BANANA, cb(8)], PageArgs(None, None, BANANA, {}, 8)),
    row(
        "rudderstack page: (category, name, properties, options)",
        "page",
        ["category", "name", PROPS, OPTS],
        PageArgs("category", "name", PROPS, OPTS),
    ),
    row(
        "rudderstack page: (category, name, properties)",
        "page",
        ["category", "name", PROPS],
        PageArgs("category", "name", PROPS),
    ),
    row("rudderstack page: (category, name)", "page", ["category", "name"], PageArgs("category", "name")),
    row(
        "rudderstack page: one string and a callback is the name",
        "page",
        ["category", cb(1)],
        PageArgs(None, "category", {}, {}, 1),
    ),
    row(
        "rudderstack page: (undefined, name, callback)",
        "page",
        [UNDEFINED, "name", cb(2)],
        PageArgs(None, "name", {}, {}, 2),
    ),
    row("rudderstack page: (callback)", "page", [cb(3)], PageArgs(callback_id=3)),
    row("rudderstack page: ()", "page", [], PageArgs()),
    row(
        "rudderstack page: (name, properties, options, callback)",
        "page",
        ["category", PROPS, OPTS, cb(4)],
        PageArgs(None, "category", PROPS, OPTS, 4),
    ),
    row("rudderstack page: (properties, options)", "page", [PROPS, OPTS], PageArgs(None, None, PROPS, OPTS)),
    row("rudderstack page: (properties)", "page", [PROPS], PageArgs(None, None, PROPS)),
    row(
        "segment page (#1246): (null, name, properties, options, callback)",
        "page",
        [None, "name", BANANA, BASE_OPTIONS, cb(9)],
        PageArgs(None, "name", BANANA, BASE_OPTIONS, 9),
    ),
    row(
        "segment page (#1259): (name, null, properties, options, callback)",
        "page",
        ["name", None, BANANA, BASE_OPTIONS, cb(10)],
        PageArgs(None, "name", BANANA, BASE_OPTIONS, 10),
    ),
    row(
        "segment page (#1259): (name, null, properties)", "page", ["name", None, BANANA], PageArgs(None, "name", BANANA)
    ),
    row(
        "segment page (#1259): (name, null, null, options)",
        "page",
        ["name", None, None, BASE_OPTIONS],
        PageArgs(None, "name", {}, BASE_OPTIONS),
    ),
    row(
        "segment page (#1246): PR example (null, name, {url}, {context}) keeps the context in options",
        "page",
        [None, "foo", {"url": "https://foo.com"}, {"context": {"__eventOrigin": {"type": "Signal"}}}],
        PageArgs(None, "foo", {"url": "https://foo.com"}, {"context": {"__eventOrigin": {"type": "Signal"}}}),
    ),
    row(
        "segment page: (name, null, object) makes the object properties",
        "page",
        ["Pricing", None, {"plan": "pro"}],
        PageArgs(None, "Pricing", {"plan": "pro"}),
    ),
    row(
        "segment page: one object in the options place is the options, after undefined as after null",
        "page",
        ["Docs", "Intro", UNDEFINED, OPTS],
        PageArgs("Docs", "Intro", {}, OPTS),
    ),
    row(
        "segment page: one object elsewhere is the properties",
        "page",
        ["Docs", "Intro", None, None, PROPS],
        PageArgs("Docs", "Intro", PROPS),
    ),
    row(
        "segment page: (null, name) is the name",
        "page",
        [None, "Pricing"],
        PageArgs(None, "Pricing"),
    ),
    row(
        "segment page: (null, properties, options): two objects are properties and options",
        "page",
        [None, PROPS, OPTS],
        PageArgs(None, None, PROPS, OPTS),
    ),
    row(
        "segment page: two objects are properties and options wherever they stand",
        "page",
        ["Docs", "Intro", UNDEFINED, PROPS, OPTS],
        PageArgs("Docs", "Intro", PROPS, OPTS),
    ),
    row(
        "py-bridge screen: resolved like page",
        "screen",
        ["App", "Home", PROPS, OPTS, cb(5)],
        PageArgs("App", "Home", PROPS, OPTS, 5),
    ),
    row("py-bridge screen: one string is the name", "screen", ["Home"], PageArgs(None, "Home")),
    # -- identify and group: analytics-next resolveUserArguments ------------------------------------------------
    row(
        "segment identify: (id, traits, options, callback)",
        "identify",
        ["id", TRAITS, BASE_OPTIONS, cb(1)],
        UserArgs("id", TRAITS, BASE_OPTIONS, 1),
    ),
    row(
        "segment identify: (id, traits, callback)",
        "identify",
        ["id", TRAITS, cb(2)],
        UserArgs("id", TRAITS, {}, 2),
    ),
    row("segment identify: (id, callback)", "identify", ["id", cb(3)], UserArgs("id", {}, {}, 3)),
    row(
        "segment identify: (traits, options, callback)",
        "identify",
        [TRAITS, BASE_OPTIONS, cb(4)],
        UserArgs(None, TRAITS, BASE_OPTIONS, 4),
    ),
    row("segment identify: (traits, callback)", "identify", [TRAITS, cb(5)], UserArgs(None, TRAITS, {}, 5)),
    row(
        "segment identify: (id, null, options)",
        "identify",
        ["id", None, BASE_OPTIONS],
        UserArgs("id", {}, BASE_OPTIONS),
    ),
    row("segment identify: (id, traits)", "identify", ["id", TRAITS], UserArgs("id", TRAITS)),
    row("segment identify: (undefined, traits)", "identify", [UNDEFINED, TRAITS], UserArgs(None, TRAITS)),
    row("segment identify: (null, traits)", "identify", [None, TRAITS], UserArgs(None, TRAITS)),
    row(
        "segment identify: (id, undefined, options)",
        "identify",
        ["id", UNDEFINED, BASE_OPTIONS],
        UserArgs("id", {}, BASE_OPTIONS),
    ),
    row(
        "rudderstack identify: number id, traits, options, callback",
        "identify",
        [1234, {"traits": {}}, OPTS, cb(6)],
        UserArgs(1234, {"traits": {}}, OPTS, 6),
    ),
    row("rudderstack identify: (userId)", "identify", ["userId"], UserArgs("userId")),
    row(
        "rudderstack identify: (traits, options)",
        "identify",
        [{"traits": {}}, OPTS],
        UserArgs(None, {"traits": {}}, OPTS),
    ),
    row("rudderstack identify: (traits)", "identify", [{"traits": {}}], UserArgs(None, {"traits": {}})),
    row(
        "py-bridge identify: null options after traits",
        "identify",
        [TRAITS, None],
        UserArgs(None, TRAITS),
    ),
    row(
        "py-bridge identify: an id-less function is a callback without id",
        "identify",
        ["id", TRAITS, FUNCTION],
        UserArgs("id", TRAITS),
    ),
    row(
        "py-bridge identify, not segment: a boolean id keeps its place",
        "identify",
        [True, TRAITS],
        UserArgs(True, TRAITS),
    ),
    row(
        "rudderstack group: number id, traits, options, callback",
        "group",
        [1234, {"traits": {}}, OPTS, cb(1)],
        UserArgs(1234, {"traits": {}}, OPTS, 1),
    ),
    row(
        "rudderstack group: (groupId, traits, callback)",
        "group",
        ["groupId", {"traits": {}}, cb(2)],
        UserArgs("groupId", {"traits": {}}, {}, 2),
    ),
    row("rudderstack group: (groupId, callback)", "group", ["groupId", cb(3)], UserArgs("groupId", {}, {}, 3)),
    row("rudderstack group: (groupId)", "group", ["groupId"], UserArgs("groupId")),
    row("rudderstack group: (callback)", "group", [cb(4)], UserArgs(callback_id=4)),
    row(
        "rudderstack group: (traits, options, callback)",
        "group",
        [{"traits": {}}, OPTS, cb(5)],
        UserArgs(None, {"traits": {}}, OPTS, 5),
    ),
    row(
        "rudderstack group: (traits, callback)", "group", [{"traits": {}}, cb(6)], UserArgs(None, {"traits": {}}, {}, 6)
    ),
    row("rudderstack group: (traits)", "group", [{"traits": {}}], UserArgs(None, {"traits": {}})),
    row(
        "py-bridge group: (id, traits, options)",
        "group",
        [77, {"name": "Acme"}, {"x": 1}],
        UserArgs(77, {"name": "Acme"}, {"x": 1}),
    ),
    # -- alias: analytics-next resolveAliasArguments ---------------------------------------------------------------
    row(
        "segment alias: (to, from, options, callback)",
        "alias",
        ["to", "from", INTERCOM_OFF, cb(1)],
        AliasArgs("to", "from", INTERCOM_OFF, 1),
    ),
    row(
        "segment alias: (to, options, callback)",
        "alias",
        ["to", INTERCOM_OFF, cb(2)],
        AliasArgs("to", None, INTERCOM_OFF, 2),
    ),
    row("segment alias: (to, callback)", "alias", ["to", cb(3)], AliasArgs("to", None, {}, 3)),
    row("segment alias: (to, from, callback)", "alias", ["to", "from", cb(4)], AliasArgs("to", "from", {}, 4)),
    row("rudderstack alias: (to, from, options)", "alias", ["to", "from", OPTS], AliasArgs("to", "from", OPTS)),
    row("rudderstack alias: (to, from)", "alias", ["to", "from"], AliasArgs("to", "from")),
    row("rudderstack alias: (to, options)", "alias", ["to", OPTS], AliasArgs("to", None, OPTS)),
    row("rudderstack alias: (to)", "alias", ["to"], AliasArgs("to")),
    row("rudderstack alias: (callback)", "alias", [cb(5)], AliasArgs(callback_id=5)),
    row("rudderstack alias: (options) has no id", "alias", [OPTS], AliasArgs(None, None, OPTS)),
    row("segment alias: numbers are ids in the first two places", "alias", [1, 2], AliasArgs(1, 2)),
    row("segment alias: (null, from) makes from the new id", "alias", [None, "from"], AliasArgs("from")),
]


@pytest.mark.parametrize(("method", "args", "expected"), TABLE)
def test_call_shapes_resolve_as_analytics_js_resolves_them(method: str, args: list[Any], expected: Resolved) -> None:
    """Each row: a call as embed.js sends it, and the fields analytics-next's resolver gives it, without any note."""
    notes = Notes()
    assert resolve(method, args, notes) == expected
    assert notes.items == []


def test_the_table_covers_every_method_with_arguments() -> None:
    """Page, screen, track, identify, group and alias all have rows, and row names are unique."""
    assert {p.values[0] for p in TABLE} == {"page", "screen", "track", "identify", "group", "alias"}
    assert len({p.id for p in TABLE}) == len(TABLE)


# -- what fits nowhere -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "args", "note"),
    [
        ("page", [42], "page: argument 1 (a number) is not a category, name, properties, options or callback; ignored"),
        (
            "page",
            ["a", "b", "c"],
            "page: 3 strings; analytics.js reads a name from one string and a category and name from two, so none is"
            " used; ignored",
        ),
        (
            "screen",
            [PROPS, OPTS, BANANA],
            "screen: 3 objects; analytics.js reads properties and options from one or two objects, so none is used;"
            " ignored",
        ),
        (
            "page",
            ["Docs", PROPS, "Intro"],
            "page: argument 3 (a string): of two strings, analytics.js reads the category only from argument 1 and the"
            " name only from argument 2; ignored",
        ),
        ("track", ["x", "text"], "track properties: expected an object, received a string; ignored"),
        ("track", ["x", {}, [1]], "track options: expected an object, received an array; ignored"),
        (
            "track",
            [{"event": "x", "properties": 5}],
            "track properties: expected an object, received a number; ignored",
        ),
        ("identify", [12345, "text"], "identify traits: expected an object, received a string; ignored"),
        (
            "identify",
            ["u1", {}, {}, {}],
            "identify: argument 4 (an object) is not an id, traits, options or callback; ignored",
        ),
        ("group", ["g1", {}, True], "group options: expected an object, received a boolean; ignored"),
        ("alias", ["a", "b", "c"], "alias: argument 3 (a string) is not an id, options or callback; ignored"),
    ],
)
def test_an_argument_that_fits_no_parameter_is_ignored_with_one_note(method: str, args: list[Any], note: str) -> None:
    """Bad input is repaired, and the page is told which argument was left out."""
    notes = Notes()
    resolve(method, args, notes)
    assert notes.items == [note]


@pytest.mark.parametrize(
    ("method", "args", "expected"),
    [
        ("page", ["a", "b", "c"], PageArgs()),
        ("screen", [PROPS, OPTS, BANANA, cb(3)], PageArgs(callback_id=3)),
        ("page", ["Docs", PROPS, "Intro"], PageArgs("Docs", None, PROPS)),
    ],
    ids=["three strings", "three objects", "two strings, the second out of place"],
)
def test_page_uses_only_the_strings_and_objects_analytics_js_reads(method: str, args: list[Any], expected: Any) -> None:
    """analytics-next 1.82.0's resolvePageArguments reads a category and name from one or two strings (the category
    only from argument 1, the name only from argument 2 when there are two) and properties and options from one or
    two objects; with three or more of a kind it uses none of them. py-bridge does the same, and says so."""
    notes = Notes()
    assert resolve(method, args, notes) == expected
    assert len(notes.items) == 1


def test_an_argument_that_cannot_be_decoded_is_noted_once_and_holds_its_place() -> None:
    """track(name, NaN, options): decode reports the NaN; options stay options, with no second note."""
    notes = Notes()
    resolved = resolve("track", ["x", {"$pybridge": "number", "value": "NaN"}, OPTS], notes)
    assert resolved == TrackArgs("x", {}, OPTS)
    assert notes.items == ["track[1]: NaN is not a finite number; dropped"]


@pytest.mark.parametrize(
    "args",
    [["x", FUNCTION], ["x", {}, FUNCTION], [FUNCTION], ["x", cb(1), FUNCTION, cb(2)]],
    ids=["second", "after an object", "only", "among numbered"],
)
def test_a_function_argument_is_never_warned_about(args: list[Any]) -> None:
    """Functions are callbacks (numbered or not), never "cannot be sent" warnings."""
    for method in ("page", "screen", "track", "identify", "group", "alias"):
        notes = Notes()
        resolve(method, args, notes)
        assert notes.items == [], method


def test_the_first_function_ends_identify_arguments() -> None:
    """analytics-next reads identify/group arguments up to the first function: what follows is ignored (noted)."""
    notes = Notes()
    assert resolve("identify", ["id", cb(7), OPTS], notes) == UserArgs("id", {}, {}, 7)
    assert notes.items == ["identify: argument 3 (an object) is not an id, traits, options or callback; ignored"]


def test_a_function_after_the_declared_parameters_is_still_the_callback() -> None:
    """A departure from analytics-next (which reads only its parameters): a function anywhere is the callback."""
    notes = Notes()
    assert resolve("track", ["x", {}, {}, None, cb(9)], notes) == TrackArgs("x", {}, {}, 9)
    assert notes.items == []


@pytest.mark.parametrize(
    ("marker", "expected"),
    [({"$pybridge": "callback", "id": "7"}, None), ({"$pybridge": "callback", "id": True}, None), (cb(0), 0)],
)
def test_a_callback_marker_without_a_whole_number_id_is_a_callback_without_id(marker: Any, expected: Any) -> None:
    """The page numbers callbacks; anything else in `id` is not a number the page could match."""
    resolved = resolve("track", ["x", marker], Notes())
    assert isinstance(resolved, TrackArgs)
    assert resolved.callback_id == expected


def test_callback_id_reads_only_the_markers() -> None:
    """reset() has no resolver: its callback id comes from the raw arguments, without decoding them."""
    assert callback_id([{"a": 1}, cb(4), cb(5)]) == 4
    assert callback_id([FUNCTION]) is None
    assert callback_id("not a list") is None


def test_methods_without_arguments_have_no_resolver() -> None:
    """reset() and unknown methods resolve to None; `events` decides what that means."""
    assert resolve("reset", ["x"], Notes()) is None
    assert resolve("trackEvent", ["x"], Notes()) is None


def test_arguments_that_are_not_a_list_mean_no_arguments() -> None:
    """A malformed message never raises."""
    assert resolve("identify", {"0": "u1"}, Notes()) == UserArgs()


def test_empty_page_strings_stay_empty_strings() -> None:
    """Issue 15, item 17, analytics-next's "empty strings" row: ("", "", null, {integrations}) keeps "" and "",
    properties {} (null holds their place) and the options."""
    from py_bridge.core.events import normalise
    from py_bridge.core.notes import Notes

    notes = Notes()
    options = {"integrations": {"Amplitude": {"sessionId": "123"}}}
    event = normalise("page", ["", "", None, options], {}, notes)
    assert event is not None
    assert (event.category, event.name, event.options) == ("", "", options)
    assert notes.items == []
