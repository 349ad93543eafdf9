"""The wheel carries the runtime: built with `pip wheel .`, installed into a fresh venv, used with no Node on PATH.

The wheel is built from this checkout (its build hook runs the repo's Node tooling); everything after that runs with
PATH = the fresh venv's bin folder only (no node, no npm) and a HOME/XDG_CACHE_HOME of its own, from an empty folder.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page

from py_bridge.tools.bundle import project_root
from py_bridge.tools.devserver import DevServer
from py_bridge.tools.sandbox import Sandbox
from tests.e2e.bridge_page import APP_ID, BridgePage
from tests.e2e.conftest import Watch


@dataclass(frozen=True)
class Installed:
    venv: Path
    wheel: Path
    home: Path

    @property
    def env(self) -> dict[str, str]:
        return {
            "PATH": str(self.venv / "bin"),
            "HOME": str(self.home),
            "XDG_CACHE_HOME": str(self.home / "cache"),
            "LANG": "C.UTF-8",
        }

    def run(self, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.venv / "bin" / "py-bridge"), *args],
            cwd=cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


def _pip(*args: str, python: str = sys.executable) -> None:
    subprocess.run([python, "-m", "pip", "--disable-pip-version-check", "-q", *args], check=True, timeout=300)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    tmp = tmp_path_factory.mktemp("wheel")
    _pip("wheel", "--no-deps", "-w", str(tmp / "dist"), str(project_root()))
    (wheel,) = (tmp / "dist").glob("py_bridge-*.whl")
    # The dependencies as wheels, from pip's cache or the index; then the venv installs with no index at all.
    _pip("wheel", "--no-deps", "-w", str(tmp / "wheelhouse"), "PyJWT", "brotli")
    subprocess.run([sys.executable, "-m", "venv", str(tmp / "venv")], check=True, timeout=120)
    python = str(tmp / "venv" / "bin" / "python")
    _pip("install", "--no-index", "--find-links", str(tmp / "wheelhouse"), str(wheel), "PyJWT", "brotli", python=python)
    (tmp / "home").mkdir()
    return Installed(tmp / "venv", wheel, tmp / "home")


def hashes(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def wheel_bundle(installed: Installed, tmp_path_factory: pytest.TempPathFactory) -> Path:
    empty = tmp_path_factory.mktemp("empty")
    assert shutil.which("node", path=installed.env["PATH"]) is None
    started = time.monotonic()
    result = installed.run("build", "out", cwd=empty)
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr, result.stderr
    assert time.monotonic() - started < 60  # the wheel carries the compressed runtime: nothing slow to redo
    return empty / "out"


def test_the_wheel_is_small_and_carries_the_runtime_its_licenses_and_a_manifest(installed: Installed) -> None:
    """Core files only (no Pyodide packages), well under PyPI's 100 MB; Pyodide's and PyScript's licenses."""
    assert installed.wheel.stat().st_size < 40e6
    carried = next(installed.venv.glob("lib/python*/site-packages/py_bridge/_runtime"))
    manifest = json.loads((carried / "MANIFEST.json").read_text())
    assert set(manifest["files"]) == {p.relative_to(carried).as_posix() for p in carried.rglob("*") if p.is_file()} - {
        "MANIFEST.json"
    }
    for name in ("pyodide/pyodide.asm.wasm", "pyodide/python_stdlib.zip", "pyscript/core.js"):
        assert name in manifest["files"], name
    assert (carried / "licenses" / "pyodide-LICENSE.txt").read_text().startswith("Mozilla Public License")
    assert "Apache License" in (carried / "licenses" / "pyscript-LICENSE.txt").read_text()
    assert not [name for name in manifest["files"] if name.endswith((".whl", ".tar", ".map"))]


def test_a_bundle_built_from_the_wheel_without_node_equals_the_checkouts(wheel_bundle: Path, bundle_dir: Path) -> None:
    """Same files, same bytes: the snapshot and the trimmed stdlib come from the wheel, made when it was built."""
    from_wheel, from_checkout = hashes(wheel_bundle), hashes(bundle_dir)
    assert sorted(from_wheel) == sorted(from_checkout)
    assert [name for name in from_wheel if from_wheel[name] != from_checkout[name]] == []
    assert json.loads((wheel_bundle / "manifest.json").read_text())["snapshot"]


def test_the_bundle_built_from_the_wheel_boots_in_chromium(
    wheel_bundle: Path, page: Page, sandbox: Sandbox, watch: Watch
) -> None:
    sandbox.handle("POST", "/reset", "", {}, json.dumps({"secret": "sandbox-secret", "verification": "off"}).encode())
    server = DevServer(wheel_bundle, port=0, sandbox=sandbox, pages_dir=Path(__file__).parent / "pages").start()
    try:
        bridge = BridgePage(page, server, sandbox, watch)
        bridge.open()
        bridge.wait_for(lambda: (bridge.widget_state() or {}).get("booted"), what="visitor boot", timeout_s=30)
        assert bridge.widget_state()["calls"][0][1][0]["app_id"] == APP_ID
    finally:
        server.stop()


def test_demo_runs_from_the_wheel_without_node(installed: Installed, tmp_path: Path) -> None:
    """`py-bridge demo --port 0` builds into a temporary folder, serves, and answers /."""
    process = subprocess.Popen(
        [str(installed.venv / "bin" / "py-bridge"), "demo", "--port", "0"],
        cwd=tmp_path,
        env=installed.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "http://127.0.0.1:" in line, (line, process.stderr.read() if process.poll() is not None else "")
        url = line.split()[2]
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200
            assert b"embed.js" in response.read()
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def tampered(installed: Installed) -> Iterator[Path]:
    carried = next(installed.venv.glob("lib/python*/site-packages/py_bridge/_runtime"))
    target = carried / "pyodide" / "pyodide.asm.mjs"
    original = target.read_bytes()
    target.write_bytes(original + b"\n// tampered\n")
    yield target
    target.write_bytes(original)


def test_a_tampered_runtime_file_is_one_clear_error_naming_it(
    installed: Installed, tampered: Path, tmp_path: Path
) -> None:
    result = installed.run("build", "out", cwd=tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert str(tampered) in result.stderr
    assert "SHA-256" in result.stderr


def test_a_snapshot_made_for_another_build_is_refused(installed: Installed, tmp_path: Path) -> None:
    """The carried products are keyed by the runtime, the core zip and the snapshot code they were made from."""
    carried = next(installed.venv.glob("lib/python*/site-packages/py_bridge/_runtime"))
    core = next(carried.parent.glob("core/events.py"))
    original = core.read_bytes()
    core.write_bytes(original + b"\n# changed after install\n")
    try:
        result = installed.run("build", "out", cwd=tmp_path)
    finally:
        core.write_bytes(original)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "made for another build" in result.stderr, result.stderr
