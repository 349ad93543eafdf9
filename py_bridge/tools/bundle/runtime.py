"""The pinned Pyodide runtime, copied into a folder named by the hash of its files.

Pyodide finds its wasm by a fixed name next to pyodide.asm.mjs, so the files keep their names and the FOLDER
carries the hash: a new Pyodide is a new folder, and every file in it can be cached for a year. One file changes on
the way, without changing what it does: pyodide.asm.mjs, the wasm glue, gets the edits of glue.py (less work on every
start).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Final

from py_bridge.tools.bundle.content import HASH_DIGITS, digest
from py_bridge.tools.bundle.glue import prepared_glue

__all__ = ["RUNTIME_FILES", "copy_runtime", "lock_info"]

RUNTIME_FILES: Final = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json")


def copy_runtime(pyodide: Path, out: Path) -> str:
    """Copy Pyodide's runtime files into `out/pyodide-<hash>/`; returns the folder's name (without a slash)."""
    files = {name: (pyodide / name).read_bytes() for name in RUNTIME_FILES}
    glue = prepared_glue(files["pyodide.asm.mjs"].decode("utf-8"))
    if glue is not None:
        files["pyodide.asm.mjs"] = glue.encode("utf-8")
    runtime_hash = hashlib.sha256()
    for name, data in files.items():
        runtime_hash.update(f"{name}\0{digest(data)}\n".encode())
    runtime = f"pyodide-{runtime_hash.hexdigest()[:HASH_DIGITS]}"
    (out / runtime).mkdir()
    for name, data in files.items():
        (out / runtime / name).write_bytes(data)
    return runtime


def lock_info(pyodide: Path) -> Any:
    """The `info` of Pyodide's lock file, which the worker carries inlined (it fetches no lock file)."""
    return json.loads((pyodide / "pyodide-lock.json").read_text(encoding="utf-8"))["info"]
