"""The core: the Python that runs in the browser, in the Pyodide worker and under PyScript.

Everything here goes into the bundle's py_bridge zip (with py_bridge/__init__.py and pyscript/), so it imports
nothing of py_bridge.tools or py_bridge.identity, no third-party package, and only the standard library Pyodide
ships. Every module imports in CPython too, where the unit tests run; only `worker` (and pyscript/) reach
JavaScript, inside functions. The public names are re-exported by `py_bridge`.
"""
