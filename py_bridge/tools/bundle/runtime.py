"""The pinned Pyodide runtime, copied into a folder named by the hash of its files.

Pyodide finds its wasm by a fixed name next to pyodide.asm.mjs, so the files keep their names and the FOLDER
carries the hash: a new Pyodide is a new folder, and every file in it can be cached for a year. One file changes on
the way, without changing what it does: pyodide.asm.mjs gets its module factory in parentheses (eager_factory).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Final

from py_bridge.tools.bundle.content import HASH_DIGITS, digest

__all__ = ["RUNTIME_FILES", "copy_runtime", "eager_factory", "lock_info"]

RUNTIME_FILES: Final = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json")


# pyodide.asm.mjs is one function declaration, the module factory (1.2 MB of the file's 1.25 MB), and its export.
FACTORY_HEAD: Final = "async function _createPyodideModule(moduleArg={}){"
FACTORY_TAIL: Final = ";return moduleRtn}export default _createPyodideModule;"


def eager_factory(text: str) -> str | None:
    """pyodide.asm.mjs with its factory as a function expression in parentheses; None for a file of another shape
    (a Pyodide upgrade: it is then copied unchanged, and the test of the pinned file says so).

    Why: every start calls the factory. V8 pre-parses a function declaration when the module is compiled and parses
    it in full when it is first called, which on a revisit (no code cache yet for the worker's module) was 20-25 ms
    of the worker's main thread between the snapshot's arrival and the wasm's instantiation (CPU profile, Chromium
    156). A function in parentheses is compiled with the module instead, while the worker still waits for its files:
    revisit 342 -> 332 ms, first visit 710 -> 680 ms (5 interleaved runs). Firefox and WebKit run it the same.
    """
    body = text.rstrip()
    if not (body.startswith(FACTORY_HEAD) and body.endswith(FACTORY_TAIL)):
        return None
    inner = body[len(FACTORY_HEAD) : -len(FACTORY_TAIL)]
    return f"var _createPyodideModule=({FACTORY_HEAD}{inner};return moduleRtn}});export default _createPyodideModule;\n"


def copy_runtime(pyodide: Path, out: Path) -> str:
    """Copy Pyodide's runtime files into `out/pyodide-<hash>/`; returns the folder's name (without a slash)."""
    files = {name: (pyodide / name).read_bytes() for name in RUNTIME_FILES}
    factory = eager_factory(files["pyodide.asm.mjs"].decode("utf-8"))
    if factory is not None:
        files["pyodide.asm.mjs"] = factory.encode("utf-8")
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
