"""The two scripts a bundle serves, made from the ES modules under web/ by the pinned esbuild.

The page runtime (web/page/) and the worker (web/worker/) are small modules that import each other explicitly and
share web/shared/ (the generated protocol constants among them). A site loads one classic script, so esbuild joins
the page runtime into `embed.js` (an IIFE, minified) and the worker into `worker.mjs` (an ES module; identifiers and
whitespace minified but no syntax folding, because the build writes its facts into string placeholders afterwards
and folding could evaluate a placeholder as if it were the value).

In a checkout the pinned esbuild binary from node_modules does it; its output depends only on the module sources,
the flags and esbuild's version, so it is cached under that key. A wheel carries the output made when it was built
(`_runtime/scripts/`), so a build from the wheel needs no Node and writes the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from py_bridge.tools.page_constants import WRITE_HINT, generated_files

__all__ = ["ENTRIES", "SCRIPT_FOLDERS", "ScriptEntry", "bundle_scripts", "carried_scripts", "scripts_key"]


@dataclass(frozen=True)
class ScriptEntry:
    """One script of the bundle: its entry module (relative to web/) and how esbuild writes it."""

    source: str
    flags: tuple[str, ...]


_COMMON: Final = ("--bundle", "--charset=utf8", "--legal-comments=inline", "--target=es2020", "--log-level=error")
ENTRIES: Final = {
    "embed.js": ScriptEntry("page/main.js", (*_COMMON, "--format=iife", "--minify")),
    "worker.mjs": ScriptEntry(
        "worker/main.mjs", (*_COMMON, "--format=esm", "--minify-whitespace", "--minify-identifiers")
    ),
}
# The folders of web/ whose modules go into the scripts (web/types/ holds declarations for tsc only).
SCRIPT_FOLDERS: Final = ("page", "worker", "shared")


def _module_files(web: Path) -> list[Path]:
    return sorted(
        path
        for folder in SCRIPT_FOLDERS
        for path in (web / folder).rglob("*")
        if path.is_file() and path.suffix in (".js", ".mjs")
    )


def scripts_key(web: Path, esbuild_version: str) -> str:
    """What the scripts depend on: every module's path and bytes, the flags, and esbuild's version."""
    digest = hashlib.sha256(f"esbuild {esbuild_version}\n".encode())
    for name, entry in sorted(ENTRIES.items()):
        digest.update(f"{name} {entry.source} {' '.join(entry.flags)}\n".encode())
    for path in _module_files(web):
        digest.update(f"{path.relative_to(web).as_posix()}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:32]


def _check_generated(web: Path) -> None:
    """A checkout whose web/shared/protocol.js no longer matches Python's constants must not ship."""
    for path, text in generated_files(web.parent).items():
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current != text:
            raise RuntimeError(f"{path.relative_to(web.parent).as_posix()} is stale: {WRITE_HINT}")


def bundle_scripts(web: Path, modules_dir: Path, cache: Path | None) -> dict[str, str]:
    """embed.js and worker.mjs (with the build's placeholders still in) from a checkout's modules."""
    _check_generated(web)
    esbuild = modules_dir / ".bin" / "esbuild"
    package = modules_dir / "esbuild" / "package.json"
    if not esbuild.is_file() or not package.is_file():
        raise FileNotFoundError("node_modules/esbuild is missing: run `npm ci` in the py-bridge checkout (make setup)")
    version = str(json.loads(package.read_text(encoding="utf-8"))["version"])
    key = scripts_key(web, version)
    folder = cache / f"scripts-{key}" if cache is not None else None
    if folder is not None and all((folder / name).is_file() for name in ENTRIES):
        return {name: (folder / name).read_text(encoding="utf-8") for name in ENTRIES}
    scripts = {}
    for name, entry in ENTRIES.items():
        result = subprocess.run(
            [str(esbuild), str(web / entry.source), *entry.flags],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"esbuild could not bundle web/{entry.source}: {result.stderr.strip()[-1500:]}")
        scripts[name] = result.stdout
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in scripts.items():
            tmp = folder / f"{name}.tmp"
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(folder / name)
    return scripts


def carried_scripts(folder: Path) -> dict[str, str]:
    """The scripts a wheel carries (made by bundle_scripts when the wheel was built)."""
    return {name: (folder / name).read_text(encoding="utf-8") for name in ENTRIES}
