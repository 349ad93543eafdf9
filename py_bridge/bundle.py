"""`py-bridge build`: writes the deployable static bundle.

Layout (every asset is fetched relative to embed.js, so the folder can live under any path of any static host):

    embed.js            the one tag (classic script: it finds its own URL through document.currentScript)
    worker.mjs          the module worker that starts Pyodide
    py_bridge.zip       the pure-Python core, imported from the zip (checksum baked into worker.mjs)
    pyodide/            the pinned Pyodide runtime from npm (core files only; we need no wheels), plus a memory
                        snapshot with the core imported (fast start on revisits, see worker.mjs)
    pyscript/           the pinned PyScript runtime, for the second entry (Python in a <script type="py">)
    manifest.json       versions, sizes and hashes
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from py_bridge import __version__

__all__ = ["BuildResult", "build", "project_root"]

PYODIDE_FILES: Final = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json")
# Modules that only make sense in CPython (tooling, server-side helpers, the dev server) stay out of the browser.
NOT_IN_BROWSER: Final = frozenset({"cli.py", "bundle.py", "devserver.py", "identity.py"})
NOT_IN_BROWSER_DIRS: Final = frozenset({"sandbox", "demo", "__pycache__"})
ZIP_EPOCH: Final = (2020, 1, 1, 0, 0, 0)  # fixed timestamps: the same sources give the same zip and checksum


@dataclass(frozen=True)
class BuildResult:
    out_dir: Path
    embed_integrity: str
    zip_sha256: str
    total_bytes: int
    snapshot: str | None = None

    def tag(self, url: str = "https://static.example.com/py-bridge/embed.js") -> str:
        return (
            f'<script async src="{url}" integrity="{self.embed_integrity}" crossorigin="anonymous" '
            'data-app-id="YOUR_APP_ID" data-widget-id="#help"></script>'
        )


def project_root() -> Path:
    return Path(__file__).resolve().parent.parent


def _node_modules(root: Path) -> Path:
    for folder in (root, *root.parents):
        candidate = folder / "node_modules"
        if (candidate / "pyodide" / "pyodide.mjs").is_file():
            return candidate
    raise FileNotFoundError("node_modules/pyodide not found: run `npm ci` in the py-bridge checkout (make setup)")


def _zip_core(package: Path, target: Path) -> None:
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(package.rglob("*.py")):
            relative = path.relative_to(package)
            if relative.parts[0] in NOT_IN_BROWSER_DIRS or str(relative) in NOT_IN_BROWSER:
                continue
            info = zipfile.ZipInfo(f"py_bridge/{relative.as_posix()}", date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())


def _make_snapshot(root: Path, out: Path) -> str | None:
    """A Pyodide memory snapshot with the core imported, named by its hash (None if Node cannot make one).

    Snapshots are Pyodide private API: valid only for this exact Pyodide and this exact core, hence the hash in
    the name (a new build never reuses an old cached snapshot) and the worker's fallback to a normal start.
    """
    node = shutil.which("node")
    if node is None:
        return None
    target = out / "pyodide" / "snapshot.tmp"
    script = root / "web" / "snapshot.mjs"
    try:
        subprocess.run(
            [node, str(script), str(out / "pyodide"), str(out / "py_bridge.zip"), str(target)],
            check=True,
            capture_output=True,
            timeout=300,
        )
    except (OSError, subprocess.SubprocessError):
        target.unlink(missing_ok=True)
        return None
    name = f"snapshot-{hashlib.sha256(target.read_bytes()).hexdigest()[:16]}.bin"
    target.rename(out / "pyodide" / name)
    return name


def build(out_dir: Path | str, *, snapshot: bool = True) -> BuildResult:
    """Write the bundle into out_dir (replacing what a previous build left there)."""
    root = project_root()
    out = Path(out_dir)
    modules = _node_modules(root)
    for child in ("pyodide", "pyscript"):
        shutil.rmtree(out / child, ignore_errors=True)
    (out / "pyodide").mkdir(parents=True, exist_ok=True)

    _zip_core(root / "py_bridge", out / "py_bridge.zip")
    zip_sha = hashlib.sha256((out / "py_bridge.zip").read_bytes()).hexdigest()

    for name in PYODIDE_FILES:
        shutil.copy2(modules / "pyodide" / name, out / "pyodide" / name)
    snapshot_name = _make_snapshot(root, out) if snapshot else None
    snapshot_sha = hashlib.sha256((out / "pyodide" / snapshot_name).read_bytes()).hexdigest() if snapshot_name else ""
    worker = (
        (root / "web" / "worker.mjs")
        .read_text(encoding="utf-8")
        .replace("__PY_BRIDGE_ZIP_SHA256__", zip_sha)
        .replace("__PY_BRIDGE_SNAPSHOT__", snapshot_name or "")
        .replace("__PY_BRIDGE_SNAPSHOT_SHA256__", snapshot_sha)
    )
    (out / "worker.mjs").write_text(worker, encoding="utf-8")
    embed = (root / "web" / "embed.js").read_text(encoding="utf-8").replace("__PY_BRIDGE_VERSION__", __version__)
    (out / "embed.js").write_text(embed, encoding="utf-8")
    integrity = "sha384-" + base64.b64encode(hashlib.sha384(embed.encode("utf-8")).digest()).decode("ascii")

    pyscript_dist = modules / "@pyscript" / "core" / "dist"
    if pyscript_dist.is_dir():
        shutil.copytree(pyscript_dist, out / "pyscript", ignore=shutil.ignore_patterns("*.map"))

    files = sorted(p for p in out.rglob("*") if p.is_file() and p.name != "manifest.json")
    total = sum(p.stat().st_size for p in files)
    pyodide_version = json.loads((modules / "pyodide" / "package.json").read_text())["version"]
    manifest = {
        "py_bridge": __version__,
        "pyodide": pyodide_version,
        "embed_integrity": integrity,
        "py_bridge_zip_sha256": zip_sha,
        "snapshot": f"pyodide/{snapshot_name}" if snapshot_name else None,
        "total_bytes": total,
        "files": {p.relative_to(out).as_posix(): p.stat().st_size for p in files},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return BuildResult(
        out_dir=out, embed_integrity=integrity, zip_sha256=zip_sha, total_bytes=total, snapshot=snapshot_name
    )
