"""The PyScript entry: py-bridge for pages that already run Python in a `<script type="py">`.

    from py_bridge.pyscript import install
    bridge = install("abc12345", "#help")
    bridge.identify("user-1", {"email": "ada@example.com"})
    bridge.track("Signed Up", {"plan": "pro"})

One page runtime for both entries: `install()` adds the bundle's own `embed.js` to the page with the in-page
transport (`data-transport="page"`), so the JavaScript that encodes calls, queues them, loads the Messenger and
applies commands is the tag's, byte for byte. Only where Python runs differs: here the runtime hands its messages to
a `py_bridge.core.worker.WorkerSession` in this page's Pyodide instead of a Web Worker. `api.PyBridge` is the Python
face of `window.pybridge`. Only `runtime.load` reaches JavaScript at import time, and only inside a function, so every
module imports in CPython.
"""

from __future__ import annotations

from typing import Any, Final

from py_bridge.core.worker import WorkerSession
from py_bridge.pyscript.api import Debug, IntercomControls, PyBridge, User
from py_bridge.pyscript.crossing import plain
from py_bridge.pyscript.runtime import Runtime, bundle_url, load

__all__ = ["Debug", "IntercomControls", "PyBridge", "Runtime", "User", "install"]

# The expando the page runtime reads on its own <script> element: how it reaches this page's Python (no global).
CONNECT: Final = "pybridgePython"

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
    bridge = _installed = PyBridge(runtime)
    try:
        _add_runtime(
            runtime, bridge, {**settings, "app_id": app_id, **({} if widget_id is None else {"widget_id": widget_id})}
        )
    except Exception as error:  # a broken page: report, and keep a bridge whose calls wait in a queue nobody reads
        runtime.say("error", f"could not start ({type(error).__name__}: {str(error)[:200]}); py-bridge is disabled")
    return bridge


def _add_runtime(runtime: Runtime, bridge: PyBridge, settings: dict[str, Any]) -> None:
    js = runtime.js
    base = bundle_url(runtime.config, str(js.location.href))
    if base is None:
        runtime.say(
            "error",
            "could not find the bundle: PyScript's config must name the bundle's pyodide.mjs as "
            "`interpreter` (docs/pyscript.md); py-bridge is disabled",
        )
        return
    current = getattr(js.window, "pybridge", None)
    if current is None or not js.Array.isArray(current):
        js.window.pybridge = js.Array.new()  # the pre-load queue: calls wait in it until the runtime loads

    def connect(post: Any, beat: Any, mark: Any) -> WorkerSession:
        session = WorkerSession(post, beat=beat, mark=mark)
        bridge._session = session
        return session

    script = js.document.createElement("script")
    script.setAttribute("src", f"{base}embed.js")
    script.setAttribute("data-transport", "page")
    script.setAttribute("data-settings", plain(settings))
    setattr(script, CONNECT, runtime.create_proxy(connect))
    js.document.head.appendChild(script)
