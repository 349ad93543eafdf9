"""`py-bridge build` into a folder that already holds a site: it deletes and overwrites only what it wrote itself.

The build keeps the list of every file and folder it wrote in `.py-bridge-build.json` (the ledger) in the OUT
folder; a rebuild removes the stale entries of that list and nothing else, and refuses (one line, exit 1) to
overwrite a file of the same name as one of its own that the ledger does not name (a site's `manifest.json`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from py_bridge.core.errors import BridgeError
from py_bridge.tools.bundle import build
from py_bridge.tools.cli import main

LEDGER = ".py-bridge-build.json"  # a documented name: site owners see it in their folder

SITE_FILES = {
    "index.html": b"<!doctype html><title>the site</title>" + b"<p>text</p>" * 200,  # large enough to be compressed
    "sitemap.xml.gz": b"\x1f\x8b the site's own gzip file",
    "robots.txt": b"User-agent: *\n",
    "assets/app.css": b"body { color: red }" * 100,
    "assets/old-0123456789abcdef.js": b"the site's own content-hashed file",
    "snapshot-0123456789abcdef.bin": b"a site file named like one of ours",
}


def make_site(folder: Path, files: dict[str, bytes] = SITE_FILES) -> None:
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)


def assert_site_intact(folder: Path, files: dict[str, bytes] = SITE_FILES) -> None:
    for name, data in files.items():
        assert (folder / name).read_bytes() == data, name


def ledger(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / LEDGER).read_text(encoding="utf-8"))
    return data


def test_a_build_into_a_site_folder_keeps_every_site_file_byte_for_byte(tmp_path: Path) -> None:
    """The site's gzip file, pages, subfolder and look-alike names survive, and the build compresses none of them."""
    make_site(tmp_path)
    build(tmp_path, snapshot=False)
    assert_site_intact(tmp_path)
    assert not (tmp_path / "index.html.br").exists()
    assert not (tmp_path / "assets" / "app.css.gz").exists()
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert not [name for name in manifest["files"] if name in SITE_FILES]


def test_the_ledger_names_every_file_and_folder_the_build_wrote_and_nothing_of_the_site(tmp_path: Path) -> None:
    """What the ledger lists is exactly what the build added to the folder (so a rebuild may delete only that)."""
    make_site(tmp_path)
    build(tmp_path, snapshot=False)
    written = ledger(tmp_path)
    on_disk = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")} - {LEDGER}
    site = set(SITE_FILES) | {"assets"}
    assert set(written["files"]) | set(written["folders"]) == on_disk - site
    assert {"embed.js", "worker.mjs", "manifest.json", "embed.js.br"} <= set(written["files"])
    assert "pyscript" in written["folders"]


def test_a_rebuild_removes_the_stale_files_of_its_ledger_and_nothing_else(tmp_path: Path) -> None:
    """Hashed files of an earlier build (named in the ledger) go; the site's files, even look-alikes, stay."""
    make_site(tmp_path)
    build(tmp_path, snapshot=False)
    # An earlier build with other sources: its hashed core zip, runtime folder and brotli copy, in the ledger.
    stale_files = ["py_bridge-0000000000000000.zip", "py_bridge-0000000000000000.zip.br", "pyodide-000000000000000a/x"]
    (tmp_path / "pyodide-000000000000000a").mkdir()
    for name in stale_files:
        (tmp_path / name).write_bytes(b"stale")
    written = ledger(tmp_path)
    written["files"] += stale_files
    written["folders"] += ["pyodide-000000000000000a"]
    (tmp_path / LEDGER).write_text(json.dumps(written), encoding="utf-8")
    # The site dropped a file of its own into a folder the build wrote: that file and its folder stay.
    (tmp_path / "pyscript" / "site-note.txt").write_bytes(b"mine")

    build(tmp_path, snapshot=False)

    for name in stale_files:
        assert not (tmp_path / name).exists(), name
    assert not (tmp_path / "pyodide-000000000000000a").exists()
    assert_site_intact(tmp_path)
    assert (tmp_path / "pyscript" / "site-note.txt").read_bytes() == b"mine"
    assert not set(stale_files) & set(ledger(tmp_path)["files"])


def test_a_site_manifest_json_is_refused_by_name_and_the_folder_left_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Our manifest.json would replace the site's web app manifest: one line naming it, exit 1, nothing written."""
    make_site(tmp_path)
    (tmp_path / "manifest.json").write_bytes(b'{"name": "My site", "start_url": "/"}')
    before = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    assert main(["build", str(tmp_path), "--no-snapshot"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("py-bridge: ")
    assert "manifest.json" in err
    assert "did not write" in err
    assert (tmp_path / "manifest.json").read_bytes() == b'{"name": "My site", "start_url": "/"}'
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == before


@pytest.mark.parametrize("name", ["embed.js", "worker.mjs.gz", "pyscript/core.js"])
def test_any_file_named_like_one_the_build_writes_is_refused_when_the_ledger_does_not_name_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """A second build after the ledger was lost (or a site file of that name) stops before overwriting it."""
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_bytes(b"the site's")
    assert main(["build", str(tmp_path), "--no-snapshot", "--no-compress"]) == 1
    err = capsys.readouterr().err
    assert name.split("/")[0] in err
    assert (tmp_path / name).read_bytes() == b"the site's"


def test_a_rebuild_overwrites_its_own_files(tmp_path: Path) -> None:
    """The ledger says manifest.json and embed.js are ours: a second build replaces them without a question."""
    build(tmp_path, snapshot=False, compress=False)
    (tmp_path / "embed.js").write_text("edited by hand", encoding="utf-8")
    build(tmp_path, snapshot=False, compress=False)
    assert (tmp_path / "embed.js").read_text(encoding="utf-8") != "edited by hand"


def test_a_folder_built_before_the_ledger_existed_is_rebuilt_and_its_old_hashed_files_removed(tmp_path: Path) -> None:
    """Our own older manifest.json (py_bridge, embed_integrity, files) stands for the ledger: its stale hashed files
    go, and a site file it does not name as one of our own layout stays."""
    build(tmp_path, snapshot=False, compress=False)
    (tmp_path / LEDGER).unlink()
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    (tmp_path / "stdlib-0000000000000000.zip").write_bytes(b"stale")
    (tmp_path / "notes.txt").write_bytes(b"the site's")
    manifest["files"].update({"stdlib-0000000000000000.zip": 5, "notes.txt": 10})  # old builds listed everything
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    build(tmp_path, snapshot=False, compress=False)
    assert not (tmp_path / "stdlib-0000000000000000.zip").exists()
    assert (tmp_path / "notes.txt").read_bytes() == b"the site's"
    assert (tmp_path / LEDGER).is_file()


@pytest.mark.parametrize("entry", ["../outside.txt", "{absolute}", "a/../../outside.txt", "link/outside.txt"])
def test_a_ledger_entry_outside_the_folder_is_never_deleted(tmp_path: Path, entry: str) -> None:
    """A tampered or hand-edited ledger cannot make the build delete anything outside its OUT folder: a path that
    is not plain and relative makes the build refuse the ledger, one through a symlink is skipped."""
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "outside.txt").write_bytes(b"keep")
    (out / "link").symlink_to(tmp_path)
    build(out, snapshot=False, compress=False)
    written = ledger(out)
    written["files"].append(entry.format(absolute=tmp_path / "outside.txt"))
    written["folders"].append("link")
    (out / LEDGER).write_text(json.dumps(written), encoding="utf-8")
    if entry.startswith("link/"):
        build(out, snapshot=False, compress=False)
    else:
        with pytest.raises(BridgeError, match=re.escape(LEDGER)):
            build(out, snapshot=False, compress=False)
    assert (tmp_path / "outside.txt").read_bytes() == b"keep"
    assert (out / "link").is_symlink()


def test_a_damaged_ledger_is_one_line_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Unreadable JSON in the ledger: no guessing what may be deleted; one line naming the file, exit 1."""
    (tmp_path / LEDGER).write_text("{not json", encoding="utf-8")
    assert main(["build", str(tmp_path), "--no-snapshot", "--no-compress"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert LEDGER in err
    assert not (tmp_path / "embed.js").exists()
