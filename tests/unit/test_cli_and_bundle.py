"""The py-bridge command, the bundle it builds, the demo server's hosting headers and the on-demand stdlib."""

from __future__ import annotations

import base64
import gzip
import hashlib
import importlib
import json
import re
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import brotli  # type: ignore[import-untyped]
import pytest

from py_bridge.core.stdlib import OnDemandStdlib, install
from py_bridge.identity import user_hash
from py_bridge.tools.bundle import RUNTIME_FILES, build, is_immutable, project_root
from py_bridge.tools.cli import main
from py_bridge.tools.devserver import DevServer, cache_control, negotiate_encoding


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


def manifest(bundle: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((bundle / "manifest.json").read_text())
    return data


def test_build_writes_the_tag_assets_and_the_pinned_runtime_in_a_content_hashed_folder(bundle: Path) -> None:
    """embed.js, worker.mjs, the core zip and Pyodide's files (byte for byte but for the factory's parentheses, in
    `pyodide-<hash>/`) are there."""
    files = manifest(bundle)
    assert re.fullmatch(r"pyodide-[0-9a-f]{16}/", files["runtime"])
    for name in ("embed.js", "worker.mjs", "manifest.json", files["core_zip"], files["stdlib"]):
        assert (bundle / name).is_file(), name
    node_pyodide = project_root() / "node_modules" / "pyodide"
    for name in RUNTIME_FILES:
        if name != "pyodide.asm.mjs":  # its factory in parentheses: see the test below
            assert (bundle / files["runtime"] / name).read_bytes() == (node_pyodide / name).read_bytes(), name
    assert not (bundle / "pyodide").exists()


def test_the_core_zip_holds_only_browser_modules(bundle: Path) -> None:
    """Only the core, the PyScript entry and the public names (the package's __init__, and spec.py, which
    transformations import) go into the browser: the server-side helper (identity) and the tools (cli, bundle,
    devserver, doctor, sandbox, demo) stay out."""
    names = zipfile.ZipFile(bundle / manifest(bundle)["core_zip"]).namelist()
    assert "py_bridge/core/worker.py" in names
    assert "py_bridge/core/stdlib.py" in names
    assert "py_bridge/core/destinations/intercom/mapping.py" in names
    assert "py_bridge/__init__.py" in names
    assert "py_bridge/pyscript/api.py" in names
    assert {name.split("/")[1] for name in names} == {"__init__.py", "spec.py", "core", "pyscript"}
    for excluded in ("identity.py", "tools/", "cli.py", "bundle", "devserver.py", "sandbox/", "demo/"):
        assert not any(excluded in n for n in names), excluded


def test_the_worker_carries_every_name_and_checksum_and_the_manifest_the_embed_integrity(bundle: Path) -> None:
    """worker.mjs names the hashed files and verifies the zip it imports; no placeholder is left anywhere."""
    files = manifest(bundle)
    worker = (bundle / "worker.mjs").read_text()
    zip_sha = hashlib.sha256((bundle / files["core_zip"]).read_bytes()).hexdigest()
    assert zip_sha in worker
    for name in (files["runtime"], files["core_zip"], files["stdlib"]):
        assert f'"{name}"' in worker, name
    assert not re.findall(r"__PY_BRIDGE_[A-Z0-9_]+__", worker)
    assert '"abi_version"' in worker  # the lock file's info, inlined: the worker fetches no lock file
    digest = base64.b64encode(hashlib.sha384((bundle / "embed.js").read_bytes()).digest()).decode()
    assert files["embed_integrity"] == f"sha384-{digest}"
    assert "__PY_BRIDGE_VERSION__" not in (bundle / "embed.js").read_text()


def test_the_same_sources_build_the_same_files(bundle: Path, tmp_path: Path) -> None:
    """Fixed timestamps: rebuilding gives byte-identical zips under the same content-hashed names."""
    build(tmp_path, snapshot=False, compress=False)
    again, before = manifest(tmp_path), manifest(bundle)
    for key in ("core_zip", "stdlib", "runtime"):
        assert again[key] == before[key], key
    assert (tmp_path / again["core_zip"]).read_bytes() == (bundle / before["core_zip"]).read_bytes()


def test_the_trimmed_standard_library_holds_what_the_core_imports_and_not_the_rest(bundle: Path) -> None:
    """Traced in Pyodide: the modules Python, Pyodide and a driven session import; stored members (brotli
    compresses the whole archive far better than deflate member by member)."""
    files = manifest(bundle)
    with zipfile.ZipFile(bundle / files["stdlib"]) as archive:
        names = set(archive.namelist())
        assert {info.compress_type for info in archive.infolist()} == {zipfile.ZIP_STORED}
    for needed in ("json/__init__.py", "re/__init__.py", "dataclasses.py", "datetime.py", "encodings/utf_8.py"):
        assert needed in names, needed
    for absent in ("difflib.py", "fractions.py", "tkinter/__init__.py", "unittest/__init__.py"):
        assert absent not in names, absent
    full = bundle / files["stdlib_full"]
    assert full.is_file()
    assert files["compressed"][files["stdlib"]]["br"] < 0.3 * full.stat().st_size


def test_every_compressible_file_has_brotli_and_gzip_copies_of_the_same_bytes(bundle: Path) -> None:
    """`.br` (quality 11) and `.gz` next to each file that compresses; Pyodide's deflated stdlib zip gets none."""
    files = manifest(bundle)
    for name in ("embed.js", "worker.mjs", f"{files['runtime']}pyodide.asm.wasm", files["stdlib"]):
        raw = (bundle / name).read_bytes()
        assert brotli.decompress((bundle / f"{name}.br").read_bytes()) == raw, name
        assert gzip.decompress((bundle / f"{name}.gz").read_bytes()) == raw, name
        assert files["compressed"][name]["br"] == (bundle / f"{name}.br").stat().st_size
    assert not (bundle / f"{files['stdlib_full']}.br").exists()
    assert files["compressed"][f"{files['runtime']}pyodide.asm.wasm"]["br"] < 3_000_000


def test_content_hashed_names_are_immutable_and_the_entry_points_are_not() -> None:
    assert is_immutable("pyodide-0123456789abcdef/pyodide.asm.wasm")
    assert is_immutable("snapshot-0123456789abcdef.bin")
    assert is_immutable("snapshot-0123456789abcdef.bin.br")
    assert is_immutable("py_bridge-0123456789abcdef.zip")
    for name in ("embed.js", "worker.mjs", "manifest.json", "pyscript/core.js", "pyodide/pyodide.mjs"):
        assert not is_immutable(name), name
    assert cache_control("stdlib-0123456789abcdef.zip") == "public, max-age=31536000, immutable"
    assert cache_control("embed.js") == "public, max-age=300"


def test_a_build_deletes_no_file_its_ledger_does_not_name_even_one_named_like_its_own(tmp_path: Path) -> None:
    """Names of our layout are not proof of ownership (only the ledger is; see test_build_folder.py)."""
    (tmp_path / "snapshot-0123456789abcdef.bin").write_bytes(b"old")
    (tmp_path / "py_bridge.zip").write_bytes(b"old layout")
    (tmp_path / "pyodide").mkdir()
    (tmp_path / "keep.txt").write_text("the site owner's file")
    build(tmp_path, snapshot=False, compress=False)
    assert (tmp_path / "snapshot-0123456789abcdef.bin").read_bytes() == b"old"
    assert (tmp_path / "py_bridge.zip").read_bytes() == b"old layout"
    assert (tmp_path / "pyodide").is_dir()
    assert (tmp_path / "keep.txt").read_text() == "the site owner's file"


def test_build_command_prints_a_tag_with_integrity(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """`py-bridge build OUT` prints the script tag with an integrity attribute for the embed.js it wrote."""
    assert main(["build", str(tmp_path), "--no-snapshot"]) == 0
    out = capsys.readouterr().out
    assert 'integrity="sha384-' in out
    assert "data-app-id=" in out
    assert "MB with brotli" in out


@pytest.mark.parametrize(
    ("accept", "available", "expected"),
    [
        ("gzip, deflate, br, zstd", ("br", "gzip"), "br"),
        ("gzip, deflate", ("br", "gzip"), "gzip"),
        ("br;q=0, gzip", ("br", "gzip"), "gzip"),
        ("*", ("br", "gzip"), "br"),
        ("br", ("gzip",), None),
        ("", ("br", "gzip"), None),
        ("identity", ("br", "gzip"), None),
    ],
)
def test_accept_encoding_negotiation(accept: str, available: tuple[str, ...], expected: str | None) -> None:
    assert negotiate_encoding(accept, {coding: Path("x") for coding in available}) == expected


def test_the_demo_server_serves_precompressed_files_with_cache_and_cors_headers(bundle: Path) -> None:
    server = DevServer(bundle, port=0, demo=False)
    try:
        files = manifest(bundle)
        wasm = f"/py-bridge/{files['runtime']}pyodide.asm.wasm"
        status, headers, body = server.route("GET", wasm, {"Accept-Encoding": "gzip, br"}, b"")
        assert status == 200
        assert headers["Content-Type"] == "application/wasm"
        assert headers["Content-Encoding"] == "br"
        assert headers["Vary"] == "Accept-Encoding"
        assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert headers["Access-Control-Allow-Origin"] == "*"
        assert body == (bundle / f"{files['runtime']}pyodide.asm.wasm.br").read_bytes()
        status, headers, body = server.route("GET", "/py-bridge/worker.mjs", {}, b"")
        assert headers["Content-Type"].startswith("text/javascript")
        assert headers["Cache-Control"] == "public, max-age=300"
        assert "Content-Encoding" not in headers
        assert body == (bundle / "worker.mjs").read_bytes()
        status, _, body = server.route("GET", "/py-bridge/worker.mjs", {"If-None-Match": headers["ETag"]}, b"")
        assert (status, body) == (304, b"")
    finally:
        server.httpd.server_close()


# -- the standard library on demand (py_bridge.core.stdlib), in CPython with a fake download ---------------------------
def _fake_full_stdlib(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("pbfake_mod.py", "VALUE = 42\n")
        archive.writestr("pbfake_pkg/__init__.py", "")
        archive.writestr("pbfake_pkg/sub.py", "VALUE = 'sub'\n")


@pytest.fixture
def isolated_imports(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield
    for name in [n for n in sys.modules if n.startswith("pbfake_")]:
        del sys.modules[name]


@pytest.mark.usefixtures("isolated_imports")
def test_a_missing_standard_module_is_imported_from_the_full_zip_fetched_once(tmp_path: Path) -> None:
    full = tmp_path / "python_stdlib.zip"
    calls: list[str] = []

    def fetch() -> str:
        calls.append("fetch")
        _fake_full_stdlib(full)
        return str(full)

    finder = OnDemandStdlib(fetch, names=frozenset({"pbfake_mod", "pbfake_pkg"}))
    sys.meta_path.append(finder)
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("pbfake_other")  # not a standard name: no download
    assert calls == []
    assert importlib.import_module("pbfake_mod").VALUE == 42
    assert importlib.import_module("pbfake_pkg.sub").VALUE == "sub"
    assert calls == ["fetch"]
    assert str(full) in sys.path


@pytest.mark.usefixtures("isolated_imports")
def test_a_failed_download_is_tried_once_and_the_import_error_stays_an_import_error() -> None:
    calls: list[str] = []

    def fetch() -> str:
        calls.append("fetch")
        raise OSError("offline")

    finder = OnDemandStdlib(fetch, names=frozenset({"pbfake_mod"}))
    sys.meta_path.append(finder)
    for _ in range(2):
        with pytest.raises(ModuleNotFoundError):
            importlib.import_module("pbfake_mod")
    assert calls == ["fetch"]
    assert finder.error == "OSError: offline"


@pytest.mark.usefixtures("isolated_imports")
def test_install_adds_one_finder() -> None:
    first = install(lambda: "/nowhere.zip")
    assert install(lambda: "/elsewhere.zip") is first
    assert sum(isinstance(f, OnDemandStdlib) for f in sys.meta_path) == 1
    assert first.path is None  # nothing fetched until a standard module is missing


def test_the_worker_carries_the_sha256_of_pyodides_wasm_and_every_standard_library_zip(bundle: Path) -> None:
    """The worker checks these before use; pyodide.mjs and pyodide.asm.mjs (import()) cannot be checked."""
    files = manifest(bundle)
    worker = (bundle / "worker.mjs").read_text()
    # The build writes the object in as JSON (`{"pyodide-<hash>/...": "<sha256>", ...}`), whatever the bundler named it.
    checked = json.loads(re.search(r'=(\{"[^{}]*\.wasm": "[0-9a-f]{64}"[^{}]*\})', worker).group(1))  # type: ignore[union-attr]
    wanted = {f"{files['runtime']}pyodide.asm.wasm", files["stdlib_full"], files["stdlib"]}
    assert wanted <= set(checked)
    for name, digest in checked.items():
        assert hashlib.sha256((bundle / name).read_bytes()).hexdigest() == digest, name


def test_a_carried_runtime_is_checked_file_by_file_against_its_manifest(tmp_path: Path) -> None:
    """What a wheel carries: every file listed with its SHA-256; a changed or missing one is an error naming it."""
    from py_bridge.tools.bundle import RuntimeFilesError
    from py_bridge.tools.bundle.sources import verify_carried

    (tmp_path / "pyodide").mkdir()
    (tmp_path / "pyodide" / "pyodide.asm.wasm").write_bytes(b"\0asm")
    digest = hashlib.sha256(b"\0asm").hexdigest()
    (tmp_path / "MANIFEST.json").write_text(json.dumps({"files": {"pyodide/pyodide.asm.wasm": digest}}))
    assert verify_carried(tmp_path)["files"] == {"pyodide/pyodide.asm.wasm": digest}
    (tmp_path / "pyodide" / "pyodide.asm.wasm").write_bytes(b"\0asm!")
    with pytest.raises(RuntimeFilesError, match=r"pyodide\.asm\.wasm does not match the SHA-256"):
        verify_carried(tmp_path)
    (tmp_path / "pyodide" / "pyodide.asm.wasm").unlink()
    with pytest.raises(RuntimeFilesError, match=r"pyodide\.asm\.wasm is missing"):
        verify_carried(tmp_path)


def test_pyodides_wasm_glue_is_the_pinned_file_with_exactly_its_edits(bundle: Path) -> None:
    """The pinned pyodide.asm.mjs gets its factory in parentheses (V8 compiles it with the module instead of
    pre-parsing 1.2 MB and parsing it again on every start) and the linking edits of glue.py, each at the one place
    it names; nothing else in the file changes."""
    from py_bridge.tools.bundle.glue import EDITS, eager_factory, prepared_glue
    from py_bridge.tools.bundle.sources import find_sources, project_root

    built = (bundle / manifest(bundle)["runtime"] / "pyodide.asm.mjs").read_text(encoding="utf-8")
    pinned = (find_sources(project_root()).pyodide / "pyodide.asm.mjs").read_text(encoding="utf-8")
    head = "async function _createPyodideModule(moduleArg={}){"
    tail = ";return moduleRtn}export default _createPyodideModule;"
    assert pinned.startswith(head)
    assert pinned.rstrip().endswith(tail)
    body = pinned.rstrip()[len(head) : -len(tail)]
    eager = eager_factory(pinned)
    assert eager == f"var _createPyodideModule=({head}{body};return moduleRtn}});export default _createPyodideModule;\n"
    assert built == prepared_glue(pinned)
    undone = built
    for edit in EDITS:
        assert pinned.count(edit.old) == 1, edit.name
        assert built.count(edit.new) == 1, edit.name
        undone = undone.replace(edit.new, edit.old)
    assert undone == eager


def test_a_pyodide_glue_of_another_shape_is_copied_unchanged() -> None:
    from py_bridge.tools.bundle.glue import EDITS, FACTORY_HEAD, FACTORY_TAIL, eager_factory, prepared_glue

    assert eager_factory("function createPyodide(){return 1}export default createPyodide;") is None
    assert prepared_glue("function createPyodide(){return 1}export default createPyodide;") is None
    # the right factory, but one edit's anchor missing (another Pyodide): no edit at all
    partial = FACTORY_HEAD + "".join(edit.old for edit in EDITS[1:]) + FACTORY_TAIL
    assert eager_factory(partial) is not None
    assert prepared_glue(partial) is None
