"""Build hook: the wheel carries the pinned runtime (see py_bridge.tools.bundle.stage_runtime).

`pip wheel .` or `python -m build --wheel` in a checkout with `npm ci` done (and Node on PATH) copies Pyodide's
core files, PyScript's dist, web/, the licenses and Node's products (trace, snapshot) into py_bridge/_runtime/ of
the wheel, with a SHA-256 manifest that `py-bridge build` checks. Editable installs skip it (they use node_modules).

What the runtime needs is checked before build_py copies anything: pip prints a failed build's whole log, and a
check after the file-by-file copy log buried the one line that says what to do. Now that line ends the log.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import NoReturn

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
WHY = "(the wheel carries the pinned Pyodide and PyScript files it installs)"


def runtime_problem(root: Path) -> str | None:
    """Why a wheel built in root cannot carry the runtime, as one line for the end of pip's output; None if it can.

    node_modules is looked for in root and its parents, as py_bridge.tools.bundle does when it copies the runtime.
    """
    modules = next(
        (
            folder / "node_modules"
            for folder in (root, *root.parents)
            if (folder / "node_modules" / "pyodide" / "pyodide.mjs").is_file()
        ),
        None,
    )
    if modules is None:
        if (root / "PKG-INFO").is_file():
            return (
                "py-bridge: a wheel built from the sdist cannot carry the runtime: build it in a checkout with "
                "`npm ci` done (`pip wheel .` or `python -m build --wheel`)"
            )
        missing = "node_modules/pyodide" if (root / "node_modules").is_dir() else "node_modules/"
        return f"py-bridge: {missing} is missing: run `npm ci` in the checkout first {WHY}"
    if not (modules / "@pyscript" / "core" / "dist").is_dir():
        return f"py-bridge: node_modules/@pyscript/core is missing: run `npm ci` in the checkout first {WHY}"
    if shutil.which("node") is None:
        return "py-bridge: Node is not on PATH: install Node.js (the wheel's build runs it to snapshot Pyodide)"
    return None


def stop(line: str) -> NoReturn:
    """End the build with line as the last line of its output (what was printed before is flushed first)."""
    sys.stdout.flush()
    sys.stderr.flush()
    raise SystemExit(line)


class BuildPyWithRuntime(build_py):
    def run(self) -> None:
        carry = not (getattr(self, "editable_mode", False) or os.environ.get("PY_BRIDGE_NO_RUNTIME") == "1")
        problem = runtime_problem(HERE) if carry else None
        if problem:
            stop(problem)
        super().run()
        if not carry:
            return
        sys.path.insert(0, str(HERE))
        try:
            from py_bridge.tools.bundle import stage_runtime
        finally:
            sys.path.remove(str(HERE))
        try:
            manifest = stage_runtime(Path(self.build_lib) / "py_bridge" / "_runtime")
        except FileNotFoundError as error:  # runtime_problem passed, so something vanished or is newly needed
            stop(
                f"py-bridge: {error}: build the wheel in a checkout with `npm ci` done and Node on PATH "
                "(`pip wheel .` or `python -m build --wheel`)"
            )
        print(f"py-bridge wheel: runtime {manifest['runtime']} (Pyodide {manifest['pyodide']}) carried")


if __name__ == "__main__":  # as setuptools runs it; a test imports it for runtime_problem and the hook
    setup(cmdclass={"build_py": BuildPyWithRuntime})
