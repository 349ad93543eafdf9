"""Pure model of one emulated Intercom workspace and the rules its Messenger API enforces.

The sandbox exists so the demo and the e2e tests can talk to something that behaves like Intercom without the
network. It is deliberately *strict*: every rule from ``docs/intercom-facts.md`` that real Intercom enforces
(or silently repairs) is turned into a recorded rejection here, so a test can prove the bridge only sends data that
Intercom would accept unchanged. Nothing in this module does I/O; ``app.py`` adds the HTTP surface and the lock.

Every public entry point takes untrusted input (form fields, JSON strings) and must never raise: a malformed request
becomes a 4xx ``Outcome`` with the reasons, recorded in the app's ``rejections``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal, cast

import jwt

__all__ = [
    "ENDPOINTS",
    "MAX_EVENT_NAMES",
    "MAX_METADATA_KEYS",
    "MISSING_USER_HASH",
    "VERIFICATION_MODES",
    "Outcome",
    "Workspace",
    "check_attribute_key",
    "check_seconds",
    "compute_user_hash",
    "normalise_event_name",
]

Verification = Literal["off", "user_hash", "jwt"]
VERIFICATION_MODES: Final = ("off", "user_hash", "jwt")
ENDPOINTS: Final = ("ping", "events", "open", "launcher_settings", "page_view_events", "metrics")

# Intercom: "at most 120 active event names" per workspace; the REST docs keep the first 10 metadata keys.
MAX_EVENT_NAMES: Final = 120
MAX_METADATA_KEYS: Final = 10
MAX_STRING_LENGTH: Final = 255
# Unix seconds stay below 10**11 until the year 5138; anything larger is almost surely milliseconds.
MAX_SECONDS: Final = 10**11

MISSING_USER_HASH: Final = (
    "Missing user_hash. A valid user_hash is required to authenticate users when Identity Verification is enabled."
)

INVALID_USER_HASH: Final = "Invalid user_hash. The user_hash does not match this user's user_id (or email)."

APP_ID_RE: Final = re.compile(r"[a-z0-9]{1,32}")
EMAIL_RE: Final = re.compile(r"[^@\s]+@[^@\s]+")
FORBIDDEN_KEY_CHARS: Final = frozenset(".$~`!@#%^&*'{}[]|\\\"\x00")
CURRENCY_RE: Final = re.compile(r"[A-Za-z]{3}")

STANDARD_USER_KEYS: Final = (
    "user_id",
    "email",
    "name",
    "phone",
    "created_at",
    "unsubscribed_from_emails",
    "language_override",
    "avatar",
)
# Messenger settings travel in the same object as attributes but are not attributes: Intercom ignores them here.
MESSENGER_SETTINGS_KEYS: Final = frozenset(
    {
        "app_id",
        "api_base",
        "custom_launcher_selector",
        "hide_default_launcher",
        "alignment",
        "horizontal_padding",
        "vertical_padding",
        "z_index",
        "action_color",
        "background_color",
        "session_duration",
        "hide_notifications",
        "user_hash",
        "intercom_user_jwt",
        "widget",
    }
)
STANDARD_COMPANY_KEYS: Final = (
    "company_id",
    "name",
    "created_at",
    "plan",
    "monthly_spend",
    "size",
    "website",
    "industry",
)
# Registered JWT claims are about the token, not the user; every other claim is a signed attribute.
JWT_REGISTERED_CLAIMS: Final = frozenset({"exp", "iat", "nbf", "iss", "aud", "sub", "jti"})


@dataclass(frozen=True)
class Outcome:
    """What one Messenger API request produced: an HTTP status and the JSON body to answer with."""

    status: int
    body: dict[str, Any]


@dataclass
class AppState:
    """Everything the sandbox remembers about one app_id (one Intercom workspace)."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    visitors: dict[str, dict[str, Any]] = field(default_factory=dict)
    companies: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    # Lower-cased name -> the spelling first seen; Intercom matches event names case-insensitively.
    event_names: dict[str, str] = field(default_factory=dict)
    page_views: int = 0
    opens: int = 0
    events_collapsed: int = 0
    rejections: list[dict[str, Any]] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ENDPOINTS, 0))

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe deep copy, so callers can never mutate the live state."""
        return cast(
            dict[str, Any],
            json.loads(
                json.dumps(
                    {
                        "users": self.users,
                        "visitors": self.visitors,
                        "companies": self.companies,
                        "events": self.events,
                        "event_names": list(self.event_names.values()),
                        "page_views": self.page_views,
                        "opens": self.opens,
                        "events_collapsed": self.events_collapsed,
                        "rejections": self.rejections,
                        "requests": self.requests,
                    }
                )
            ),
        )


class _Refused(Exception):
    """Internal control flow: a request is refused with this status and these reasons."""

    def __init__(self, status: int, code: str, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.status = status
        self.code = code
        self.reasons = reasons


@dataclass(frozen=True)
class _Identity:
    """Who a request is about, after verification: a user (user_id and/or email) or a visitor."""

    user_id: str | None
    email: str | None
    anonymous_id: str | None
    verified: bool | None
    verified_by: str | None
    signed_claims: dict[str, Any]

    @property
    def is_user(self) -> bool:
        return self.user_id is not None or self.email is not None

    @property
    def user_key(self) -> str:
        """Users are keyed by user_id, else by email (Intercom's own precedence)."""
        return self.user_id if self.user_id is not None else cast(str, self.email)


# ---------------------------------------------------------------------------------------------------------------
# Pure rule helpers (exported so tests and the demo can explain a rejection)
# ---------------------------------------------------------------------------------------------------------------


def compute_user_hash(secret: str, identifier: str) -> str:
    """Intercom's identity-verification hash: hex HMAC-SHA256 of the user_id (or the email when there is none)."""
    return hmac.new(secret.encode("utf-8"), identifier.encode("utf-8"), hashlib.sha256).hexdigest()


def normalise_event_name(name: str) -> str:
    """Intercom rewrites `.` and `$` in event names to `-`."""
    return name.replace(".", "-").replace("$", "-")


def _show(value: Any) -> str:
    """Short repr for messages, so a huge value cannot blow up a rejection record."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_seconds(value: Any) -> str | None:
    """Why `value` is not a Unix-seconds date, or None when it is one (Intercom dates are integer seconds)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return f"must be an integer of Unix seconds (received: {_show(value)})"
    if value > MAX_SECONDS:
        return f"looks like milliseconds, expected seconds (received: {value})"
    if value < 0:
        return f"must not be negative (received: {value})"
    return None


def check_attribute_key(key: str) -> str | None:
    """Why `key` is not a valid custom attribute / metadata key, or None (Intercom forbids these characters)."""
    if not key:
        return "key must not be empty"
    bad = sorted({ch for ch in key if ch in FORBIDDEN_KEY_CHARS})
    if bad:
        return f"key {_show(key)} contains forbidden characters {''.join(bad)!r}"
    return None


def _is_number(value: Any) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, float) and math.isfinite(value)
    )


def _check_scalar(value: Any) -> str | None:
    """Why `value` is not a custom attribute value (string<=255, finite number, bool, null), or None."""
    if value is None or isinstance(value, bool) or _is_number(value):
        return None
    if isinstance(value, str):
        if len(value) > MAX_STRING_LENGTH:
            return f"string longer than {MAX_STRING_LENGTH} characters ({len(value)})"
        return None
    if isinstance(value, float):
        return f"number must be finite (received: {_show(value)})"
    if isinstance(value, dict | list):
        return f"objects and arrays are not accepted (received: {_show(value)})"
    return f"unsupported value {_show(value)}"


def _check_custom(prefix: str, key: str, value: Any) -> list[str]:
    """All reasons one custom attribute (user or company) breaks Intercom's rules."""
    key_problem = check_attribute_key(key)
    if key_problem:
        return [f"{prefix}: {key_problem}"]
    if key.endswith("_at") and value is not None:
        problem = check_seconds(value)
        return [f"{prefix}.{key}: date {problem}"] if problem else []
    problem = _check_scalar(value)
    return [f"{prefix}.{key}: {problem}"] if problem else []


def _optional_string(prefix: str, key: str, value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, str):
        return [f"{prefix}.{key}: must be a string (received: {_show(value)})"]
    if len(value) > MAX_STRING_LENGTH:
        return [f"{prefix}.{key}: string longer than {MAX_STRING_LENGTH} characters ({len(value)})"]
    return []


def _is_http_url(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(r"https?://[^\s]+", value) is not None


def _check_identifier(name: str, value: Any) -> tuple[str | None, list[str]]:
    """Validate user_id (string or integer, stored as string) and turn it into the stored form."""
    if value is None:
        return None, []
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None, [f"{name}: must be a string or integer (received: {_show(value)})"]
    text = str(value)
    # "undefined"/"null" are what JS string concatenation makes of missing ids: a classic integration bug.
    if not text.strip() or text in {"undefined", "null", "NaN"}:
        return None, [f"{name}: must be a real identifier (received: {_show(value)})"]
    if len(text) > MAX_STRING_LENGTH:
        return None, [f"{name}: longer than {MAX_STRING_LENGTH} characters"]
    return text, []


def _check_email(value: Any) -> tuple[str | None, list[str]]:
    if value is None:
        return None, []
    if not isinstance(value, str) or EMAIL_RE.fullmatch(value) is None or len(value) > MAX_STRING_LENGTH:
        return None, [f"email: not an email address (received: {_show(value)})"]
    return value, []


def _check_company(prefix: str, company: Any) -> tuple[dict[str, Any] | None, list[str]]:
    """Validate one company object; return (normalised company, reasons)."""
    if not isinstance(company, dict):
        return None, [f"{prefix}: must be an object (received: {_show(company)})"]
    reasons: list[str] = []
    # `id` is what many integrations send (Segment's `groupId`); Intercom's field is company_id.
    raw_id = company.get("company_id", company.get("id"))
    if isinstance(raw_id, bool) or not isinstance(raw_id, str | int) or not str(raw_id).strip():
        reasons.append(f"{prefix}.company_id: required, a string or number (received: {_show(raw_id)})")
    out: dict[str, Any] = {"company_id": str(raw_id) if not reasons else None}
    out["remove"] = False
    custom: dict[str, Any] = {}
    for key, value in company.items():
        if key in {"company_id", "id"}:
            continue
        if key == "remove":
            if not isinstance(value, bool):
                reasons.append(f"{prefix}.remove: must be a boolean (received: {_show(value)})")
            out["remove"] = value is True
        elif key in {"name", "plan", "website", "industry"}:
            reasons += _optional_string(prefix, key, value)
            out[key] = value
        elif key == "created_at":
            problem = check_seconds(value) if value is not None else None
            if problem:
                reasons.append(f"{prefix}.created_at: {problem}")
            out[key] = value
        elif key == "monthly_spend":
            if value is not None and not _is_number(value):
                reasons.append(f"{prefix}.monthly_spend: must be a finite number (received: {_show(value)})")
            out[key] = value
        elif key == "size":
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                reasons.append(f"{prefix}.size: must be a non-negative integer (received: {_show(value)})")
            out[key] = value
        elif key == "custom_attributes":
            continue  # Intercom ignores a nested custom_attributes object; custom keys go inline.
        else:
            reasons += _check_custom(prefix, key, value)
            custom[key] = value
    out["custom_attributes"] = custom
    return out, reasons


def _check_metadata_value(key: str, value: Any) -> str | None:
    """Why one event metadata value is not accepted, or None. Two nested shapes exist: rich link and money."""
    if key.endswith("_at") and value is not None:
        problem = check_seconds(value)
        return f"date {problem}" if problem else None
    if isinstance(value, dict):
        if set(value) == {"url", "value"}:
            if not _is_http_url(value["url"]) or not isinstance(value["value"], str):
                return "rich link needs an http(s) url and a string value"
            return None
        if set(value) == {"amount", "currency"}:
            amount, currency = value["amount"], value["currency"]
            # Monetary amounts are integer cents: 12.5 dollars must arrive as 1250.
            if isinstance(amount, bool) or not isinstance(amount, int):
                return f"monetary amount must be integer cents (received: {_show(amount)})"
            if not isinstance(currency, str) or CURRENCY_RE.fullmatch(currency) is None:
                return f"monetary currency must be a 3-letter code (received: {_show(currency)})"
            return None
        return f"objects are only accepted as {{url, value}} or {{amount, currency}} (received: {_show(value)})"
    return _check_scalar(value)


def _parse_json_object(raw: str | None, name: str) -> dict[str, Any]:
    """Parse a JSON-object form field; an absent or empty field is an empty object."""
    if raw is None or raw == "":
        return {}
    try:
        value = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise _Refused(400, "parameter_invalid", [f"{name}: not valid JSON ({exc.__class__.__name__})"]) from None
    if not isinstance(value, dict):
        raise _Refused(400, "parameter_invalid", [f"{name}: must be a JSON object (received: {_show(value)})"])
    return value


def _reject_constant(name: str) -> Any:
    """JSON has no NaN/Infinity; Python's parser accepts them unless told not to."""
    raise ValueError(f"non-standard JSON constant {name}")


def _non_empty(form: Mapping[str, str], key: str) -> str | None:
    value = form.get(key)
    return value if value else None


# ---------------------------------------------------------------------------------------------------------------
# The workspace
# ---------------------------------------------------------------------------------------------------------------


class Workspace:
    """All emulated Intercom apps plus the identity-verification setting they enforce.

    Not thread-safe on its own: ``Sandbox`` serialises access with a lock. ``clock`` is injectable so tests can pin
    the time used for events without patching.
    """

    def __init__(
        self, secret: str = "sandbox-secret", verification: str = "off", clock: Callable[[], float] = time.time
    ) -> None:
        self.secret = secret
        self.verification: Verification = _check_mode(verification)
        self.apps: dict[str, AppState] = {}
        # Requests that could not be attributed to an app (missing or malformed app_id).
        self.rejections: list[dict[str, Any]] = []
        self._clock = clock

    # -- configuration -------------------------------------------------------------------------------------------

    def configure(self, secret: str | None = None, verification: str | None = None) -> None:
        """Change the secret and/or the enforced verification mode (raises ValueError on a bad mode or secret)."""
        if secret is not None:
            if not isinstance(secret, str) or not secret:
                raise ValueError(f"secret must be a non-empty string (received: {_show(secret)})")
            self.secret = secret
        if verification is not None:
            self.verification = _check_mode(verification)

    def reset(self) -> None:
        """Forget every app, contact, event and rejection; keep the configuration."""
        self.apps.clear()
        self.rejections.clear()

    def to_json(self) -> dict[str, Any]:
        """The whole workspace as JSON-safe data (the secret is not exposed)."""
        return {
            "verification": self.verification,
            "apps": {app_id: app.to_json() for app_id, app in self.apps.items()},
            "rejections": json.loads(json.dumps(self.rejections)),
        }

    # -- Messenger API -------------------------------------------------------------------------------------------

    def handle(self, endpoint: str, form: Mapping[str, str]) -> Outcome:
        """Serve one POST to /messenger/web/<endpoint>; never raises, rejections are recorded."""
        app_id = form.get("app_id", "")
        if endpoint not in ENDPOINTS:
            return _error(404, "not_found", [f"unknown endpoint {_show(endpoint)}"])
        if not isinstance(app_id, str) or APP_ID_RE.fullmatch(app_id) is None:
            outcome = _error(400, "parameter_invalid", [f"app_id: lowercase letters and digits (received: {app_id!r})"])
            self.rejections.append(_rejection(endpoint, outcome))
            return outcome
        app = self.apps.setdefault(app_id, AppState())
        app.requests[endpoint] = app.requests.get(endpoint, 0) + 1
        try:
            outcome = self._dispatch(app, endpoint, form)
        except _Refused as refused:
            outcome = _error(refused.status, refused.code, refused.reasons)
        if outcome.status >= 400:
            app.rejections.append(_rejection(endpoint, outcome))
        return outcome

    def contact(
        self, app_id: str, user_id: str | None = None, email: str | None = None, anonymous_id: str | None = None
    ) -> dict[str, Any] | None:
        """One contact with its companies and its 10 most recent events (newest first), or None if unknown."""
        app = self.apps.get(app_id)
        if app is None:
            return None
        found = self._find_contact(app, user_id, email, anonymous_id)
        if found is None:
            return None
        contact_type, key, record = found
        result = cast(dict[str, Any], json.loads(json.dumps(record)))
        result["type"] = contact_type
        result["key"] = key
        result["company_details"] = [app.companies[cid] for cid in record.get("companies", []) if cid in app.companies]
        mine = [e for e in app.events if e["contact_type"] == contact_type and e["contact_key"] == key]
        result["recent_events"] = list(reversed(mine[-10:]))
        return cast(dict[str, Any], json.loads(json.dumps(result)))

    # -- internals -----------------------------------------------------------------------------------------------

    def _dispatch(self, app: AppState, endpoint: str, form: Mapping[str, str]) -> Outcome:
        if endpoint == "ping":
            return self._ping(app, form)
        if endpoint == "events":
            return self._event(app, form)
        if endpoint == "open":
            app.opens += 1
            return Outcome(200, {"type": "open", "opens": app.opens})
        if endpoint == "page_view_events":
            app.page_views += 1
            return Outcome(200, {"type": "page_view", "page_views": app.page_views})
        if endpoint == "launcher_settings":
            return Outcome(200, {"type": "launcher_settings", "alignment": "right", "horizontal_padding": 20})
        return Outcome(200, {"type": "metrics"})

    def _verify(
        self, user_id: Any, email: Any, anonymous_id: str | None, form_hash: str | None, token: str | None
    ) -> _Identity:
        """Apply identity verification. JWT wins over user_hash when both are present (Intercom's precedence)."""
        claims: dict[str, Any] = {}
        token_valid: bool | None = None
        if token is not None:
            claims, token_valid = self._decode_jwt(token)
            if token_valid:
                # Signed claims are the identity: they fill in, and must agree with, what the page claims.
                for name in ("user_id", "email"):
                    sent = user_id if name == "user_id" else email
                    if sent is not None and claims.get(name) is not None and str(sent) != str(claims[name]):
                        token_valid = False
                if token_valid:
                    user_id = claims.get("user_id", user_id)
                    email = claims.get("email", email)
        uid, reasons = _check_identifier("user_id", user_id)
        mail, mail_reasons = _check_email(email)
        reasons += mail_reasons
        if reasons:
            raise _Refused(422, "parameter_invalid", reasons)
        is_user = uid is not None or mail is not None
        mode = self.verification
        verified: bool | None = None
        verified_by: str | None = None
        if token is not None:
            verified, verified_by = bool(token_valid), "jwt"
            if not token_valid and mode != "off":
                raise _Refused(401, "unauthorized", ["Invalid intercom_user_jwt."])
        elif is_user:
            if mode == "jwt":
                raise _Refused(400, "missing_jwt", ["Missing intercom_user_jwt. A signed JWT is required for users."])
            if form_hash is not None:
                expected = compute_user_hash(self.secret, uid if uid is not None else cast(str, mail))
                matches = hmac.compare_digest(expected.encode(), form_hash.lower().encode("utf-8", "replace"))
                verified, verified_by = matches, "user_hash"
            if mode == "user_hash" and not verified:
                raise _Refused(403, "unauthorized", [MISSING_USER_HASH if form_hash is None else INVALID_USER_HASH])
        signed = {k: v for k, v in claims.items() if k not in JWT_REGISTERED_CLAIMS} if token_valid else {}
        signed.pop("user_id", None)
        signed.pop("email", None)
        return _Identity(uid, mail, anonymous_id, verified, verified_by, signed)

    def _decode_jwt(self, token: str) -> tuple[dict[str, Any], bool]:
        try:
            with warnings.catch_warnings():
                # Sandbox secrets are short test fixtures; PyJWT's key-length advice is noise here.
                warnings.filterwarnings("ignore", message=".*HMAC key", category=UserWarning)
                claims = jwt.decode(token, self.secret, algorithms=["HS256"])
        except jwt.PyJWTError:
            return {}, False
        if not isinstance(claims, dict) or claims.get("user_id") is None:
            return {}, False  # user_id is the one required claim
        return claims, True

    def _identity_from(self, form: Mapping[str, str], data: Mapping[str, Any]) -> _Identity:
        """Identity of a request: form fields first, then the same keys inside user_data."""
        token = _non_empty(form, "intercom_user_jwt") or _str_or_none(data.get("intercom_user_jwt"))
        form_hash = _non_empty(form, "user_hash") or _str_or_none(data.get("user_hash"))
        user_id = data["user_id"] if "user_id" in data else _non_empty(form, "user_id")
        email = data["email"] if "email" in data else _non_empty(form, "email")
        anonymous_id = _non_empty(form, "anonymous_id")
        return self._verify(user_id, email, anonymous_id, form_hash, token)

    def _ping(self, app: AppState, form: Mapping[str, str]) -> Outcome:
        data = _parse_json_object(form.get("user_data"), "user_data")
        identity = self._identity_from(form, data)
        if not identity.is_user and identity.anonymous_id is None:
            raise _Refused(400, "parameter_invalid", ["anonymous_id: required for visitors (no user_id or email)"])
        attributes = {**data, **identity.signed_claims}
        standard, custom, companies, ignored, reasons = _check_user_data(attributes)
        if reasons:
            raise _Refused(422, "parameter_invalid", reasons)

        converted_from: str | None = None
        if identity.is_user:
            record = self._user_record(app, identity)
            anon = identity.anonymous_id
            if anon is not None and anon in app.visitors:
                converted_from = anon
                self._convert_visitor(app, anon, identity.user_key, record)
        else:
            anon = cast(str, identity.anonymous_id)
            record = app.visitors.setdefault(anon, _new_contact(anonymous_id=anon))
        for key, value in standard.items():
            record[key] = value
        record["custom_attributes"].update(custom)
        for company in companies:
            self._apply_company(app, record, company)
        if identity.is_user:
            record["verified"] = identity.verified
            record["verified_by"] = identity.verified_by
            if identity.anonymous_id is not None:
                record["anonymous_id"] = identity.anonymous_id
        record["ignored"] = sorted(set(record["ignored"]) | set(ignored))
        record["pings"] += 1
        record["last_seen_at"] = int(self._clock())
        record["last_page_url"] = form.get("page_url") or record["last_page_url"]
        # The widget flags boots and argument-less updates as page impressions.
        if form.get("page_impression") in {"1", "true"}:
            app.page_views += 1
        return Outcome(
            200,
            {
                "type": "ping",
                "contact_type": "user" if identity.is_user else "visitor",
                "key": identity.user_key if identity.is_user else identity.anonymous_id,
                "verified": record.get("verified"),
                "converted_from": converted_from,
                "ignored": ignored,
                "unread_count": 0,
            },
        )

    def _user_record(self, app: AppState, identity: _Identity) -> dict[str, Any]:
        """Find or create the user; a user first seen by email is re-keyed once its user_id arrives."""
        key = identity.user_key
        if key not in app.users and identity.user_id is not None and identity.email is not None:
            old = app.users.get(identity.email)
            if old is not None and old["user_id"] is None:
                app.users[key] = app.users.pop(identity.email)
                for event in app.events:
                    if event["contact_type"] == "user" and event["contact_key"] == identity.email:
                        event["contact_key"] = key
        record = app.users.setdefault(key, _new_contact())
        if identity.user_id is not None:
            record["user_id"] = identity.user_id
        if identity.email is not None:
            record["email"] = identity.email
        return record

    def _convert_visitor(self, app: AppState, anonymous_id: str, user_key: str, user: dict[str, Any]) -> None:
        """Visitor -> user: the visitor's data and events move to the user; the user's own values win."""
        visitor = app.visitors.pop(anonymous_id)
        user["converted_from"] = anonymous_id
        for key in STANDARD_USER_KEYS:
            if user.get(key) is None and visitor.get(key) is not None:
                user[key] = visitor[key]
        user["custom_attributes"] = {**visitor["custom_attributes"], **user["custom_attributes"]}
        for company_id in visitor["companies"]:
            if company_id not in user["companies"]:
                user["companies"].append(company_id)
        for event in app.events:
            if event["contact_type"] == "visitor" and event["contact_key"] == anonymous_id:
                event["contact_type"], event["contact_key"] = "user", user_key

    @staticmethod
    def _apply_company(app: AppState, record: dict[str, Any], company: dict[str, Any]) -> None:
        company_id = cast(str, company["company_id"])
        if company["remove"]:
            if company_id in record["companies"]:
                record["companies"].remove(company_id)
            return
        stored = app.companies.setdefault(company_id, {"company_id": company_id, "custom_attributes": {}})
        for key in STANDARD_COMPANY_KEYS[1:]:
            if key in company:
                stored[key] = company[key]
        stored["custom_attributes"].update(company["custom_attributes"])
        if company_id not in record["companies"]:
            record["companies"].append(company_id)

    def _find_contact(
        self, app: AppState, user_id: str | None, email: str | None, anonymous_id: str | None
    ) -> tuple[str, str, dict[str, Any]] | None:
        if user_id and user_id in app.users:
            return "user", user_id, app.users[user_id]
        if email:
            if email in app.users:
                return "user", email, app.users[email]
            for key, record in app.users.items():
                if record["email"] == email and not user_id:
                    return "user", key, record
        if anonymous_id:
            if anonymous_id in app.visitors:
                return "visitor", anonymous_id, app.visitors[anonymous_id]
            if not user_id and not email:
                # A visitor who has since become a user is found under the id they had.
                for key, record in app.users.items():
                    if record["converted_from"] == anonymous_id:
                        return "user", key, record
        return None

    def _event(self, app: AppState, form: Mapping[str, str]) -> Outcome:
        identity = self._identity_from(form, {})
        contact = self._find_contact(app, identity.user_id, identity.email, identity.anonymous_id)
        if contact is None:
            raise _Refused(404, "not_found", ["contact not found: boot the Messenger before trackEvent"])
        contact_type, contact_key, _record = contact
        raw_name = form.get("event_name", "")
        if not raw_name.strip():
            raise _Refused(422, "parameter_invalid", ["event_name: required"])
        if len(raw_name) > MAX_STRING_LENGTH:
            raise _Refused(422, "parameter_invalid", [f"event_name: longer than {MAX_STRING_LENGTH} characters"])
        name = normalise_event_name(raw_name)
        created_at = self._event_time(form.get("created_at"))
        metadata = _parse_json_object(form.get("metadata"), "metadata")
        keys = list(metadata)
        kept = {k: metadata[k] for k in keys[:MAX_METADATA_KEYS]}
        reasons = []
        for key, value in kept.items():
            problem = check_attribute_key(key) or _check_metadata_value(key, value)
            if problem:
                reasons.append(f"metadata.{key}: {problem}")
        if reasons:
            raise _Refused(422, "parameter_invalid", reasons)
        lowered = name.lower()
        if lowered not in app.event_names and len(app.event_names) >= MAX_EVENT_NAMES:
            raise _Refused(
                422,
                "event_name_limit",
                [f"event name {name!r} not stored: the workspace already has {MAX_EVENT_NAMES} active event names"],
            )
        app.event_names.setdefault(lowered, name)
        event = {
            "name": name,
            "created_at": created_at,
            "metadata": kept,
            "metadata_keys_dropped": max(0, len(keys) - MAX_METADATA_KEYS),
            "contact_type": contact_type,
            "contact_key": contact_key,
        }
        # Intercom collapses identical events for the same contact in the same second.
        for previous in reversed(app.events):
            if previous["created_at"] != created_at:
                break
            if {**previous, "name": previous["name"].lower()} == {**event, "name": lowered}:
                app.events_collapsed += 1
                return Outcome(200, {"type": "event", "name": name, "collapsed": True})
        app.events.append(event)
        return Outcome(200, {"type": "event", "name": name, "collapsed": False})

    def _event_time(self, raw: str | None) -> int:
        if raw is None or raw == "":
            return int(self._clock())
        if not raw.isdigit() or not raw.isascii():
            raise _Refused(422, "parameter_invalid", [f"created_at: must be an integer of Unix seconds ({raw!r})"])
        value = int(raw)
        problem = check_seconds(value)
        if problem:
            raise _Refused(422, "parameter_invalid", [f"created_at: {problem}"])
        return value


def _check_user_data(
    data: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]], list[str], list[str]]:
    """Split user_data into (standard, custom, companies, ignored keys, reasons) under Intercom's rules."""
    standard: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    companies: list[dict[str, Any]] = []
    ignored: list[str] = []
    reasons: list[str] = []
    for key, value in data.items():
        if key in {"user_id", "email"} or key in MESSENGER_SETTINGS_KEYS:
            continue  # identity is handled by verification; settings are not attributes
        if key == "custom_attributes":
            ignored.append(key)  # Intercom ignores a nested custom_attributes object
        elif key == "created_at":
            problem = check_seconds(value) if value is not None else None
            if problem:
                reasons.append(f"user_data.created_at: {problem}")
            standard[key] = value
        elif key in {"name", "phone", "language_override"}:
            reasons += _optional_string("user_data", key, value)
            standard[key] = value
        elif key == "unsubscribed_from_emails":
            if value is not None and not isinstance(value, bool):
                reasons.append(f"user_data.unsubscribed_from_emails: must be a boolean (received: {_show(value)})")
            standard[key] = value
        elif key == "avatar":
            if value is not None and not (
                isinstance(value, dict) and value.get("type") == "avatar" and _is_http_url(value.get("image_url"))
            ):
                reasons.append(
                    f'user_data.avatar: must be {{"type": "avatar", "image_url": "https://..."}} '
                    f"(received: {_show(value)})"
                )
            standard[key] = value
        elif key == "company":
            company, problems = _check_company("user_data.company", value)
            reasons += problems
            if company is not None:
                companies.append(company)
        elif key == "companies":
            if not isinstance(value, list):
                reasons.append(f"user_data.companies: must be an array (received: {_show(value)})")
                continue
            for index, item in enumerate(value):
                company, problems = _check_company(f"user_data.companies[{index}]", item)
                reasons += problems
                if company is not None:
                    companies.append(company)
        else:
            reasons += _check_custom("user_data", key, value)
            custom[key] = value
    return standard, custom, companies, ignored, reasons


def _new_contact(anonymous_id: str | None = None) -> dict[str, Any]:
    """A fresh contact record: every key present, so the JSON shape is predictable for tests and the panel."""
    record: dict[str, Any] = {key: None for key in STANDARD_USER_KEYS}
    record.update(
        {
            "anonymous_id": anonymous_id,
            "custom_attributes": {},
            "companies": [],
            "verified": None,
            "verified_by": None,
            "converted_from": None,
            "ignored": [],
            "pings": 0,
            "last_seen_at": None,
            "last_page_url": None,
        }
    )
    return record


def _check_mode(mode: Any) -> Verification:
    if mode not in VERIFICATION_MODES:
        raise ValueError(f"verification must be one of {', '.join(VERIFICATION_MODES)} (received: {_show(mode)})")
    return cast(Verification, mode)


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _error(status: int, code: str, reasons: list[str]) -> Outcome:
    return Outcome(status, {"type": "error.list", "errors": [{"code": code, "message": r} for r in reasons]})


def _rejection(endpoint: str, outcome: Outcome) -> dict[str, Any]:
    messages = [e["message"] for e in outcome.body.get("errors", [])]
    return {"endpoint": endpoint, "status": outcome.status, "reason": "; ".join(messages)}
