"""Server-side identity helpers: known vectors, JWT claims, and acceptance by the sandbox's verification."""

from __future__ import annotations

import json
import warnings
from typing import Any
from urllib.parse import urlencode

import jwt
import pytest

from py_bridge.identity import intercom_user_jwt, user_hash
from py_bridge.tools.sandbox import Sandbox

SECRET = "s3cr3t"
# hex(HMAC-SHA256(b"s3cr3t", b"u1")), computed once and pinned so a change of algorithm or encoding is caught.
U1_HASH = "fd17ba93803836fdbeaeab7e1ddd263b627f52a0afe8b485c7d4a2c375a35ecc"
EMAIL_HASH = "a0ecf49229d449bdedc41ffa9886775a53aa6dfe7035bdc13ecefe3552d6994b"
APP = "abc12345"
FORM = {"content-type": "application/x-www-form-urlencoded"}
NOW = 1_700_000_000

# The pinned vector needs the short secret "s3cr3t"; PyJWT's advice to use 32-byte keys is expected noise here.
pytestmark = pytest.mark.filterwarnings("ignore:The HMAC key is:UserWarning")


def decode(token: str, secret: str = SECRET) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyJWT advises longer HMAC keys; the test secret is short on purpose
        return jwt.decode(token, secret, algorithms=["HS256"], options={"verify_exp": False})


def ping(sandbox: Sandbox, user_data: dict[str, Any], **fields: str) -> int:
    body = urlencode({"app_id": APP, "user_data": json.dumps(user_data), **fields}).encode()
    return sandbox.handle("POST", "/messenger/web/ping", "", FORM, body).status


def test_user_hash_matches_the_pinned_vector() -> None:
    """user_hash('s3cr3t', 'u1') is the known HMAC-SHA256 hex."""
    assert user_hash(SECRET, "u1") == U1_HASH


def test_user_hash_of_an_email_matches_the_pinned_vector() -> None:
    """Users without user_id are hashed on their email."""
    assert user_hash(SECRET, "ann@example.com") == EMAIL_HASH


def test_user_hash_accepts_a_bytes_secret() -> None:
    """A secret read as bytes gives the same hash."""
    assert user_hash(SECRET.encode(), "u1") == U1_HASH


@pytest.mark.parametrize(("secret", "who"), [("", "u1"), (b"", "u1"), (SECRET, ""), (SECRET, None)])
def test_user_hash_refuses_empty_inputs(secret: Any, who: Any) -> None:
    """An empty secret or identifier is a programming error, raised on the server."""
    with pytest.raises(ValueError, match="user_hash"):
        user_hash(secret, who)


def test_jwt_carries_user_id_email_exp_and_extra_claims() -> None:
    """HS256 token with user_id, email, exp = now + expires_in, and signed attributes."""
    token = intercom_user_jwt(SECRET, "u1", "ann@example.com", expires_in=600, now=NOW, plan="pro")
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert decode(token) == {"user_id": "u1", "email": "ann@example.com", "exp": NOW + 600, "plan": "pro"}


def test_jwt_without_email_or_expiry_has_only_the_user_id() -> None:
    """email and exp are optional claims."""
    assert decode(intercom_user_jwt(SECRET, "u1", expires_in=None)) == {"user_id": "u1"}


def test_jwt_default_expiry_is_one_hour_from_now() -> None:
    """By default a token is valid for an hour."""
    assert decode(intercom_user_jwt(SECRET, "u1", now=NOW))["exp"] == NOW + 3600


def test_jwt_signed_with_another_secret_does_not_verify() -> None:
    """The signature binds the token to the secret."""
    token = intercom_user_jwt(SECRET, "u1", expires_in=None)
    with pytest.raises(jwt.InvalidSignatureError):
        decode(token, "other-secret")


@pytest.mark.parametrize(("secret", "user_id"), [("", "u1"), (SECRET, "")])
def test_jwt_refuses_empty_inputs(secret: str, user_id: str) -> None:
    """Empty secret or user_id is refused."""
    with pytest.raises(ValueError, match="intercom_user_jwt"):
        intercom_user_jwt(secret, user_id)


def test_sandbox_accepts_our_user_hash_and_refuses_a_wrong_one() -> None:
    """With verification enforced, the sandbox (Intercom's rules) accepts user_hash() and refuses anything else."""
    sandbox = Sandbox(secret=SECRET, verification="user_hash")
    assert ping(sandbox, {"user_id": "u1"}, user_hash=user_hash(SECRET, "u1")) == 200
    assert ping(sandbox, {"user_id": "u1"}, user_hash=user_hash(SECRET, "u2")) == 403
    assert ping(sandbox, {"user_id": "u1"}) == 403


def test_sandbox_accepts_an_email_hash_for_an_email_only_user() -> None:
    """Users without user_id are verified on their email."""
    sandbox = Sandbox(secret=SECRET, verification="user_hash")
    assert ping(sandbox, {"email": "ann@example.com"}, user_hash=EMAIL_HASH) == 200
    assert ping(sandbox, {"email": "ann@example.com"}, user_hash=U1_HASH) == 403


def test_sandbox_accepts_our_jwt_and_refuses_a_wrong_one() -> None:
    """JWT verification: our token passes; one signed with another secret is 401; none at all is 400."""
    sandbox = Sandbox(secret=SECRET, verification="jwt")
    good = intercom_user_jwt(SECRET, "u1", "ann@example.com")
    bad = intercom_user_jwt("not-the-secret", "u1", "ann@example.com")
    assert ping(sandbox, {"user_id": "u1"}, intercom_user_jwt=good) == 200
    assert ping(sandbox, {"user_id": "u1"}, intercom_user_jwt=bad) == 401
    assert ping(sandbox, {"user_id": "u1"}) == 400


def test_sandbox_refuses_a_jwt_for_another_user() -> None:
    """A valid token for u2 cannot authenticate u1."""
    sandbox = Sandbox(secret=SECRET, verification="jwt")
    assert ping(sandbox, {"user_id": "u1"}, intercom_user_jwt=intercom_user_jwt(SECRET, "u2")) == 401


def test_sandbox_refuses_an_expired_jwt() -> None:
    """exp is honoured: a token that expired an hour ago is refused."""
    sandbox = Sandbox(secret=SECRET, verification="jwt")
    token = intercom_user_jwt(SECRET, "u1", expires_in=-3600)
    assert ping(sandbox, {"user_id": "u1"}, intercom_user_jwt=token) == 401
