"""The PyScript entry: py-bridge for pages that already run Python in a `<script type="py">`.

    from py_bridge.pyscript import install
    bridge = install("abc12345", "#help")
    bridge.identify("user-1", {"email": "ada@example.com"})
    bridge.track("Signed Up", {"plan": "pro"})

The same core as the embed (`py_bridge.core.bridge.Bridge`, built with `start_bridge`) decides everything. This package
captures calls as the item dicts embed.js sends to the worker (`api`), encodes their values as embed.js does
(`encoding`), and applies the returned commands in the page (`executor`, with `loader` for the widget script).
Only `runtime` reaches JavaScript, and only inside a function, so every module imports in CPython.
"""

from __future__ import annotations

from typing import Any

from py_bridge.pyscript.api import Debug, IntercomControls, PyBridge, User
from py_bridge.pyscript.encoding import Budget, encode
from py_bridge.pyscript.runtime import Runtime, load

__all__ = ["Budget", "Debug", "IntercomControls", "PyBridge", "Runtime", "User", "encode", "install"]

_installed: PyBridge | None = None


def install(app_id: str, widget_id: str | None = None, **settings: Any) -> PyBridge:
    """Start py-bridge in this page: the Messenger loads, and the returned bridge takes analytics.js-style calls.

    `settings` are the embed's `data-settings` keys (snake_case), e.g. `consent={"required": True}`, `debug=True`,
    `transform="/transforms/enrich.py"`. A second call returns the first bridge (with a warning). Outside Pyodide
    this raises RuntimeError: there is no page to drive.
    """
    global _installed
    if _installed is not None:
        _installed._rt.say("warn", "install() was called more than once; the first bridge stays in charge")
        return _installed
    try:
        runtime = load()
    except ImportError as error:
        raise RuntimeError("py_bridge.pyscript.install() runs only inside Pyodide/PyScript in a browser") from error
    raw: dict[str, Any] = {**settings, "app_id": app_id}
    if widget_id is not None:
        raw["widget_id"] = widget_id
    bridge = _installed = PyBridge(runtime)
    bridge._start(raw)
    return bridge
