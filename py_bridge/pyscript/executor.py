"""The executor: the only things the core can make happen in the page, applied from Python as embed.js applies them.

Commands arrive as the dataclasses of `py_bridge.core.commands` (no JSON round trip: the core runs in this interpreter).
Each is applied in order; a command that fails is one `[py-bridge]` warning and the ones after it still run. A
command may call back into the bridge (a Messenger callback runs synchronously): what that produces is queued behind
the current commands, never applied in the middle of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections import deque
from collections.abc import Callable
from typing import Any, Final

from py_bridge.core.commands import (
    INTERCOM_COOKIE_PREFIXES,
    INTERCOM_METHODS,
    Callback,
    Command,
    Emit,
    Export,
    ForgetIntercom,
    Identity,
    IntercomCall,
    Listen,
    LoadWidget,
    Log,
    Ready,
    Schedule,
    SetIntercomSettings,
    Trace,
    WatchPages,
)
from py_bridge.core.destinations.intercom.settings import APP_ID_RE
from py_bridge.core.protocol import CALLBACK_TIMEOUT_MS, LISTEN_METHODS
from py_bridge.core.settings import DEFAULT_WIDGET_TIMEOUT_MS, BridgeSettings
from py_bridge.pyscript.encoding import redact
from py_bridge.pyscript.loader import QueueStub, WidgetLoader, allowed_script
from py_bridge.pyscript.runtime import PREFIX, Runtime

__all__ = ["CALLBACK_TIMEOUT_MS", "LISTEN_METHODS", "Executor"]

LOG_LEVELS: Final = {"error": "error", "warn": "warn", "info": "info"}
MAX_TIMEOUT_MS: Final = 2**31 - 1
MAX_LINE: Final = 2000
PAYLOAD_METHODS: Final = frozenset({"boot", "update"})  # their first argument is Messenger settings
# What selects the workspace, the API host and the launcher: only the settings the page parsed may set them.
PINNED_KEYS: Final = ("app_id", "api_base", "custom_launcher_selector")


def _error(error: BaseException) -> str:
    return f"{type(error).__name__}: {str(error)[:200]}"


# Only the Messenger's own cookies: one of its prefixes and an App ID.
_FORGETTABLE_COOKIE: Final = re.compile(f"({'|'.join(map(re.escape, INTERCOM_COOKIE_PREFIXES))})-{APP_ID_RE.pattern}")


def cookie_domains(host: str) -> list[str]:
    """The `; domain=` suffixes a cookie of this host may carry: "" (host-only), then the host and each parent up to
    the last two labels (the Messenger sets its cookies on the top-level one). An IP or `localhost`: host-only."""
    if re.fullmatch(r"[\d.]+", host) or ":" in host or "[" in host:
        return [""]
    labels = host.split(".")
    return ["", *(f"; domain={'.'.join(labels[i:])}" for i in range(len(labels) - 1))]


class Executor:
    """Applies commands in the page. `signal(name, data)` reports back to the core; `page()` is a route change."""

    def __init__(self, runtime: Runtime, signal: Callable[[str, dict[str, Any]], None], page: Callable[[], Any]):
        self._rt = runtime
        self._signal = signal
        self._page = page
        self.settings: BridgeSettings | None = None  # set once the core is built
        self.debug = False
        self.loader = WidgetLoader(runtime, self._widget_done)
        self.handlers: dict[str, list[Callable[..., Any]]] = {"show": [], "hide": [], "unread": []}
        self.identity: tuple[str | None, dict[str, Any]] = (None, {})
        self._queue: deque[Command] = deque()
        self._applying = False
        self._listeners: dict[str, Any] = {}  # event -> the one create_proxy callback registered with Intercom
        self._ready: list[Callable[[], Any]] = []
        self._ready_fired = False
        self._callbacks: dict[int, tuple[Callable[..., Any], Any]] = {}  # id -> (fn, its 300 ms timer)
        self._callback_seq = 0
        self._exports: dict[int, asyncio.Future[str]] = {}
        self._watching: list[Any] = []  # history hooks, kept alive for the page's lifetime

    # -- applying -------------------------------------------------------------------------------------------------
    def apply_all(self, commands: list[Command]) -> None:
        self._queue.extend(commands)
        if self._applying:
            return
        self._applying = True
        try:
            while self._queue:
                command = self._queue.popleft()
                try:
                    self.apply(command)
                except Exception as error:
                    self._rt.say("warn", f"could not apply {type(command).__name__} in this page ({_error(error)})")
        finally:
            self._applying = False

    def apply(self, command: Command) -> None:
        match command:
            case SetIntercomSettings(settings):
                if self._configured(settings, "refused to set intercomSettings"):
                    self._rt.js.window.intercomSettings = self._rt.js_value(settings)
            case LoadWidget(src):
                self._load_widget(src)
            case IntercomCall(method, args):
                payload = args[0] if method in PAYLOAD_METHODS and args else None
                if self._configured(payload, f"refused Intercom('{method}')"):
                    self.call_intercom(method, list(args))
            case Listen(event):
                self._listen(event)
            case Log(level, message):
                text = str(message)[:MAX_LINE]
                if level != "debug" or self.debug:
                    self._rt.say(LOG_LEVELS.get(level, "debug"), text)
                self._rt.emit("pybridge:log", {"level": level, "message": text})
            case Ready():
                self._fire_ready()
            case Emit(event, properties):
                self._rt.emit("pybridge:event", {"event": str(event), "properties": properties})
            case WatchPages():
                self._watch_pages()
            case Schedule(delay_s):
                delay = max(0, min(round(delay_s * 1000), MAX_TIMEOUT_MS))
                self._rt.later(lambda: self._signal("tick", {}), delay)
            case Callback(callback_id):
                self.run_callback(callback_id)
            case Identity(user_id, traits):
                self.identity = (user_id if isinstance(user_id, str) else None, dict(traits or {}))
            case Trace():
                self._trace(command)
            case Export(export_id, jsonl):
                self.finish_export(export_id, jsonl if isinstance(jsonl, str) else "")
            case ForgetIntercom():
                self._forget_intercom(command)

    def _configured(self, payload: Any, refused: str) -> bool:
        """Whether a payload keeps the app, API host and launcher this page configured (README: the App ID is
        re-checked in the page). The core never sends others; a transformation that reached the commands could, to
        boot another app on another host. A refusal is one error naming the key, never the value."""
        if not isinstance(payload, dict):
            return True
        for key in PINNED_KEYS:
            if key in payload and payload[key] != self._expected(key):
                self._rt.say("error", f"{refused}: its {key} is not the one this page configured")
                return False
        return True

    def _expected(self, key: str) -> str | None:
        """The value the page's parsed settings give `key` (None before the core is built: nothing matches)."""
        if self.settings is None:
            return None
        intercom = self.settings.intercom
        return {
            "app_id": intercom.app_id,
            "api_base": intercom.api_base,
            "custom_launcher_selector": intercom.widget_id,
        }[key]

    def _forget_intercom(self, command: ForgetIntercom) -> None:
        """Consent withdrawn, as embed.js applies it: intercomSettings loses the keys that let Intercom's loader boot
        again, and the Messenger's cookies are expired host-only and on each parent domain."""
        js = self._rt.js
        # Calls still waiting in the widget's queue (a boot for the user, queued before the withdrawal while the
        # Messenger's frame loads) are dropped before the frame can drain them.
        target = self.loader.intercom()
        with contextlib.suppress(Exception):
            queue = target.q if isinstance(target, QueueStub) else getattr(target, "q", None)
            if queue is not None and js.Array.isArray(queue):
                queue.splice(0, queue.length)
        current = js.window.intercomSettings
        for key in command.settings_keys:
            with contextlib.suppress(Exception):  # no object there, or a frozen one: nothing more to do
                js.Reflect.deleteProperty(current, key)
        for name in command.cookies:
            if not _FORGETTABLE_COOKIE.fullmatch(name):
                continue
            for domain in cookie_domains(str(js.location.hostname)):
                with contextlib.suppress(Exception):  # cookies blocked: nothing was stored
                    js.document.cookie = f"{name}=; path=/; max-age=0{domain}"

    # -- the Messenger --------------------------------------------------------------------------------------------
    def _load_widget(self, src: str) -> None:
        if self.loader.status != "idle":
            return
        sandbox = self.settings.intercom.sandbox_url if self.settings else None
        if not isinstance(src, str) or not allowed_script(src, sandbox):
            self.loader.refuse(str(src))
            return
        timeout_ms = self.settings.widget_timeout_ms if self.settings else DEFAULT_WIDGET_TIMEOUT_MS
        self.loader.load(src, timeout_ms)

    def _widget_done(self, status: str, reason: str, late: bool) -> None:
        data: dict[str, Any] = {"status": status}
        if status == "loaded" and late:
            data["late"] = True
        elif status != "loaded":
            data["reason"] = reason
        self._signal("widget", data)

    def call_intercom(self, method: str, args: list[Any], *, callback: Any = None) -> None:
        if method not in INTERCOM_METHODS or self.loader.status == "failed" or not self.loader.intercom_is_function():
            return
        target = self.loader.intercom()
        self._rt.emit("pybridge:log", {"level": "call", "method": method, "args": redact(args)})
        call = self._rt.js_value([method, *args])
        if callback is not None:
            call.push(callback)
        try:
            if isinstance(target, QueueStub):
                target.q.push(call)
            else:
                self._rt.js.Reflect.apply(target, self._rt.js.window, call)
        except Exception as error:
            self._rt.say("warn", f"Intercom('{method}') threw: {str(error)[:200]}")

    def _listen(self, event: str) -> None:
        method = LISTEN_METHODS.get(event)
        if method is None:
            return
        callback = self._listeners.get(event)
        if callback is None:
            forward = lambda *args: self._on_messenger(event, args[0] if args else None)  # noqa: E731
            callback = self._listeners[event] = self._rt.create_proxy(forward)
        self.call_intercom(method, [], callback=callback)

    def _on_messenger(self, event: str, value: Any) -> None:
        for fn in list(self.handlers.get(event, ())):
            try:
                fn(value) if event == "unread" else fn()
            except Exception as error:
                self._rt.say("warn", f"an on('{event}') callback raised {_error(error)}")
        if event != "unread":
            self._signal("messenger", {"event": event})

    # -- ready and callbacks passed in calls ----------------------------------------------------------------------
    def add_ready(self, fn: Callable[[], Any]) -> None:
        if self._ready_fired:
            self._rt.later(lambda: self._run_ready(fn))
        else:
            self._ready.append(fn)

    def _fire_ready(self) -> None:
        if self._ready_fired:
            return
        self._ready_fired = True
        callbacks, self._ready = self._ready, []
        for fn in callbacks:
            self._run_ready(fn)

    def _run_ready(self, fn: Callable[[], Any]) -> None:
        try:
            fn()
        except Exception as error:
            self._rt.say("warn", f"a ready() callback raised {_error(error)}")

    def register_callback(self, fn: Callable[..., Any]) -> int:
        """A call's callback: run once, when the core says the call was handled or after 300 ms."""
        self._callback_seq += 1
        callback_id = self._callback_seq
        timer = self._rt.later(lambda: self.run_callback(callback_id), CALLBACK_TIMEOUT_MS)
        self._callbacks[callback_id] = (fn, timer)
        return callback_id

    def run_callback(self, callback_id: int) -> None:
        entry = self._callbacks.pop(callback_id, None)
        if entry is None:
            return  # already run: never twice
        fn, timer = entry
        with contextlib.suppress(Exception):
            self._rt.js.clearTimeout(timer)
        try:
            fn()
        except Exception as error:
            self._rt.say("warn", f"a callback passed to a call raised {_error(error)}")

    # -- debug mode -----------------------------------------------------------------------------------------------
    def _trace(self, command: Trace) -> None:
        """One collapsed console group per call, as embed.js prints it."""
        if not self.debug:
            return
        console = self._rt.js.console
        console.groupCollapsed(f"{PREFIX} {str(command.title)[:200]}")
        try:
            console.log("received:", self._rt.js_value(command.received))
            for step in command.steps:
                console.log(str(step)[:MAX_LINE])
            for made in command.intercom:
                console.log(f"Intercom({json.dumps(made, ensure_ascii=False, default=str)[1:-1][:MAX_LINE]})")
            if not command.intercom:
                console.log("no Intercom call")
        finally:
            console.groupEnd()

    def new_export(self, export_id: int) -> asyncio.Future[str]:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # called from a JavaScript callback: Pyodide's event loop is the current one
            loop = asyncio.get_event_loop()
        future: asyncio.Future[str] = loop.create_future()
        self._exports[export_id] = future
        return future

    def finish_export(self, export_id: int, jsonl: str) -> None:
        future = self._exports.pop(export_id, None)
        if future is not None and not future.done():
            future.set_result(jsonl)

    # -- single-page apps -----------------------------------------------------------------------------------------
    def _watch_pages(self) -> None:
        if self._watching:
            return
        js = self._rt.js
        last = [f"{js.location.pathname}{js.location.search}"]

        def changed(*_: Any) -> None:
            now = f"{js.location.pathname}{js.location.search}"
            if now != last[0]:
                last[0] = now
                self._page()

        for name in ("pushState", "replaceState"):
            original = getattr(js.history, name)

            def wrapper(*args: Any, _original: Any = original) -> Any:
                result = _original.apply(js.history, self._rt.to_js(list(args)))
                with contextlib.suppress(Exception):  # never break navigation
                    changed()
                return result

            proxy = self._rt.create_proxy(wrapper)
            self._watching.append(proxy)
            setattr(js.history, name, proxy)
        popstate = self._rt.create_proxy(changed)
        self._watching.append(popstate)
        js.window.addEventListener("popstate", popstate)
