"""The analytics.js spec shape a transform receives, and reading back what it returned."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from py_bridge.core.events import Event
from py_bridge.core.spec import event_from_spec, from_spec, iso_timestamp, message_id, spec_record, to_spec

CONTEXT: dict[str, Any] = {
    "url": "https://shop.example/pricing?plan=pro",
    "path": "/pricing",
    "search": "?plan=pro",
    "referrer": "https://www.google.com/",
    "title": "Pricing",
    "timestamp": 1714564800123,
    "locale": "en-GB",
    "user_agent": "Mozilla/5.0",
    "anonymous_id": "anon-1",
    "timezone": "Europe/London",
}
SIGNED_UP = datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)


def track(**changes: Any) -> Event:
    fields: dict[str, Any] = {
        "type": "track",
        "name": "Signed Up",
        "anonymous_id": "anon-1",
        "user_id": "u1",
        "properties": {"plan": "pro"},
        "context": dict(CONTEXT),
    }
    return Event(**{**fields, **changes})


EVENTS = {
    "page": Event(
        type="page", name="Pricing", category="Docs", properties={"a": 1}, anonymous_id="anon-1", context=CONTEXT
    ),
    "identify": Event(
        type="identify",
        user_id="u1",
        anonymous_id="anon-1",
        traits={"email": "a@example.com", "signed_up_at": SIGNED_UP, "nested": {"when": [SIGNED_UP, 1]}},
        options={"integrations": {"Intercom": {"user_hash": "abc"}}, "context": {"ip": "1.2.3.4"}, "Intercom": {}},
        context=CONTEXT,
    ),
    "track": track(options={"integrations": {"All": False, "Intercom": True}}),
    "group": Event(type="group", group_id="g1", traits={"name": "Acme"}, anonymous_id="anon-1", context=CONTEXT),
    "alias": Event(type="alias", user_id="new", previous_id="old", anonymous_id="anon-1", context=CONTEXT),
    "screen": Event(type="screen", name="Home", properties={"tab": 2}, context={"timestamp": 5}),
    "no context": Event(type="track", name="Bare"),
}


def test_a_track_event_has_the_analytics_js_shape() -> None:
    """event name, properties, ids, context.page, ISO timestamp with milliseconds and Z, messageId, integrations."""
    spec = to_spec(track())
    assert spec["type"] == "track"
    assert spec["event"] == "Signed Up"
    assert spec["properties"] == {"plan": "pro"}
    assert (spec["userId"], spec["anonymousId"]) == ("u1", "anon-1")
    assert spec["context"] == {
        "page": {
            "url": "https://shop.example/pricing?plan=pro",
            "path": "/pricing",
            "referrer": "https://www.google.com/",
            "title": "Pricing",
            "search": "?plan=pro",
        },
        "locale": "en-GB",
        "userAgent": "Mozilla/5.0",
        "timezone": "Europe/London",
    }
    assert spec["timestamp"] == "2024-05-01T12:00:00.123Z"
    assert re.fullmatch(r"pyb-[0-9a-f]{32}", spec["messageId"])
    assert spec["integrations"] == {}
    assert "traits" not in spec
    assert "name" not in spec


def test_page_identify_group_and_alias_show_their_own_fields() -> None:
    """page: name and category; identify/group: traits; group: groupId; alias: previousId."""
    page = to_spec(EVENTS["page"])
    assert (page["name"], page["category"], page["properties"]) == ("Pricing", "Docs", {"a": 1})
    assert to_spec(EVENTS["group"])["groupId"] == "g1"
    assert to_spec(EVENTS["group"])["traits"] == {"name": "Acme"}
    alias = to_spec(EVENTS["alias"])
    assert (alias["userId"], alias["previousId"]) == ("new", "old")


def test_dates_become_iso_strings_and_options_context_merges_into_context() -> None:
    """A JSON-shaped dict: Dates as analytics.js serialises them; options.context keys join the captured context."""
    spec = to_spec(EVENTS["identify"])
    assert spec["traits"]["signed_up_at"] == "2024-01-02T03:04:05.678Z"
    assert spec["traits"]["nested"] == {"when": ["2024-01-02T03:04:05.678Z", 1]}
    assert spec["context"]["ip"] == "1.2.3.4"  # type: ignore[typeddict-item]
    assert spec["integrations"] == {"Intercom": {"user_hash": "abc"}}
    json.dumps(spec)  # nothing that JSON cannot carry


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_the_spec_round_trip_gives_back_the_same_event(name: str) -> None:
    """from_spec(to_spec(event), event) == event, with no notes: unchanged Dates come back as the same datetimes."""
    event = EVENTS[name]
    back, notes = from_spec(to_spec(event), event)
    assert notes == []
    assert back == event


def test_to_spec_returns_a_copy_the_transform_may_change() -> None:
    """Changing the dict (nested values included) never changes the Event it came from."""
    event = EVENTS["identify"]
    spec = to_spec(event)
    spec["traits"]["nested"]["when"].append(2)
    spec["traits"]["email"] = "b@example.com"
    assert event.traits["nested"] == {"when": [SIGNED_UP, 1]}
    assert event.traits["email"] == "a@example.com"


def test_reset_has_no_spec_shape() -> None:
    """reset is not an analytics.js spec event: to_spec refuses it, the export recorder skips it."""
    with pytest.raises(ValueError, match="reset"):
        to_spec(Event(type="reset"))
    assert spec_record(Event(type="reset")) is None
    assert spec_record(track()) == dict(to_spec(track()))


def test_the_message_id_is_stable_and_depends_on_content_and_capture_time() -> None:
    """Same event, same id; another name or another capture millisecond, another id."""
    assert message_id(track()) == message_id(track())
    assert message_id(track(name="Other")) != message_id(track())
    assert message_id(track(context={**CONTEXT, "timestamp": CONTEXT["timestamp"] + 1})) != message_id(track())


@pytest.mark.parametrize("key", ["message_id", "messageId"])
def test_a_message_id_sent_by_the_page_is_kept(key: str) -> None:
    """A page that numbers its own calls keeps its ids."""
    assert to_spec(track(context={**CONTEXT, key: "m-42"}))["messageId"] == "m-42"


def test_a_transformed_event_keeps_its_message_id() -> None:
    """Renaming the event changes its content, not its identity: the next to_spec gives the same messageId."""
    event = track()
    spec = to_spec(event)
    spec["event"] = "signup"
    back, notes = from_spec(spec, event)
    assert notes == []
    assert back is not None
    assert back.name == "signup"
    assert to_spec(back)["messageId"] == spec["messageId"]


@pytest.mark.parametrize(
    ("ms", "text"),
    [(0, "1970-01-01T00:00:00.000Z"), (1714564800123, "2024-05-01T12:00:00.123Z"), (1714564800123.6, None)],
)
def test_iso_timestamp_has_milliseconds_and_z(ms: float, text: str | None) -> None:
    """Unix milliseconds as analytics.js prints them; a fractional millisecond rounds."""
    assert iso_timestamp(ms) == (text or "2024-05-01T12:00:00.124Z")


@pytest.mark.parametrize("value", [None, "soon", True, float("nan"), 10**20])
def test_iso_timestamp_of_something_else_is_none(value: Any) -> None:
    """No timestamp rather than a wrong one."""
    assert iso_timestamp(value) is None


# -- from_spec: what a transform may return --------------------------------------------------------------------


def back(changes: dict[str, Any], event: Event | None = None, remove: tuple[str, ...] = ()) -> tuple[Event, list[str]]:
    event = event or track()
    spec: dict[str, Any] = {**to_spec(event), **changes}
    for key in remove:
        del spec[key]
    result, notes = from_spec(spec, event)
    assert result is not None
    return result, notes


def test_a_renamed_and_enriched_event_reaches_the_event() -> None:
    """event, properties, userId changes become the Event's fields."""
    result, notes = back({"event": "  signup ", "properties": {"plan": "pro", "source": "ads"}, "userId": "u2"})
    assert notes == []
    assert (result.name, result.properties, result.user_id) == ("signup", {"plan": "pro", "source": "ads"}, "u2")


@pytest.mark.parametrize("value", ["reset", "purchase", 3, None])
def test_type_cannot_become_something_invalid(value: Any) -> None:
    """reset and unknown types are refused with a note; the original type stays."""
    result, notes = back({"type": value})
    assert result.type == "track"
    assert len(notes) == 1
    assert "type must be one of" in notes[0]


def test_type_may_change_to_another_spec_type() -> None:
    """A track turned into an identify (with traits) is an identify."""
    result, notes = back({"type": "identify", "traits": {"plan": "pro"}})
    assert notes == []
    assert (result.type, result.traits, result.name) == ("identify", {"plan": "pro"}, None)


def test_a_track_needs_an_event_name() -> None:
    """Removing the name of a track keeps the old one; a page turned into a track without one stays a page."""
    result, notes = back({"event": ""})
    assert result.name == "Signed Up"
    assert "event must be a non-empty string" in notes[0]
    result, notes = back({"type": "track"}, EVENTS["page"])
    assert result.type == "page"
    assert "needs an event name" in notes[0]


@pytest.mark.parametrize("value", [42, True, ["u"], {"id": 1}])
def test_ids_must_be_strings(value: Any) -> None:
    """A number or object as userId is reported and the original id kept."""
    result, notes = back({"userId": value})
    assert result.user_id == "u1"
    assert notes[0].startswith("userId must be a string")


def test_an_empty_or_removed_id_clears_it() -> None:
    """userId "" (with a note) or deleted: no user id."""
    result, notes = back({"userId": "  "})
    assert result.user_id is None
    assert "empty string" in notes[0]
    result, notes = back({}, remove=("userId",))
    assert (result.user_id, notes) == (None, [])


def test_unknown_fields_are_reported_and_ignored() -> None:
    """A typo such as `propertes` is named in a note, not silently lost."""
    result, notes = back({"propertes": {"x": 1}, "sentAt": "now"})
    assert result.properties == {"plan": "pro"}
    assert notes == ["unknown field 'propertes' ignored", "unknown field 'sentAt' ignored"]


def test_properties_that_are_not_a_dict_keep_the_original() -> None:
    """properties: a list is reported; the original properties stay."""
    result, notes = back({"properties": ["plan"]})
    assert result.properties == {"plan": "pro"}
    assert notes == ["properties must be a dict, received a list; kept the original"]


def test_values_json_cannot_carry_are_cleaned_like_page_input() -> None:
    """A set is dropped with a note, a tuple becomes a list, a datetime the transform added stays a Date."""
    moment = datetime(2024, 5, 1, tzinfo=UTC)
    result, notes = back({"properties": {"tags": {"a"}, "pair": (1, 2), "at": moment, "nan": float("nan")}})
    assert result.properties == {"pair": [1, 2], "at": moment}
    assert len(notes) == 2


def test_context_changes_reach_the_event_context_and_options() -> None:
    """context.page.url back into the captured context; a new context key into options.context."""
    spec: dict[str, Any] = dict(to_spec(track()))
    spec["context"]["page"]["url"] = "https://shop.example/pricing"
    del spec["context"]["page"]["search"]
    spec["context"]["campaign"] = {"name": "spring"}
    result, notes = from_spec(spec, track())
    assert notes == []
    assert result is not None
    assert result.context["url"] == "https://shop.example/pricing"
    assert "search" not in result.context
    assert result.options["context"] == {"campaign": {"name": "spring"}}


def test_a_new_timestamp_is_read_back_and_a_bad_one_reported() -> None:
    """An ISO string becomes Unix milliseconds; something else keeps the capture time."""
    result, _ = back({"timestamp": "2024-05-01T12:00:01.000Z"})
    assert result.context["timestamp"] == 1714564801000
    result, notes = back({"timestamp": "yesterday"})
    assert result.context["timestamp"] == CONTEXT["timestamp"]
    assert notes[0].startswith("timestamp must be an ISO 8601 string")


def test_integrations_go_back_to_options() -> None:
    """`integrations: {Intercom: false}` set by a transform is the per-call switch the destination reads."""
    result, notes = back({"integrations": {"Intercom": False}})
    assert notes == []
    assert result.options["integrations"] == {"Intercom": False}
    assert result.skips_destination("Intercom")


def test_options_the_spec_does_not_show_pass_through() -> None:
    """A top-level option such as `Intercom: {...}` (a credential's legacy place) survives any change."""
    event = EVENTS["identify"]
    result, _ = back({"traits": {"email": "b@example.com"}}, event)
    assert result.options["Intercom"] == {}
    assert result.options["integrations"] == {"Intercom": {"user_hash": "abc"}}


def test_not_a_dict_is_dropped() -> None:
    """from_spec on something that is not a mapping: no event, one note."""
    result, notes = from_spec([], track())  # type: ignore[arg-type]
    assert result is None
    assert notes == ["expected a dict, received a list; event dropped"]


def test_a_recorded_line_becomes_an_event_again() -> None:
    """event_from_spec reads what debug.export() wrote: the same event, and its id kept."""
    line = json.loads(json.dumps(to_spec(track())))
    result, notes = event_from_spec(line)
    assert notes == []
    assert result is not None
    assert to_spec(result) == to_spec(track())


@pytest.mark.parametrize("data", [[], {"type": "reset"}, {"event": "x"}])
def test_a_recorded_line_without_a_spec_type_is_refused(data: Any) -> None:
    """Not an object, or no valid type: no event and one reason."""
    result, notes = event_from_spec(data)
    assert result is None
    assert len(notes) == 1


KEYS = st.text("ab_", min_size=1, max_size=5)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.datetimes(timezones=st.just(UTC)),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=12,
)


@given(
    properties=st.dictionaries(st.text("abcxyz_", min_size=1, max_size=6), JSON_VALUES, max_size=5),
    timestamp=st.integers(0, 4_102_444_800_000),
)
def test_any_page_data_survives_the_spec_round_trip(properties: dict[str, Any], timestamp: int) -> None:
    """Whatever JSON-like values (and Dates) a call carries, an unchanged spec event reads back as the same Event."""
    event = track(properties=properties, context={**CONTEXT, "timestamp": timestamp})
    result, notes = from_spec(json.loads(json.dumps(to_spec(event))), event)
    assert notes == []
    assert result == event
