"""The build's steps in order: each part into a temporary folder, then the entry points and the manifest, then
the whole bundle moved into the OUT folder.

The bundle is made in a temporary folder and moved in only once complete, so a failed build leaves the OUT folder
as it was, and a clash with a site's file is found before anything of the folder changed. A step that needs Node
(the trace, the snapshot) may fail without failing the build: the bundle then works without that part and the
build says why in its warnings.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from py_bridge.tools.bundle.cache import prune
from py_bridge.tools.bundle.compression import precompress
from py_bridge.tools.bundle.content import digest, hashed, write_zip
from py_bridge.tools.bundle.core_zip import core_entries, core_modules
from py_bridge.tools.bundle.entry_points import write_entry_points
from py_bridge.tools.bundle.ledger import STABLE_FILES, STABLE_FOLDERS, install, read_ledger, refuse_clashes
from py_bridge.tools.bundle.manifest import write_manifest
from py_bridge.tools.bundle.node import EXERCISE, make_snapshot
from py_bridge.tools.bundle.parts import Parts
from py_bridge.tools.bundle.runtime import copy_runtime, lock_info
from py_bridge.tools.bundle.scripts import bundle_scripts, carried_scripts
from py_bridge.tools.bundle.snapshot import snapshot_bytes
from py_bridge.tools.bundle.sources import CARRIED, find_sources, node_modules, project_root
from py_bridge.tools.bundle.stdlib import traced_modules, trimmed_stdlib

__all__ = ["BuildResult", "build"]


@dataclass(frozen=True)
class BuildResult:
    out_dir: Path
    embed_integrity: str
    zip_sha256: str
    total_bytes: int
    snapshot: str | None = None  # file name of the snapshot (relative to out_dir), None when the build has none
    runtime: str = ""  # the content-hashed Pyodide folder, e.g. "pyodide-0123456789abcdef/"
    core_zip: str = ""
    stdlib: str = ""
    warnings: tuple[str, ...] = field(default_factory=tuple)
    first_visit_br_bytes: int = 0  # what a first visit downloads with brotli (0 when not compressed)
    inputs: str = ""  # the key of what Node made for this build (trace, snapshot): runtime, core, snapshot code

    def tag(self, url: str = "https://static.example.com/py-bridge/embed.js") -> str:
        return (
            f'<script async src="{url}" integrity="{self.embed_integrity}" crossorigin="anonymous" '
            'data-app-id="YOUR_APP_ID" data-widget-id="#help"></script>'
        )


def build(out_dir: Path | str, *, snapshot: bool = True, compress: bool = True) -> BuildResult:
    """Write the bundle into out_dir, beside whatever else the folder holds (see the package's docstring).

    The bundle is made in a temporary folder and moved in only once complete, so a failed build leaves out_dir as
    it was, and a clash with a site's file is found before anything of the folder changed."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ledger = read_ledger(out)
    refuse_clashes(out, STABLE_FILES, STABLE_FOLDERS, ledger)  # the usual clash, before a minute of work
    with tempfile.TemporaryDirectory(prefix="py-bridge-stage-") as staging:
        result = assemble(Path(staging), snapshot=snapshot, compress=compress)
        install(Path(staging), out, ledger)
    return replace(result, out_dir=out)


def assemble(out: Path, *, snapshot: bool, compress: bool) -> BuildResult:
    """Write the bundle into the empty folder out."""
    root = project_root()
    sources = find_sources(root)
    warnings: list[str] = []

    entries = core_entries(root / "py_bridge")
    core_data = write_zip(entries)
    core_zip = hashed(out, "py_bridge", ".zip", core_data)
    zip_sha = digest(core_data)

    pyodide_dir = sources.pyodide
    runtime = copy_runtime(pyodide_dir, out)
    lock = lock_info(pyodide_dir)

    stdlib = f"{runtime}/python_stdlib.zip"  # without Node no trace: the full standard library
    snapshot_name: str | None = None
    snapshot_sha = snapshot_checksum = ""
    empty = ""
    snapshot_info: dict[str, object] = {}
    cache = sources.cache
    # The trace and the snapshot depend only on these inputs: a rebuild of unchanged sources reuses them (the same
    # snapshot bytes, so the same name: visitors keep their cached copy across deploys that leave the core alone).
    inputs = digest(
        "\n".join(
            [
                runtime,
                zip_sha,
                # the Node tool and the delta format it imports (web/shared/delta.js): either changes the snapshot
                digest(b"".join((sources.web / name).read_bytes() for name in ("snapshot.mjs", "shared/delta.js"))),
                digest(EXERCISE.encode()),
            ]
        ).encode()
    )[:32]
    with tempfile.TemporaryDirectory(prefix="py-bridge-build-") as tmp:
        work = Path(tmp)
        try:
            traced = traced_modules(sources, inputs, root, out / runtime, out / core_zip, core_modules(entries), work)
            stdlib = trimmed_stdlib(out, pyodide_dir, traced)
        except (OSError, RuntimeError, subprocess.SubprocessError) as error:
            warnings.append(f"no trimmed standard library (the worker loads the full one): {error}")
        if snapshot and stdlib != f"{runtime}/python_stdlib.zip":
            try:
                empty = hashed(out, "empty", ".zip", write_zip(()))
                data, snapshot_info = snapshot_bytes(
                    sources,
                    inputs,
                    lambda: make_snapshot(
                        root, out / runtime, out / stdlib, out / empty, out / core_zip, sorted(traced), work
                    ),
                )
                snapshot_name = hashed(out, "snapshot", ".bin", data)
                snapshot_sha = digest(data)
                snapshot_checksum = str(snapshot_info["initial_checksum"])
            except (OSError, RuntimeError, subprocess.SubprocessError, KeyError, ValueError) as error:
                warnings.append(f"no snapshot (every visit starts Python normally): {error}")

    parts = Parts(
        runtime=runtime,
        core_zip=core_zip,
        zip_sha=zip_sha,
        stdlib=stdlib,
        empty=empty,
        snapshot=snapshot_name,
        snapshot_sha=snapshot_sha,
        snapshot_checksum=snapshot_checksum,
        snapshot_info=snapshot_info,
    )
    scripts = (
        carried_scripts(CARRIED / "scripts")
        if sources.carried is not None
        else bundle_scripts(sources.web, node_modules(root), cache)
    )
    integrity = write_entry_points(out, scripts, parts, lock)

    pyscript_dist = sources.pyscript
    if pyscript_dist.is_dir():
        shutil.copytree(pyscript_dist, out / "pyscript", ignore=shutil.ignore_patterns("*.map"))

    compressed = precompress(out, cache) if compress else {}
    if cache is not None:
        prune(cache)
    total, first_visit_br = write_manifest(out, pyodide_dir, parts, integrity, compressed, warnings)
    return BuildResult(
        out_dir=out,
        embed_integrity=integrity,
        zip_sha256=zip_sha,
        total_bytes=total,
        snapshot=snapshot_name,
        runtime=f"{runtime}/",
        core_zip=core_zip,
        stdlib=stdlib,
        warnings=tuple(warnings),
        first_visit_br_bytes=first_visit_br,
        inputs=inputs,
    )
