"""The out folder's ledger: what a build wrote there, and so all a later build may replace or delete.

The OUT folder may be a site's own (its `public/`): the build deletes or overwrites only what its ledger says it
wrote. It refuses (OutFolderError, before touching anything) when a name it must write exists and is not in the
ledger (a site's `manifest.json`), moves the bundle made elsewhere in, and then deletes the ledger's stale entries
(files of an earlier build; their folders only once empty), nothing else.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from py_bridge import __version__
from py_bridge.core.errors import BridgeError
from py_bridge.tools.bundle.cache import store

__all__ = [
    "LEDGER",
    "STABLE_FILES",
    "STABLE_FOLDERS",
    "Ledger",
    "OutFolderError",
    "install",
    "read_ledger",
    "refuse_clashes",
]

# The list of what the build wrote into its OUT folder: the only files a later build may overwrite or delete.
LEDGER: Final = ".py-bridge-build.json"
# Names every build writes (the others carry a content hash): checked for clashes before a minute of work.
STABLE_FILES: Final = (
    "manifest.json",
    *(f"{name}{end}" for name in ("embed.js", "worker.mjs") for end in ("", ".br", ".gz")),
)
STABLE_FOLDERS: Final = ("pyscript",)
# Moved in last, so a host serving the folder meanwhile never hands out an entry point naming files not yet there.
ENTRY_POINTS: Final = ("worker.mjs", "embed.js", "manifest.json")
# What builds from before the ledger wrote (their manifest.json listed every file of the folder, a site's too).
OWN_LAYOUT: Final = re.compile(
    r"embed\.js|worker\.mjs|(py_bridge|stdlib|empty|snapshot)-[0-9a-f]{16}\.(zip|bin)|pyodide-[0-9a-f]{16}/[^/]+"
    r"|pyscript/.+"
)


class OutFolderError(BridgeError):
    """The OUT folder holds something the build must not touch: a file or folder of a name the build writes that
    the ledger does not name (a site's own `manifest.json`), or a ledger it cannot read. One line, for the CLI;
    raised before the build changed anything in the folder."""


@dataclass(frozen=True)
class Ledger:
    """What a build wrote into its OUT folder, as relative POSIX paths: all a later build may replace or delete."""

    files: frozenset[str] = frozenset()
    folders: frozenset[str] = frozenset()

    def to_json(self) -> bytes:
        about = "written by py-bridge build: the files and folders it wrote here; the next build deletes only these"
        data = {"about": about, "py_bridge": __version__, "files": sorted(self.files), "folders": sorted(self.folders)}
        return (json.dumps(data, indent=1) + "\n").encode("utf-8")


def inside(name: object) -> bool:
    """A ledger entry must be a plain relative path: no absolute path, no `..`, no empty or `.` part."""
    return (
        isinstance(name, str)
        and "\\" not in name
        and "\0" not in name
        and all(part not in ("", ".", "..") for part in name.split("/"))
    )


def read_ledger(out: Path) -> Ledger:
    path = out / LEDGER
    if not path.exists() and not path.is_symlink():
        return legacy_ledger(out)
    try:
        if path.is_symlink() or not path.is_file():
            raise ValueError("not a regular file")
        data = json.loads(path.read_text(encoding="utf-8"))
        files, folders = data["files"], data["folders"]
        if not isinstance(files, list) or not isinstance(folders, list):
            raise ValueError("files and folders must be lists")
        outside = [name for name in (*files, *folders) if not inside(name)]
        if outside:
            raise ValueError(f"{str(outside[0])[:80]!r} is not a path inside the folder")
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise OutFolderError(
            f"{path} is not a ledger py-bridge build can read ({error}); it lists what an earlier build wrote: "
            "restore it, or remove it and the files it listed, then build again"
        ) from None
    return Ledger(frozenset(files), frozenset(folders))


def legacy_ledger(out: Path) -> Ledger:
    """A folder built before the ledger existed: our own manifest.json named what that build wrote. Those builds
    listed every file of the folder (a site's too), so only the names of our own layout count as ours."""
    path = out / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8")) if path.is_file() and not path.is_symlink() else None
    except (OSError, ValueError):
        return Ledger()
    if not isinstance(manifest, dict) or not {"py_bridge", "embed_integrity", "runtime", "files"} <= manifest.keys():
        return Ledger()
    listed, compressed = manifest["files"], manifest.get("compressed") or {}
    if not isinstance(listed, dict) or not isinstance(compressed, dict):
        return Ledger()
    files = {"manifest.json"}
    for name in listed:
        if inside(name) and OWN_LAYOUT.fullmatch(name):
            files.add(name)
            if name in compressed:
                files.update((f"{name}.br", f"{name}.gz"))
    folders = {"/".join(name.split("/")[:depth]) for name in files for depth in range(1, name.count("/") + 1)}
    return Ledger(frozenset(files), frozenset(folders))


def ours(out: Path, name: str, is_folder: bool, ledger: Ledger) -> bool:
    """`out/name` is what the ledger says the build wrote there: the same kind, not a symlink, inside out."""
    path = out / name
    if path.is_symlink() or path.resolve() != out.resolve() / name:
        return False
    if is_folder:
        return name in ledger.folders and path.is_dir()
    return name in ledger.files and path.is_file()


def refuse_clashes(out: Path, files: Iterable[str], folders: Iterable[str], ledger: Ledger) -> None:
    """OutFolderError naming the first name the build must write that exists in out and is not the build's own."""
    wanted = {name: False for name in files} | {name: True for name in folders}
    clashes = [
        name + ("/" if is_folder else "")
        for name, is_folder in sorted(wanted.items())
        if ((out / name).exists() or (out / name).is_symlink()) and not ours(out, name, is_folder, ledger)
    ]
    if clashes:
        more = f" (and {len(clashes) - 1} more)" if len(clashes) > 1 else ""
        raise OutFolderError(
            f"{out}{os.sep}{clashes[0]} exists and py-bridge build did not write it{more}: it is left as it is; "
            "move it away or build into another folder (the build writes embed.js, worker.mjs, manifest.json, "
            f"pyscript/ and content-hashed names, and lists them in {LEDGER})"
        )


def install(staging: Path, out: Path, ledger: Ledger) -> None:
    """Move the bundle made in staging into out. A clash stops it before anything is written; the ledger names a
    file before it is written; then the old ledger's stale entries go (regular files inside out; folders only
    once empty, so a site's file dropped into one of ours stays) and nothing else."""
    paths = sorted(staging.rglob("*"))
    folders = [p.relative_to(staging).as_posix() for p in paths if p.is_dir()]
    files = [p.relative_to(staging).as_posix() for p in paths if not p.is_dir()]
    refuse_clashes(out, files, folders, ledger)
    store(out / LEDGER, Ledger(ledger.files | set(files), ledger.folders | set(folders)).to_json())
    for name in folders:
        (out / name).mkdir(exist_ok=True)
    for name in sorted(files, key=lambda name: (name.removesuffix(".br").removesuffix(".gz") in ENTRY_POINTS, name)):
        shutil.move(staging / name, out / name)  # a rename on one file system: our old copy is replaced at once
    for name in sorted(ledger.files - set(files)):
        if ours(out, name, False, ledger):
            (out / name).unlink()
    for name in sorted(ledger.folders - set(folders), reverse=True):  # the deepest first
        if ours(out, name, True, ledger):
            with contextlib.suppress(OSError):  # not empty: something not ours is inside
                (out / name).rmdir()
    store(out / LEDGER, Ledger(frozenset(files), frozenset(folders)).to_json())
