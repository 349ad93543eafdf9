"""The one place that reaches JavaScript: what the PyScript entry uses from Pyodide and the page.

`js` and `pyodide` are imported only inside `load()`, so every module of this package imports in CPython; tests pass
a `Runtime` built on fakes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urljoin

__all__ = ["PREFIX", "Runtime", "bundle_url", "load"]

PREFIX: Final = "[py-bridge]"


@dataclass(frozen=True)
class Runtime:
    """`load()` fills it in the browser; tests may pass fakes."""

    js: Any
    create_proxy: Callable[[Any], Any]
    config: Any = None  # PyScript's parsed config (`pyscript.config`), where the bundle's runtime came from

    def say(self, level: str, message: str) -> None:
        with contextlib.suppress(Exception):  # a console that throws must not break the page
            getattr(self.js.console, level)(f"{PREFIX} {message}")


def bundle_url(config: Any, page_url: str) -> str | None:
    """The bundle's folder, where embed.js is: PyScript's `interpreter` is its `pyodide-<hash>/pyodide.mjs`."""
    interpreter = config.get("interpreter") if isinstance(config, dict) else None
    if not isinstance(interpreter, str) or not interpreter:
        return None
    folder = urljoin(urljoin(page_url, interpreter), "../")
    return folder if folder.startswith(("https://", "http://")) else None


def load() -> Runtime:
    """The browser's runtime. Raises ImportError outside Pyodide."""
    import js  # only inside Pyodide
    from pyodide.ffi import create_proxy

    config: Any = None
    with contextlib.suppress(Exception):  # plain Pyodide has no `pyscript` module
        from pyscript import config  # type: ignore[import-not-found, no-redef]
    return Runtime(js, create_proxy, config)
