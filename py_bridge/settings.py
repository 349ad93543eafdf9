"""Bridge settings: parsed once from the tag's attributes, validated, frozen.

A site configures py-bridge with `data-app-id`, `data-widget-id` and a `data-settings` JSON object of snake_case keys.
`parse_settings` checks all of it before anything loads: unknown keys, wrong types and anything that looks like a
secret stop the bridge with one error naming the field and the value (secrets are never echoed).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from py_bridge.destinations.intercom.settings import (
    INTERCOM_KEYS,
    LEGACY_ALIASES,
    IntercomSettings,
    parse_intercom_settings,
)
from py_bridge.errors import ConfigError, SecretInSettingsError

__all__ = ["BRIDGE_KEYS", "DEFAULT_MAX_QUEUE", "BridgeSettings", "EventFilter", "parse_settings"]

DEFAULT_MAX_QUEUE: Final = 10_000
DEFAULT_START_TIMEOUT_MS: Final = 20_000
BRIDGE_KEYS: Final = frozenset(
    {
        "debug",
        "consent",
        "track_pages",
        "event_filter",
        "track_messenger_events",
        "sandbox_url",
        "max_queue",
        "start_timeout_ms",
        "fast_start",
    }
)
SECRET_KEY_RE: Final = re.compile(r"secret|token|api_?key|password|private_?key", re.IGNORECASE)
# Intercom access tokens are base64 of "tok:..."; a value like that is a server credential wherever it appears.
SECRET_VALUE_RE: Final = re.compile(r"^dG9rO[A-Za-z0-9+/=_-]{10,}$")
LOOPBACK_NAMES: Final = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass(frozen=True)
class EventFilter:
    """RudderStack-style client-side filtering of track calls by event name (case-sensitive, trimmed)."""

    mode: str  # "allow" | "deny"
    names: frozenset[str]

    def admits(self, name: str) -> bool:
        return (name in self.names) == (self.mode == "allow")


@dataclass(frozen=True)
class BridgeSettings:
    intercom: IntercomSettings
    debug: bool = False
    consent_required: bool = False
    track_pages: bool = False
    event_filter: EventFilter | None = None
    track_messenger_events: bool = False
    max_queue: int = DEFAULT_MAX_QUEUE
    start_timeout_ms: int = DEFAULT_START_TIMEOUT_MS
    fast_start: bool = True  # read by embed.js/worker.mjs: start from the cached memory snapshot on revisits


def find_secret(value: Any, path: str = "settings") -> str | None:
    """The path of the first key or value that looks like a server secret, if any."""
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}"
            if SECRET_KEY_RE.search(str(key)):
                return child
            found = find_secret(item, child)
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = find_secret(item, f"{path}[{index}]")
            if found:
                return found
    elif isinstance(value, str) and SECRET_VALUE_RE.match(value):
        return path
    return None


def _sandbox_url(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigError("sandbox_url", f"must be a URL string (received: {value!r})")
    parts = urlsplit(value)
    host = (parts.hostname or "").lower()
    loopback = host in LOOPBACK_NAMES
    if not loopback:
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
    if parts.scheme not in ("http", "https") or not loopback or parts.query or parts.fragment or parts.username:
        raise ConfigError(
            "sandbox_url",
            f"must be an http(s) URL on this machine (localhost/127.0.0.1), the local Intercom sandbox "
            f"(received: {value!r})",
        )
    return value.rstrip("/")


def _event_filter(value: Any) -> EventFilter | None:
    if value is None:
        return None
    if isinstance(value, dict) and len(value) == 1:
        ((mode, names),) = value.items()
        if mode in ("allow", "deny") and isinstance(names, list) and all(isinstance(n, str) for n in names):
            return EventFilter(mode=mode, names=frozenset(n.strip() for n in names))
    raise ConfigError("event_filter", f'must be {{"allow": [names]}} or {{"deny": [names]}} (received: {value!r})')


def _bool(raw: dict[str, Any], key: str, default: bool = False) -> bool:
    value = raw.get(key, default)
    if isinstance(value, bool):
        return value
    raise ConfigError(key, f"must be true or false (received: {value!r})")


def _int(raw: dict[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(key, f"must be a whole number from {low} to {high} (received: {value!r})")
    return value


def _consent(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, dict) and set(value) <= {"required"} and isinstance(value.get("required", False), bool):
        return bool(value.get("required", False))
    raise ConfigError("consent", f'must be {{"required": true|false}} (received: {value!r})')


def resolve_aliases(raw: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in raw.items():
        name = LEGACY_ALIASES.get(key, key)
        if name in out:
            raise ConfigError(name, f"is set twice (as {name!r} and its legacy alias {key!r})")
        out[name] = value
    return out


def parse_settings(raw: Any) -> BridgeSettings:
    """Validate everything the tag configures. Raises ConfigError (SecretInSettingsError first of all)."""
    if not isinstance(raw, dict):
        raise ConfigError("settings", f"must be a JSON object (received: {type(raw).__name__})")
    secret = find_secret(raw)
    if secret:
        raise SecretInSettingsError(secret)
    settings = resolve_aliases(raw)
    unknown = sorted(set(settings) - INTERCOM_KEYS - BRIDGE_KEYS)
    if unknown:
        raise ConfigError(unknown[0], f"is not a py-bridge setting (received: {settings[unknown[0]]!r})")
    sandbox_url = _sandbox_url(settings.get("sandbox_url"))
    return BridgeSettings(
        intercom=parse_intercom_settings({k: v for k, v in settings.items() if k in INTERCOM_KEYS}, sandbox_url),
        debug=_bool(settings, "debug"),
        consent_required=_consent(settings.get("consent")),
        track_pages=_bool(settings, "track_pages"),
        event_filter=_event_filter(settings.get("event_filter")),
        track_messenger_events=_bool(settings, "track_messenger_events"),
        max_queue=_int(settings, "max_queue", DEFAULT_MAX_QUEUE, 1, 100_000),
        start_timeout_ms=_int(settings, "start_timeout_ms", DEFAULT_START_TIMEOUT_MS, 1_000, 120_000),
        fast_start=_bool(settings, "fast_start", default=True),
    )
