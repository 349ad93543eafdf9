"""Pure mapping from bridge events to Intercom data, following Intercom's attribute and event rules.

Every function returns values and appends notes for what it repaired or dropped; none performs a call. The rules
(key characters, 255-character strings, Unix seconds, cents, metadata key limit) are Intercom's; each quirk has a
one-line reason beside it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

from py_bridge.core.credentials import CREDENTIAL_ALIASES, normalise_key
from py_bridge.core.destinations.intercom.settings import IntercomSettings
from py_bridge.core.events import Event
from py_bridge.core.notes import Notes

__all__ = [
    "MAX_STRING",
    "clean_key",
    "company_key_reserved",
    "company_payload",
    "context_attributes",
    "credentials",
    "event_payload",
    "to_unix_seconds",
    "user_key_reserved",
    "user_payload",
]

MAX_STRING: Final = 255  # Intercom truncates/rejects longer custom attribute and metadata strings
FORBIDDEN_KEY_RE: Final = re.compile(r"[.$~`!@#%^&*'{}\[\]|\\\"\x00]")
ISO_DATE_RE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$")
MS_THRESHOLD: Final = 10**11  # larger Unix numbers are milliseconds (10**11 s is the year 5138)
MAX_SECONDS: Final = 253_402_300_799  # 9999-12-31T23:59:59Z; later "dates" are not dates
MAX_CENTS: Final = 2**53  # a price must stay an exact JavaScript integer
LANGUAGE_RE: Final = re.compile(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?")  # Intercom's locale codes: fr, pt-BR, zh-TW

# User attributes Intercom knows by name; everything else in traits becomes a custom attribute.
STANDARD_TRAITS: Final = {
    "email": "email",
    "phone": "phone",
    "unsubscribedFromEmails": "unsubscribed_from_emails",
    "unsubscribed_from_emails": "unsubscribed_from_emails",
}
NAME_TRAITS: Final = ("name", "firstName", "first_name", "lastName", "last_name")
CREATED_TRAITS: Final = ("createdAt", "created_at", "created")
USER_ID_TRAITS: Final = ("id", "userId", "user_id")
# Trait keys the mapping itself reads (or warns about): consumed without becoming custom attributes.
CONSUMED_TRAITS: Final = frozenset(
    {*STANDARD_TRAITS, *NAME_TRAITS, *CREATED_TRAITS, "avatar", "company", "companies", "custom_attributes"}
)
# Messenger settings come from the bridge settings (hide_default_launcher and language_override also from
# options.integrations.Intercom per call), never from page data: a trait must not move the Messenger to another
# workspace (app_id), another API host (api_base) or rebind or hide its launcher.
MESSENGER_SETTINGS: Final = frozenset(
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
        "language_override",
        "hide_notifications",
        "widget",
    }
)
PER_CALL_SETTINGS: Final = frozenset({"hide_default_launcher", "language_override"})
IDENTITY_KEYS: Final = frozenset({"user_id", "id", "email"})  # only identify()'s userId and traits.email set these
# Standard user attributes, set only from the traits the mapping reads (`name` from name/firstName/lastName...).
STANDARD_USER_ATTRIBUTES: Final = frozenset(
    {"name", "phone", "created_at", "unsubscribed_from_emails", "avatar", "company", "companies", "custom_attributes"}
)
COMPANY_FIELDS: Final = {
    "name": "name",
    "plan": "plan",
    "website": "website",
    "industry": "industry",
    "monthlySpend": "monthly_spend",
    "monthly_spend": "monthly_spend",
    "employees": "size",
    "size": "size",
}
COMPANY_ID_TRAITS: Final = ("company_id", "id", "companyId")
COMPANY_CONSUMED: Final = frozenset({*COMPANY_FIELDS, "createdAt", "created_at", "remove"})
COMPANY_STANDARD: Final = frozenset({*COMPANY_FIELDS.values(), "created_at", "remove"})


def _normalised(key: str) -> str:
    """How reserved names are compared: case and `_`/`-`/space insensitive, so `User-Id` or `userId` cannot pass."""
    return re.sub(r"[-_\s]", "", key.lower())


def _by_normalised(names: Iterable[str]) -> dict[str, str]:
    return {_normalised(name): name for name in names}


_MESSENGER_NAMES: Final = _by_normalised(MESSENGER_SETTINGS)
_IDENTITY_NAMES: Final = _by_normalised(IDENTITY_KEYS)
# Credentials are read only from options.integrations.Intercom; a trait spelled like any accepted alias is refused.
_CREDENTIAL_NAMES: Final = {
    normalise_key(alias): target for target, aliases in CREDENTIAL_ALIASES.items() for alias in aliases
}
_COMPANY_ID_NAMES: Final = _by_normalised({"company_id", "id"})
MAX_NAMED_REFUSALS: Final = 10  # a note names this many reserved keys, then counts the rest


def _setting_or_credential(name: str) -> str | None:
    """Why a normalised key may never be an attribute, user's or company's: it names a Messenger setting or a
    credential, which Intercom would read from the payload as such."""
    if name in _MESSENGER_NAMES:
        target = _MESSENGER_NAMES[name]
        where = "options.integrations.Intercom" if target in PER_CALL_SETTINGS else "the bridge settings"
        return f"would set the Messenger setting {target!r}, which only {where} may set"
    if name in _CREDENTIAL_NAMES:
        target = _CREDENTIAL_NAMES[name]
        return f"would set the credential {target!r}, which is read only from options.integrations.Intercom"
    return None


def user_key_reserved(key: str) -> str | None:
    """Why a (cleaned, flattened) user attribute key may not come from traits, or None when it may."""
    name = _normalised(key)
    if name in _IDENTITY_NAMES:
        target = _IDENTITY_NAMES[name]
        return f"would set the identity ({target!r}), which comes only from identify()'s userId and traits.email"
    reason = _setting_or_credential(name)
    if reason:
        return reason
    if key in STANDARD_USER_ATTRIBUTES:
        return f"would overwrite the standard attribute {key!r}, which is set only from its own trait"
    return None


def company_key_reserved(key: str) -> str | None:
    """Why a (cleaned, flattened) company key may not be a custom company attribute, or None when it may."""
    name = _normalised(key)
    if name in _COMPANY_ID_NAMES or name == "companyid":
        return "would change the company id, which comes only from groupId or the company's own id"
    reason = _setting_or_credential(name)
    if reason:
        return reason
    if key in COMPANY_STANDARD:
        return f"would overwrite the standard company field {key!r}, which is set only from its own key"
    return None


def _nothing_reserved(key: str) -> str | None:
    return None


def clean_key(key: str) -> str:
    """Intercom substitutes `_` for characters it forbids in keys; we do it first so the key is predictable."""
    return FORBIDDEN_KEY_RE.sub("_", key)


def to_unix_seconds(value: Any) -> int | None:
    """Date, ISO 8601 string, Unix seconds or milliseconds -> whole Unix seconds (Intercom wants seconds)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return max(0, int(moment.timestamp()))  # before 1970: the epoch, as for an ISO string
    if isinstance(value, int | float):
        if value < 0 or value > MAX_SECONDS * 1000 or not math.isfinite(value):
            return None
        return int(value / 1000) if value >= MS_THRESHOLD else int(value)
    if isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit():  # "¹" is a digit to isdigit() but not to int()
            return to_unix_seconds(int(text))
        if not ISO_DATE_RE.match(text):
            return None
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T"))
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return max(0, int(moment.timestamp()))
    return None


def _string(value: str, key: str, notes: Notes) -> str:
    if len(value) > MAX_STRING:
        notes.warn(
            f"{key}: string longer than {MAX_STRING} characters; cut to {MAX_STRING}",
            kind=f"strings longer than {MAX_STRING} characters cut to {MAX_STRING}",
            subject=repr(key),
        )
        return value[:MAX_STRING]
    return value


def _scalar(value: Any, key: str, notes: Notes, *, dates_as_seconds: bool) -> tuple[bool, Any]:
    """(keep, value) for one attribute value under Intercom's rules: string <= 255, finite number, bool, null."""
    if isinstance(value, datetime):
        return True, to_unix_seconds(value)
    if key.endswith("_at") and dates_as_seconds and value is not None:
        seconds = to_unix_seconds(value)
        if seconds is None:
            notes.warn(
                f"{key}: keys ending in _at hold dates; {str(value)[:40]!r} is not a date; dropped",
                kind="keys ending in _at hold dates; values that are not dates dropped",
                subject=repr(key),
            )
            return False, None
        return True, seconds
    if value is None or isinstance(value, bool):
        return True, value
    if isinstance(value, int | float):
        if math.isfinite(value):
            return True, value
        notes.warn(
            f"{key}: not a finite number; dropped", kind="numbers that are not finite dropped", subject=repr(key)
        )
        return False, None
    if isinstance(value, str):
        return True, _string(value, key, notes)
    return False, None


def clean_attributes(
    source: Mapping[str, Any],
    notes: Notes,
    *,
    nested: str,
    skip: Iterable[str] = (),
    what: str = "trait",
    prefix: str = "",
    reserved: Callable[[str], str | None] = _nothing_reserved,
    refused: list[str] | None = None,
) -> dict[str, Any]:
    """Custom attributes: scalars pass (0/false/"" included), keys repaired, objects dropped or flattened with `_`.

    `reserved` is asked about every key after it is cleaned and flattened (`user.id` and `{user: {id}}` both become
    `user_id`, as Intercom itself would read them): reserved keys are dropped, and named together in one note (a
    call with a thousand of them is one console line, not a thousand).
    """
    top = refused is None
    refused = [] if refused is None else refused
    skipped = set(skip)
    out: dict[str, Any] = {}
    for raw_key, value in source.items():
        if raw_key in skipped and not prefix:
            continue
        full = prefix + raw_key
        key = clean_key(full)
        if not key:
            notes.warn(f"{what} with an empty name dropped", kind=f"{what}s with an empty name dropped")
            continue
        reason = reserved(key)
        if reason:
            seen = f"{full!r} (read by Intercom as {key!r})" if key != full else repr(full)
            refused.append(f"{seen} {reason}")
            continue
        if key != full:
            notes.warn(
                f"{what} {full!r}: characters Intercom forbids in keys replaced; sent as {key!r}",
                kind=f"{what} keys with characters Intercom forbids replaced by _",
                subject=f"{full!r} -> {key!r}",
            )
        if isinstance(value, dict | list):
            if nested == "flatten":
                items = value.items() if isinstance(value, dict) else ((str(i), v) for i, v in enumerate(value))
                out.update(
                    clean_attributes(
                        dict(items),
                        notes,
                        nested=nested,
                        what=what,
                        prefix=key + "_",
                        reserved=reserved,
                        refused=refused,
                    )
                )
            else:
                shape = "object" if isinstance(value, dict) else "array"
                notes.warn(
                    f"{what} {key!r}: Intercom does not accept an {shape} as an attribute; dropped",
                    kind=f"{what}s holding an object or array dropped (Intercom accepts neither as an attribute)",
                    subject=repr(key),
                )
            continue
        keep, clean = _scalar(value, key, notes, dates_as_seconds=True)
        if keep:
            out[key] = clean
        elif not isinstance(value, int | float | str):
            notes.warn(
                f"{what} {key!r}: unsupported value; dropped",
                kind=f"{what}s with unsupported values dropped",
                subject=repr(key),
            )
    if top and refused:
        shown = "; ".join(refused[:MAX_NAMED_REFUSALS])
        more = f"; and {len(refused) - MAX_NAMED_REFUSALS} more" if len(refused) > MAX_NAMED_REFUSALS else ""
        label = f"{what} {shown}" if len(refused) == 1 else f"{len(refused)} {what}s dropped: {shown}"
        notes.warn(f"{label}{more}; dropped" if len(refused) == 1 else f"{label}{more}")
    return out


def _set_created_at(out: dict[str, Any], value: Any, where: str, notes: Notes) -> None:
    """created_at in Unix seconds (Intercom's unit), or a note when the value is not a date."""
    if value is None:
        return
    seconds = to_unix_seconds(value)
    if seconds is None:
        notes.warn(f"{where}: {str(value)[:40]!r} is not a date; dropped")
    else:
        out["created_at"] = seconds


def _first(source: Mapping[str, Any], keys: Iterable[str]) -> Any:
    for key in keys:
        if key in source and source[key] is not None:
            return source[key]
    return None


def _name(traits: Mapping[str, Any]) -> str | None:
    name = traits.get("name")
    if isinstance(name, str) and name.strip():
        return name.strip()
    parts = [traits.get(k) or traits.get(s) for k, s in (("firstName", "first_name"), ("lastName", "last_name"))]
    words = [p.strip() for p in parts if isinstance(p, str) and p.strip()]
    return " ".join(words) or None


def company_payload(
    raw: Any, notes: Notes, *, nested: str = "drop", company_id: str | None = None, where: str = "company"
) -> dict[str, Any] | None:
    """A Segment-style company object -> Intercom company. Needs an id; keeps `remove: true` (detach)."""
    if not isinstance(raw, dict):
        notes.warn(f"{where}: expected an object, received {type(raw).__name__}; dropped")
        return None
    ident = company_id if company_id is not None else _first(raw, COMPANY_ID_TRAITS)
    if isinstance(ident, bool) or not isinstance(ident, str | int) or not str(ident).strip():
        notes.warn(f"{where}: no company id (id or company_id); dropped")
        return None
    ident_text = str(ident).strip()
    out: dict[str, Any] = {"company_id": _string(ident_text, f"{where}.company_id", notes)}
    # An id key that repeats the company id is simply consumed; one naming another company is dropped with a note.
    same_id = {k for k in COMPANY_ID_TRAITS if k in raw and (raw[k] is None or str(raw[k]).strip() == ident_text)}
    for source_key, target in COMPANY_FIELDS.items():
        value = raw.get(source_key)
        if value is None or target in out:
            continue
        if target in ("monthly_spend", "size"):
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                notes.warn(f"{where}.{source_key}: must be a number; dropped")
                continue
            out[target] = round(value) if target == "size" else value
        elif isinstance(value, str):
            out[target] = _string(value, f"{where}.{source_key}", notes)
        else:
            notes.warn(f"{where}.{source_key}: must be a string; dropped")
    _set_created_at(out, _first(raw, ("createdAt", "created_at")), f"{where}.createdAt", notes)
    if raw.get("remove") is True:
        out["remove"] = True
    custom = clean_attributes(
        raw,
        notes,
        nested=nested,
        skip=COMPANY_CONSUMED | same_id,
        what=f"{where} trait",
        reserved=company_key_reserved,
    )
    for key, value in custom.items():
        out.setdefault(key, value)  # a custom key never replaces the id or a standard field
    return out


def credentials(options: Mapping[str, Any]) -> dict[str, Any]:
    """user_hash / intercom_user_jwt and the per-call settings (hide_default_launcher, language_override) from
    every place the CDPs put them. Traits never carry these: options are the page's code, traits are often data."""
    places: list[Any] = [
        (options.get("integrations") or {}).get("Intercom") if isinstance(options.get("integrations"), dict) else None,
        options.get("Intercom"),
        (options.get("context") or {}).get("Intercom") if isinstance(options.get("context"), dict) else None,
    ]
    out: dict[str, Any] = {}
    for place in places:
        if not isinstance(place, dict):
            continue
        for target, names in CREDENTIAL_ALIASES.items():
            value = _first(place, names)
            if target not in out and isinstance(value, str) and value.strip():
                out[target] = value.strip()
        launcher = _first(place, ("hide_default_launcher", "hideDefaultLauncher"))
        if "hide_default_launcher" not in out and isinstance(launcher, bool):
            out["hide_default_launcher"] = launcher
        language = _first(place, ("language_override", "languageOverride"))
        if "language_override" not in out and isinstance(language, str) and LANGUAGE_RE.fullmatch(language.strip()):
            out["language_override"] = language.strip()
    return out


_BROWSERS: Final = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS: Final = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def context_attributes(context: Mapping[str, Any]) -> dict[str, Any]:
    """Browser facts as custom attributes (setting include_context): locale, timezone, browser and OS family."""
    raw_agent = context.get("user_agent")
    agent: str = raw_agent if isinstance(raw_agent, str) else ""
    out: dict[str, Any] = {}
    for key, target in (("locale", "browser_locale"), ("timezone", "browser_timezone")):
        value = context.get(key)
        if isinstance(value, str) and value:
            out[target] = value[:MAX_STRING]
    browser = next((name for token, name in _BROWSERS if token in agent), None)
    system = next((name for token, name in _SYSTEMS if token in agent), None)
    if browser:
        out["browser_family"] = browser
    if system:
        out["os_family"] = system
    return out


def user_payload(event: Event, settings: IntercomSettings, notes: Notes) -> dict[str, Any]:
    """identify -> Intercom user data (no messenger settings, no credentials). Never contains user_id None.

    Identity comes only from the call's userId (or the anonymous id, setting send_anonymous_id) and traits.email;
    no other trait, however spelled, cleaned or flattened, may set an identity, a credential or a Messenger setting.
    """
    traits = event.traits
    out: dict[str, Any] = {}
    user_id = event.user_id
    email = traits.get("email")
    if user_id is None and not (isinstance(email, str) and email.strip()) and settings.send_anonymous_id:
        user_id = event.anonymous_id
    if user_id is not None:
        out["user_id"] = user_id
    for source_key, target in STANDARD_TRAITS.items():
        value = traits.get(source_key)
        if value is None or target in out:
            continue
        if target == "unsubscribed_from_emails":
            if isinstance(value, bool):
                out[target] = value
            else:
                notes.warn(f"trait {source_key!r}: must be true or false; dropped")
        elif isinstance(value, str) and value.strip():
            out[target] = _string(value.strip(), f"trait {source_key!r}", notes)
        elif not isinstance(value, str):
            notes.warn(f"trait {source_key!r}: must be a string; dropped")
    name = _name(traits)
    if name:
        out["name"] = _string(name, "trait 'name'", notes)
    _set_created_at(out, _first(traits, CREATED_TRAITS), "trait 'createdAt'", notes)
    avatar = traits.get("avatar")
    if isinstance(avatar, str) and avatar.startswith(("https://", "http://")):
        out["avatar"] = {"type": "avatar", "image_url": _string(avatar, "trait 'avatar'", notes)}
    elif avatar is not None:
        notes.warn("trait 'avatar': must be an http(s) image URL; dropped")
    if "company" in traits:
        company = company_payload(traits["company"], notes, nested=settings.nested, where="trait 'company'")
        if company:
            out["company"] = company
    if "companies" in traits:
        raw_companies = traits["companies"]
        if isinstance(raw_companies, list):
            companies = [
                c
                for i, item in enumerate(raw_companies[:100])
                if (c := company_payload(item, notes, nested=settings.nested, where=f"trait 'companies[{i}]'"))
            ]
            if companies:
                out["companies"] = companies
        else:
            notes.warn("trait 'companies': must be an array of company objects; dropped")
    if isinstance(traits.get("custom_attributes"), dict):
        notes.warn(
            "trait 'custom_attributes': Intercom ignores a nested custom_attributes object; send keys at top level"
        )
    # traits.id / userId that repeat the userId are consumed quietly (analytics.js often sends both); any other
    # value would be a second identity and is dropped with a note by user_key_reserved.
    same_id = {
        k for k in USER_ID_TRAITS if k in traits and (traits[k] is None or str(traits[k]).strip() == event.user_id)
    }
    custom = clean_attributes(
        traits, notes, nested=settings.nested, skip=CONSUMED_TRAITS | same_id, reserved=user_key_reserved
    )
    if settings.include_context:
        custom = {**context_attributes(event.context), **custom}
    for key, value in custom.items():
        out.setdefault(key, value)
    return out


def _metadata_value(key: str, value: Any, rich: bool, notes: Notes) -> tuple[bool, Any]:
    if rich and isinstance(value, dict):
        url, text = value.get("url"), value.get("value")
        if isinstance(url, str) and url.startswith(("https://", "http://")) and isinstance(text, str):
            return True, {"url": _string(url, key, notes), "value": _string(text, key, notes)}
        notes.warn(f"property {key!r}: a rich link needs {{url: 'https://...', value: 'text'}}; dropped")
        return False, None
    return _scalar(value, key, notes, dates_as_seconds=True)


def _price(properties: Mapping[str, Any], event_name: str, notes: Notes) -> dict[str, Any] | None:
    amount = properties.get("revenue")
    if amount is None and event_name == "Order Completed":
        amount = properties.get("total")
    if amount is None:
        return None
    if isinstance(amount, str):
        text = amount
        try:
            amount = float(text)
        except ValueError:
            notes.warn(f"property 'revenue': {text[:40]!r} is not a number; no price sent")
            return None
    if isinstance(amount, bool) or not isinstance(amount, int | float) or not math.isfinite(amount):
        notes.warn("property 'revenue': must be a number; no price sent")
        return None
    currency = properties.get("currency")
    code = currency.strip().upper() if isinstance(currency, str) and currency.strip() else "USD"
    if not re.fullmatch(r"[A-Z]{3}", code):
        notes.warn(f"property 'currency': {code[:10]!r} is not an ISO 4217 code; USD used")
        code = "USD"
    if abs(amount) * 100 > MAX_CENTS:
        notes.warn("property 'revenue': amount too large; no price sent")
        return None
    # Intercom wants whole cents; round half away from zero so 19.995 -> 2000.
    cents = int(math.copysign(math.floor(abs(amount) * 100 + 0.5 + 1e-9), amount))
    return {"amount": cents, "currency": code}


def event_name(raw: str) -> str | None:
    """Intercom turns `.` and `$` into `-`; we do it first so the name stored is the name we report."""
    name = raw.strip().replace(".", "-").replace("$", "-")
    return name[:MAX_STRING] or None


def event_payload(event: Event, settings: IntercomSettings, notes: Notes) -> tuple[str, dict[str, Any]] | None:
    """track -> (event name, metadata) for `trackEvent`, or None when the name is unusable."""
    name = event_name(event.name or "")
    if name is None:
        notes.warn("track: empty event name; call dropped")
        return None
    metadata: dict[str, Any] = {}
    price = _price(event.properties, event.name or "", notes)
    if price is not None:
        metadata["price"] = price
    rich_keys = set(settings.rich_link_properties)
    skip = {"revenue", "currency"} if price is not None else set()
    if price is not None and event.name == "Order Completed" and "revenue" not in event.properties:
        skip.add("total")
    flat: dict[str, Any] = {}
    for raw_key, value in event.properties.items():
        if raw_key in skip:
            continue
        key = clean_key(raw_key)
        if key != raw_key:
            notes.warn(
                f"property {raw_key!r}: characters Intercom forbids in keys replaced; sent as {key!r}",
                kind="property keys with characters Intercom forbids replaced by _",
                subject=f"{raw_key!r} -> {key!r}",
            )
        if not key:
            notes.warn("property with an empty name dropped", kind="properties with an empty name dropped")
            continue
        if key == "price" and price is not None:
            notes.warn(f"property {raw_key!r}: replaced by the price computed from revenue")
            continue
        if isinstance(value, dict | list) and not (raw_key in rich_keys and isinstance(value, dict)):
            if settings.nested == "flatten":
                flat.update(clean_attributes({key: value}, notes, nested="flatten", what="property"))
            else:
                shape = "object" if isinstance(value, dict) else "array"
                notes.warn(
                    f"property {key!r}: Intercom metadata does not accept an {shape}; dropped",
                    kind="properties holding an object or array dropped (Intercom metadata accepts neither)",
                    subject=repr(key),
                )
            continue
        keep, clean = _metadata_value(key, value, raw_key in rich_keys, notes)
        if keep:
            flat[key] = clean
        elif not isinstance(value, int | float | str | dict):
            notes.warn(
                f"property {key!r}: unsupported value; dropped",
                kind="properties with unsupported values dropped",
                subject=repr(key),
            )
    for key, value in flat.items():
        metadata.setdefault(key, value)
    if len(metadata) > settings.max_metadata_keys:
        dropped = list(metadata)[settings.max_metadata_keys :]
        notes.warn(
            f"track {name!r}: Intercom keeps {settings.max_metadata_keys} metadata keys; dropped "
            + ", ".join(repr(k) for k in dropped[:10])
            + (" …" if len(dropped) > 10 else "")
        )
        metadata = dict(list(metadata.items())[: settings.max_metadata_keys])
    return name, metadata
