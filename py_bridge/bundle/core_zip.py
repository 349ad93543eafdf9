"""The core zip: the Python that runs in the browser.

The worker mounts this zip and imports the core from it; the snapshot holds every module of it the worker imports.
Tools and server-side helpers only make sense in CPython: they stay out of visitors' downloads.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Final

__all__ = ["NOT_IN_BROWSER", "NOT_IN_BROWSER_DIRS", "NOT_IN_SNAPSHOT", "core_entries", "core_modules"]

# Modules that only make sense in CPython (tooling, server-side helpers, the dev server) stay out of the browser.
NOT_IN_BROWSER: Final = frozenset(
    {"cli.py", "bundle.py", "devserver.py", "doctor.py", "identity.py", "page_constants.py"}
)
NOT_IN_BROWSER_DIRS: Final = frozenset({"bundle", "sandbox", "demo", "__pycache__"})
# Core modules the worker never imports (the PyScript boundary runs in the page): kept out of the snapshot.
NOT_IN_SNAPSHOT: Final = frozenset({"py_bridge.pyscript"})


def core_entries(package: Path) -> list[tuple[str, bytes]]:
    entries = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package)
        if relative.parts[0] in NOT_IN_BROWSER_DIRS or str(relative) in NOT_IN_BROWSER:
            continue
        entries.append((f"py_bridge/{relative.as_posix()}", path.read_bytes()))
    return entries


def core_modules(entries: Iterable[tuple[str, bytes]]) -> list[str]:
    """Every module of the core zip that the worker may import (all of them go into the snapshot)."""
    names = []
    for name, _ in entries:
        module = name.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        if module not in NOT_IN_SNAPSHOT:
            names.append(module)
    return names
