"""Build hook: the wheel carries the pinned runtime (see py_bridge.bundle.stage_runtime).

`pip wheel .` or `python -m build --wheel` in a checkout with `npm ci` done (and Node on PATH) copies Pyodide's
core files, PyScript's dist, web/, the licenses and Node's products (trace, snapshot) into py_bridge/_runtime/ of
the wheel, with a SHA-256 manifest that `py-bridge build` checks. Editable installs skip it (they use node_modules).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildPyWithRuntime(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False) or os.environ.get("PY_BRIDGE_NO_RUNTIME") == "1":
            return
        sys.path.insert(0, str(HERE))
        try:
            from py_bridge.bundle import stage_runtime
        finally:
            sys.path.remove(str(HERE))
        try:
            manifest = stage_runtime(Path(self.build_lib) / "py_bridge" / "_runtime")
        except FileNotFoundError as error:
            raise SystemExit(
                f"py-bridge wheel: {error}. Build the wheel in a checkout with `npm ci` done and Node on PATH "
                "(`pip wheel .` or `python -m build --wheel`; a wheel built from the sdist cannot carry the runtime)"
            ) from None
        print(f"py-bridge wheel: runtime {manifest['runtime']} (Pyodide {manifest['pyodide']}) carried")


setup(cmdclass={"build_py": BuildPyWithRuntime})
