"""The one place that reaches JavaScript: what the PyScript entry uses from Pyodide, and the page's small helpers.

`js` and `pyodide` are imported only inside `load()`, so every module of this package imports in CPython; tests pass
a `Runtime` built on fakes. Data crosses as `JSON.parse(json.dumps(...))`, exactly what the worker posts to embed.js:
`None` stays `null` (`to_js` would give `undefined`) and no proxy reaches the page. The only Python objects handed to
JavaScript are long-lived callbacks (`create_proxy`) and one-shot timers and handlers (`create_once_callable`).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

from py_bridge.pyscript.transforms import Fetched

__all__ = ["PREFIX", "Runtime", "load"]

PREFIX: Final = "[py-bridge]"


async def _no_fetch(url: str) -> Fetched:
    raise RuntimeError("no fetch in this runtime")


@dataclass(frozen=True)
class Runtime:
    """`load()` fills it in the browser; tests may pass fakes."""

    js: Any
    create_proxy: Callable[[Any], Any]
    create_once_callable: Callable[[Any], Any]
    to_js: Callable[..., Any]
    fetch: Callable[[str], Awaitable[Fetched]] = _no_fetch  # a URL's answer, redirects reported, never followed
    config: Any = None  # PyScript's parsed config (`pyscript.config`), where the bundle's runtime came from

    def js_value(self, value: Any) -> Any:
        """Plain data as a JavaScript value, the way the worker sends it."""
        return self.js.JSON.parse(json.dumps(value, ensure_ascii=False, allow_nan=False, default=str))

    def say(self, level: str, message: str) -> None:
        with contextlib.suppress(Exception):  # a console that throws must not break the page
            getattr(self.js.console, level)(f"{PREFIX} {message}")

    def emit(self, name: str, detail: dict[str, Any]) -> None:
        with contextlib.suppress(Exception):  # listeners are the page's business
            self.js.window.dispatchEvent(self.js.CustomEvent.new(name, self.js_value({"detail": detail})))

    def later(self, fn: Callable[[], Any], delay_ms: int = 0) -> Any:
        """Run fn once after delay_ms (a `setTimeout`); returns the timer id."""
        return self.js.setTimeout(self.create_once_callable(lambda *_: fn()), delay_ms)


def load() -> Runtime:
    """The browser's runtime. Raises ImportError outside Pyodide."""
    import js  # only inside Pyodide
    from pyodide.ffi import create_once_callable, create_proxy, to_js
    from pyodide.http import pyfetch

    async def fetch(url: str) -> Fetched:
        # A redirect is never followed (an open redirect must not serve another origin's Python); cookies stay
        # same-origin. The bytes, not text(): text() would drop a byte-order mark a SHA-256 pin covers.
        response = await pyfetch(url, credentials="same-origin", redirect="manual")
        redirected = str(response.type) == "opaqueredirect" or bool(response.redirected)
        body = await response.bytes() if response.ok and not redirected else b""
        return Fetched(int(response.status), response.headers.get("content-type"), redirected, body)

    config: Any = None
    with contextlib.suppress(Exception):  # plain Pyodide has no `pyscript` module
        from pyscript import config  # type: ignore[import-not-found, no-redef]
    return Runtime(js, create_proxy, create_once_callable, to_js, fetch, config)
