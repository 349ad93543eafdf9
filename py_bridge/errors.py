"""The exceptions py-bridge raises.

Configuration problems fail loudly once, at start-up, naming the field and the value received. Runtime problems
(bad call arguments, a widget that never loads) are never raised into the host page: they become `[py-bridge]`
console warnings, so this tree is small on purpose.
"""

from __future__ import annotations

__all__ = ["BridgeError", "ConfigError", "SecretInSettingsError"]


class BridgeError(Exception):
    """Base class of every error py-bridge raises."""


class ConfigError(BridgeError):
    """A setting is invalid. `field` names it; the message quotes the value received (never a secret)."""

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
