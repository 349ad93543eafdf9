"""The public surface: `__all__` is real, and pure modules never import the browser at module level."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import py_bridge

PACKAGE_DIR = Path(py_bridge.__file__).parent
BOUNDARY_MODULES = {"worker.py"}  # the PyScript entry reaches JavaScript only inside functions (runtime.py)
BROWSER_MODULES = {"js", "pyodide"}


def test_every_name_in_all_exists() -> None:
    """`from py_bridge import *` gives exactly the documented names, each defined."""
    assert py_bridge.__all__ == sorted(py_bridge.__all__)
    for name in py_bridge.__all__:
        assert hasattr(py_bridge, name), name


def test_version_is_a_string() -> None:
    """__version__ is exported and looks like a version."""
    assert py_bridge.__version__.count(".") == 2


@pytest.mark.parametrize(
    "module",
    sorted(m.name for m in pkgutil.walk_packages([str(PACKAGE_DIR)], "py_bridge.")),
)
def test_every_submodule_imports_in_cpython_and_its_all_exists(module: str) -> None:
    """Each module imports without a browser and every name it exports is defined."""
    loaded = importlib.import_module(module)
    for name in getattr(loaded, "__all__", []):
        assert hasattr(loaded, name), f"{module}.{name}"


def top_level_imports(path: Path) -> set[str]:
    """Root names imported by statements that run at import time (not inside functions or classes)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
            elif isinstance(node, ast.If | ast.Try | ast.With):
                for child in ast.iter_child_nodes(node):
                    if isinstance(child, ast.stmt):
                        visit([child])
                    elif isinstance(child, ast.ExceptHandler):
                        visit(child.body)

    visit(tree.body)
    return found


PURE_FILES = sorted(
    str(p.relative_to(PACKAGE_DIR)) for p in PACKAGE_DIR.rglob("*.py") if p.name not in BOUNDARY_MODULES
)


@pytest.mark.parametrize("relative", PURE_FILES)
def test_pure_module_does_not_import_js_or_pyodide_at_module_level(relative: str) -> None:
    """Only the boundary module talks to JavaScript; everything else must import in plain CPython."""
    assert top_level_imports(PACKAGE_DIR / relative) & BROWSER_MODULES == set()


def test_the_import_checker_sees_browser_imports() -> None:
    """The checker itself catches `import js`, `from pyodide.ffi import ...` and imports under try/if."""
    import tempfile

    source = "import js\ntry:\n    from pyodide.ffi import create_proxy\nexcept ImportError:\n    pass\n"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.py"
        path.write_text(source)
        assert top_level_imports(path) == {"js", "pyodide"}


@pytest.mark.parametrize(
    "relative",
    sorted(
        str(p.relative_to(PACKAGE_DIR)) for folder in ("core", "pyscript") for p in (PACKAGE_DIR / folder).rglob("*.py")
    ),
)
def test_what_runs_in_the_browser_imports_no_tool_and_no_server_helper(relative: str) -> None:
    """The layers flow one way: the core and the PyScript entry (the bundle's zip) never import py_bridge.tools or
    py_bridge.identity, not even inside a function, so nothing of the zip needs a module the zip leaves out."""
    tree = ast.parse((PACKAGE_DIR / relative).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    outside = {name for name in imported if name.startswith(("py_bridge.tools", "py_bridge.identity"))}
    assert outside == set(), relative
