"""pyodide.asm.mjs, Pyodide's wasm glue, as the bundle ships it: three exact edits that change when work is done,
never what the file does.

Every start (from the snapshot or not) runs this file's module factory, instantiates the wasm and links it the way
Emscripten links a main module that may later load shared libraries. A CPU profile of a Chromium revisit put
~55 ms of the worker's thread there, between the wasm compiled and the wasm instantiated, most of it work that only a
shared library (a package's extension module) would ever use. py-bridge loads no packages, but a PyScript page
using the bundle's Pyodide may, so that work is deferred to the first shared library, not removed:

1. `eager factory`: the factory is a function expression in parentheses, which V8 compiles with the module instead
   of pre-parsing 1.2 MB and parsing it again when it is called (20-25 ms of a revisit).
2. `imported GOT first`: at start, the global offset table gets entries only for the symbols the wasm imports
   through it (280), not for all of its 8,560 exports. Emscripten gave each exported function a table slot and a
   `WebAssembly.Global` there (7,400 table grows), which only a shared library's imports would read. The full pass
   runs, unchanged, when the first shared library is loaded, before it is instantiated.
3. `wrapper module per signature`: the 280 JavaScript functions the wasm takes the address of each need a small
   wasm module around them; Emscripten compiled one per function, the edit one per distinct wasm signature (29
   in Pyodide 314: signatures that differ only in pointer or int spelling are the same module) and instantiates it
   per function, as before.

Each edit must match the pinned file exactly once. A Pyodide of another shape gets none of them (the file is copied
unchanged and the test of the pinned file says so): the snapshot and the worker always use the same glue, because
the table layout the edits change is part of what a snapshot relies on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["EDITS", "FACTORY_HEAD", "FACTORY_TAIL", "eager_factory", "prepared_glue"]

# pyodide.asm.mjs is one function declaration, the module factory (1.2 MB of the file's 1.25 MB), and its export.
FACTORY_HEAD: Final = "async function _createPyodideModule(moduleArg={}){"
FACTORY_TAIL: Final = ";return moduleRtn}export default _createPyodideModule;"


@dataclass(frozen=True)
class Edit:
    """One exact replacement in the factory's body."""

    name: str
    old: str
    new: str


EDITS: Final = (
    Edit(
        "imported GOT first",
        "assignWasmExports(wasmExports);updateGOT(origExports);LDSO.init();",
        "assignWasmExports(wasmExports);"
        "updateGOT(Object.fromEntries(Object.keys(origExports).filter(name=>name in GOT)"
        ".map(name=>[name,origExports[name]])));"
        "Module._pyBridgeExportsGOT=()=>{Module._pyBridgeExportsGOT=null;updateGOT(origExports)};"
        "LDSO.init();",
    ),
    Edit(
        "full GOT before a shared library",
        "var loadWebAssemblyModule=(binary,flags,libName,localScope,handle)=>{",
        "var loadWebAssemblyModule=(binary,flags,libName,localScope,handle)=>{Module._pyBridgeExportsGOT?.();",
    ),
    Edit(
        "wrapper module per signature",
        "var module=new WebAssembly.Module(bytes);var instance=new WebAssembly.Instance(module,{e:{f:func}});",
        "var module=(wrapperModules[bytes.join()]??=new WebAssembly.Module(bytes));"
        "var instance=new WebAssembly.Instance(module,{e:{f:func}});",
    ),
    Edit(
        "wrapper modules",
        "var convertJsFunctionToWasm=(func,sig)=>{",
        "var wrapperModules={};var convertJsFunctionToWasm=(func,sig)=>{",
    ),
)


def eager_factory(text: str) -> str | None:
    """pyodide.asm.mjs with its factory as a function expression in parentheses; None for a file of another shape.

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


def prepared_glue(text: str) -> str | None:
    """The file with all its edits (see the module's docstring), or None when any of them does not match exactly
    once: then the file is shipped as Pyodide has it."""
    factory = eager_factory(text)
    if factory is None:
        return None
    for edit in EDITS:
        if factory.count(edit.old) != 1:
            return None
        factory = factory.replace(edit.old, edit.new)
    return factory
