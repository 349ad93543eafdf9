"""manifest.json: what a build wrote, for people and for tools (versions, names, sizes, hashes, warnings).

Deploy scripts read the names and the integrity from it instead of parsing worker.mjs; the sizes, raw and
compressed, and what a first visit downloads let a site see the cost of an upgrade before it ships one.
"""

from __future__ import annotations

import json
from pathlib import Path

from py_bridge import __version__
from py_bridge.tools.bundle.content import is_immutable
from py_bridge.tools.bundle.parts import Parts

__all__ = ["write_manifest"]


def write_manifest(
    out: Path, pyodide: Path, parts: Parts, integrity: str, compressed: dict[str, tuple[int, int]], warnings: list[str]
) -> tuple[int, int]:
    """Write out/manifest.json; returns (the bundle's bytes, what a first visit downloads with brotli, or 0)."""
    runtime = parts.runtime
    files = sorted(p for p in out.rglob("*") if p.is_file() and p.suffix not in (".br", ".gz"))
    names = [p.relative_to(out).as_posix() for p in files]
    total = sum(p.stat().st_size for p in files)
    pyodide_version = json.loads((pyodide / "package.json").read_text())["version"]
    first_visit = ["embed.js", "worker.mjs", f"{runtime}/pyodide.mjs", f"{runtime}/pyodide.asm.mjs"]
    first_visit += [f"{runtime}/pyodide.asm.wasm"]
    first_visit += [parts.snapshot, parts.empty] if parts.snapshot else [parts.stdlib, parts.core_zip]
    first_visit_br = sum(
        compressed[name][0] if name in compressed else out.joinpath(name).stat().st_size for name in first_visit
    )
    manifest = {
        "py_bridge": __version__,
        "pyodide": pyodide_version,
        "embed_integrity": integrity,
        "py_bridge_zip_sha256": parts.zip_sha,
        "runtime": f"{runtime}/",
        "core_zip": parts.core_zip,
        "stdlib": parts.stdlib,
        "stdlib_full": f"{runtime}/python_stdlib.zip",
        "snapshot": parts.snapshot,
        "snapshot_sha256": parts.snapshot_sha or None,
        "snapshot_info": parts.snapshot_info or None,
        "first_visit_files": first_visit,
        "first_visit_br_bytes": first_visit_br if compressed else None,
        "immutable": sorted(name for name in names if is_immutable(name)),
        "total_bytes": total,
        "files": {name: p.stat().st_size for name, p in zip(names, files, strict=True)},
        "compressed": {name: {"br": br, "gz": gz} for name, (br, gz) in compressed.items()},
        "warnings": warnings,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return total, first_visit_br if compressed else 0
