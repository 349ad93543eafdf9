"""A fake page for the PyScript entry in CPython: just enough `js` for the facade, the executor and the loader.

Timers and microtasks are queued and run by the test (`page.run()`), so nothing sleeps; `window.Intercom` is a fake
Messenger that records its calls; console lines, `console.groupCollapsed` groups and DOM events are recorded.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any, TypeVar

from py_bridge.pyscript import PyBridge, Runtime
from py_bridge.pyscript.transforms import Fetched

T = TypeVar("T")


class JsArray(list[Any]):
    """What `JSON.parse` and `Array.new()` give: a list with `push` and `length`."""

    def push(self, item: Any) -> None:
        self.append(item)

    @property
    def length(self) -> int:
        return len(self)


def _parse(text: str) -> Any:
    value = json.loads(text)
    return JsArray(value) if isinstance(value, list) else value


class Storage:
    def __init__(self) -> None:
        self.items: dict[str, str] = {}

    def getItem(self, key: str) -> str | None:
        return self.items.get(key)

    def setItem(self, key: str, value: str) -> None:
        self.items[key] = value

    def removeItem(self, key: str) -> None:
        self.items.pop(key, None)


class Console:
    def __init__(self) -> None:
        self.lines: list[tuple[str, tuple[Any, ...]]] = []

    def __getattr__(self, level: str) -> Callable[..., None]:
        return lambda *args: self.lines.append((level, args))

    def texts(self, level: str) -> list[str]:
        return [str(args[0]) if args else "" for kind, args in self.lines if kind == level]


class Messenger:
    """The widget once loaded: `Intercom(method, ...args)` recorded; it replays the stub's queue on load."""

    typeof = "function"

    def __init__(self) -> None:
        self.calls: list[list[Any]] = []

    def __call__(self, *args: Any) -> None:
        self.calls.append(list(args))


class FakePage:
    def __init__(self, url: str = "https://shop.example/cart?x=1") -> None:
        self.timers: dict[int, tuple[Callable[..., Any], int]] = {}
        self.microtasks: list[Callable[..., Any]] = []
        self.scripts: list[Any] = []
        self.events: list[tuple[str, Any]] = []
        self.console = Console()
        self.fetched: dict[str, tuple[int, str] | Fetched] = {}  # (status, Python text) or a full answer
        self._timer_ids = 0
        self.now = 1_700_000_000_000
        path, _, search = url.split("://", 1)[1].partition("/")[2].partition("?")
        document = SimpleNamespace(
            readyState="complete",
            referrer="",
            title="Cart",
            createElement=lambda tag: SimpleNamespace(setAttribute=lambda *a: None),
            createDocumentFragment=lambda: SimpleNamespace(querySelector=lambda selector: None),
            head=SimpleNamespace(appendChild=self.scripts.append),
        )
        window = SimpleNamespace(dispatchEvent=lambda event: self.events.append(event))
        self.js = SimpleNamespace(
            window=window,
            document=document,
            console=self.console,
            location=SimpleNamespace(href=url, pathname="/" + path, search="?" + search if search else ""),
            navigator=SimpleNamespace(language="en-GB", userAgent="fake"),
            localStorage=Storage(),
            sessionStorage=Storage(),
            JSON=SimpleNamespace(parse=_parse, stringify=json.dumps),
            Array=SimpleNamespace(new=JsArray, isArray=lambda value: isinstance(value, list)),
            Object=SimpleNamespace(fromEntries=dict),
            Reflect=SimpleNamespace(
                apply=lambda target, this, args: target(*args), get=lambda target, key: target[key]
            ),
            CustomEvent=SimpleNamespace(new=lambda name, options: (name, options["detail"])),
            Date=SimpleNamespace(now=lambda: self.now),
            setTimeout=self._set_timeout,
            clearTimeout=lambda timer: self.timers.pop(timer, None),
            queueMicrotask=self.microtasks.append,
        )

    def _set_timeout(self, fn: Callable[..., Any], delay: int = 0) -> int:
        self._timer_ids += 1
        self.timers[self._timer_ids] = (fn, delay)
        return self._timer_ids

    async def fetch(self, url: str) -> Fetched:
        if url not in self.fetched:
            raise OSError("network error")
        answer = self.fetched[url]
        if isinstance(answer, Fetched):
            return answer
        return Fetched(answer[0], "text/x-python; charset=utf-8", False, answer[1].encode("utf-8"))

    def runtime(self, config: Any = None) -> Runtime:
        return Runtime(
            js=self.js,
            create_proxy=lambda fn: fn,
            create_once_callable=lambda fn: fn,
            to_js=lambda value, **_: JsArray(value),
            fetch=self.fetch,
            config=config,
        )

    def run(self, max_delay: int = 10**9) -> None:
        """Run microtasks and every timer due within max_delay ms (and what they schedule), in order."""
        while True:
            if self.microtasks:
                self.microtasks.pop(0)()
                continue
            due = sorted((delay, timer) for timer, (_, delay) in self.timers.items() if delay <= max_delay)
            if not due:
                return
            fn, _ = self.timers.pop(due[0][1])
            fn()

    def load_widget(self) -> Messenger:
        """The injected widget script loads: the Messenger replaces the stub and drains its queue."""
        stub = self.js.window.Intercom
        messenger = Messenger()
        self.js.window.Intercom = messenger
        for call in list(getattr(stub, "q", [])):
            messenger(*call)
        self.scripts[-1].onload()
        self.run(max_delay=0)
        return messenger


def start(page: FakePage, config: Any = None, **settings: Any) -> PyBridge:
    """What install() does, on the fake page (start_bridge runs for real)."""
    bridge = PyBridge(page.runtime(config))
    bridge._start({"app_id": "abc12345", **settings})
    return bridge


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run in a thread of its own: Playwright's sync API keeps a loop running in the main thread when the
    unit and e2e tests run in one session."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
