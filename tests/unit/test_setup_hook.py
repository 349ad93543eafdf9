"""The wheel's build hook (setup.py) and the packaging metadata: install errors in one line, no deprecation warning.

A wheel carries the pinned Pyodide/PyScript from node_modules; pip shows a failed build's whole log, so the hook
checks what it needs before it copies anything and stops with one line, the last of that log (issue 19, item 4).
"""

from __future__ import annotations

import importlib.util
import shutil
import tomllib
from pathlib import Path
from types import ModuleType

import pytest
from setuptools import Distribution

ROOT = Path(__file__).resolve().parents[2]
NPM_CI = (
    "py-bridge: node_modules/ is missing: run `npm ci` in the checkout first (the wheel carries the pinned Pyodide "
    "and PyScript files it installs)"
)


def load_setup() -> ModuleType:
    """setup.py as a module; importing it must not run setup() (only running it as a script does)."""
    spec = importlib.util.spec_from_file_location("py_bridge_setup_script", ROOT / "setup.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def checkout(root: Path, *, pyodide: bool = True, pyscript: bool = True) -> Path:
    """A folder with the files the hook looks for in node_modules."""
    if pyodide:
        (root / "node_modules" / "pyodide").mkdir(parents=True)
        (root / "node_modules" / "pyodide" / "pyodide.mjs").write_text("")
    if pyscript:
        (root / "node_modules" / "@pyscript" / "core" / "dist").mkdir(parents=True)
    return root


@pytest.fixture
def node_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")


@pytest.mark.usefixtures("node_on_path")
def test_a_checkout_without_node_modules_is_told_in_one_line_to_run_npm_ci(tmp_path: Path) -> None:
    """The issue's case: a fresh clone, `pip install .` without `npm ci`."""
    assert load_setup().runtime_problem(tmp_path) == NPM_CI


@pytest.mark.usefixtures("node_on_path")
@pytest.mark.parametrize(
    ("pyodide", "pyscript", "missing"), [(False, True, "node_modules/pyodide"), (True, False, "node_modules/@pyscript")]
)
def test_a_half_installed_node_modules_names_the_missing_package(
    tmp_path: Path, pyodide: bool, pyscript: bool, missing: str
) -> None:
    """node_modules/ exists but lacks one pinned package (an interrupted or partial install): named, same advice."""
    problem = load_setup().runtime_problem(checkout(tmp_path, pyodide=pyodide, pyscript=pyscript))
    assert problem.startswith(f"py-bridge: {missing}")
    assert "run `npm ci` in the checkout first" in problem
    assert "\n" not in problem


@pytest.mark.usefixtures("node_on_path")
def test_an_unpacked_sdist_is_told_the_wheel_must_be_built_from_a_checkout(tmp_path: Path) -> None:
    """`python -m build` builds the wheel from the sdist, which cannot hold node_modules: say that, not `npm ci`."""
    (tmp_path / "PKG-INFO").write_text("Name: py-bridge\n")
    problem = load_setup().runtime_problem(tmp_path)
    assert problem.startswith("py-bridge: a wheel built from the sdist cannot carry the runtime")
    assert "python -m build --wheel" in problem
    assert "\n" not in problem


def test_a_checkout_without_node_on_path_is_told_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The wheel's build runs Node (trace, snapshot): missing Node is one line too, before anything is copied."""
    monkeypatch.setattr(shutil, "which", lambda name: None)
    problem = load_setup().runtime_problem(checkout(tmp_path))
    assert problem.startswith("py-bridge: Node is not on PATH")
    assert "\n" not in problem


@pytest.mark.usefixtures("node_on_path")
def test_a_checkout_with_the_pinned_runtime_and_node_has_no_problem(tmp_path: Path) -> None:
    assert load_setup().runtime_problem(checkout(tmp_path)) is None


@pytest.mark.usefixtures("node_on_path")
def test_the_build_hook_stops_with_that_line_before_copying_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """build_py's file-by-file log is what buried the line: the hook checks first, so its line ends the output."""
    setup = load_setup()
    monkeypatch.setattr(setup, "HERE", tmp_path / "checkout")
    (tmp_path / "checkout").mkdir()
    command = setup.BuildPyWithRuntime(Distribution({"name": "py-bridge", "packages": []}))
    command.build_lib = str(tmp_path / "build")
    with pytest.raises(SystemExit) as stopped:
        command.run()
    assert str(stopped.value) == NPM_CI
    assert not (tmp_path / "build").exists()


def test_the_license_is_an_spdx_expression_so_setuptools_warns_of_nothing() -> None:
    """`project.license` as a TOML table is deprecated (setuptools >= 77 warns on every build); the SPDX string form
    needs setuptools >= 77, so the build requires it."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["license"] == "MIT"
    assert "setuptools>=77" in pyproject["build-system"]["requires"]


def test_a_wheel_build_starts_from_an_empty_package_folder_so_no_stale_module_ships(tmp_path: Path) -> None:
    """setuptools copies into build/lib and never deletes: a module moved or removed since the last build would ship
    in the wheel (and in the browser zip a build from it makes, whose checksum then differs from the checkout's)."""
    package = tmp_path / "build" / "lib" / "py_bridge"
    (package / "core").mkdir(parents=True)
    (package / "protocol.py").write_text("# moved to core/ since\n")
    (tmp_path / "build" / "lib" / "other").mkdir()
    load_setup().clear_package(tmp_path / "build" / "lib")
    assert not package.exists()
    assert (tmp_path / "build" / "lib" / "other").is_dir()
