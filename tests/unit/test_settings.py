"""Settings: validated once, errors name the field and the value received, secrets never echoed."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from py_bridge.core.errors import ConfigError, SecretInSettingsError
from py_bridge.core.settings import DEFAULT_MAX_QUEUE, BridgeSettings, EventFilter, parse_settings
from py_bridge.tools.bundle import BuildResult

APP = "abc12345"


def parse(**extra: Any) -> BridgeSettings:
    return parse_settings({"app_id": APP, **extra})


def config_error(raw: Any) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse_settings(raw)
    return caught.value


def test_minimal_settings_take_documented_defaults() -> None:
    """Only app_id given: US region, default launcher selector, drop nested, 10 metadata keys, nothing optional on."""
    settings = parse()
    ic = settings.intercom
    assert ic.app_id == APP
    assert ic.widget_id == "#IntercomDefaultWidget"
    assert ic.api_base == "https://api-iam.intercom.io"
    assert ic.max_metadata_keys == 10
    assert ic.nested == "drop"
    assert ic.identity_verification is None
    assert (ic.send_anonymous_id, ic.include_context, ic.hide_default_launcher) == (False, False, None)
    assert ic.widget_src == "https://widget.intercom.io/widget/abc12345"
    assert (settings.debug, settings.consent_required, settings.track_pages) == (False, False, False)
    assert settings.event_filter is None
    assert settings.max_queue == DEFAULT_MAX_QUEUE


def test_messenger_settings_carry_only_what_was_configured() -> None:
    """The boot/intercomSettings object holds app_id and selector, plus only the options the site set."""
    settings = parse(widget_id="#help", alignment="left", horizontal_padding=30, vertical_padding=40)
    assert settings.intercom.messenger_settings() == {
        "app_id": APP,
        "custom_launcher_selector": "#help",
        "alignment": "left",
        "horizontal_padding": 30,
        "vertical_padding": 40,
    }


def test_settings_that_are_not_an_object_are_refused() -> None:
    """A JSON array (or anything but an object) in data-settings is a config error naming 'settings'."""
    error = config_error(["app_id", APP])
    assert error.field == "settings"
    assert "list" in str(error)


def test_missing_app_id_is_refused_with_a_hint() -> None:
    """Without app_id nothing can load; the message says to set data-app-id."""
    error = config_error({})
    assert error.field == "intercom.app_id"
    assert "data-app-id" in str(error)


@pytest.mark.parametrize(
    ("app_id", "received"),
    [
        ("Ab C", "a string of 4 characters, with uppercase letters and spaces"),
        ("ABC123", "a string of 6 characters, with uppercase letters"),
        ("abc-123", "a string of 7 characters, with other characters"),
        ("", '""'),
        ("a" * 33, "a string of 33 characters"),
        (12345, "12345"),
        ("abc!", "a string of 4 characters, with other characters"),
    ],
)
def test_app_id_must_be_lowercase_letters_and_digits(app_id: Any, received: str) -> None:
    """A wrong App ID makes the Messenger silently not appear: refused, saying what is wrong without quoting it.

    (Adapted: this test used to pin the App ID quoted in full, which echoes a token pasted into data-app-id. Adapted
    again (issue 19): an empty string and a number cannot be secrets, so they are shown as JSON spells them.)
    """
    error = config_error({"app_id": app_id})
    assert error.field == "intercom.app_id"
    assert f"(received: {received})" in str(error)
    if isinstance(app_id, str) and app_id:
        assert app_id not in str(error)


@pytest.mark.parametrize(
    ("key", "value", "field"),
    [
        ("region", "mars", "intercom.region"),
        ("region", "EU", "intercom.region"),
        ("hide_default_launcher", "yes", "intercom.hide_default_launcher"),
        ("alignment", "center", "intercom.alignment"),
        ("horizontal_padding", 19, "intercom.horizontal_padding"),
        ("horizontal_padding", 20.5, "intercom.horizontal_padding"),
        ("vertical_padding", True, "intercom.vertical_padding"),
        ("max_metadata_keys", 0, "intercom.max_metadata_keys"),
        ("max_metadata_keys", 21, "intercom.max_metadata_keys"),
        ("max_metadata_keys", True, "intercom.max_metadata_keys"),
        ("nested", "keep", "intercom.nested"),
        ("identity_verification", "hmac", "intercom.identity_verification"),
        ("send_anonymous_id", 1, "intercom.send_anonymous_id"),
        ("include_context", "true", "intercom.include_context"),
        ("debug", "on", "debug"),
        ("track_pages", 1, "track_pages"),
        ("track_messenger_events", None, "track_messenger_events"),
        ("consent", True, "consent"),
        ("max_queue", 0, "max_queue"),
        ("max_queue", 100_001, "max_queue"),
        ("start_timeout_ms", 999, "start_timeout_ms"),
        ("start_timeout_ms", "5000", "start_timeout_ms"),
    ],
)
def test_invalid_enum_number_or_boolean_setting_names_the_field_and_shows_the_value_as_json(
    key: str, value: Any, field: str
) -> None:
    """A harmless enum/number/boolean field fails at load with the field and the value received, spelt as the site
    wrote it in JSON (`true`, `null`, `"EU"`), not as Python prints it (`True`, `None`, `'EU'`).

    (Adapted, issue 19: this test used to pin Python's repr of the value.)
    """
    error = config_error({"app_id": APP, key: value})
    assert error.field == field
    assert str(error).startswith(field + " ")
    assert f"(received: {json.dumps(value)})" in str(error)
    if isinstance(value, bool | str) or value is None:
        assert f"(received: {value!r})" not in str(error)


@pytest.mark.parametrize(
    ("key", "value", "field", "received"),
    [
        ("widget_id", "<img src=x onerror=alert(1)>", "intercom.widget_id", '"<img src=x onerror=alert(1)>"'),
        ("widget_id", "#a{color:red}", "intercom.widget_id", '"#a{color:red}"'),
        ("activator", "#a{color:red}", "intercom.widget_id", '"#a{color:red}"'),
        ("widget_id", "", "intercom.widget_id", '""'),
        ("widget_id", None, "intercom.widget_id", "null"),
        ("widget_id", 5, "intercom.widget_id", "5"),
        ("api_base", "https://evil.example.com", "intercom.api_base", '"https://evil.example.com"'),
        ("sandbox_url", "https://evil.example.com", "sandbox_url", '"https://evil.example.com"'),
        ("load", "sometimes", "load", '"sometimes"'),
        (
            "alignment",
            "left-but-actually-a-very-long-value",
            "intercom.alignment",
            '"left-but-actually-a-very-long-value"',
        ),
        (
            "transform",
            {"url": "https://cdn.example/t.py", "sha256": "sha256-abc"},
            "transform[0].sha256",
            '"sha256-abc"',
        ),
        ("rich_link_properties", "article", "intercom.rich_link_properties", '"article"'),
        ("rich_link_properties", ["ok", ""], "intercom.rich_link_properties", '["ok", ""]'),
        ("event_filter", ["Signed Up"], "event_filter", '["Signed Up"]'),
        ("event_filter", {"allow": ["a"], "deny": ["b"]}, "event_filter", '{"allow": ["a"], "deny": ["b"]}'),
        ("event_filter", {"allow": [1]}, "event_filter", '{"allow": [1]}'),
        ("event_filter", {"only": ["a"]}, "event_filter", '{"only": ["a"]}'),
        ("consent", {"required": "yes"}, "consent", '{"required": "yes"}'),
        ("consent", {"required": True, "mode": "x"}, "consent", '{"required": true, "mode": "x"}'),
    ],
)
def test_invalid_value_that_cannot_be_a_secret_is_shown_as_json(
    key: str, value: Any, field: str, received: str
) -> None:
    """Selectors, load policies, hosts and URLs, event names and consent objects are never secrets: the message
    shows the value as the site wrote it in JSON, so the mistake is fixed in one read instead of being measured
    ("a string of 13 characters").

    (Adapted, issue 19: these cases used to be described by type and size only.)
    """
    error = config_error({"app_id": APP, key: value})
    assert error.field == field
    assert str(error).startswith(field + " ")
    assert f"(received: {received})" in str(error)


@pytest.mark.parametrize(
    ("key", "value", "attribute", "expected"),
    [
        ("widget_id", " .help-button ", "widget_id", ".help-button"),
        ("hide_default_launcher", False, "hide_default_launcher", False),
        ("alignment", "right", "alignment", "right"),
        ("horizontal_padding", 20, "horizontal_padding", 20),
        ("vertical_padding", 10_000, "vertical_padding", 10_000),
        ("rich_link_properties", ["article", "doc"], "rich_link_properties", ("article", "doc")),
        ("max_metadata_keys", 20, "max_metadata_keys", 20),
        ("max_metadata_keys", 1, "max_metadata_keys", 1),
        ("nested", "flatten", "nested", "flatten"),
        ("identity_verification", "jwt", "identity_verification", "jwt"),
        ("identity_verification", "user_hash", "identity_verification", "user_hash"),
        ("send_anonymous_id", True, "send_anonymous_id", True),
        ("include_context", True, "include_context", True),
    ],
)
def test_valid_intercom_setting_is_stored(key: str, value: Any, attribute: str, expected: Any) -> None:
    """Each valid Intercom setting lands on IntercomSettings as given (selectors trimmed, lists as tuples)."""
    assert getattr(parse(**{key: value}).intercom, attribute) == expected


def test_valid_bridge_settings_are_stored() -> None:
    """Bridge-level settings (debug, consent, track_pages, event_filter, queue sizes) are parsed into the dataclass."""
    settings = parse(
        debug=True,
        consent={"required": True},
        track_pages=True,
        track_messenger_events=True,
        event_filter={"deny": [" Spam "]},
        max_queue=50,
        start_timeout_ms=1_000,
    )
    assert settings.debug is True
    assert settings.consent_required is True
    assert settings.track_pages is True
    assert settings.track_messenger_events is True
    assert settings.event_filter == EventFilter(mode="deny", names=frozenset({"Spam"}))
    assert (settings.max_queue, settings.start_timeout_ms) == (50, 1_000)


def test_event_filter_allow_and_deny_admit_the_right_names() -> None:
    """allow lets only listed names through; deny lets everything else through."""
    allow = EventFilter(mode="allow", names=frozenset({"A"}))
    deny = EventFilter(mode="deny", names=frozenset({"A"}))
    assert (allow.admits("A"), allow.admits("B")) == (True, False)
    assert (deny.admits("A"), deny.admits("B")) == (False, True)


@pytest.mark.parametrize(
    ("region", "api_base"),
    [
        ("us", "https://api-iam.intercom.io"),
        ("eu", "https://api-iam.eu.intercom.io"),
        ("au", "https://api-iam.au.intercom.io"),
    ],
)
def test_region_selects_the_regional_api_base(region: str, api_base: str) -> None:
    """Regional data hosting: the region picks Intercom's api_base; non-US bases go into the boot settings."""
    intercom = parse(region=region).intercom
    assert intercom.api_base == api_base
    assert ("api_base" in intercom.messenger_settings()) == (region != "us")


def test_api_base_that_contradicts_region_is_refused() -> None:
    """region eu with the AU api_base is ambiguous: refused, naming api_base."""
    error = config_error({"app_id": APP, "region": "eu", "api_base": "https://api-iam.au.intercom.io"})
    assert error.field == "intercom.api_base"
    assert str(error) == (
        'intercom.api_base contradicts region "eu" (received: "https://api-iam.au.intercom.io")'
    )  # adapted (issue 19): both spelt as JSON, no longer as Python's 'eu'


@pytest.mark.parametrize(
    ("alias", "value", "attribute", "expected"),
    [
        ("activator", "#help", "widget_id", "#help"),
        ("apiBase", "https://api-iam.eu.intercom.io", "api_base", "https://api-iam.eu.intercom.io"),
        ("richLinkProperties", ["article"], "rich_link_properties", ("article",)),
        ("hideDefaultLauncher", True, "hide_default_launcher", True),
    ],
)
def test_legacy_camelcase_alias_is_accepted(alias: str, value: Any, attribute: str, expected: Any) -> None:
    """Settings pasted from Segment/RudderStack keep working under their camelCase names."""
    assert getattr(parse(**{alias: value}).intercom, attribute) == expected


def test_legacy_appid_alias_is_accepted() -> None:
    """appId is the Segment name for app_id."""
    assert parse_settings({"appId": APP}).intercom.app_id == APP


@pytest.mark.parametrize(
    "raw", [{"appId": APP, "app_id": "other1"}, {"app_id": "other1", "appId": APP}], ids=["alias first", "name first"]
)
def test_alias_collision_message_names_both_different_spellings(raw: dict[str, Any]) -> None:
    """Giving both appId and app_id is refused naming the setting and both spellings (never "app_id" twice), quoted
    as the site wrote them in JSON (adapted, issue 19: it used Python's single quotes)."""
    error = config_error(raw)
    assert error.field == "app_id"
    assert str(error) == 'app_id is set twice, as "app_id" and as its legacy alias "appId"; keep one'


def test_a_single_spelling_is_never_counted_as_set_twice() -> None:
    """Each setting given once, under either spelling, parses: only two different spellings collide."""
    settings = parse_settings({"appId": APP, "activator": "#help", "api_base": "https://api-iam.eu.intercom.io"})
    assert (settings.intercom.app_id, settings.intercom.widget_id) == (APP, "#help")


@pytest.mark.parametrize("key", ["appID", "widgetId", "Region", "custom_launcher_selector", "colour"])
def test_unknown_key_is_refused_naming_it_and_describing_its_value(key: str) -> None:
    """A typo must not be silently ignored: the unknown key is named; its value is described, not quoted.

    (Adapted: this test used to pin the unknown key's value quoted in full; that value could be a secret.)
    """
    error = config_error({"app_id": APP, key: "x1"})
    assert error.field == key
    assert "(received: a string of 2 characters)" in str(error)
    assert "x1" not in str(error)
    assert "not a py-bridge setting" in str(error)


SECRET = "very-private-value-123"


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"secret": SECRET}, "settings.secret"),
        ({"api_secret": SECRET}, "settings.api_secret"),
        ({"access_token": SECRET}, "settings.access_token"),
        ({"api_key": SECRET}, "settings.api_key"),
        ({"token": SECRET}, "settings.token"),
        ({"apiKey": SECRET}, "settings.apiKey"),
        ({"accessToken": SECRET}, "settings.accessToken"),
        ({"identitySecret": SECRET}, "settings.identitySecret"),
        ({"intercom": {"api_secret": SECRET}}, "settings.intercom.api_secret"),
        ({"extra": [{"token": SECRET}]}, "settings.extra[0].token"),
        ({"note": "dG9rOjEyMzQ1Njc4OWFiY2RlZg=="}, "settings.note"),
        ({"api-key": SECRET}, "settings.api-key"),
        ({"X-API-KEY": SECRET}, "settings.X-API-KEY"),
        ({"jwt": SECRET}, "settings.jwt"),
        ({"passwd": SECRET}, "settings.passwd"),
        ({"password": SECRET}, "settings.password"),
        ({"hmac_key": SECRET}, "settings.hmac_key"),
        ({"Auth Header": SECRET}, "settings.Auth Header"),
        ({"credentials": {"key": SECRET}}, "settings.credentials"),
        ({"intercom": {"nested": {"private-key": SECRET}}}, "settings.intercom.nested.private-key"),
        ({"region": "Bearer dG9rOjEyMzQ1Njc4OWFiY2RlZg=="}, "settings.region"),
        ({"region": f"Bearer {SECRET}"}, "settings.region"),
        ({"nested": "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoidTEifQ.c2ln"}, "settings.nested"),
    ],
)
def test_secret_looking_setting_is_refused_without_echoing_the_value(raw: dict[str, Any], field: str) -> None:
    """Secrets belong on the server: refused before anything else, the path named, the value never repeated."""
    with pytest.raises(SecretInSettingsError) as caught:
        parse_settings({"app_id": APP, **raw})
    message = str(caught.value)
    assert caught.value.field == field
    assert SECRET not in message
    assert "dG9rOjEy" not in message
    assert "eyJ" not in message
    assert "server" in message


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("region", "c2VjcmV0LXZhbHVlLTEyMw"),  # base64, high entropy
        ("region", "9f86d081884c7d659a2feaa0"),  # hex
        ("nested", "Basic dXNlcjpwYXNz"),
        ("max_queue", "x9K2mQ7vL4pR8tZ1"),
        ("debug", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
        ("widget_id", "#sk_live_4eC39HqLyjWDarjtT1zdp7dc;"),  # refused for the `;`, hidden for the token
        ("widget_id", ".help{c2VjcmV0LXZhbHVlLTEyMw"),
        ("load", "x9K2mQ7vL4pR8tZ1"),
        ("api_base", "https://user:hunter2@api-iam.intercom.io"),  # a URL's userinfo carries a password
        ("api_base", "https://api-iam.intercom.io/?key=hunter2"),  # and its query may carry a key
        ("sandbox_url", "http://localhost:8000/?key=hunter2"),
    ],
)
def test_token_like_value_in_an_enum_or_number_field_is_never_echoed(key: str, value: str) -> None:
    """Even fields that never hold a secret show a value only when nothing in it looks like a credential (a token's
    shape or marker in any word of it, a URL's userinfo or query); otherwise only its length is given.

    (Adapted, issue 19: a long value that is plainly words, "left-but-actually-a-very-long-value", is now shown;
    selectors and URLs carrying a token, a password or a query joined the cases.)
    """
    error = config_error({"app_id": APP, key: value})
    message = str(error)
    assert value not in message
    assert "hunter2" not in message
    if not value.startswith("http"):  # the message lists the allowed URLs themselves
        assert value[:8] not in message
    assert f"(received: a string of {len(value)} characters)" in message


def test_secret_is_detected_before_unknown_key_or_bad_value_errors() -> None:
    """A secret next to other mistakes still gets the secret error, so no other message can quote it."""
    with pytest.raises(SecretInSettingsError):
        parse_settings({"app_id": "BAD ID", "bogus": 1, "token": SECRET})


@pytest.mark.parametrize(
    "url",
    ["http://localhost:8000/sandbox", "http://127.0.0.1:9000", "https://[::1]:8443/x/", "http://127.0.0.2:1"],
)
def test_sandbox_url_on_loopback_routes_widget_and_api_to_it(url: str) -> None:
    """The local Intercom sandbox is used only when explicitly configured on this machine."""
    intercom = parse(sandbox_url=url).intercom
    base = url.rstrip("/")
    assert intercom.sandbox_url == base
    assert intercom.api_base == base
    assert intercom.widget_src == f"{base}/widget/{APP}"
    assert intercom.messenger_settings()["api_base"] == base


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example.com",
        "http://localhost.evil.com/",
        "http://127.0.0.1@evil.com/",
        "http://user@localhost/",
        "ftp://localhost/",
        "javascript:alert(1)",
        "http://localhost/?next=x",
        "http://10.0.0.1/",
        8000,
    ],
)
def test_sandbox_url_off_loopback_is_refused(url: Any) -> None:
    """A sandbox URL that could send data elsewhere than this machine is a config error naming sandbox_url.

    (Adapted, issue 19: the URL is shown as JSON, except when its userinfo or query could carry a credential.)
    """
    error = config_error({"app_id": APP, "sandbox_url": url})
    assert error.field == "sandbox_url"
    if isinstance(url, str) and ("@" in url or "?" in url):
        assert url not in str(error)
        assert f"(received: a string of {len(url)} characters)" in str(error)
    else:
        assert f"(received: {json.dumps(url)})" in str(error)


def test_a_key_that_is_itself_a_token_is_refused_without_being_named() -> None:
    """{'dG9rOj...': 1}: a secret error whose path gives the key's length, not the key."""
    token = "dG9rOjEyMzQ1Njc4OWFiY2RlZg=="
    with pytest.raises(SecretInSettingsError) as caught:
        parse_settings({"app_id": APP, token: 1})
    assert token not in str(caught.value)
    assert caught.value.field == f"settings.<a key of {len(token)} characters>"


def test_an_unknown_key_that_looks_like_a_token_is_measured_not_named() -> None:
    """A random-looking unknown key is reported by its length; an ordinary typo is still named."""
    error = config_error({"app_id": APP, "x9K2mQ7vL4pR8tZ1": True})
    assert "x9K2" not in str(error)
    assert error.field == "<a key of 16 characters>"


def test_secret_error_message_names_the_key_and_never_the_value() -> None:
    """The whole message: the key path, the reason, and nothing of the value."""
    with pytest.raises(SecretInSettingsError) as caught:
        parse_settings({"app_id": APP, "credentials": {"key": SECRET}})
    assert str(caught.value).startswith("settings.credentials looks like a secret")
    assert "very-private" not in str(caught.value)


# -- issue 19: errors a person fixes in one read ------------------------------------------------------------------


def test_misspelt_key_is_refused_with_the_closest_setting_suggested() -> None:
    """The issue's own case: the typo is named, its value shown as JSON, and the setting it meant suggested."""
    error = config_error({"app_id": APP, "hide_default_launcer": True})
    assert error.field == "hide_default_launcer"
    assert str(error) == (
        "hide_default_launcer is not a py-bridge setting (received: true); did you mean hide_default_launcher?"
    )


@pytest.mark.parametrize(
    ("key", "meant"),
    [
        ("regoin", "region"),
        ("Region", "region"),
        ("laod", "load"),
        ("debg", "debug"),
        ("trasnform", "transform"),
        ("transform_error", "transform_errors"),
        ("widgetId", "widget_id"),
        ("hide-default-launcher", "hide_default_launcher"),
        ("aligment", "alignment"),
        ("max_queu", "max_queue"),
    ],
)
def test_misspelt_key_suggests_the_closest_setting_by_edit_distance(key: str, meant: str) -> None:
    """A slip (a missing, swapped or extra letter, camelCase for snake_case) suggests the one setting it is closest
    to; the value of an unknown key stays hidden (it could be anything), only its length is given."""
    error = config_error({"app_id": APP, key: "x1"})
    assert error.field == key
    assert str(error) == f"{key} is not a py-bridge setting (received: a string of 2 characters); did you mean {meant}?"


@pytest.mark.parametrize(
    ("key", "meant"),
    [
        ("apiBse", "apiBase (the legacy name of api_base)"),
        ("hideDefaultLauncer", "hideDefaultLauncher (the legacy name of hide_default_launcher)"),
        ("activater", "activator (the legacy name of widget_id)"),
        ("appID", "appId (the legacy name of app_id)"),
    ],
)
def test_misspelt_legacy_alias_suggests_the_alias_and_the_setting_it_stands_for(key: str, meant: str) -> None:
    """Settings pasted from Segment/RudderStack are matched against the legacy camelCase names too."""
    error = config_error({"app_id": APP, key: 1})
    assert str(error).endswith(f"(received: 1); did you mean {meant}?")


@pytest.mark.parametrize(
    ("key", "value", "field", "message"),
    [
        (
            "consent",
            {"requird": True},
            "consent",
            'consent must be {"required": true|false} (received: {"requird": true}); consent.requird: did you mean '
            "consent.required?",
        ),
        (
            "event_filter",
            {"allwo": ["Signed Up"]},
            "event_filter",
            'event_filter must be {"allow": [names]} or {"deny": [names]} (received: {"allwo": ["Signed Up"]}); '
            "event_filter.allwo: did you mean event_filter.allow?",
        ),
        (
            "event_filter",
            {"allow": ["a"], "dney": ["b"]},
            "event_filter",
            'event_filter must be {"allow": [names]} or {"deny": [names]} (received: {"allow": ["a"], "dney": ["b"]}); '
            "event_filter.dney: did you mean event_filter.deny?",
        ),
        (
            "transform",
            [{"url": "https://cdn.example/t.py", "sha265": "sha256-abc"}],
            "transform[0]",
            "transform[0] may only have the keys url and sha256 (received: an object with 2 keys); "
            "transform[0].sha265: did you mean transform[0].sha256?",
        ),
    ],
)
def test_misspelt_nested_key_is_named_by_its_path_with_the_key_it_meant(
    key: str, value: Any, field: str, message: str
) -> None:
    """Keys inside consent, event_filter and a transform entry are part of the schema too: the setting's own error
    (its field and expected shape unchanged) ends with the misspelt key's full path and the key it meant."""
    error = config_error({"app_id": APP, key: value})
    assert error.field == field
    assert str(error) == message


@pytest.mark.parametrize("raw", [{"colour": "red"}, {"bogus": 1}, {"x9K2mQ7vL4pR8tZ1": True}, {"consent": {"mode": 1}}])
def test_unknown_key_far_from_every_setting_gets_no_suggestion(raw: dict[str, Any]) -> None:
    """A guess would mislead: a key that is close to no setting (or looks like a pasted token) gets none."""
    error = config_error({"app_id": APP, **raw})
    assert "did you mean" not in str(error)


@pytest.mark.parametrize(
    "raw",
    [
        {"hide_default_launcher": "yes"},
        {"debug": None},
        {"fast_start": 0},
        {"region": "EU"},
        {"load": "Eager"},
        {"widget_id": "#a{b}"},
        {"api_base": "https://api-iam.intercom.io/"},
        {"rich_link_properties": ["ok", None]},
        {"event_filter": {"allow": ["a"], "deny": None}},
        {"consent": {"required": None}},
        {"transform": {"url": "https://cdn.example/t.py", "sha256": False}},
        {"transform": [{"url": "relative.py"}]},
        {"colour": False},
        {"appId": APP, "app_id": APP},
        {"region": "eu", "api_base": "https://api-iam.au.intercom.io"},
    ],
)
def test_no_settings_error_spells_a_value_the_python_way(raw: dict[str, Any]) -> None:
    """The site wrote JSON: no message says True, False, None or quotes a string in single quotes, whichever
    check (type, range, selector, URL, alias, unknown key) produced it."""
    message = str(config_error({"app_id": APP, **raw}))
    assert not re.search(r"\b(True|False|None)\b", message)
    assert not re.search(r"'[^']*'", message)


@pytest.mark.parametrize(
    ("raw", "received"),
    [
        ({"colour": 5}, "5"),
        ({"colour": None}, "null"),
        ({"colour": False}, "false"),
        ({"app_id": 12.5}, "12.5"),
    ],
)
def test_numbers_booleans_and_null_are_shown_even_where_strings_stay_hidden(raw: dict[str, Any], received: str) -> None:
    """An unknown key's or the App ID's string could be a pasted token, but a number, a boolean or null cannot."""
    assert f"(received: {received})" in str(config_error({"app_id": APP, **raw}))


@pytest.mark.parametrize(
    ("entry", "received"),
    [
        ("ftp://cdn.example/t.py", "a string of 22 characters"),
        ({"url": "t.py"}, "a string of 4 characters"),
        ({"url": "https://cdn.example/t.py", "sha": "x"}, "an object with 2 keys"),
    ],
)
def test_a_transform_entry_url_stays_described_as_no_message_quotes_a_file_url(entry: Any, received: str) -> None:
    """Unlike api_base's fixed hosts, a transform file's path and query may carry a token (signed CDN URLs): an
    entry is named by its index and its URL only described, as every other transform message does (issue 22)."""
    message = str(config_error({"app_id": APP, "transform": [entry]}))
    assert message.startswith("transform[0] ")
    assert f"(received: {received})" in message
    assert "cdn.example" not in message
    assert "t.py" not in message


def test_a_long_value_that_cannot_be_a_secret_is_shown_cut_to_a_bound() -> None:
    """A 351-character selector is shown by its start and its length: the console line stays readable."""
    selector = "main > " * 50 + "{"
    message = str(config_error({"app_id": APP, "widget_id": selector}))
    assert '(received: "main > main > ' in message
    assert '…", 351 characters in all)' in message
    assert len(message) < 200


PLACEHOLDER_MESSAGE = (
    "intercom.app_id is still the placeholder YOUR_APP_ID: replace it with your Intercom App ID "
    "(Intercom > Settings > Workspace > General)"
)


@pytest.mark.parametrize("raw", [{"app_id": "YOUR_APP_ID"}, {"appId": "YOUR_APP_ID"}, {"app_id": " YOUR_APP_ID "}])
def test_app_id_placeholder_is_named_as_such_with_where_to_find_the_real_one(raw: dict[str, Any]) -> None:
    """A tag copied from `py-bridge build` or the README unchanged gets that said, not a generic format error."""
    error = config_error(raw)
    assert error.field == "intercom.app_id"
    assert str(error) == PLACEHOLDER_MESSAGE


def test_the_placeholder_recognised_is_the_one_py_bridge_build_prints() -> None:
    """The example tag `py-bridge build` prints, used as is, meets the placeholder message."""
    tag = BuildResult(Path("out"), "sha384-x", "0" * 64, 0).tag()
    found = re.search(r'data-app-id="([^"]*)"', tag)
    assert found is not None
    assert str(config_error({"app_id": found.group(1)})) == PLACEHOLDER_MESSAGE
