"""What a wheel carries: the pinned runtime and what Node made, so `py-bridge build` needs neither npm nor Node.

setup.py's build_py calls stage_runtime when a wheel is built in a checkout. A site then installs the wheel and
builds its bundle offline; every carried file is listed with its SHA-256, which the build checks before use (see
sources.py).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from py_bridge import __version__
from py_bridge.tools.bundle.assembly import build
from py_bridge.tools.bundle.compression import BROTLI_QUALITY
from py_bridge.tools.bundle.content import digest
from py_bridge.tools.bundle.runtime import RUNTIME_FILES
from py_bridge.tools.bundle.scripts import bundle_scripts
from py_bridge.tools.bundle.sources import CARRIED_MANIFEST, node_modules, project_root

__all__ = ["stage_runtime"]


def stage_runtime(target: Path | str) -> dict[str, object]:
    """Write what a wheel carries into target (py_bridge/_runtime in the wheel): the pinned runtime from this
    checkout's node_modules, web/, the licenses, and the products of Node for the current sources (a build is run
    here, so this needs a checkout with `npm ci` done and Node on PATH), with a SHA-256 manifest of every file."""
    root = project_root()
    modules_dir = node_modules(root)
    target = Path(target)
    if target.exists():
        shutil.rmtree(target)
    (target / "pyodide").mkdir(parents=True)
    for name in (*RUNTIME_FILES, "package.json"):
        shutil.copy2(modules_dir / "pyodide" / name, target / "pyodide" / name)
    shutil.copytree(
        modules_dir / "@pyscript" / "core" / "dist", target / "pyscript", ignore=shutil.ignore_patterns("*.map")
    )
    shutil.copytree(root / "web", target / "web")
    (target / "scripts").mkdir()
    for name, text in bundle_scripts(root / "web", modules_dir, modules_dir / ".cache" / "py-bridge").items():
        (target / "scripts" / name).write_text(text, encoding="utf-8")
    licenses = target / "licenses"
    licenses.mkdir()
    # The npm package of Pyodide ships no license file; its package.json names MPL-2.0, whose text we keep here.
    shutil.copy2(root / "licenses" / "pyodide-LICENSE.txt", licenses / "pyodide-LICENSE.txt")
    shutil.copy2(modules_dir / "@pyscript" / "core" / "LICENSE", licenses / "pyscript-LICENSE.txt")
    cache = modules_dir / ".cache" / "py-bridge"
    (target / "compressed").mkdir()
    with tempfile.TemporaryDirectory(prefix="py-bridge-wheel-") as tmp:
        result = build(Path(tmp), compress=True)
        # The .br of every file of this build, so that a build from the wheel need not compress them again.
        for path in sorted(Path(tmp).rglob("*.br")):
            key = digest(path.with_suffix("").read_bytes())
            shutil.copy2(path, target / "compressed" / f"{key}.q{BROTLI_QUALITY}.br")  # gzip is fast: not carried
    if result.warnings or result.snapshot is None:
        raise RuntimeError(
            "the wheel needs Node's trace and snapshot; this build made none: " + "; ".join(result.warnings)
        )
    (target / "products").mkdir()
    for name in (f"trace-{result.inputs}.json", f"snapshot-{result.inputs}.bin", f"snapshot-{result.inputs}.json"):
        shutil.copy2(cache / name, target / "products" / name)
    manifest: dict[str, object] = {
        "py_bridge": __version__,
        "pyodide": json.loads((modules_dir / "pyodide" / "package.json").read_text())["version"],
        "runtime": result.runtime.rstrip("/"),
        "inputs": result.inputs,
        "files": {
            path.relative_to(target).as_posix(): digest(path.read_bytes())
            for path in sorted(target.rglob("*"))
            if path.is_file()
        },
    }
    (target / CARRIED_MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest
