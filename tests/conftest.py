"""Shared pytest configuration: the fixtures both browser suites use (tests/e2e in Chromium, tests/engines in Firefox
and WebKit). Session-scoped and lazy: a run of the unit tests alone builds nothing."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from py_bridge.tools.bundle import build
from py_bridge.tools.sandbox import Sandbox


@pytest.fixture(scope="session")
def bundle_dir() -> Iterator[Path]:
    """The bundle `py-bridge build` makes, built once per session into a temporary folder."""
    folder = Path(tempfile.mkdtemp(prefix="py-bridge-e2e-bundle-"))
    build(folder)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def sandbox() -> Sandbox:
    """The Intercom sandbox (the Messenger's stand-in); each test's page fixture resets it."""
    return Sandbox(secret="sandbox-secret", verification="off")
