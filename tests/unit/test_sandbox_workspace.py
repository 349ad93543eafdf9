"""The emulated Intercom workspace enforces Intercom's rules strictly and records every rejection."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from py_bridge.tools.sandbox.workspace import (
    MAX_EVENT_NAMES,
    MISSING_USER_HASH,
    Outcome,
    Workspace,
    compute_user_hash,
    normalise_event_name,
)

APP = "abc12345"
SECRET = "test-secret-long-enough-for-hs256-keys"


def make(verification: str = "off") -> Workspace:
    return Workspace(secret=SECRET, verification=verification, clock=lambda: 1_700_000_000.0)


def ping(ws: Workspace, user_data: dict[str, Any], **fields: str) -> Outcome:
    form = {"app_id": APP, "user_data": json.dumps(user_data), **fields}
    return ws.handle("ping", form)


def event(ws: Workspace, name: str, metadata: dict[str, Any] | None = None, **fields: str) -> Outcome:
    form = {"app_id": APP, "event_name": name, "metadata": json.dumps(metadata or {}), **fields}
    return ws.handle("events", form)


def app(ws: Workspace) -> dict[str, Any]:
    return ws.to_json()["apps"][APP]  # type: ignore[no-any-return]


def token(claims: dict[str, Any], secret: str = SECRET) -> str:
    return jwt.encode(claims, secret, algorithm="HS256")


def user_hash(identifier: str) -> str:
    return compute_user_hash(SECRET, identifier)


# -- identity verification ---------------------------------------------------------------------------------------


def test_user_hash_is_hex_hmac_sha256_of_user_id() -> None:
    """The hash must match what a site's server computes, or no real integration could pass verification."""
    assert compute_user_hash("s3cret", "42") == hmac.new(b"s3cret", b"42", hashlib.sha256).hexdigest()


def test_enforced_user_hash_accepts_valid_hash_and_marks_user_verified() -> None:
    """A correct hash passes verification and the user is stored as verified."""
    ws = make("user_hash")
    outcome = ping(ws, {"user_id": "u1"}, user_hash=user_hash("u1"))
    assert outcome.status == 200
    assert app(ws)["users"]["u1"]["verified"] is True


def test_enforced_user_hash_refuses_missing_hash_with_403_and_records_it() -> None:
    """Intercom answers 403 with the 'Missing user_hash' message; nothing is stored from the ping."""
    ws = make("user_hash")
    outcome = ping(ws, {"user_id": "u1", "plan": "pro"}, anonymous_id="v1")
    assert outcome.status == 403
    assert outcome.body["errors"] == [{"code": "unauthorized", "message": MISSING_USER_HASH}]
    state = app(ws)
    assert state["users"] == {}
    assert state["rejections"] == [{"endpoint": "ping", "status": 403, "reason": MISSING_USER_HASH}]


def test_enforced_user_hash_refuses_wrong_hash() -> None:
    """A hash computed with another secret is as good as none."""
    ws = make("user_hash")
    outcome = ping(ws, {"user_id": "u1"}, user_hash=compute_user_hash("other", "u1"))
    assert outcome.status == 403
    assert app(ws)["rejections"][0]["status"] == 403


def test_user_hash_of_email_is_used_when_there_is_no_user_id() -> None:
    """Intercom hashes the email only for users identified by email alone."""
    ws = make("user_hash")
    assert ping(ws, {"email": "a@example.com"}, user_hash=user_hash("a@example.com")).status == 200
    assert ping(ws, {"email": "b@example.com", "user_id": "u2"}, user_hash=user_hash("b@example.com")).status == 403


def test_visitors_need_no_verification() -> None:
    """Identity verification is about users; anonymous visitors boot without any hash."""
    for mode in ("user_hash", "jwt"):
        ws = make(mode)
        assert ping(ws, {"name": "Guest"}, anonymous_id="v1").status == 200
        assert app(ws)["visitors"]["v1"]["name"] == "Guest"


def test_verification_off_accepts_wrong_hash_but_records_verified_false() -> None:
    """With verification off, tests can still see whether the bridge computed the right hash."""
    ws = make("off")
    assert ping(ws, {"user_id": "u1"}, user_hash="deadbeef").status == 200
    assert ping(ws, {"user_id": "u2"}, user_hash=user_hash("u2")).status == 200
    assert ping(ws, {"user_id": "u3"}).status == 200
    users = app(ws)["users"]
    assert [users[k]["verified"] for k in ("u1", "u2", "u3")] == [False, True, None]


@pytest.mark.parametrize(
    ("jwt_value", "status"),
    [
        (None, 400),
        ("not-a-jwt", 401),
        (token({"user_id": "u1"}, secret="wrong-secret-long-enough-for-hs256-keys"), 401),
        (token({"email": "a@example.com"}), 401),  # user_id is a required claim
        (token({"user_id": "u1", "exp": int(time.time()) - 60}), 401),
        (token({"user_id": "someone-else"}), 401),  # must agree with the user_id the page sends
        (token({"user_id": "u1", "exp": int(time.time()) + 86_400}), 200),
    ],
)
def test_enforced_jwt_mode_refuses_missing_with_400_and_invalid_with_401(jwt_value: str | None, status: int) -> None:
    """Intercom's JWT rules: missing -> 400, invalid/expired/mismatched -> 401, valid -> accepted."""
    ws = make("jwt")
    fields = {"intercom_user_jwt": jwt_value} if jwt_value else {}
    assert ping(ws, {"user_id": "u1"}, **fields).status == status


def test_enforced_jwt_mode_does_not_accept_a_user_hash_instead() -> None:
    """A valid HMAC does not satisfy a workspace that requires JWTs."""
    ws = make("jwt")
    assert ping(ws, {"user_id": "u1"}, user_hash=user_hash("u1")).status == 400


def test_jwt_wins_over_user_hash_when_both_are_present() -> None:
    """With both present the JWT decides: a valid JWT passes despite a bad hash, and vice versa."""
    ws = make("user_hash")
    good_jwt, bad_hash = token({"user_id": "u1"}), "00" * 32
    assert ping(ws, {"user_id": "u1"}, user_hash=bad_hash, intercom_user_jwt=good_jwt).status == 200
    assert app(ws)["users"]["u1"]["verified_by"] == "jwt"
    bad_jwt = token({"user_id": "u1"}, secret="wrong-secret-long-enough-for-hs256-keys")
    assert ping(ws, {"user_id": "u1"}, user_hash=user_hash("u1"), intercom_user_jwt=bad_jwt).status == 401


def test_jwt_claims_identify_the_user_and_count_as_signed_attributes() -> None:
    """Claims fill in the identity and override what the page sent for the same attribute."""
    ws = make("jwt")
    signed = token({"user_id": "u9", "email": "u9@example.com", "plan": "enterprise"})
    assert ping(ws, {"plan": "free"}, intercom_user_jwt=signed, anonymous_id="v1").status == 200
    user = app(ws)["users"]["u9"]
    assert (user["email"], user["custom_attributes"]["plan"], user["verified"]) == (
        "u9@example.com",
        "enterprise",
        True,
    )


# -- attribute rules ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_data", "fragment"),
    [
        ({"created_at": 1_700_000_000_000}, "milliseconds, expected seconds"),
        ({"created_at": 1_700_000_000.5}, "integer of Unix seconds"),
        ({"created_at": "2023-11-14T22:13:20Z"}, "integer of Unix seconds"),
        ({"created_at": True}, "integer of Unix seconds"),
        ({"signed_up_at": "yesterday"}, "signed_up_at: date"),
        ({"trial_ends_at": 1.7e12}, "trial_ends_at: date"),
        ({"plan.tier": "pro"}, "forbidden characters"),
        ({"$plan": "pro"}, "forbidden characters"),
        ({"a\x00b": 1}, "forbidden characters"),
        ({"bio": "x" * 256}, "longer than 255"),
        ({"prefs": {"dark": True}}, "objects and arrays"),
        ({"tags": ["a", "b"]}, "objects and arrays"),
        ({"name": 12}, "name: must be a string"),
        ({"unsubscribed_from_emails": "yes"}, "must be a boolean"),
        ({"avatar": "https://example.com/a.png"}, "avatar"),
        ({"avatar": {"type": "avatar", "image_url": "javascript:alert(1)"}}, "avatar"),
        ({"company": {"name": "No id"}}, "company_id: required"),
        ({"companies": [{"company_id": "c1", "size": "big"}]}, "size"),
        ({"companies": {"company_id": "c1"}}, "must be an array"),
        ({"company": {"company_id": "c1", "monthly_spend": "10"}}, "monthly_spend"),
        ({"company": {"company_id": "c1", "founded_at": 1.7e12}}, "founded_at: date"),
        ({"user_id": "undefined"}, "real identifier"),
        ({"email": "not-an-email"}, "not an email"),
    ],
)
def test_ping_breaking_an_attribute_rule_is_refused_with_422_and_stores_nothing(
    user_data: dict[str, Any], fragment: str
) -> None:
    """Strict on purpose: one bad attribute refuses the whole ping, so e2e tests prove the bridge sends valid data."""
    ws = make()
    outcome = ping(ws, {"user_id": "u1", "plan": "pro", **user_data})
    assert outcome.status == 422, outcome
    assert fragment in " ".join(e["message"] for e in outcome.body["errors"])
    state = app(ws)
    assert state["users"] == {}
    assert state["companies"] == {}
    assert state["rejections"][0]["status"] == 422


def test_valid_standard_and_custom_attributes_are_stored() -> None:
    """Standard attributes land in their own fields, custom ones in custom_attributes, settings are ignored."""
    ws = make()
    data = {
        "user_id": 7,
        "email": "ada@example.com",
        "name": "Ada",
        "phone": "+44 20",
        "created_at": 1_700_000_000,
        "unsubscribed_from_emails": False,
        "avatar": {"type": "avatar", "image_url": "https://example.com/a.png"},
        "plan": "pro",
        "seats": 3,
        "ratio": 0.5,
        "beta": False,
        "nickname": None,
        "renewal_at": 1_800_000_000,
        "app_id": APP,
        "hide_default_launcher": True,
        "alignment": "left",
    }
    assert ping(ws, data).status == 200
    user = app(ws)["users"]["7"]
    assert user["user_id"] == "7"
    assert user["name"] == "Ada"
    assert user["created_at"] == 1_700_000_000
    assert user["custom_attributes"] == {
        "plan": "pro",
        "seats": 3,
        "ratio": 0.5,
        "beta": False,
        "nickname": None,
        "renewal_at": 1_800_000_000,
    }


def test_nested_custom_attributes_object_is_ignored_not_stored() -> None:
    """Intercom ignores a nested custom_attributes object; the sandbox records that it did."""
    ws = make()
    outcome = ping(ws, {"user_id": "u1", "custom_attributes": {"plan": "pro"}})
    assert outcome.status == 200
    assert outcome.body["ignored"] == ["custom_attributes"]
    user = app(ws)["users"]["u1"]
    assert user["custom_attributes"] == {}
    assert user["ignored"] == ["custom_attributes"]


def test_later_pings_merge_attributes() -> None:
    """Each ping updates only what it carries; earlier attributes stay."""
    ws = make()
    ping(ws, {"user_id": "u1", "plan": "free", "seats": 1})
    ping(ws, {"user_id": "u1", "plan": "pro"})
    user = app(ws)["users"]["u1"]
    assert user["custom_attributes"] == {"plan": "pro", "seats": 1}
    assert user["pings"] == 2


def test_visitor_without_anonymous_id_is_refused() -> None:
    """A ping with no user identity must carry the visitor id, or it is about nobody."""
    ws = make()
    assert ping(ws, {"name": "x"}).status == 400


# -- companies, conversion ---------------------------------------------------------------------------------------


def test_companies_are_stored_and_remove_detaches_the_user() -> None:
    """company/companies attach the user; `remove: true` detaches without deleting the company."""
    ws = make()
    companies = [{"company_id": 1, "name": "Acme", "plan": "pro", "size": 20, "tier_score": 3}, {"id": "c2"}]
    assert (
        ping(ws, {"user_id": "u1", "company": {"company_id": "c0", "name": "Zero"}, "companies": companies}).status
        == 200
    )
    state = app(ws)
    assert state["users"]["u1"]["companies"] == ["c0", "1", "c2"]
    assert state["companies"]["1"]["custom_attributes"] == {"tier_score": 3}
    assert ping(ws, {"user_id": "u1", "company": {"company_id": "1", "remove": True}}).status == 200
    state = app(ws)
    assert state["users"]["u1"]["companies"] == ["c0", "c2"]
    assert "1" in state["companies"]


def test_user_ping_with_known_visitor_id_converts_the_visitor() -> None:
    """Visitor -> user: the visitor disappears, its data and events move to the user, converted_from is set."""
    ws = make()
    ping(ws, {"referrer": "ad", "plan": "free"}, anonymous_id="v1")
    assert event(ws, "viewed-pricing", anonymous_id="v1").status == 200
    outcome = ping(ws, {"user_id": "u1", "plan": "pro"}, anonymous_id="v1")
    assert outcome.body["converted_from"] == "v1"
    state = app(ws)
    assert state["visitors"] == {}
    user = state["users"]["u1"]
    assert user["converted_from"] == "v1"
    assert user["custom_attributes"] == {"referrer": "ad", "plan": "pro"}
    assert state["events"][0]["contact_type"] == "user"
    assert state["events"][0]["contact_key"] == "u1"


# -- events ------------------------------------------------------------------------------------------------------


def test_event_names_are_normalised_and_matched_case_insensitively() -> None:
    """`.` and `$` become `-`; 'Signed Up' and 'signed up' are one active name."""
    assert normalise_event_name("order.completed$v2") == "order-completed-v2"
    ws = make()
    ping(ws, {"user_id": "u1"})
    event(ws, "Order.Completed", user_id="u1")
    event(ws, "order-completed", {"n": 2}, user_id="u1")
    state = app(ws)
    assert state["event_names"] == ["Order-Completed"]
    assert [e["name"] for e in state["events"]] == ["Order-Completed", "order-completed"]


def test_121st_new_event_name_is_refused_but_known_names_still_work() -> None:
    """A workspace holds at most 120 active event names; beyond that new names are not stored (422)."""
    ws = make()
    ping(ws, {"user_id": "u1"})
    for i in range(MAX_EVENT_NAMES):
        assert event(ws, f"event-{i}", user_id="u1", created_at=str(1_700_000_000 + i)).status == 200
    assert event(ws, "one-too-many", user_id="u1").status == 422
    assert event(ws, "EVENT-0", user_id="u1").status == 200
    state = app(ws)
    assert len(state["event_names"]) == MAX_EVENT_NAMES
    assert state["rejections"][-1]["endpoint"] == "events"
    assert "120" in state["rejections"][-1]["reason"]


def test_event_metadata_keeps_first_ten_keys_in_sending_order() -> None:
    """Intercom keeps the first 10 metadata keys and ignores the rest; the cut is recorded on the event."""
    ws = make()
    ping(ws, {"user_id": "u1"})
    metadata = {f"k{i:02d}": i for i in range(13)}
    assert event(ws, "big", metadata, user_id="u1").status == 200
    stored = app(ws)["events"][0]
    assert list(stored["metadata"]) == [f"k{i:02d}" for i in range(10)]
    assert stored["metadata_keys_dropped"] == 3


@pytest.mark.parametrize(
    ("metadata", "accepted"),
    [
        ({"price": {"amount": 1250, "currency": "usd"}}, True),
        ({"article": {"url": "https://example.com/a", "value": "Read"}}, True),
        ({"ordered_at": 1_700_000_000, "n": 1.5, "ok": True, "none": None, "s": "x"}, True),
        ({"price": {"amount": 12.5, "currency": "usd"}}, False),  # must be integer cents
        ({"price": {"amount": 1250, "currency": "dollars"}}, False),
        ({"article": {"url": "ftp://x", "value": "Read"}}, False),
        ({"nested": {"a": 1}}, False),
        ({"list": [1, 2]}, False),
        ({"ordered_at": 1_700_000_000_000}, False),
        ({"s": "x" * 256}, False),
        ({"bad.key": 1}, False),
    ],
)
def test_event_metadata_value_rules(metadata: dict[str, Any], accepted: bool) -> None:
    """Metadata values: scalars, int-second dates, rich links and integer-cent money only."""
    ws = make()
    ping(ws, {"user_id": "u1"})
    outcome = event(ws, "checked", metadata, user_id="u1")
    assert (outcome.status == 200) is accepted, outcome
    assert len(app(ws)["events"]) == (1 if accepted else 0)


def test_event_for_unknown_contact_is_refused() -> None:
    """Events before boot are an integration bug (calls dropped/reordered); the sandbox makes them visible."""
    ws = make()
    assert event(ws, "clicked", user_id="ghost").status == 404


def test_events_follow_identity_verification() -> None:
    """trackEvent for a user needs the same proof as the ping."""
    ws = make("user_hash")
    ping(ws, {"user_id": "u1"}, user_hash=user_hash("u1"))
    assert event(ws, "clicked", user_id="u1").status == 403
    assert event(ws, "clicked", user_id="u1", user_hash=user_hash("u1")).status == 200


def test_identical_events_in_the_same_second_are_collapsed() -> None:
    """Intercom collapses identical events for one contact within a second; different metadata is kept."""
    ws = make()
    ping(ws, {"user_id": "u1"})
    for meta in ({"a": 1}, {"a": 1}, {"a": 2}):
        event(ws, "tap", meta, user_id="u1", created_at="1700000000")
    state = app(ws)
    assert len(state["events"]) == 2
    assert state["events_collapsed"] == 1


# -- counters, shape, robustness ---------------------------------------------------------------------------------


def test_open_page_view_and_request_counters() -> None:
    """open and page_view_events are counted, and a page-impression ping counts a page view too."""
    ws = make()
    ping(ws, {}, anonymous_id="v1", page_impression="1")
    ping(ws, {"plan": "x"}, anonymous_id="v1", page_impression="0")
    ws.handle("open", {"app_id": APP})
    ws.handle("page_view_events", {"app_id": APP})
    state = app(ws)
    assert (state["page_views"], state["opens"]) == (2, 1)
    assert state["requests"]["ping"] == 2
    assert state["requests"]["metrics"] == 0


def test_request_without_valid_app_id_is_recorded_at_workspace_level() -> None:
    """No app to attribute it to, so the rejection goes to the workspace's own list."""
    ws = make()
    assert ws.handle("ping", {"app_id": "Not Valid"}).status == 400
    assert ws.to_json()["rejections"][0]["status"] == 400
    assert ws.to_json()["apps"] == {}


def test_workspace_json_shape() -> None:
    """The panel and the e2e tests rely on these keys."""
    ws = make()
    ping(ws, {}, anonymous_id="v1")
    state = ws.to_json()
    assert set(state) == {"verification", "apps", "rejections"}
    assert set(state["apps"][APP]) == {
        "users",
        "visitors",
        "companies",
        "events",
        "event_names",
        "page_views",
        "opens",
        "events_collapsed",
        "rejections",
        "requests",
    }
    json.dumps(state)


def test_configure_rejects_unknown_mode_and_reset_forgets_everything() -> None:
    """Configuration mistakes fail loudly; reset empties but keeps the configuration."""
    ws = make("user_hash")
    with pytest.raises(ValueError, match="verification"):
        ws.configure(verification="strict")
    ping(ws, {}, anonymous_id="v1")
    ws.reset()
    assert ws.to_json() == {"verification": "user_hash", "apps": {}, "rejections": []}


@settings(max_examples=300, deadline=None)
@given(
    endpoint=st.sampled_from(["ping", "events", "open", "metrics", "nope"]),
    form=st.dictionaries(
        st.sampled_from(
            [
                "app_id",
                "user_data",
                "metadata",
                "event_name",
                "user_id",
                "email",
                "anonymous_id",
                "user_hash",
                "intercom_user_jwt",
                "created_at",
            ]
        ),
        st.one_of(
            st.text(max_size=30),
            st.just(APP),
            st.builds(
                json.dumps,
                st.recursive(
                    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                    max_leaves=8,
                ),
            ),
        ),
    ),
)
def test_workspace_never_raises_on_arbitrary_forms(endpoint: str, form: dict[str, str]) -> None:
    """Untrusted input must become a status, never an exception in the server thread."""
    outcome = make("user_hash").handle(endpoint, form)
    assert 200 <= outcome.status < 600
    json.dumps(outcome.body)
