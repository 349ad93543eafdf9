"""Intercom destination settings: a frozen dataclass validated once, with errors naming the field.

Errors show the value received as JSON for fields that never hold a secret (selectors, enums, URLs, numbers,
booleans), unless it looks like a token (`errors.describe_value`); the App ID, where an access token gets pasted, is
only described. A token pasted into the wrong field never reaches the console.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Final, Literal

from py_bridge.core.errors import ConfigError, describe_value

__all__ = [
    "APP_ID_PLACEHOLDER",
    "DEFAULT_WIDGET_ID",
    "INTERCOM_KEYS",
    "LEGACY_ALIASES",
    "REGIONS",
    "WIDGET_ORIGIN",
    "IntercomSettings",
    "parse_intercom_settings",
]

WIDGET_ORIGIN: Final = "https://widget.intercom.io"
DEFAULT_WIDGET_ID: Final = "#IntercomDefaultWidget"
REGIONS: Final = {
    "us": "https://api-iam.intercom.io",
    "eu": "https://api-iam.eu.intercom.io",
    "au": "https://api-iam.au.intercom.io",
}
# Camel-case names the Segment/RudderStack integrations used; accepted so settings can be pasted over.
LEGACY_ALIASES: Final = {
    "appId": "app_id",
    "activator": "widget_id",
    "apiBase": "api_base",
    "richLinkProperties": "rich_link_properties",
    "hideDefaultLauncher": "hide_default_launcher",
}
APP_ID_RE: Final = re.compile(r"[a-z0-9]{1,32}")
# The App ID in the example tag `py-bridge build` prints and the README shows: a site that kept it is told so.
APP_ID_PLACEHOLDER: Final = "YOUR_APP_ID"
APP_ID_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
# A selector is checked for real in the page (querySelector); here we refuse what is never a selector and could
# be markup or break out of a style context.
SELECTOR_FORBIDDEN_RE: Final = re.compile(r"[<{};\x00-\x1f\x7f]")
MAX_SELECTOR_LENGTH: Final = 200

INTERCOM_KEYS: Final = frozenset(
    {
        "app_id",
        "widget_id",
        "region",
        "api_base",
        "hide_default_launcher",
        "alignment",
        "horizontal_padding",
        "vertical_padding",
        "rich_link_properties",
        "max_metadata_keys",
        "nested",
        "identity_verification",
        "send_anonymous_id",
        "include_context",
    }
)


@dataclass(frozen=True)
class IntercomSettings:
    """What the Intercom destination needs to load, boot and map. See the README's settings table."""

    app_id: str
    widget_id: str = DEFAULT_WIDGET_ID
    api_base: str = REGIONS["us"]
    hide_default_launcher: bool | None = None
    alignment: Literal["left", "right"] | None = None
    horizontal_padding: int | None = None
    vertical_padding: int | None = None
    rich_link_properties: tuple[str, ...] = ()
    max_metadata_keys: int = 10  # Intercom's REST docs keep the first 10 keys; the help center allows 20
    nested: Literal["drop", "flatten"] = "drop"
    identity_verification: Literal["user_hash", "jwt"] | None = None
    send_anonymous_id: bool = False
    include_context: bool = False
    sandbox_url: str | None = None  # set only by the bridge's explicit `sandbox_url` setting

    @property
    def widget_src(self) -> str:
        """Where the widget script comes from: Intercom, or the local sandbox when explicitly enabled."""
        origin = self.sandbox_url or WIDGET_ORIGIN
        return f"{origin}/widget/{self.app_id}"

    def messenger_settings(self) -> dict[str, Any]:
        """The messenger (non-user) part of every boot and of `window.intercomSettings`."""
        out: dict[str, Any] = {"app_id": self.app_id, "custom_launcher_selector": self.widget_id}
        if self.api_base != REGIONS["us"] or self.sandbox_url:
            out["api_base"] = self.api_base
        if self.hide_default_launcher is not None:
            out["hide_default_launcher"] = self.hide_default_launcher
        if self.alignment is not None:
            out["alignment"] = self.alignment
        if self.horizontal_padding is not None:
            out["horizontal_padding"] = self.horizontal_padding
        if self.vertical_padding is not None:
            out["vertical_padding"] = self.vertical_padding
        return out


def _bool(raw: dict[str, Any], key: str, default: bool | None) -> bool | None:
    value = raw.get(key, default)
    if value is None or isinstance(value, bool):
        return value
    raise ConfigError(f"intercom.{key}", f"must be true or false (received: {describe_value(value, echo=True)})")


def _choice(raw: dict[str, Any], key: str, choices: tuple[str | None, ...], default: str | None) -> Any:
    value = raw.get(key, default)
    if value in choices:
        return value
    shown = " | ".join(str(c) for c in choices if c is not None)
    raise ConfigError(f"intercom.{key}", f"must be one of {shown} (received: {describe_value(value, echo=True)})")


def _padding(raw: dict[str, Any], key: str) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 20 <= value <= 10_000:
        raise ConfigError(
            f"intercom.{key}",
            f"must be a whole number of pixels, at least 20 (received: {describe_value(value, echo=True)})",
        )
    return value


def validate_selector(value: Any, field: str = "intercom.widget_id") -> str:
    """A selector is never a secret: a refused one is shown (`describe_value(echo=True)`) so it is fixed at sight."""
    if not isinstance(value, str) or not value.strip():
        shown = describe_value(value, echo=True)
        raise ConfigError(field, f'must be a CSS selector such as "#help" (received: {shown})')
    selector = value.strip()
    if len(selector) > MAX_SELECTOR_LENGTH or SELECTOR_FORBIDDEN_RE.search(selector):
        shown = describe_value(value, echo=True)
        raise ConfigError(field, f"must be a CSS selector, not markup or code (received: {shown})")
    return selector


def _api_base(raw: dict[str, Any], sandbox_url: str | None) -> str:
    region = raw.get("region")
    api_base = raw.get("api_base")
    if region is not None and region not in REGIONS:
        raise ConfigError(
            "intercom.region", f"must be one of us | eu | au (received: {describe_value(region, echo=True)})"
        )
    if sandbox_url:
        return sandbox_url
    if api_base is not None:
        if api_base not in REGIONS.values():
            allowed = ", ".join(REGIONS.values())
            shown = describe_value(api_base, echo=True)  # a host, not a secret (unless one was pasted into it)
            raise ConfigError("intercom.api_base", f"must be one of {allowed} (received: {shown})")
        if region is not None and REGIONS[region] != api_base:
            # Both are validated by now (a known region, one of Intercom's public API bases): safe to quote.
            raise ConfigError(
                "intercom.api_base", f"contradicts region {json.dumps(region)} (received: {json.dumps(api_base)})"
            )
        return str(api_base)
    return REGIONS[region or "us"]


def _app_id_problem(value: Any) -> str:
    """What is wrong with an App ID, said without quoting it (a token pasted into data-app-id must not be echoed)."""
    described = describe_value(value)
    if not isinstance(value, str) or not value:
        return described
    found = [
        label
        for label, present in (
            ("uppercase letters", any(c.isupper() for c in value)),
            ("spaces", any(c.isspace() for c in value)),
            ("other characters", any(not (c.isspace() or c.isupper() or c in APP_ID_CHARS) for c in value)),
        )
        if present
    ]
    return described + (", with " + " and ".join(found) if found else "")


def parse_intercom_settings(raw: dict[str, Any], sandbox_url: str | None = None) -> IntercomSettings:
    """Validate the Intercom part of the (already alias-resolved, already secret-checked) settings."""
    app_id = raw.get("app_id")
    if app_id is None:
        raise ConfigError("intercom.app_id", "is required (received: nothing); set data-app-id on the tag")
    if isinstance(app_id, str) and app_id.strip() == APP_ID_PLACEHOLDER:
        # The example tag left as it was: say so, rather than that the format is wrong (uppercase, underscores).
        raise ConfigError(
            "intercom.app_id",
            f"is still the placeholder {APP_ID_PLACEHOLDER}: replace it with your Intercom App ID "
            "(Intercom > Settings > Workspace > General)",
        )
    if not isinstance(app_id, str) or not APP_ID_RE.fullmatch(app_id):
        raise ConfigError(
            "intercom.app_id", f"must be lowercase letters and digits, 1 to 32 (received: {_app_id_problem(app_id)})"
        )
    rich = raw.get("rich_link_properties", ())
    if not isinstance(rich, list | tuple) or not all(isinstance(k, str) and k for k in rich):
        raise ConfigError(
            "intercom.rich_link_properties",
            f"must be a list of property names (received: {describe_value(rich, echo=True)})",
        )
    max_keys = raw.get("max_metadata_keys", 10)
    if isinstance(max_keys, bool) or not isinstance(max_keys, int) or not 1 <= max_keys <= 20:
        raise ConfigError(
            "intercom.max_metadata_keys",
            f"must be a whole number from 1 to 20 (received: {describe_value(max_keys, echo=True)})",
        )
    return IntercomSettings(
        app_id=app_id,
        widget_id=validate_selector(raw.get("widget_id", DEFAULT_WIDGET_ID)),
        api_base=_api_base(raw, sandbox_url),
        hide_default_launcher=_bool(raw, "hide_default_launcher", None),
        alignment=_choice(raw, "alignment", ("left", "right", None), None),
        horizontal_padding=_padding(raw, "horizontal_padding"),
        vertical_padding=_padding(raw, "vertical_padding"),
        rich_link_properties=tuple(rich),
        max_metadata_keys=max_keys,
        nested=_choice(raw, "nested", ("drop", "flatten"), "drop"),
        identity_verification=_choice(raw, "identity_verification", ("user_hash", "jwt", None), None),
        send_anonymous_id=bool(_bool(raw, "send_anonymous_id", False)),
        include_context=bool(_bool(raw, "include_context", False)),
        sandbox_url=sandbox_url,
    )
