"""The trimmed standard library: only what Python and the core import at run time, as traced by Node.

Pyodide's full python_stdlib.zip is several megabytes that a visitor would download before the first call. The
traced session tells which standard modules the core really imports; the trimmed zip holds those and a few that
starting and error paths need. Anything else still works: the worker fetches the full zip on demand.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Final

from py_bridge.tools.bundle.cache import cached_json
from py_bridge.tools.bundle.content import hashed, write_zip
from py_bridge.tools.bundle.node import trace_modules
from py_bridge.tools.bundle.sources import Sources, carried_product

__all__ = ["STDLIB_ALLOWLIST", "traced_modules", "trimmed_stdlib", "trimmed_stdlib_members"]

# Standard modules always in the trimmed zip, on top of what the traced session imported: what Python and Pyodide
# need to start (a normal start, the fallback when a snapshot cannot be used) and cheap modules that error paths
# import lazily. Anything else still works: the worker fetches the full python_stdlib.zip on demand.
STDLIB_ALLOWLIST: Final = (
    "encodings.ascii",
    "encodings.latin_1",
    "encodings.utf_8",
    "encodings.utf_16",
    "encodings.idna",
    "_strptime",
    "linecache",
    "textwrap",
)


def traced_modules(
    sources: Sources, inputs: str, root: Path, runtime: Path, core_zip: Path, core_modules: list[str], work: Path
) -> list[str]:
    """The modules the traced session imported: what Node traced when the wheel was built, else from the cache,
    else traced now."""
    if sources.carried is not None:  # from the wheel: what Node traced when the wheel was built
        traced: list[str] = json.loads(carried_product(sources, f"trace-{inputs}.json", inputs).read_text())
        return traced
    cache = sources.cache
    assert cache is not None
    return cached_json(
        cache / f"trace-{inputs}.json", lambda: trace_modules(root, runtime, core_zip, core_modules, work)
    )


def trimmed_stdlib_members(full: zipfile.ZipFile, modules: Iterable[str]) -> list[str]:
    """The members of the full standard library zip that provide `modules` (and their parent packages)."""
    present = set(full.namelist())
    chosen: set[str] = set()
    for module in (*modules, *STDLIB_ALLOWLIST):
        parts = module.split(".")
        for depth in range(1, len(parts) + 1):
            base = "/".join(parts[:depth])
            for candidate in (f"{base}/__init__.py", f"{base}.py"):
                if candidate in present:
                    chosen.add(candidate)
                    break
    return sorted(chosen)


def trimmed_stdlib(out: Path, pyodide: Path, traced: Iterable[str]) -> str:
    """Write `stdlib-<hash>.zip` into out from Pyodide's full standard library; returns its name."""
    with zipfile.ZipFile(pyodide / "python_stdlib.zip") as full:
        members = trimmed_stdlib_members(full, (m for m in traced if not m.startswith("py_bridge")))
        stdlib_data = write_zip((name, full.read(name)) for name in members)
    return hashed(out, "stdlib", ".zip", stdlib_data)
