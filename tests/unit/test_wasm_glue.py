"""Pyodide's wasm glue as the bundle ships it (py_bridge/tools/bundle/glue.py), run with Node: every start links
only what the wasm itself imports, a package's shared library still links against every function of the main
module, and each JavaScript function wrapper's module is compiled once per signature.

The edits are checked on the pinned file, byte for byte, and on what they do when Pyodide runs: a wrong edit would
make Python's start fail for every visitor, or a package's extension module point at the wrong function.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

# Starts the bundle's Pyodide in Node and reports what the glue did; then loads a minimal shared library the way
# Pyodide loads a package's (allowUndefined: its undefined symbols are resolved only after all of a package's
# libraries are in), which reads one function address of the main module through its GOT.
SCRIPT = """
import fs from "node:fs";
import { pathToFileURL } from "node:url";
const dir = RUNTIME; // a folder, ending in a slash
const compiled = [];
const NativeModule = WebAssembly.Module;
WebAssembly.Module = function (bytes, ...rest) {
  if (bytes && bytes.length < 100) compiled.push(Array.from(bytes).join(","));
  return new NativeModule(bytes, ...rest);
};
Object.assign(WebAssembly.Module, NativeModule);
WebAssembly.Module.prototype = NativeModule.prototype;
const wasm = new NativeModule(fs.readFileSync(dir + "pyodide.asm.wasm"));
const gotImports = WebAssembly.Module.imports(wasm).filter((i) => i.module.startsWith("GOT.")).length;
const functionExports = WebAssembly.Module.exports(wasm).filter((e) => e.kind === "function").length;
const { loadPyodide } = await import(pathToFileURL(dir + "pyodide.mjs").href);
const lock = JSON.parse(fs.readFileSync(dir + "pyodide-lock.json", "utf8"));
const pyodide = await loadPyodide({ indexURL: dir, lockFileContents: { info: lock.info, packages: {} } });
const module = pyodide._module;
const afterStart = Object.keys(module.GOT).length;
const wrappers = compiled.length;
const distinctWrappers = new Set(compiled).size;
const python = pyodide.runPython("sum(range(10))");

// A shared library: a dylink.0 section, one GOT.func import of a main-module function, re-exported as "fp".
const name = "PyObject_GenericGetAttr";
const text = (s) => [s.length, ...Buffer.from(s)];
const section = (id, body) => [id, body.length, ...body];
const dylink = section(0, [...text("dylink.0"), 1, 4, 0, 0, 0, 0]);
const imports = section(2, [1, ...text("GOT.func"), ...text(name), 3, 0x7f, 1]);
const exports = section(7, [1, ...text("fp"), 3, 0]);
const library = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, ...dylink, ...imports, ...exports]);
const flags = { loadAsync: false, allowUndefined: true, nodelete: true }; // as Pyodide loads a package's
const linked = module.loadWebAssemblyModule(library, flags, "test.so", {});
const address = linked.fp.value;
const entry = address > 0 ? module.getWasmTableEntry(address) : null;
console.log(JSON.stringify({
  gotImports, functionExports, afterStart, wrappers, distinctWrappers, python,
  address, same: entry !== null && entry === module["_" + name],
  afterLibrary: Object.keys(module.GOT).length,
}));
"""


@pytest.fixture(scope="module")
def result(bundle_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    runtime = json.loads((bundle_dir / "manifest.json").read_text(encoding="utf-8"))["runtime"]
    script = tmp_path_factory.mktemp("glue") / "check.mjs"
    folder = str(bundle_dir / runtime) + "/"
    script.write_text(SCRIPT.replace("RUNTIME", json.dumps(folder)), encoding="utf-8")
    run = subprocess.run([node, str(script)], capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    data: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    return data


def test_a_start_links_only_the_symbols_the_wasm_imports_not_every_export(result: dict[str, Any]) -> None:
    assert result["python"] == 45
    assert result["afterStart"] == result["gotImports"]
    assert result["functionExports"] > 10 * result["gotImports"]


def test_a_shared_library_loaded_like_a_packages_gets_the_main_modules_function_address(
    result: dict[str, Any],
) -> None:
    assert result["address"] > 0
    assert result["same"] is True
    # then, as before the edit, every function of the main module has its GOT entry
    assert result["afterLibrary"] >= result["functionExports"]


def test_each_javascript_function_wrapper_module_is_compiled_once_per_signature(result: dict[str, Any]) -> None:
    assert result["wrappers"] > 0
    assert result["wrappers"] == result["distinctWrappers"]
