"""The standard library on demand.

The worker starts Python on a trimmed standard library (only the modules the core imports, see
py_bridge/tools/bundle/stdlib.py). Any other standard module still imports: the first time one is missing, the
finder installed here fetches Pyodide's full python_stdlib.zip once (synchronously, through a function the worker
passes in), puts it on sys.path and imports the module from it. Names outside the standard library never trigger
the download.

Pure Python: the fetch is injected, so this runs (and is tested) in CPython as well.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import os
import sys
from collections.abc import Callable, Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

__all__ = ["OnDemandStdlib", "install"]


class OnDemandStdlib(importlib.abc.MetaPathFinder):
    """Last entry of sys.meta_path: finds a missing standard module in the full zip, fetched on first need."""

    def __init__(self, fetch: Callable[[], str], names: frozenset[str] = frozenset(sys.stdlib_module_names)) -> None:
        self.fetch = fetch  # downloads the full zip into the file system; returns its path
        self.names = names
        self.path: str | None = None
        self.error: str | None = None

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname.partition(".")[0] not in self.names:
            return None
        root = self._full_zip()
        if root is None:
            return None
        parent = fullname.rpartition(".")[0]
        # A submodule of a package the trimmed zip already provided is looked up in the same package of the full zip.
        where = os.path.join(root, *parent.split(".")) if parent else root
        return importlib.machinery.PathFinder.find_spec(fullname, [where])

    def _full_zip(self) -> str | None:
        if self.path is None and self.error is None:
            try:
                self.path = str(self.fetch())
            except Exception as error:  # one attempt per page view: a failing download must not block every import
                self.error = f"{type(error).__name__}: {error}"[:300]
                return None
            sys.path.append(self.path)
        return self.path


def install(fetch: Callable[[], str]) -> OnDemandStdlib:
    """Append the on-demand finder to sys.meta_path (once) and return it. The worker calls this once per start.

    It also reseeds `random`: after a start from the snapshot its state is the one the build left, the same for
    every visitor."""
    if "random" in sys.modules:
        sys.modules["random"].seed()
    for finder in sys.meta_path:
        if isinstance(finder, OnDemandStdlib):
            return finder
    finder = OnDemandStdlib(fetch)
    sys.meta_path.append(finder)
    return finder
