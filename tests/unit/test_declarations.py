"""web/embed.d.ts (the public types a site's TypeScript checks its calls against) holds the settings Python accepts.

The settings are defined once, in Python (`py_bridge.core.settings` and the Intercom destination's settings); these
tests read the declarations and fail when a setting, a legacy alias or an accepted value is missing from them or
declared without Python knowing it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args, get_type_hints

import pytest

from py_bridge.core.destinations.intercom.settings import INTERCOM_KEYS, LEGACY_ALIASES, REGIONS, IntercomSettings
from py_bridge.core.settings import BRIDGE_KEYS, LOAD_POLICIES, TRANSFORM_ENTRY_KEYS, WHOLE_NUMBERS
from py_bridge.core.transform import ErrorPolicy

DECLARATIONS = (Path(__file__).resolve().parents[2] / "web" / "embed.d.ts").read_text(encoding="utf-8")


def interface(name: str) -> dict[str, str]:
    """The members of `export interface name { key?: type; ... }`: key -> its declared type."""
    match = re.search(rf"^export interface {name} \{{\n(.*?)^\}}", DECLARATIONS, re.M | re.S)
    assert match, f"no interface {name} in web/embed.d.ts"
    members = re.findall(r"^  (\w+)\??: (.+?);$", match.group(1), re.M)
    return dict(members)


def literals(declared: str) -> set[str | None]:
    values: set[str | None] = set(re.findall(r'"([^"]*)"', declared))
    return values | ({None} if re.search(r"\bnull\b", declared) else set())


def test_every_setting_python_accepts_is_declared_and_no_other() -> None:
    declared = set(interface("Settings"))
    assert declared == BRIDGE_KEYS | INTERCOM_KEYS | set(LEGACY_ALIASES)


def test_a_legacy_alias_has_the_type_of_its_setting() -> None:
    settings = interface("Settings")
    for alias, name in LEGACY_ALIASES.items():
        assert settings[alias] == settings[name], alias


@pytest.mark.parametrize(
    ("setting", "accepted"),
    [
        ("load", set(LOAD_POLICIES)),
        ("region", set(REGIONS)),
        ("api_base", set(REGIONS.values())),
        ("transform_errors", set(get_args(ErrorPolicy))),
        ("nested", set(get_args(get_type_hints(IntercomSettings)["nested"]))),
    ],
)
def test_the_declared_values_of_a_choice_are_the_ones_python_accepts(setting: str, accepted: set[str]) -> None:
    assert literals(interface("Settings")[setting]) == accepted


def test_identity_verification_declares_both_modes_and_none() -> None:
    assert literals(interface("Settings")["identity_verification"]) == {"user_hash", "jwt", None}


def test_whole_number_settings_are_numbers_and_a_transform_entry_may_be_pinned() -> None:
    settings = interface("Settings")
    assert all(settings[name] == "number" for name in WHOLE_NUMBERS)
    entry = interface("TransformEntry")
    assert set(entry) == set(TRANSFORM_ENTRY_KEYS)
    assert "TransformEntry" in settings["transform"]
