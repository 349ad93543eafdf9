"""The exceptions py-bridge raises, and how their messages show a value they received.

Configuration problems fail loudly once, at start-up, naming the field. Runtime problems (bad call arguments, a
widget that never loads) are never raised into the host page: they become `[py-bridge]` console warnings, so this
tree is small on purpose.

A config message never repeats a value that could be a secret: a site that pastes a token into the wrong field must
not find it in every visitor's console. `describe_value` says what arrived (its type and length) and quotes it only
for harmless enum, number and boolean fields, and only when it does not look like a credential.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any, Final

__all__ = ["MAX_ECHO", "BridgeError", "ConfigError", "SecretInSettingsError", "describe_value", "looks_like_token"]

MAX_ECHO: Final = 24  # a longer string is never quoted: real enum values and numbers are short, tokens are not
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


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def describe_value(value: Any, *, echo: bool = False) -> str:
    """What an error message says it received. `echo` only for harmless enum/number/boolean fields.

    Even then a string is quoted only when it is short and does not look like a token; everything else is described
    by type and size (`a string of 24 characters`, `an object with 2 keys`), never by content.
    """
    if value is None:
        return "None" if echo else "nothing"
    if isinstance(value, bool):
        return repr(value)
    if isinstance(value, int | float):
        return repr(value) if echo else "a number"
    if isinstance(value, str):
        if not value:
            return "an empty string"
        if echo and not looks_like_token(value):
            return repr(value)
        return f"a string of {_plural(len(value), 'character')}"
    if isinstance(value, dict):
        return f"an object with {_plural(len(value), 'key')}"
    if isinstance(value, list | tuple):
        return f"a list of {_plural(len(value), 'item')}"
    return f"a value of type {type(value).__name__}"
