"""The py-bridge command and the bundle it builds."""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from py_bridge.bundle import build
from py_bridge.cli import main
from py_bridge.identity import user_hash


def test_user_hash_command_prints_the_hash_for_the_secret_in_the_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`py-bridge user-hash u1` reads the secret from INTERCOM_IDENTITY_SECRET, never from the command line."""
    monkeypatch.setenv("INTERCOM_IDENTITY_SECRET", "s3cr3t")
    assert main(["user-hash", "u1"]) == 0
    assert capsys.readouterr().out.strip() == user_hash("s3cr3t", "u1")


def test_user_hash_command_without_a_secret_explains_and_fails(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No secret in the environment: exit code 2 and a message naming the variable."""
    monkeypatch.delenv("INTERCOM_IDENTITY_SECRET", raising=False)
    assert main(["user-hash", "u1"]) == 2
    assert "INTERCOM_IDENTITY_SECRET" in capsys.readouterr().err


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundle")
    build(out, snapshot=False)
    return out


def test_build_writes_the_tag_assets_and_the_pinned_runtime(bundle: Path) -> None:
    """embed.js, worker.mjs, the core zip and Pyodide's core files are all in the bundle."""
    for name in ("embed.js", "worker.mjs", "py_bridge.zip", "manifest.json", "pyodide/pyodide.mjs"):
        assert (bundle / name).is_file(), name
    assert (bundle / "pyodide" / "pyodide.asm.wasm").stat().st_size > 1_000_000


def test_the_core_zip_holds_only_browser_modules(bundle: Path) -> None:
    """Server-side and tooling modules (identity, cli, bundle, devserver, sandbox, demo) stay out of the browser."""
    names = zipfile.ZipFile(bundle / "py_bridge.zip").namelist()
    assert "py_bridge/worker.py" in names
    assert "py_bridge/destinations/intercom/mapping.py" in names
    for excluded in ("identity.py", "cli.py", "bundle.py", "devserver.py", "sandbox/", "demo/"):
        assert not any(excluded in n for n in names), excluded


def test_the_worker_carries_the_zip_checksum_and_the_manifest_the_embed_integrity(bundle: Path) -> None:
    """worker.mjs verifies the zip it imports; the manifest's SRI value is the sha384 of embed.js."""
    zip_sha = hashlib.sha256((bundle / "py_bridge.zip").read_bytes()).hexdigest()
    assert zip_sha in (bundle / "worker.mjs").read_text()
    manifest = json.loads((bundle / "manifest.json").read_text())
    digest = base64.b64encode(hashlib.sha384((bundle / "embed.js").read_bytes()).digest()).decode()
    assert manifest["embed_integrity"] == f"sha384-{digest}"
    assert "__PY_BRIDGE_VERSION__" not in (bundle / "embed.js").read_text()


def test_the_same_sources_build_the_same_zip(bundle: Path, tmp_path: Path) -> None:
    """Fixed timestamps: rebuilding gives a byte-identical core zip (stable checksum, cacheable)."""
    build(tmp_path, snapshot=False)
    assert (tmp_path / "py_bridge.zip").read_bytes() == (bundle / "py_bridge.zip").read_bytes()


def test_build_command_prints_a_tag_with_integrity(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """`py-bridge build OUT` prints the script tag with an integrity attribute for the embed.js it wrote."""
    assert main(["build", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert 'integrity="sha384-' in out
    assert "data-app-id=" in out
