"""Server-side identity verification helpers (CPython, on your server; never in the browser).

Intercom verifies that a Messenger user is who the page says with a value only your server can compute: the HMAC
`user_hash` (legacy, still widely used) or a signed `intercom_user_jwt` (HS256). Compute it where the secret lives
and pass the result to `pybridge.identify(userId, traits, {integrations: {Intercom: {user_hash}}})`.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

import jwt

__all__ = ["intercom_user_jwt", "user_hash"]


def user_hash(secret: str | bytes, user_id_or_email: str) -> str:
    """hex(HMAC-SHA256(secret, user_id)); use the email only for users that have no user_id."""
    if not secret:
        raise ValueError("user_hash: the identity verification secret is empty")
    if not isinstance(user_id_or_email, str) or not user_id_or_email:
        raise ValueError("user_hash: user_id_or_email must be a non-empty string")
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    return hmac.new(key, user_id_or_email.encode("utf-8"), hashlib.sha256).hexdigest()


def intercom_user_jwt(
    secret: str | bytes,
    user_id: str,
    email: str | None = None,
    *,
    expires_in: int | None = 3600,
    now: float | None = None,
    **claims: Any,
) -> str:
    """An HS256 JWT for `intercom_user_jwt`: claims user_id (required), email, exp, and any signed attributes."""
    if not secret:
        raise ValueError("intercom_user_jwt: the Messenger secret is empty")
    if not isinstance(user_id, str) or not user_id:
        raise ValueError("intercom_user_jwt: user_id must be a non-empty string")
    payload: dict[str, Any] = {**claims, "user_id": user_id}
    if email:
        payload["email"] = email
    if expires_in is not None:
        payload["exp"] = int((time.time() if now is None else now) + expires_in)
    return jwt.encode(payload, secret, algorithm="HS256")
