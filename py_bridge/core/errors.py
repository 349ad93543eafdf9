"""The exceptions py-bridge raises, and how their messages show a value they received.

Configuration problems fail loudly once, at start-up, naming the field. Runtime problems (bad call arguments, a
widget that never loads) are never raised into the host page: they become `[py-bridge]` console warnings, so this
tree is small on purpose.

A config message is read by the person who wrote the settings, so it shows what they wrote, spelt as they wrote it
(JSON: `true`, `null`, `"#help"`, `["a"]`), and they fix it in one read. It never repeats a value that could be a
secret: a site that pastes a token into the wrong field must not find it in every visitor's console. So
`describe_value` shows null, booleans and numbers always (none can be a secret), shows strings, arrays and objects only
for fields that never hold a secret (selectors, enums, URLs, event names) and only when nothing in them looks like a
credential, and otherwise says what arrived by type and length.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from typing import Any, Final

__all__ = [
    "MAX_ECHO",
    "MAX_SHOWN",
    "BridgeError",
    "ConfigError",
    "SecretInSettingsError",
    "carries_credential",
    "describe_value",
    "looks_like_token",
]

MAX_ECHO: Final = 24  # looks_like_token's default: a longer unbroken string is taken for a token
MAX_SHOWN: Final = 80  # a shown string is cut after this many characters; a longer array/object is only measured
MAX_WORD: Final = 40  # one word (letters, digits, `+`, `=`) longer than this is taken for a token
# What a word of a shown value is, for the token check: a selector's or a URL's punctuation separates words, so a
# token inside `#id-<token>` or `https://host/<token>` is checked on its own.
WORD_RE: Final = re.compile(r"[A-Za-z0-9+=]+")
# A URL's userinfo (`user:password@`) or query (`?key=...`): places where a credential travels.
URL_CREDENTIAL_RE: Final = re.compile(r"//[^/?#\s]*@|\?[^#\s]*=")
# Words and shapes that mark a credential wherever they appear: an Authorization header, an Intercom access token
# (base64 of "tok:..."), a JWT, or the usual secret words.
TOKEN_MARKERS_RE: Final = re.compile(r"bearer|basic\s|dg9r|eyj[a-z0-9_-]+\.|secret|token|passw|apikey|api_key", re.I)
HEX_RE: Final = re.compile(r"[0-9a-fA-F]{12,}")
DENSE_RE: Final = re.compile(r"[A-Za-z0-9+/=_.:-]{12,}")
ENTROPY_BITS: Final = 3.0  # bits per character; "identity" scores ~2.8, random base64 of 12+ characters ~3.5


class BridgeError(Exception):
    """Base class of every error py-bridge raises."""


class ConfigError(BridgeError):
    """A setting is invalid. `field` names it; the message describes the value received (see `describe_value`)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field} {message}")
        self.field = field


class SecretInSettingsError(ConfigError):
    """A setting looks like a server secret. The value itself is never repeated in the message."""

    def __init__(self, field: str) -> None:
        super().__init__(
            field,
            "looks like a secret; secrets (API secret, access token, identity verification secret) belong on your "
            "server only. Compute user_hash or intercom_user_jwt there and pass the result to identify().",
        )


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def looks_like_token(text: str, max_length: int = MAX_ECHO) -> bool:
    """Whether a string could be a credential: long, a header or token shape, or dense high-entropy base64/hex."""
    value = text.strip()
    if len(value) > max_length or TOKEN_MARKERS_RE.search(value) or HEX_RE.search(value):
        return True
    return bool(DENSE_RE.fullmatch(value)) and any(c.isdigit() for c in value) and _entropy(value) >= ENTROPY_BITS


def carries_credential(text: str) -> bool:
    """Whether a string from a field that never holds a secret still carries one pasted into it.

    Such a value may be long and full of punctuation (a selector, a URL), so the length rule of `looks_like_token`
    cannot apply to it whole: each word of it is checked instead, plus the credential markers anywhere in it and a
    URL's userinfo or query, where passwords and keys travel.
    """
    if TOKEN_MARKERS_RE.search(text) or HEX_RE.search(text) or URL_CREDENTIAL_RE.search(text):
        return True
    return any(looks_like_token(word, max_length=MAX_WORD) for word in WORD_RE.findall(text))


def _strings(value: Any) -> list[str]:
    """Every string in a JSON value (object keys included), to check them all before showing the value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in (*_strings(str(key)), *_strings(item))]
    if isinstance(value, list | tuple):
        return [s for item in value for s in _strings(item)]
    return []


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _measured(value: Any) -> str:
    if isinstance(value, str):
        return f"a string of {_plural(len(value), 'character')}"
    if isinstance(value, dict):
        return f"an object with {_plural(len(value), 'key')}"
    if isinstance(value, list | tuple):
        return f"a list of {_plural(len(value), 'item')}"
    return f"a value of type {type(value).__name__}"


def describe_value(value: Any, *, echo: bool = False) -> str:
    """What an error message says it received, spelt as JSON (the site wrote JSON: `true`, not Python's `True`).

    null, booleans and numbers are always shown, and so is the empty string: none of them can be a secret. A
    non-empty string, array or object is shown only with `echo`, which a caller passes for a field that never holds
    a secret (a selector, an enum, a URL, event names), and only when no string in it `carries_credential`; a string
    is cut at MAX_SHOWN characters, a longer array or object is measured. Everything else is measured by type and
    size (`a string of 24 characters`, `an object with 2 keys`), never shown: an App ID or an unknown key's value
    is where a pasted token ends up.
    """
    if value is None or isinstance(value, bool | int | float) or value == "":
        return json.dumps(value)
    if not echo or not isinstance(value, str | dict | list | tuple):
        return _measured(value)
    if any(carries_credential(text) for text in _strings(value)):
        return _measured(value)
    if isinstance(value, str):
        if len(value) > MAX_SHOWN:
            return f"{json.dumps(value[:MAX_SHOWN] + '…', ensure_ascii=False)}, {len(value)} characters in all"
        return json.dumps(value, ensure_ascii=False)
    try:
        shown = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):  # not a JSON value (settings come from JSON.parse, so never in practice)
        return _measured(value)
    return shown if len(shown) <= MAX_SHOWN else _measured(value)
