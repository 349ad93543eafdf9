"""Pure Intercom mapping: every identify/track/group rule of issue 3, table by table."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as settings_
from hypothesis import strategies as st

from py_bridge.core.destinations.intercom.mapping import (
    clean_key,
    company_payload,
    context_attributes,
    credentials,
    event_payload,
    to_unix_seconds,
    user_payload,
)
from py_bridge.core.destinations.intercom.settings import IntercomSettings, parse_intercom_settings
from py_bridge.core.events import Event
from py_bridge.core.notes import Notes

BASE = parse_intercom_settings({"app_id": "abc12345"})
JAN_2021 = 1_609_459_200
CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
)


def settings(**changes: Any) -> IntercomSettings:
    return replace(BASE, **changes)


def identify(
    traits: dict[str, Any], user_id: str | None = "u1", s: IntercomSettings = BASE, **kw: Any
) -> tuple[dict[str, Any], list[str]]:
    notes = Notes()
    out = user_payload(Event(type="identify", user_id=user_id, traits=traits, **kw), s, notes)
    return out, notes.items


def track(
    name: str, properties: dict[str, Any], s: IntercomSettings = BASE
) -> tuple[tuple[str, dict[str, Any]] | None, list[str]]:
    notes = Notes()
    out = event_payload(Event(type="track", name=name, properties=properties), s, notes)
    return out, notes.items


# -- identify: standard attributes ----------------------------------------------------------------------------------

IDENTIFY_CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("email", {"email": " a@b.c "}, {"email": "a@b.c"}),
    ("phone", {"phone": "+44 1"}, {"phone": "+44 1"}),
    ("unsubscribed camel", {"unsubscribedFromEmails": True}, {"unsubscribed_from_emails": True}),
    ("unsubscribed snake", {"unsubscribed_from_emails": False}, {"unsubscribed_from_emails": False}),
    ("name wins over parts", {"name": "Ann Lee", "firstName": "X"}, {"name": "Ann Lee"}),
    ("first and last", {"firstName": "Ann", "lastName": "Lee"}, {"name": "Ann Lee"}),
    ("snake first and last", {"first_name": "Ann", "last_name": "Lee"}, {"name": "Ann Lee"}),
    ("first only", {"firstName": "Ann"}, {"name": "Ann"}),
    ("last only", {"lastName": "Lee"}, {"name": "Lee"}),
    ("first null never 'undefined'", {"firstName": None, "lastName": "Lee"}, {"name": "Lee"}),
    ("blank name ignored", {"name": "  ", "firstName": "Ann"}, {"name": "Ann"}),
    ("createdAt ISO Z", {"createdAt": "2021-01-01T00:00:00Z"}, {"created_at": JAN_2021}),
    ("created_at ISO offset", {"created_at": "2021-01-01T01:00:00+01:00"}, {"created_at": JAN_2021}),
    ("created ISO date only", {"created": "2021-01-01"}, {"created_at": JAN_2021}),
    ("createdAt seconds", {"createdAt": JAN_2021}, {"created_at": JAN_2021}),
    ("createdAt milliseconds", {"createdAt": JAN_2021 * 1000 + 999}, {"created_at": JAN_2021}),
    ("createdAt float seconds", {"createdAt": JAN_2021 + 0.9}, {"created_at": JAN_2021}),
    ("createdAt digit string", {"createdAt": str(JAN_2021 * 1000)}, {"created_at": JAN_2021}),
    ("createdAt datetime", {"createdAt": datetime(2021, 1, 1, tzinfo=UTC)}, {"created_at": JAN_2021}),
    (
        "createdAt aware datetime",
        {"createdAt": datetime(2021, 1, 1, 2, tzinfo=timezone(timedelta(hours=2)))},
        {"created_at": JAN_2021},
    ),
    ("avatar url", {"avatar": "https://x.io/a.png"}, {"avatar": {"type": "avatar", "image_url": "https://x.io/a.png"}}),
    ("custom zero kept", {"logins": 0}, {"logins": 0}),
    ("custom false kept", {"trial": False}, {"trial": False}),
    ("custom empty string kept", {"nickname": ""}, {"nickname": ""}),
    ("custom null kept", {"plan": None}, {"plan": None}),
    ("custom float kept", {"score": 1.5}, {"score": 1.5}),
    ("custom _at ISO", {"last_seen_at": "2021-01-01T00:00:00Z"}, {"last_seen_at": JAN_2021}),
    ("custom _at ms", {"paid_at": JAN_2021 * 1000}, {"paid_at": JAN_2021}),
    ("custom datetime", {"renewal": datetime(2021, 1, 1, tzinfo=UTC)}, {"renewal": JAN_2021}),
    ("id traits repeating the userId are consumed", {"id": "u1", "userId": "u1", "user_id": None}, {}),
]


@pytest.mark.parametrize(("case", "traits", "expected"), IDENTIFY_CASES, ids=[c[0] for c in IDENTIFY_CASES])
def test_identify_rule_maps_traits_without_notes(case: str, traits: dict[str, Any], expected: dict[str, Any]) -> None:
    """Each clean trait maps to exactly the Intercom attribute of issue 3, with no warning."""
    out, notes = identify(traits)
    assert out == {"user_id": "u1", **expected}
    assert notes == []


REPAIR_CASES: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    ("createdAt garbage", {"createdAt": "yesterday"}, {}, "createdAt"),
    ("createdAt negative", {"createdAt": -5}, {}, "createdAt"),
    ("createdAt impossible date", {"createdAt": "2021-02-30"}, {}, "createdAt"),
    ("avatar not a URL", {"avatar": "javascript:alert(1)"}, {}, "avatar"),
    ("avatar object", {"avatar": {"image_url": "https://x"}}, {}, "avatar"),
    ("unsubscribed not bool", {"unsubscribedFromEmails": "yes"}, {}, "unsubscribedFromEmails"),
    ("email not a string", {"email": 5}, {}, "email"),
    ("nested object dropped", {"address": {"city": "X"}}, {}, "address"),
    ("array dropped", {"tags": ["a", "b"]}, {}, "tags"),
    ("forbidden dot", {"a.b": 1}, {"a_b": 1}, "a.b"),
    ("forbidden dollar", {"$plan": "x"}, {"_plan": "x"}, "$plan"),
    ("forbidden many", {"we!rd@key#": 1}, {"we_rd_key_": 1}, "we!rd@key#"),
    ("forbidden NUL", {"a\x00b": 1}, {"a_b": 1}, "'a\\x00b'"),
    ("long string cut", {"bio": "b" * 300}, {"bio": "b" * 255}, "bio"),
    ("_at not a date", {"trial_at": "soon"}, {}, "trial_at"),
    ("not finite", {"ratio": float("nan")}, {}, "ratio"),
    ("empty key", {"": 1}, {}, "empty name"),
    ("company not an object", {"company": "Acme"}, {}, "company"),
    ("companies not an array", {"companies": {"id": "c1"}}, {}, "companies"),
    ("custom_attributes nested", {"custom_attributes": {"a": 1}}, {}, "custom_attributes"),
    ("language_override is a Messenger setting", {"language_override": "fr"}, {}, "options.integrations.Intercom"),
    ("languageOverride camel too", {"languageOverride": "de"}, {}, "'languageOverride'"),
    ("another id", {"id": "x"}, {}, "'id'"),
    ("another userId", {"userId": "y"}, {}, "'userId'"),
    ("hash in traits", {"user_hash": "h"}, {}, "'user_hash'"),
    ("app_id in traits", {"app_id": "z"}, {}, "'app_id'"),
]


@pytest.mark.parametrize(("case", "traits", "expected", "key"), REPAIR_CASES, ids=[c[0] for c in REPAIR_CASES])
def test_identify_repair_or_drop_gives_exactly_one_note_naming_the_key(
    case: str, traits: dict[str, Any], expected: dict[str, Any], key: str
) -> None:
    """Every drop or repair of a trait is one [py-bridge] warning that names the key."""
    out, notes = identify(traits)
    assert out == {"user_id": "u1", **expected}
    assert len(notes) == 1, notes
    assert key in notes[0]


def test_nested_traits_are_flattened_with_underscores_when_set() -> None:
    """nested=flatten: objects and arrays become `parent_child` keys, each leaf under Intercom's rules."""
    out, notes = identify(
        {"address": {"city": "Paris", "geo": {"lat": 1.5}}, "tags": ["a", "b"], "x": {"when_at": "2021-01-01"}},
        s=settings(nested="flatten"),
    )
    assert out == {
        "user_id": "u1",
        "address_city": "Paris",
        "address_geo_lat": 1.5,
        "tags_0": "a",
        "tags_1": "b",
        "x_when_at": JAN_2021,
    }
    assert notes == []


def test_flattened_key_with_forbidden_characters_is_repaired_with_one_note() -> None:
    """A nested key Intercom forbids is repaired after flattening and named in one note."""
    out, notes = identify({"a": {"b.c": 1}}, s=settings(nested="flatten"))
    assert out == {"user_id": "u1", "a_b_c": 1}
    assert len(notes) == 1
    assert "'a_b.c'" in notes[0]


# -- identify: company / companies ----------------------------------------------------------------------------------


def test_company_object_maps_every_field() -> None:
    """id->company_id, createdAt->seconds, monthlySpend, employees->size (whole), remove kept, custom keys inline."""
    out, notes = identify(
        {
            "company": {
                "id": 42,
                "name": "Acme",
                "createdAt": "2021-01-01T00:00:00Z",
                "plan": "pro",
                "monthlySpend": 99.5,
                "employees": 10.6,
                "website": "https://acme.io",
                "industry": "Tools",
                "remove": True,
                "tier": "gold",
                "active": False,
            }
        }
    )
    assert notes == []
    assert out["company"] == {
        "company_id": "42",
        "name": "Acme",
        "plan": "pro",
        "website": "https://acme.io",
        "industry": "Tools",
        "monthly_spend": 99.5,
        "size": 11,
        "created_at": JAN_2021,
        "remove": True,
        "tier": "gold",
        "active": False,
    }


@pytest.mark.parametrize(
    ("company", "expected"),
    [
        ({"company_id": "c1", "size": 3}, {"company_id": "c1", "size": 3}),
        ({"companyId": "c2", "monthly_spend": 0}, {"company_id": "c2", "monthly_spend": 0}),
        ({"id": "c3", "remove": "yes"}, {"company_id": "c3"}),
    ],
)
def test_company_id_aliases_and_snake_case_fields(company: dict[str, Any], expected: dict[str, Any]) -> None:
    """company_id/id/companyId all name the company; `remove` is kept only when exactly true."""
    assert company_payload(company, Notes()) == expected


@pytest.mark.parametrize(
    ("company", "key"),
    [
        ({"name": "no id"}, "no company id"),
        ({"id": ""}, "no company id"),
        ({"id": True}, "no company id"),
        ({"id": "c", "monthlySpend": "lots"}, "monthlySpend"),
        ({"id": "c", "employees": "many"}, "employees"),
        ({"id": "c", "plan": 3}, "plan"),
        ({"id": "c", "createdAt": "later"}, "createdAt"),
        ({"id": "c", "owner": {"a": 1}}, "owner"),
    ],
)
def test_company_repairs_and_drops_give_one_note(company: dict[str, Any], key: str) -> None:
    """A company without id is dropped; a bad field is dropped; each with one note naming it."""
    notes = Notes()
    company_payload(company, notes)
    assert len(notes) == 1, notes.items
    assert key in notes.items[0]


def test_companies_array_is_mapped_element_by_element() -> None:
    """Good elements are kept in order; bad ones dropped with a note naming their index."""
    out, notes = identify({"companies": [{"id": "c1"}, "Acme", {"name": "no id"}, {"id": "c2", "plan": "x"}]})
    assert out["companies"] == [{"company_id": "c1"}, {"company_id": "c2", "plan": "x"}]
    assert len(notes) == 2
    assert "companies[1]" in notes[0]
    assert "companies[2]" in notes[1]


# -- identify: anonymous users, context, credentials ----------------------------------------------------------------


def test_no_user_id_and_no_email_never_sends_user_id() -> None:
    """A visitor's traits go through without user_id: no null/undefined user_id ever reaches Intercom."""
    out, notes = identify({"plan": "free"}, user_id=None, anonymous_id="anon-1")
    assert out == {"plan": "free"}
    assert "user_id" not in out
    assert notes == []


def test_send_anonymous_id_uses_the_anonymous_id_as_user_id() -> None:
    """With send_anonymous_id the anonymousId becomes user_id for users without id or email."""
    out, _ = identify({}, user_id=None, anonymous_id="anon-1", s=settings(send_anonymous_id=True))
    assert out == {"user_id": "anon-1"}


def test_send_anonymous_id_does_not_override_an_email_user() -> None:
    """An email identifies the user; the anonymous id is not invented as user_id."""
    out, _ = identify({"email": "a@b.c"}, user_id=None, anonymous_id="anon-1", s=settings(send_anonymous_id=True))
    assert out == {"email": "a@b.c"}


def test_include_context_adds_browser_facts_as_custom_attributes() -> None:
    """include_context: locale, timezone, browser and OS family; the site's own traits win on conflict."""
    context = {"locale": "fr-FR", "timezone": "Europe/Paris", "user_agent": CHROME_WINDOWS}
    out, _ = identify({"browser_locale": "mine"}, s=settings(include_context=True), context=context)
    assert out == {
        "user_id": "u1",
        "browser_locale": "mine",
        "browser_timezone": "Europe/Paris",
        "browser_family": "Chrome",
        "os_family": "Windows",
    }


def test_context_is_not_added_by_default() -> None:
    """Nothing is sent that the site did not ask for."""
    out, _ = identify({}, context={"locale": "fr-FR", "user_agent": CHROME_WINDOWS})
    assert out == {"user_id": "u1"}


@pytest.mark.parametrize(
    ("agent", "browser", "system"),
    [
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) AppleWebKit Version/17.0 Safari/604.1", "Safari", "iOS"),
        ("Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0", "Firefox", "Linux"),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Chrome/120.0 Safari/537.36 Edg/120.0", "Edge", "macOS"),
        ("Mozilla/5.0 (Linux; Android 14) Chrome/120.0 Mobile Safari/537.36", "Chrome", "Android"),
    ],
)
def test_context_attributes_detect_browser_and_os_family(agent: str, browser: str, system: str) -> None:
    """Only the family is kept, never the raw user agent."""
    out = context_attributes({"user_agent": agent})
    assert out == {"browser_family": browser, "os_family": system}


@pytest.mark.parametrize(
    "options",
    [
        {"integrations": {"Intercom": {"user_hash": "H", "intercom_user_jwt": "J", "hide_default_launcher": True}}},
        {"integrations": {"Intercom": {"userHash": "H", "intercomUserJwt": "J", "hideDefaultLauncher": True}}},
        {"Intercom": {"user_hash": "H", "intercom_user_jwt": "J", "hide_default_launcher": True}},
        {"Intercom": {"userHash": " H ", "intercomUserJwt": "J", "hideDefaultLauncher": True}},
        {"context": {"Intercom": {"user_hash": "H", "intercom_user_jwt": "J", "hide_default_launcher": True}}},
        {"context": {"Intercom": {"userHash": "H", "jwt": "J", "hideDefaultLauncher": True}}},
    ],
)
def test_credentials_are_read_from_every_place_in_camel_and_snake_case(options: dict[str, Any]) -> None:
    """integrations.Intercom, Intercom and context.Intercom, camelCase or snake_case, all give the same values."""
    assert credentials(options) == {"user_hash": "H", "intercom_user_jwt": "J", "hide_default_launcher": True}


def test_credentials_prefer_integrations_then_options_then_context() -> None:
    """When several places carry a value, integrations.Intercom wins (Segment's current place)."""
    options = {
        "integrations": {"Intercom": {"user_hash": "A"}},
        "Intercom": {"user_hash": "B", "intercom_user_jwt": "JB"},
        "context": {"Intercom": {"user_hash": "C", "intercom_user_jwt": "JC", "hide_default_launcher": False}},
    }
    assert credentials(options) == {"user_hash": "A", "intercom_user_jwt": "JB", "hide_default_launcher": False}


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"integrations": True},
        {"Intercom": "h"},
        {"context": {"Intercom": {"user_hash": ""}}},
        {"Intercom": {"user_hash": 5}},
    ],
)
def test_credentials_ignore_malformed_places(options: dict[str, Any]) -> None:
    """Wrong shapes or empty values are no credential at all."""
    assert credentials(options) == {}


def test_user_payload_never_contains_credentials() -> None:
    """Credentials are taken from options only; traits cannot smuggle them as custom attributes."""
    out, _ = identify({"user_hash": "x", "userHash": "y", "intercom_user_jwt": "z"})
    assert out == {"user_id": "u1"}


# -- unix seconds -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (JAN_2021, JAN_2021),
        (JAN_2021 * 1000, JAN_2021),
        (0, 0),
        ("2021-01-01 00:00:00", JAN_2021),
        ("2021-01-01T00:00:00.123Z", JAN_2021),
        ("2021-01-01T00:00+0000", JAN_2021),
        (True, None),
        (-1, None),
        (datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC), 0),  # found by hypothesis: a Date before 1970
        ("1969-12-31T23:59:59Z", 0),
        (float("inf"), None),
        (1e308, None),
        (10**400, None),
        ("01/02/2021", None),
        ("", None),
        (None, None),
        ([JAN_2021], None),
    ],
)
def test_to_unix_seconds_accepts_dates_and_refuses_the_rest(value: Any, expected: int | None) -> None:
    """Seconds, milliseconds, ISO strings and datetimes become whole seconds; nonsense becomes None, never raises."""
    assert to_unix_seconds(value) == expected


def test_clean_key_replaces_every_forbidden_character() -> None:
    """Intercom forbids . $ ~ ` ! @ # % ^ & * ' { } [ ] | \\ " and NUL in keys."""
    assert clean_key("a.$~`!@#%^&*'{}[]|\\\"\x00z") == "a" + "_" * 20 + "z"
    assert clean_key("ok-key_1 x") == "ok-key_1 x"


# -- track ------------------------------------------------------------------------------------------------------

TRACK_CASES: list[tuple[str, str, dict[str, Any], str, dict[str, Any]]] = [
    ("name trimmed", "  Signed Up ", {}, "Signed Up", {}),
    ("dot and dollar", "cart.item$added", {}, "cart-item-added", {}),
    (
        "scalars and falsy pass",
        "E",
        {"a": 0, "b": False, "c": "", "d": None, "e": 1.5},
        "E",
        {"a": 0, "b": False, "c": "", "d": None, "e": 1.5},
    ),
    ("revenue to cents", "Buy", {"revenue": 19.99}, "Buy", {"price": {"amount": 1999, "currency": "USD"}}),
    ("revenue rounds half up", "Buy", {"revenue": 19.995}, "Buy", {"price": {"amount": 2000, "currency": "USD"}}),
    ("revenue 1.005", "Buy", {"revenue": 1.005}, "Buy", {"price": {"amount": 101, "currency": "USD"}}),
    ("revenue 0 kept", "Buy", {"revenue": 0}, "Buy", {"price": {"amount": 0, "currency": "USD"}}),
    ("revenue negative", "Refund", {"revenue": -2.5}, "Refund", {"price": {"amount": -250, "currency": "USD"}}),
    ("revenue numeric string", "Buy", {"revenue": "12.345"}, "Buy", {"price": {"amount": 1235, "currency": "USD"}}),
    (
        "currency upper-cased",
        "Buy",
        {"revenue": 5, "currency": " eur "},
        "Buy",
        {"price": {"amount": 500, "currency": "EUR"}},
    ),
    (
        "total for Order Completed",
        "Order Completed",
        {"total": 10, "currency": "gbp"},
        "Order Completed",
        {"price": {"amount": 1000, "currency": "GBP"}},
    ),
    (
        "revenue wins over total",
        "Order Completed",
        {"revenue": 1, "total": 10},
        "Order Completed",
        {"price": {"amount": 100, "currency": "USD"}, "total": 10},
    ),
    ("total ignored for other events", "Cart Viewed", {"total": 10}, "Cart Viewed", {"total": 10}),
    ("currency alone not added", "E", {"currency": "usd"}, "E", {"currency": "usd"}),
    ("price scalar kept without revenue", "E", {"price": 5}, "E", {"price": 5}),
    ("date value", "E", {"when": datetime(2021, 1, 1, tzinfo=UTC)}, "E", {"when": JAN_2021}),
    ("_at key ISO", "E", {"paid_at": "2021-01-01"}, "E", {"paid_at": JAN_2021}),
]


@pytest.mark.parametrize(
    ("case", "name", "properties", "expected_name", "expected"), TRACK_CASES, ids=[c[0] for c in TRACK_CASES]
)
def test_track_rule_maps_name_and_metadata_without_notes(
    case: str, name: str, properties: dict[str, Any], expected_name: str, expected: dict[str, Any]
) -> None:
    """Each clean property maps as issue 3 says; nothing is added that the call did not carry."""
    out, notes = track(name, properties)
    assert out == (expected_name, expected)
    assert out is not None
    assert list(out[1]) == list(expected)  # order preserved
    assert notes == []


TRACK_REPAIRS: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    ("object dropped", {"cart": {"id": 1}}, {}, "cart"),
    ("array dropped", {"items": [1, 2]}, {}, "items"),
    ("long string cut", {"note": "n" * 300}, {"note": "n" * 255}, "note"),
    ("forbidden key", {"a.b": 1}, {"a_b": 1}, "a.b"),
    ("empty key", {"": 1}, {}, "empty name"),
    ("bad _at", {"due_at": "soon"}, {}, "due_at"),
    ("revenue not a number", {"revenue": "lots"}, {"revenue": "lots"}, "revenue"),
    ("revenue bool", {"revenue": True}, {"revenue": True}, "revenue"),
    ("revenue too large", {"revenue": 1e307}, {"revenue": 1e307}, "revenue"),
    ("bad currency", {"revenue": 1, "currency": "dollars"}, {"price": {"amount": 100, "currency": "USD"}}, "currency"),
    ("price replaced by revenue", {"revenue": 1, "price": 5}, {"price": {"amount": 100, "currency": "USD"}}, "price"),
]


@pytest.mark.parametrize(("case", "properties", "expected", "key"), TRACK_REPAIRS, ids=[c[0] for c in TRACK_REPAIRS])
def test_track_repair_or_drop_gives_exactly_one_note_naming_the_key(
    case: str, properties: dict[str, Any], expected: dict[str, Any], key: str
) -> None:
    """Each metadata repair or drop is one warning that names the property."""
    out, notes = track("E", properties)
    assert out == ("E", expected)
    assert len(notes) == 1, notes
    assert key in notes[0]


@pytest.mark.parametrize("name", ["", "   ", "\t\n"])
def test_track_with_empty_name_is_dropped_with_a_note(name: str) -> None:
    """An event without a name cannot be stored by Intercom."""
    out, notes = track(name, {"a": 1})
    assert out is None
    assert notes == ["track: empty event name; call dropped"]


def test_rich_link_kept_only_for_configured_keys() -> None:
    """{url, value} objects pass for rich_link_properties; the same shape elsewhere is an object and dropped."""
    link = {"url": "https://help.acme.io/a/1", "value": "Article 1"}
    out, notes = track("Read", {"article": link, "other": link}, settings(rich_link_properties=("article",)))
    assert out == ("Read", {"article": link})
    assert len(notes) == 1
    assert "'other'" in notes[0]


@pytest.mark.parametrize(
    "value",
    [{"url": "javascript:alert(1)", "value": "x"}, {"url": "https://x"}, {"value": "x"}, {"url": 1, "value": "x"}],
)
def test_malformed_rich_link_is_dropped_with_one_note(value: dict[str, Any]) -> None:
    """A rich link needs an http(s) url and a text value."""
    out, notes = track("Read", {"article": value}, settings(rich_link_properties=("article",)))
    assert out == ("Read", {})
    assert len(notes) == 1
    assert "'article'" in notes[0]


def test_nested_properties_flatten_when_set() -> None:
    """nested=flatten applies to metadata too."""
    out, notes = track("E", {"cart": {"id": 7, "tags": ["x"]}}, settings(nested="flatten"))
    assert out == ("E", {"cart_id": 7, "cart_tags_0": "x"})
    assert notes == []


def test_metadata_keeps_the_first_keys_in_order_with_price_first() -> None:
    """At most max_metadata_keys keys: price first, then the properties in the order sent; one note names the rest."""
    properties = {f"k{i}": i for i in range(12)}
    properties["revenue"] = 3
    out, notes = track("Buy", properties)
    assert out is not None
    assert list(out[1]) == ["price", *(f"k{i}" for i in range(9))]
    assert notes == ["track 'Buy': Intercom keeps 10 metadata keys; dropped 'k9', 'k10', 'k11'"]


@pytest.mark.parametrize("limit", [1, 5, 20])
def test_metadata_limit_follows_the_setting(limit: int) -> None:
    """max_metadata_keys from 1 to 20 caps the metadata exactly."""
    out, _ = track("E", {f"k{i:02}": i for i in range(25)}, settings(max_metadata_keys=limit))
    assert out is not None
    assert list(out[1]) == [f"k{i:02}" for i in range(limit)]


def test_metadata_within_limit_gives_no_note() -> None:
    """Exactly max_metadata_keys keys is fine."""
    out, notes = track("E", {f"k{i}": i for i in range(10)})
    assert out is not None
    assert len(out[1]) == 10
    assert notes == []


def test_non_ascii_digits_are_not_read_as_a_unix_time() -> None:
    """'¹' passes str.isdigit() but is no number: it is not a date (found by hypothesis)."""
    from py_bridge.core.destinations.intercom.mapping import to_unix_seconds

    assert to_unix_seconds("¹") is None
    assert to_unix_seconds("١٢٣") is None


# -- reserved names: page data never steers the Messenger -----------------------------------------------------------


def test_dotted_trait_keys_cannot_set_user_id_app_id_or_api_base() -> None:
    """`user.id` / `app.id` / `api.base` are cleaned to reserved names (as Intercom would): dropped, in one note."""
    traits = {"user.id": "admin", "app.id": "zzz", "api.base": "https://evil.example", "plan": "pro"}
    for user_id in (None, "u1"):
        out, notes = identify(traits, user_id=user_id)
        assert out == ({"plan": "pro"} if user_id is None else {"user_id": "u1", "plan": "pro"})
        assert len(notes) == 1, notes
        assert notes[0].startswith("3 traits dropped")
        for raw, clean in (("user.id", "user_id"), ("app.id", "app_id"), ("api.base", "api_base")):
            assert f"'{raw}' (read by Intercom as '{clean}')" in notes[0], raw


def test_flattened_trait_objects_cannot_set_identity_credentials_or_messenger_settings() -> None:
    """nested=flatten: {app: {id}}, {api: {base}}, {user: {id}}, {hide: {default: {launcher}}} are dropped too."""
    out, notes = identify(
        {
            "app": {"id": "zzz"},
            "api": {"base": "https://evil.example"},
            "user": {"id": "admin", "hash": "h", "role": "x"},
            "hide": {"default": {"launcher": True}},
            "e": {"mail": "someone@else.io"},
        },
        user_id=None,
        s=settings(nested="flatten"),
    )
    assert out == {"user_role": "x"}
    assert len(notes) == 1, notes
    for key in ("app_id", "api_base", "user_id", "user_hash", "hide_default_launcher", "e_mail"):
        assert any(f"'{key}'" in n for n in notes), key


@pytest.mark.parametrize(
    "name",
    sorted(
        {
            "app_id",
            "api_base",
            "custom_launcher_selector",
            "hide_default_launcher",
            "alignment",
            "horizontal_padding",
            "vertical_padding",
            "z_index",
            "action_color",
            "background_color",
            "session_duration",
            "language_override",
            "hide_notifications",
            "widget",
            "user_id",
            "email",
            "user_hash",
            "intercom_user_jwt",
        }
    ),
)
def test_every_messenger_setting_identity_and_credential_name_in_any_spelling_is_dropped_with_one_note(
    name: str,
) -> None:
    """Snake, dotted, camelCase, upper case or `$`-separated: a trait never becomes a reserved Intercom key."""
    camel = name.split("_")[0] + "".join(part.title() for part in name.split("_")[1:])
    spellings = {name.replace("_", "."), name.replace("_", "$"), camel, name.upper(), name.replace("_", "-")}
    spellings.add(name)
    if name == "email":
        spellings.discard("email")  # traits.email itself is the identity's legitimate source
    for spelling in sorted(spellings):
        out, notes = identify({spelling: "x", "ok": 1}, user_id=None)
        assert out == {"ok": 1}, spelling
        assert len(notes) == 1, (spelling, notes)
        assert repr(spelling) in notes[0]


def test_group_traits_cannot_override_the_group_id() -> None:
    """group('c1', {'company.id': ..., 'company_id': ..., 'id': ...}): the company id stays the groupId."""
    notes = Notes()
    company = company_payload(
        {"company.id": "evil", "company_id": "evil2", "id": "c1", "companyId": "evil3", "name": "Acme"},
        notes,
        company_id="c1",
    )
    assert company == {"company_id": "c1", "name": "Acme"}
    assert len(notes) == 1, notes.items
    for key in ("company.id", "company_id", "companyId"):
        assert any(f"'{key}'" in n for n in notes), key


def test_flattened_group_traits_cannot_override_the_group_id_or_standard_fields() -> None:
    """nested=flatten: {company: {id}} -> company_id and {monthly: {spend}} -> monthly_spend are dropped."""
    notes = Notes()
    company = company_payload(
        {"company": {"id": "evil"}, "plan": "pro", "monthly": {"spend": 10**9}, "tier": {"level": 2}},
        notes,
        nested="flatten",
        company_id="c1",
    )
    assert company == {"company_id": "c1", "plan": "pro", "tier_level": 2}
    assert len(notes) == 1, notes.items
    assert "'company_id'" in notes.items[0]
    assert "'monthly_spend'" in notes.items[0]


def test_identify_company_with_a_second_id_key_keeps_the_first_and_notes_the_other() -> None:
    """company {company_id: 'a', id: 'b'}: the id is 'a'; the conflicting 'id' is dropped with a note."""
    out, notes = identify({"company": {"company_id": "a", "id": "b", "name": "Acme"}})
    assert out["company"] == {"company_id": "a", "name": "Acme"}
    assert len(notes) == 1
    assert "'id'" in notes[0]


def test_language_override_comes_from_options_intercom() -> None:
    """The per-call language setting is read from options.integrations.Intercom (never traits); codes only."""
    assert credentials({"integrations": {"Intercom": {"languageOverride": "pt-BR"}}}) == {"language_override": "pt-BR"}
    assert credentials({"Intercom": {"language_override": " fr "}}) == {"language_override": "fr"}
    assert credentials({"Intercom": {"language_override": "<script>"}}) == {}


RESERVED_SPELLINGS = st.sampled_from(
    ["user.id", "User_Id", "userID", "app.id", "appId", "api$base", "API_BASE", "e.mail", "Email", "user$hash",
     "intercom.user.jwt", "hide.default.launcher", "custom.launcher.selector", "widget", "z.index", "languageOverride",
     "session.duration", "id", "userId", "plan", "team.size", "a.b"]
)  # fmt: skip


@settings_(max_examples=150, deadline=None)
@given(
    traits=st.dictionaries(
        st.one_of(RESERVED_SPELLINGS, st.text(max_size=8)),
        st.one_of(
            st.text(max_size=6),
            st.integers(),
            st.booleans(),
            st.dictionaries(st.one_of(RESERVED_SPELLINGS, st.sampled_from(["id", "hash"])), st.text(max_size=4)),
        ),
        max_size=8,
    ),
    user_id=st.one_of(st.none(), st.just("u1")),
    nested=st.sampled_from(["drop", "flatten"]),
)
def test_no_trait_ever_yields_an_identity_credential_or_messenger_setting_it_was_not_given_legitimately(
    traits: dict[str, Any], user_id: str | None, nested: str
) -> None:
    """Whatever the keys, user_id is the call's userId, email is traits.email, and no setting or credential appears."""
    out, _ = identify(traits, user_id=user_id, s=settings(nested=nested))
    normalised = {k.lower().replace("_", "").replace("-", ""): k for k in out}
    assert out.get("user_id") == user_id
    assert "userid" not in normalised or normalised["userid"] == "user_id"
    email = traits.get("email")
    if "email" in normalised:
        assert normalised["email"] == "email"
        assert isinstance(email, str)
        assert out["email"] == email.strip()
    for name in ("appid", "apibase", "userhash", "intercomuserjwt", "hidedefaultlauncher", "customlauncherselector",
                 "widget", "zindex", "languageoverride", "sessionduration", "id"):  # fmt: skip
        assert name not in normalised, (name, out)


# -- group: Messenger settings and credentials are never company attributes (issue 15, item 12) --------------------


def test_group_traits_naming_messenger_settings_or_credentials_are_dropped_with_one_note() -> None:
    """group('c1', {app_id, api_base, user_hash, custom_launcher_selector, plan}): only the plan stays, one note."""
    notes = Notes()
    company = company_payload(
        {
            "app_id": "zzz",
            "api_base": "https://evil.example",
            "user_hash": "h",
            "custom_launcher_selector": "#x",
            "plan": "pro",
            "seats": 3,
        },
        notes,
        company_id="c1",
    )
    assert company == {"company_id": "c1", "plan": "pro", "seats": 3}
    assert len(notes) == 1, notes.items
    for key in ("app_id", "api_base", "user_hash", "custom_launcher_selector"):
        assert f"'{key}'" in notes.items[0], key


@pytest.mark.parametrize(
    "spelling",
    ["appId", "API_BASE", "api.base", "userHash", "intercom_user_jwt", "jwt", "hide-default-launcher", "z$index"],
)
def test_a_reserved_company_key_is_dropped_in_any_spelling(spelling: str) -> None:
    """As for users: compared after cleaning, case and separators ignored."""
    notes = Notes()
    assert company_payload({spelling: "x", "tier": 2}, notes, company_id="c1") == {"company_id": "c1", "tier": 2}
    assert len(notes) == 1, notes.items
    assert repr(spelling) in notes.items[0]


def test_flattened_company_traits_cannot_become_messenger_settings() -> None:
    """nested=flatten: {app: {id}} and {user: {hash}} would be read as app_id and user_hash: dropped, one note."""
    notes = Notes()
    company = company_payload(
        {"app": {"id": "zzz"}, "user": {"hash": "h", "role": "x"}}, notes, nested="flatten", company_id="c1"
    )
    assert company == {"company_id": "c1", "user_role": "x"}
    assert len(notes) == 1, notes.items
    assert "app_id" in notes.items[0]
    assert "user_hash" in notes.items[0]


def test_intercoms_own_company_attributes_stay_allowed() -> None:
    """company_id (the groupId), name, plan, monthly_spend, size, website, industry, created_at pass untouched."""
    notes = Notes()
    company = company_payload(
        {
            "name": "Acme",
            "plan": "pro",
            "monthly_spend": 99.5,
            "size": 12,
            "website": "https://acme.example",
            "industry": "Tools",
            "created_at": JAN_2021,
            "user_count": 3,
        },
        notes,
        company_id="c1",
    )
    assert company == {
        "company_id": "c1",
        "name": "Acme",
        "plan": "pro",
        "monthly_spend": 99.5,
        "size": 12,
        "website": "https://acme.example",
        "industry": "Tools",
        "created_at": JAN_2021,
        "user_count": 3,
    }
    assert notes.items == []


def test_an_identify_company_drops_reserved_keys_with_one_note_too() -> None:
    """traits.company goes through the same check as group() traits."""
    out, notes = identify({"company": {"id": "c9", "app_id": "zzz", "api_base": "x", "plan": "pro"}})
    assert out["company"] == {"company_id": "c9", "plan": "pro"}
    assert len(notes) == 1, notes


def test_a_thousand_reserved_keys_make_one_note_that_counts_them() -> None:
    """Summarised by kind (issue 15, item 5): one call with 1,000 reserved keys is one console line, with a count."""
    traits = {f"app-id{'_' * i}": "x" for i in range(1000)} | {"plan": "pro"}
    out, notes = identify(traits, user_id="u1")
    assert out == {"user_id": "u1", "plan": "pro"}
    assert len(notes) == 1, len(notes)
    assert notes[0].startswith("1000 traits dropped")
    assert notes[0].endswith("and 990 more")
    assert len(notes[0]) < 2000


@pytest.mark.parametrize(
    ("traits", "kind"),
    [
        ({f"k.{i}": 1 for i in range(1000)}, "trait keys with characters Intercom forbids replaced by _ (1000)"),
        ({f"k{i}": {"a": 1} for i in range(1000)}, "traits holding an object or array dropped"),
        ({f"k{i}": float("nan") for i in range(1000)}, "numbers that are not finite dropped (1000)"),
        ({f"k{i}": "x" * 300 for i in range(1000)}, "strings longer than 255 characters cut to 255 (1000)"),
    ],
)
def test_a_thousand_bad_keys_of_one_kind_make_one_counted_note(traits: dict[str, object], kind: str) -> None:
    """Summarised by kind, not by identical text (issue 15, item 5): one line, a count, the first ten keys."""
    _, notes = identify(traits, user_id="u1")
    assert len(notes) == 1, notes[:3]
    assert notes[0].startswith(kind)
    assert "(1000)" in notes[0]
    assert notes[0].endswith("and 990 more")


def test_one_bad_key_keeps_its_own_detailed_note() -> None:
    _, notes = identify({"a.b": 1}, user_id="u1")
    assert notes == ["trait 'a.b': characters Intercom forbids in keys replaced; sent as 'a_b'"]
