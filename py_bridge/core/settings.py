"""Bridge settings: parsed once from the tag's attributes, validated, frozen.

A site configures py-bridge with `data-app-id`, `data-widget-id` and a `data-settings` JSON object of snake_case keys.
`parse_settings` checks all of it before anything loads: unknown keys, wrong types and anything that looks like a
secret stop the bridge with one error naming the field. Each error is meant to be fixed in one read: a misspelt key
gets the closest known one suggested, and a value that cannot be a secret (selector, enum, URL, number, boolean) is
shown as JSON; values that could be one (the App ID, an unknown key's) are only described (`errors.describe_value`).
"""

from __future__ import annotations

import base64
import contextlib
import ipaddress
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from py_bridge.core.credentials import is_credential_key
from py_bridge.core.destinations.intercom.settings import (
    INTERCOM_KEYS,
    LEGACY_ALIASES,
    IntercomSettings,
    parse_intercom_settings,
)
from py_bridge.core.errors import ConfigError, SecretInSettingsError, describe_value, looks_like_token
from py_bridge.core.transform_files import DEFAULT_LOAD_MS, MAX_LOAD_MS, MIN_LOAD_MS

__all__ = [
    "BRIDGE_KEYS",
    "DEFAULT_LOAD",
    "DEFAULT_MAX_QUEUE",
    "LOAD_POLICIES",
    "MAX_TRANSFORMS",
    "WHOLE_NUMBERS",
    "BridgeSettings",
    "EventFilter",
    "TransformFile",
    "parse_settings",
]

DEFAULT_MAX_QUEUE: Final = 10_000
DEFAULT_START_TIMEOUT_MS: Final = 20_000
DEFAULT_WIDGET_TIMEOUT_MS: Final = 30_000
DEFAULT_TRANSFORM_SLOW_MS: Final = 50
# The whole-number settings: (default, lowest, highest). embed.js and worker.mjs read some of them before Python runs
# (py_bridge.core.protocol hands them these bounds); Python validates all of them.
WHOLE_NUMBERS: Final[dict[str, tuple[int, int, int]]] = {
    "max_queue": (DEFAULT_MAX_QUEUE, 1, 100_000),
    "start_timeout_ms": (DEFAULT_START_TIMEOUT_MS, 1_000, 120_000),
    "widget_timeout_ms": (DEFAULT_WIDGET_TIMEOUT_MS, 1_000, 120_000),
    "transform_slow_ms": (DEFAULT_TRANSFORM_SLOW_MS, 1, 60_000),
    "transform_load_ms": (DEFAULT_LOAD_MS, MIN_LOAD_MS, MAX_LOAD_MS),
}
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
        "widget_timeout_ms",
        "fast_start",
        "load",
        "transform",
        "transform_errors",
        "transform_slow_ms",
        "transform_load_ms",
    }
)
MAX_TRANSFORMS: Final = 20
SHA256_BYTES: Final = 32  # a transform entry's pin
MAX_URL_LENGTH: Final = 2000
# When embed.js starts the runtime (it reads the setting itself, before Python runs; Python validates it).
LOAD_POLICIES: Final = ("eager", "load", "idle", "interaction")
DEFAULT_LOAD: Final = "load"
# Parts of a key name that mark a secret, matched after normalising the name (lowercase; `-`, `_`, spaces dropped),
# so `api-key`, `X-API-KEY`, `apiKey` and `api_key` are all caught.
SECRET_NAME_PARTS: Final = (
    "secret",
    "token",
    "password",
    "passwd",
    "passphrase",
    "pwd",
    "apikey",
    "accesskey",
    "signingkey",
    "privatekey",
    "hmac",
    "jwt",
    "credential",
    "auth",
    "bearer",
)
# Values that are server credentials wherever they appear: an Intercom access token (base64 of "tok:..."), an
# Authorization header pasted whole, or a JWT.
SECRET_VALUE_RE: Final = re.compile(
    r"dG9rO[A-Za-z0-9+/=_-]{10,}|(?i:\bbearer\s+\S{8,})|eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\."
)
MAX_KEY_SHOWN: Final = 40
LOOPBACK_NAMES: Final = frozenset({"localhost", "127.0.0.1", "::1"})
# A known key is suggested for an unknown one at most one edit (a letter added, dropped, changed, or two swapped) per
# this many of its letters, and always at one: "laod" gets "load", "colour" gets nothing.
LETTERS_PER_EDIT: Final = 4
# The keys inside object settings, so a slip there is caught as at the top level.
CONSENT_KEYS: Final = frozenset({"required"})
EVENT_FILTER_KEYS: Final = frozenset({"allow", "deny"})
TRANSFORM_ENTRY_KEYS: Final = frozenset({"url", "sha256"})


@dataclass(frozen=True)
class EventFilter:
    """RudderStack-style client-side filtering of track calls by event name (case-sensitive, trimmed)."""

    mode: str  # "allow" | "deny"
    names: frozenset[str]

    def admits(self, name: str) -> bool:
        return (name in self.names) == (self.mode == "allow")


@dataclass(frozen=True)
class TransformFile:
    """One `transform` entry: the file's absolute URL and, when pinned, the SHA-256 its bytes must have.

    The pin (lower-case hex here; SRI's `sha256-<base64>` or hex in the setting) is the defence when the bundle's
    origin is a shared CDN, where anyone can publish: a file whose bytes differ is refused.
    """

    url: str
    sha256: str | None = None


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
    # How long the Messenger may take to start (its frame drains the queue) before it is reported as not loading.
    widget_timeout_ms: int = DEFAULT_WIDGET_TIMEOUT_MS
    fast_start: bool = True  # read by embed.js/worker.mjs: start from the cached memory snapshot on revisits
    load: str = DEFAULT_LOAD  # read by embed.js: when the runtime's downloads may start (LOAD_POLICIES)
    # Transformations: absolute URLs (embed.js resolves them against the page and keeps only the page's and the
    # bundle's origins; the bridge checks the origins again), each with an optional SHA-256 pin, run in order before
    # the Intercom mapping.
    transform: tuple[TransformFile, ...] = ()
    transform_errors: str = "send"  # "send" the event untransformed when a file fails on it, or "drop" it
    transform_slow_ms: int = DEFAULT_TRANSFORM_SLOW_MS  # a file slower than this on one event is reported
    transform_load_ms: int = DEFAULT_LOAD_MS  # a file not received by then is skipped: a silent server holds no start


def normalise_name(key: str) -> str:
    """A key name as the secret check compares it: lowercase, without `-`, `_` or spaces."""
    return re.sub(r"[-_\s]", "", key.lower())


def is_secret_name(key: str) -> bool:
    """A secret's name, or a per-user credential's (user_hash...): neither belongs in the tag every visitor gets."""
    name = normalise_name(key)
    return any(part in name for part in SECRET_NAME_PARTS) or is_credential_key(key)


def find_secret(value: Any, path: str = "settings") -> str | None:
    """The path of the first key or value that looks like a server secret, if any (recursing into objects/arrays).

    The path names keys, never values; a key that is itself a token is named by its length.
    """
    if isinstance(value, dict):
        for key, item in value.items():
            name = str(key)
            if SECRET_VALUE_RE.search(name):
                return f"{path}.<a key of {len(name)} characters>"
            child = f"{path}.{name}"
            if is_secret_name(name):
                return child
            found = find_secret(item, child)
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = find_secret(item, f"{path}[{index}]")
            if found:
                return found
    elif isinstance(value, str) and SECRET_VALUE_RE.search(value):
        return path
    return None


def edit_distance(a: str, b: str) -> int:
    """Letters added, dropped, changed or two neighbours swapped to turn a into b (optimal string alignment).

    Written here rather than taken from difflib: the bundle carries only the standard library the core imports, and
    difflib would add its weight to every visitor's download for one error message.
    """
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        row = [i]
        for j, char_b in enumerate(b, 1):
            cost = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                cost = min(cost, previous2[j - 2] + 1)
            row.append(cost)
        previous2, previous = previous, row
    return previous[-1]


def closest_key(key: str, known: Iterable[str]) -> str | None:
    """The known key a misspelt one most likely meant, or None when none is close enough to be worth suggesting.

    Names are compared as `normalise_name` spells them, so `widgetId`, `Region` and `hide-default-launcher` are
    exact matches for `widget_id`, `region` and `hide_default_launcher`; between equally close names (a setting and
    its legacy camelCase alias) the one closer to the spelling written wins, so `apiBse` suggests `apiBase`.
    """
    wanted = normalise_name(key)
    written = re.sub(r"[-\s]", "_", key.lower())
    scored = []
    for name in sorted(known):
        target = normalise_name(name)
        distance = edit_distance(wanted, target)
        if distance <= max(1, len(target) // LETTERS_PER_EDIT):
            scored.append((distance, edit_distance(written, name.lower()), name))
    return min(scored)[2] if scored else None


def unknown_key_error(key: str, value: Any) -> ConfigError:
    """The error for a top-level key the schema does not have: named, with the closest setting or legacy alias
    suggested (settings pasted from Segment use the aliases), so a typo is fixed in one read.

    Its value stays described, not shown (an unknown key's value could be anything, a token included); a key that
    is itself token-like is only measured and gets no suggestion.
    """
    message = f"is not a py-bridge setting (received: {describe_value(value)})"
    if looks_like_token(key, max_length=MAX_KEY_SHOWN):
        return ConfigError(f"<a key of {len(key)} characters>", message)
    meant = closest_key(key, INTERCOM_KEYS | BRIDGE_KEYS | set(LEGACY_ALIASES))
    if meant is not None:
        setting = LEGACY_ALIASES.get(meant)
        legacy = f" (the legacy name of {setting})" if setting else ""
        message += f"; did you mean {meant}{legacy}?"
    return ConfigError(key, message)


def nested_suggestion(field: str, value: Any, known: frozenset[str]) -> str:
    """For an object setting's error: its first misspelt key and the key it meant (`; consent.requird: did you mean
    consent.required?`), or "" when no unknown key is close to a known one (or the object is not one).

    Appended to the setting's own error, which keeps naming the setting and its expected shape; a key that looks
    like a token is never named.
    """
    if not isinstance(value, dict):
        return ""
    for key in value:
        name = str(key)
        if name in known or looks_like_token(name, max_length=MAX_KEY_SHOWN):
            continue
        meant = closest_key(name, known)
        if meant is not None:
            return f"; {field}.{name}: did you mean {field}.{meant}?"
    return ""


def _sandbox_url(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigError("sandbox_url", f"must be a URL string (received: {describe_value(value, echo=True)})")
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
            f"(received: {describe_value(value, echo=True)})",
        )
    return value.rstrip("/")


def _event_filter(value: Any) -> EventFilter | None:
    if value is None:
        return None
    if isinstance(value, dict) and len(value) == 1:
        ((mode, names),) = value.items()
        if mode in EVENT_FILTER_KEYS and isinstance(names, list) and all(isinstance(n, str) for n in names):
            return EventFilter(mode=mode, names=frozenset(n.strip() for n in names))
    shown = describe_value(value, echo=True)  # event names are not secrets
    raise ConfigError(
        "event_filter",
        f'must be {{"allow": [names]}} or {{"deny": [names]}} (received: {shown})'
        + nested_suggestion("event_filter", value, EVENT_FILTER_KEYS),
    )


def _bool(raw: dict[str, Any], key: str, default: bool = False) -> bool:
    value = raw.get(key, default)
    if isinstance(value, bool):
        return value
    raise ConfigError(key, f"must be true or false (received: {describe_value(value, echo=True)})")


def _int(raw: dict[str, Any], key: str) -> int:
    default, low, high = WHOLE_NUMBERS[key]
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(
            key, f"must be a whole number from {low} to {high} (received: {describe_value(value, echo=True)})"
        )
    return value


def _consent(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, dict) and set(value) <= CONSENT_KEYS and isinstance(value.get("required", False), bool):
        return bool(value.get("required", False))
    shown = describe_value(value, echo=True)
    raise ConfigError(
        "consent",
        f'must be {{"required": true|false}} (received: {shown})' + nested_suggestion("consent", value, CONSENT_KEYS),
    )


def resolve_aliases(raw: dict[str, Any]) -> dict[str, Any]:
    """Legacy camelCase names -> snake_case. Two different spellings of one setting are refused, naming both."""
    out: dict[str, Any] = {}
    spelled: dict[str, str] = {}
    for key, value in raw.items():
        name = LEGACY_ALIASES.get(key, key)
        first = spelled.get(name)
        if first is not None and first != key:
            # Spelt as the site wrote them in JSON: "appId", not Python's 'appId'.
            if name in (first, key):
                alias = key if first == name else first
                raise ConfigError(
                    name, f"is set twice, as {json.dumps(name)} and as its legacy alias {json.dumps(alias)}; keep one"
                )
            raise ConfigError(
                name, f"is set twice, as {json.dumps(first)} and as {json.dumps(key)} (both legacy aliases); keep one"
            )
        out[name] = value
        spelled[name] = key
    return out


def parse_settings(raw: Any) -> BridgeSettings:
    """Validate everything the tag configures. Raises ConfigError (SecretInSettingsError first of all)."""
    if not isinstance(raw, dict):
        raise ConfigError("settings", f"must be a JSON object (received: {describe_value(raw)})")
    secret = find_secret(raw)
    if secret:
        raise SecretInSettingsError(secret)
    settings = resolve_aliases(raw)
    unknown = sorted(set(settings) - INTERCOM_KEYS - BRIDGE_KEYS)
    if unknown:
        raise unknown_key_error(unknown[0], settings[unknown[0]])
    sandbox_url = _sandbox_url(settings.get("sandbox_url"))
    return BridgeSettings(
        intercom=parse_intercom_settings({k: v for k, v in settings.items() if k in INTERCOM_KEYS}, sandbox_url),
        debug=_bool(settings, "debug"),
        consent_required=_consent(settings.get("consent")),
        track_pages=_bool(settings, "track_pages"),
        event_filter=_event_filter(settings.get("event_filter")),
        track_messenger_events=_bool(settings, "track_messenger_events"),
        max_queue=_int(settings, "max_queue"),
        start_timeout_ms=_int(settings, "start_timeout_ms"),
        widget_timeout_ms=_int(settings, "widget_timeout_ms"),
        fast_start=_bool(settings, "fast_start", default=True),
        load=_load_policy(settings.get("load", DEFAULT_LOAD)),
        transform=_transform_urls(settings.get("transform")),
        transform_errors=_choice(settings, "transform_errors", ("send", "drop"), "send"),
        transform_slow_ms=_int(settings, "transform_slow_ms"),
        transform_load_ms=_int(settings, "transform_load_ms"),
    )


def _choice(raw: dict[str, Any], key: str, choices: tuple[str, ...], default: str) -> str:
    value = raw.get(key, default)
    if value not in choices:
        raise ConfigError(key, f"must be one of {' | '.join(choices)} (received: {describe_value(value, echo=True)})")
    return str(value)


def _transform_urls(value: Any) -> tuple[TransformFile, ...]:
    """The `transform` setting: a URL, a {url, sha256} object, or a list of them. Errors name an entry by its index,
    never by its text (a URL's query may carry a token)."""
    if value is None:
        return ()
    items = [value] if isinstance(value, str | dict) else value
    if not isinstance(items, list) or len(items) > MAX_TRANSFORMS:
        raise ConfigError(
            "transform",
            f"must be a URL, a {{url, sha256}} object, or a list of at most {MAX_TRANSFORMS} of them "
            f"(received: {describe_value(value)})",
        )
    return tuple(_transform_file(index, item) for index, item in enumerate(items))


def _transform_file(index: int, item: Any) -> TransformFile:
    """One entry, named by its index. Its URL is only described, never shown: a file's path and query may carry a
    token (signed CDN URLs), unlike api_base's fixed hosts. A misspelt key (`sha-256`) gets the key it meant."""
    field = f"transform[{index}]"
    url = item.get("url") if isinstance(item, dict) else item
    if isinstance(item, dict) and not set(item) <= TRANSFORM_ENTRY_KEYS:
        raise ConfigError(
            field,
            f"may only have the keys url and sha256 (received: {describe_value(item)})"
            + nested_suggestion(field, item, TRANSFORM_ENTRY_KEYS),
        )
    if not isinstance(url, str) or len(url) > MAX_URL_LENGTH or not re.match(r"https?://[^/\s]+/", url):
        raise ConfigError(field, f"must be an absolute http(s) URL (received: {describe_value(url)})")
    pin = item.get("sha256") if isinstance(item, dict) else None
    return TransformFile(url, None if pin is None else _sha256_pin(f"{field}.sha256", pin))


def _sha256_pin(field: str, value: Any) -> str:
    """A file's pinned SHA-256 as lower-case hex, from SRI's `sha256-<base64>` or 64 hex digits."""
    digest: bytes | None = None
    if isinstance(value, str) and value.startswith("sha256-"):
        with contextlib.suppress(ValueError):
            digest = base64.b64decode(value[len("sha256-") :], validate=True)
    elif isinstance(value, str) and re.fullmatch(r"[0-9a-fA-F]{64}", value):
        digest = bytes.fromhex(value)
    if digest is None or len(digest) != SHA256_BYTES:
        raise ConfigError(
            field,
            'must be "sha256-" and the base64 SHA-256 of the file (as in Subresource Integrity), or 64 hex digits '
            f"(received: {describe_value(value, echo=True)})",  # a hash is public, but a pasted token is hidden
        )
    return digest.hex()


def _load_policy(value: Any) -> str:
    if value not in LOAD_POLICIES:
        shown = " | ".join(LOAD_POLICIES)
        raise ConfigError("load", f"must be one of {shown} (received: {describe_value(value, echo=True)})")
    return str(value)
