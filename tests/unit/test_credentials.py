"""One credential vocabulary: every accepted spelling of user_hash / intercom_user_jwt is read and hidden everywhere.

The spellings are listed here literally (not imported), so a name dropped from `py_bridge.core.credentials` fails these
tests instead of silently shrinking what they check.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from py_bridge.core.commands import IntercomCall, Trace
from py_bridge.core.credentials import CREDENTIAL_ALIASES, CREDENTIAL_NAMES, is_credential_key, redact_deep
from py_bridge.core.destinations.intercom.destination import redact as destination_redact
from py_bridge.core.destinations.intercom.mapping import credentials
from py_bridge.core.errors import SecretInSettingsError
from py_bridge.core.settings import find_secret, parse_settings
from py_bridge.core.trace import Tracer
from py_bridge.tools.bundle import build, project_root

TOKEN = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2Vu.c2lnbmF0dXJl"
ACCEPTED = ["user_hash", "userHash", "intercom_user_jwt", "intercomUserJwt", "jwt"]
# Spellings the mapping does not read but that still must never be shown in clear.
LOOKALIKES = ["JWT", "User-Hash", "USER_HASH", "intercom-user-jwt"]


def nested(name: str) -> dict[str, Any]:
    """Options as a page passes them: the credential inside integrations.Intercom."""
    return {"integrations": {"Intercom": {name: TOKEN, "hide_default_launcher": True}}}


def test_the_vocabulary_lists_every_accepted_spelling_under_intercoms_name() -> None:
    """Intercom's two names, each with its aliases (camelCase and the short `jwt`)."""
    assert dict(CREDENTIAL_ALIASES) == {
        "user_hash": ("user_hash", "userHash"),
        "intercom_user_jwt": ("intercom_user_jwt", "intercomUserJwt", "jwt"),
    }
    assert sorted(CREDENTIAL_NAMES) == sorted(ACCEPTED)


@pytest.mark.parametrize("name", ACCEPTED + LOOKALIKES)
def test_a_credential_key_is_recognised_however_it_is_spelled(name: str) -> None:
    """Case, `_`, `-` and spaces do not matter: hiding too much beats leaking one."""
    assert is_credential_key(name)


@pytest.mark.parametrize("name", ["user", "hash", "user_id", "email", "jwt_issued_at", 42, None])
def test_other_keys_are_not_credentials(name: Any) -> None:
    """Only whole credential names match; a key that merely contains one is data."""
    assert not is_credential_key(name)


@pytest.mark.parametrize("name", ACCEPTED)
def test_the_mapping_reads_every_accepted_spelling(name: str) -> None:
    """options.integrations.Intercom.<alias> becomes Intercom's own key."""
    target = next(key for key, names in CREDENTIAL_ALIASES.items() if name in names)
    assert credentials(nested(name))[target] == TOKEN


@pytest.mark.parametrize("name", ACCEPTED + LOOKALIKES)
def test_the_debug_group_never_shows_a_credential_passed_in_the_options(name: str) -> None:
    """Tracer.trace: what the page sent, nested in integrations.Intercom, is redacted in the received arguments."""
    item = {"method": "identify", "args": ["u1", {"plan": "pro"}, nested(name)]}
    (trace,) = [c for c in Tracer(True).trace(item, []) if isinstance(c, Trace)]
    assert TOKEN not in json.dumps(trace.received)
    assert trace.received[2]["integrations"]["Intercom"][name] == "[redacted]"
    assert trace.received[2]["integrations"]["Intercom"]["hide_default_launcher"] is True


@pytest.mark.parametrize("name", ["user_hash", "intercom_user_jwt"])
def test_the_debug_group_never_shows_a_credential_sent_to_intercom(name: str) -> None:
    """The Intercom calls listed in the group carry Intercom's key names: redacted too."""
    call = IntercomCall("boot", ({"app_id": "abc12345", name: TOKEN},))
    (trace,) = [c for c in Tracer(True).trace({"method": "identify", "args": []}, [call]) if isinstance(c, Trace)]
    assert TOKEN not in json.dumps(trace.intercom)


@pytest.mark.parametrize("name", ACCEPTED + LOOKALIKES)
def test_debug_export_never_contains_a_credential(name: str) -> None:
    """debug.export(): the recorded events' options are redacted at any depth, every spelling."""
    tracer = Tracer(False, to_record=lambda event: {"type": "identify", "options": event})
    tracer.record(nested(name))
    tracer.record({"context": {"Intercom": {name: TOKEN}}, "list": [{name: TOKEN}]})
    exported = tracer.export()
    assert TOKEN not in exported
    assert exported.count("[redacted]") == 3


@pytest.mark.parametrize("name", ACCEPTED + LOOKALIKES)
def test_the_destination_redact_hides_every_spelling_at_any_depth(name: str) -> None:
    """The destination's log-safe copy of a payload."""
    payload = {name: TOKEN, "company": {"x": {name: TOKEN}}, "email": "a@example.com"}
    safe = destination_redact(payload)
    assert TOKEN not in json.dumps(safe)
    assert safe["email"] == "a@example.com"


def test_redact_deep_leaves_the_original_untouched_and_stops_at_the_depth_limit() -> None:
    """A copy, never a mutation; a pathological depth is cut, not a RecursionError."""
    original = nested("jwt")
    redact_deep(original)
    assert original["integrations"]["Intercom"]["jwt"] == TOKEN
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(100):
        node["a"] = {}
        node = node["a"]
    assert "[too deep]" in json.dumps(redact_deep(deep))


@pytest.mark.parametrize("name", ["user_hash", "userHash", "intercomUserJwt", "User-Hash"])
def test_a_credential_pasted_into_the_settings_is_refused_as_a_secret(name: str) -> None:
    """A per-user credential in the tag is a mistake of the same kind as a secret: one error, value not repeated."""
    with pytest.raises(SecretInSettingsError) as error:
        parse_settings({"app_id": "abc12345", name: "f00dfeed"})
    assert "f00dfeed" not in str(error.value)
    assert find_secret({"nested": {name: "x"}}) == f"settings.nested.{name}"


# -- embed.js gets the list through py_bridge.core.protocol's page constants -------------------------------------------

PROTOCOL_LINE_RE = re.compile(r"^export const PROTOCOL = (\{.*\});$", re.M)


def test_the_page_runtime_reads_the_names_from_the_protocol_module() -> None:
    """web/shared/protocol.js (generated from Python) holds every spelling the page redacts and forgets."""
    source = (project_root() / "web" / "shared" / "protocol.js").read_text(encoding="utf-8")
    (value,) = PROTOCOL_LINE_RE.findall(source)
    assert sorted(json.loads(value)["credential_keys"]) == sorted(ACCEPTED)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundle")
    build(out, snapshot=False, compress=False)
    return out


def test_the_built_embed_carries_exactly_the_python_list(built: Path) -> None:
    """The bundler inlines the page constants, `CREDENTIAL_NAMES` among them: one list, two languages."""
    embed = (built / "embed.js").read_text(encoding="utf-8")
    (value,) = re.findall(r"\bcredential_keys:(\[[^\]]*\])", embed)
    assert json.loads(value) == list(CREDENTIAL_NAMES)
