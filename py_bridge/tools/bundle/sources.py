"""Where a build takes the pinned runtime from: the runtime an installed wheel carries, else a checkout's node_modules.

A wheel carries Pyodide's core files, PyScript's dist, web/, the licenses, and what Node made when the wheel was
built (the traced module list and the snapshot), so `py-bridge build` needs neither npm nor Node on a site's
machine. Those files are checked against the SHA-256 manifest made with them before any is used: a damaged or
edited install must fail with one line, not ship a bundle that breaks in visitors' browsers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import py_bridge
from py_bridge.core.errors import BridgeError
from py_bridge.tools.bundle.cache import user_cache
from py_bridge.tools.bundle.content import digest

__all__ = [
    "CARRIED",
    "CARRIED_MANIFEST",
    "RuntimeFilesError",
    "Sources",
    "carried_product",
    "find_sources",
    "node_modules",
    "project_root",
    "verify_carried",
]

# An installed wheel carries the runtime here (made by setup.py's build_py through stage_runtime): Pyodide's core
# files, PyScript's dist, web/, the licenses, and what Node made when the wheel was built (the traced module list and
# the snapshot), each file listed with its SHA-256 in MANIFEST.json. A checkout has no such folder: node_modules.
CARRIED: Final = Path(py_bridge.__file__).resolve().parent / "_runtime"
CARRIED_MANIFEST: Final = "MANIFEST.json"


class RuntimeFilesError(BridgeError):
    """The runtime an installed wheel carries is damaged or does not belong to this build (one line, for the CLI)."""


@dataclass(frozen=True)
class Sources:
    """Where a build takes the pinned runtime from: the wheel's package data, else a checkout's node_modules."""

    pyodide: Path
    pyscript: Path
    web: Path
    cache: Path | None
    carried: dict[str, object] | None = None  # the wheel's MANIFEST.json; None in a checkout


def project_root() -> Path:
    """The checkout (or site-packages) folder that holds the py_bridge package."""
    return Path(py_bridge.__file__).resolve().parent.parent


def node_modules(root: Path) -> Path:
    for folder in (root, *root.parents):
        candidate = folder / "node_modules"
        if (candidate / "pyodide" / "pyodide.mjs").is_file():
            return candidate
    raise FileNotFoundError("node_modules/pyodide not found: run `npm ci` in the py-bridge checkout (make setup)")


def verify_carried(carried: Path) -> dict[str, object]:
    """Every file the wheel carries, checked against the SHA-256 manifest made when the wheel was built."""
    try:
        manifest: dict[str, object] = json.loads((carried / CARRIED_MANIFEST).read_text(encoding="utf-8"))
        files = manifest["files"]
        assert isinstance(files, dict)
    except (OSError, ValueError, KeyError, AssertionError) as error:
        raise RuntimeFilesError(f"{carried / CARRIED_MANIFEST} is unreadable ({error}): reinstall py-bridge") from None
    for relative, expected in sorted(files.items()):
        path = carried / relative
        try:
            actual = digest(path.read_bytes())
        except OSError:
            raise RuntimeFilesError(f"runtime file {path} is missing: reinstall py-bridge") from None
        if actual != expected:
            raise RuntimeFilesError(
                f"runtime file {path} does not match the SHA-256 the wheel was built with "
                f"({actual[:16]}… instead of {str(expected)[:16]}…): reinstall py-bridge"
            )
    return manifest


def find_sources(root: Path) -> Sources:
    if (CARRIED / CARRIED_MANIFEST).is_file():
        manifest = verify_carried(CARRIED)
        return Sources(CARRIED / "pyodide", CARRIED / "pyscript", CARRIED / "web", user_cache(), manifest)
    modules_dir = node_modules(root)
    return Sources(
        modules_dir / "pyodide",
        modules_dir / "@pyscript" / "core" / "dist",
        root / "web",
        modules_dir / ".cache" / "py-bridge",
    )


def carried_product(sources: Sources, name: str, inputs: str) -> Path:
    """A file Node made when the wheel was built; it must be the one for this exact runtime, core and snapshot code."""
    assert sources.carried is not None
    made_for = sources.carried.get("inputs")
    path = CARRIED / "products" / name
    if made_for != inputs or not path.is_file():
        raise RuntimeFilesError(
            f"the snapshot the wheel carries was made for another build (Pyodide {sources.carried.get('runtime')}, "
            f"inputs {str(made_for)[:12]}…, this build {inputs[:12]}…): the installed py_bridge sources or runtime "
            "were changed; reinstall py-bridge"
        )
    return path
