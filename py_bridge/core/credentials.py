"""Identity-verification credentials: their names, defined once.

Intercom verifies a user with a `user_hash` or a signed `intercom_user_jwt`, computed on the site's server and passed
per call in `options.integrations.Intercom`. Pages spell them several ways (`userHash`, `intercomUserJwt`, plain
`jwt`), and every place that reads or hides them must agree on the same list: the mapping that takes them from the
options, the debug traces and `debug.export()` that must never show one, the `pybridge:log` events of both entries,
and the settings check that refuses one pasted into the tag. A name added here is read and hidden everywhere (embed.js
receives the list through py_bridge.core.protocol's page constants). Pure: no JavaScript here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from py_bridge.core.values import MAX_DEPTH

__all__ = [
    "CREDENTIAL_ALIASES",
    "CREDENTIAL_KEYS",
    "CREDENTIAL_NAMES",
    "MAX_DEPTH",
    "REDACTED",
    "is_credential_key",
    "normalise_key",
    "redact_deep",
]

# Intercom's name for each credential -> every spelling the bridge accepts for it, in the order it reads them.
CREDENTIAL_ALIASES: Final[Mapping[str, tuple[str, ...]]] = {
    "user_hash": ("user_hash", "userHash"),
    "intercom_user_jwt": ("intercom_user_jwt", "intercomUserJwt", "jwt"),
}
CREDENTIAL_KEYS: Final = tuple(CREDENTIAL_ALIASES)  # Intercom's names, the keys of the payloads it receives
# Every accepted spelling, sorted: what embed.js receives (py_bridge.core.protocol.page_constants).
CREDENTIAL_NAMES: Final = tuple(sorted({name for names in CREDENTIAL_ALIASES.values() for name in names}))
REDACTED: Final = "[redacted]"


def normalise_key(key: str) -> str:
    """How credential names are compared: lowercase, without `-`, `_` or spaces, so `User-Hash` or `JWT` match too."""
    return re.sub(r"[-_\s]", "", key.lower())


_NORMALISED: Final = frozenset(normalise_key(name) for name in CREDENTIAL_NAMES)


def is_credential_key(name: object) -> bool:
    """Whether a key names a credential, however it is spelled or cased (hiding too much beats leaking one)."""
    return isinstance(name, str) and normalise_key(name) in _NORMALISED


def redact_deep(value: Any, depth: int = 0) -> Any:
    """A copy with every credential value replaced, at any depth (options carry them nested in integrations)."""
    if depth > MAX_DEPTH:
        return "[too deep]"
    if isinstance(value, dict):
        return {k: REDACTED if is_credential_key(k) else redact_deep(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_deep(v, depth + 1) for v in value]
    return value
