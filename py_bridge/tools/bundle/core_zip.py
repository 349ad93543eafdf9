"""The core zip: the Python that runs in the browser, chosen by folder.

The worker mounts this zip and imports the core from it; the snapshot holds every module of it the worker imports.
What goes in is decided by where the code lives, not by a list of exclusions: the package's `__init__.py`, the
core and the PyScript entry. Tools and server-side helpers live elsewhere in the package, so a new tool can never
slip into visitors' downloads.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Final

__all__ = ["IN_BROWSER", "NOT_IN_SNAPSHOT", "core_entries", "core_modules"]

# The folders of the py_bridge package that run in the browser (with the package's own __init__.py).
IN_BROWSER: Final = ("core", "pyscript")
# Modules of the zip the worker never imports (the PyScript boundary runs in the page): kept out of the snapshot.
NOT_IN_SNAPSHOT: Final = frozenset({"py_bridge.pyscript"})


def core_entries(package: Path) -> list[tuple[str, bytes]]:
    """(name in the zip, source) of every module that runs in the browser, in a fixed order."""
    paths = [package / "__init__.py", *(path for folder in IN_BROWSER for path in (package / folder).rglob("*.py"))]
    return [(f"py_bridge/{path.relative_to(package).as_posix()}", path.read_bytes()) for path in sorted(paths)]


def core_modules(entries: Iterable[tuple[str, bytes]]) -> list[str]:
    """Every module of the core zip that the worker may import (all of them go into the snapshot)."""
    names = []
    for name, _ in entries:
        module = name.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        if module not in NOT_IN_SNAPSHOT:
            names.append(module)
    return names
