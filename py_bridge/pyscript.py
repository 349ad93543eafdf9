"""The PyScript boundary: py-bridge for pages that already run Python in a `<script type="py">`.

    from py_bridge.pyscript import install
    bridge = install("abc12345", "#help")
    bridge.identify("user-1", {"email": "ada@example.com"})
    bridge.track("Signed Up", {"plan": "pro"})

The same core as the embed (`py_bridge.bridge.Bridge`, built with `start_bridge`) decides everything; this module
only captures calls as the item dicts embed.js sends to the worker, and applies the returned commands itself, in
the page, by calling `window.Intercom` from Python. It is, with `py_bridge.worker`, the only module that touches
JavaScript, and it imports `js`/`pyodide` only inside `_runtime()`, so `import py_bridge.pyscript` works in CPython
(type-checking, unit tests with a fake runtime). Nothing here raises into the page: every public method catches
and reports a `[py-bridge]` warning instead.

Values cross to JavaScript as JSON (`JSON.parse(json.dumps(...))`), exactly what the worker posts to embed.js: Python
`None` stays `null` (not `undefined`, which `to_js` would give) and no proxy ever reaches the page. The only Python
objects handed to JavaScript are the long-lived callbacks (`create_proxy`) and one-shot timers and script handlers
(`create_once_callable`).
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, Concatenate, Final, ParamSpec, TypeVar

from py_bridge import __version__
from py_bridge.bridge import Bridge, start_bridge
from py_bridge.commands import (
    INTERCOM_METHODS,
    Command,
    Emit,
    IntercomCall,
    Listen,
    LoadWidget,
    Log,
    Ready,
    Schedule,
    SetIntercomSettings,
    WatchPages,
)
from py_bridge.settings import DEFAULT_MAX_QUEUE

__all__ = ["Budget", "IntercomControls", "PyBridge", "Runtime", "encode", "install"]

PREFIX: Final = "[py-bridge]"
WIDGET_PREFIX: Final = "https://widget.intercom.io/widget/"
APP_ID_RE: Final = re.compile(r"[a-z0-9]{1,32}")
ANON_KEY: Final = "pybridge.anonymous_id"  # shared with embed.js: both entries keep the same visitor
ANON_RE: Final = re.compile(r"[A-Za-z0-9_-]{8,64}")
MAX_STRING: Final = 10_000
MAX_ITEMS: Final = 1000
MAX_DEPTH: Final = 32
MAX_ARGS: Final = 8
MAX_SAFE_INT: Final = 2**53
WIDGET_TIMEOUT_MS: Final = 30_000
START_POLL_MS: Final = 50  # how often to look whether the Messenger's frame has drained the queue
MAX_TIMEOUT_MS: Final = 2**31 - 1
CALLS: Final = ("page", "identify", "track", "group", "reset")
LISTEN_METHODS: Final = {"show": "onShow", "hide": "onHide", "unread": "onUnreadCountChange"}
CREDENTIAL_KEYS: Final = frozenset({"user_hash", "intercom_user_jwt"})
LOG_LEVELS: Final = {"error": "error", "warn": "warn", "info": "info"}

P = ParamSpec("P")
R = TypeVar("R")


# -- encoding: Python values into what embed.js would have sent -------------------------------------------------
def _date_marker(moment: datetime) -> dict[str, Any]:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # naive = UTC, as values.decode reads them
    try:
        return {"$pybridge": "date", "ms": aware.timestamp() * 1000}
    except (OverflowError, OSError, ValueError):
        return {"$pybridge": "date", "ms": None}


@dataclass
class Budget:
    """What one call may carry, as in embed.js: shared references can make a small graph enormous as a tree."""

    nodes: int = 20_000
    chars: int = 1_000_000


def encode(value: Any, depth: int = 0, seen: set[int] | None = None, budget: Budget | None = None) -> Any:
    """A Python value as plain JSON data with embed.js's `{"$pybridge": kind}` markers (dates keep their instant).

    Pure (no JavaScript): `py_bridge.values.decode` turns the result back into the values the core expects.
    """
    budget = Budget() if budget is None else budget
    budget.nodes -= 1
    if budget.nodes < 0:
        return {"$pybridge": "too_large"}
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        keep = min(len(value), MAX_STRING, budget.chars)
        if keep <= 0 < len(value):
            return {"$pybridge": "too_large"}
        budget.chars -= keep
        return value[:keep]
    if isinstance(value, int):
        return value if abs(value) <= MAX_SAFE_INT else {"$pybridge": "bigint", "value": str(value)}
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        text = "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        return {"$pybridge": "number", "value": text}
    if isinstance(value, datetime):
        return _date_marker(value)
    if isinstance(value, date):
        return _date_marker(datetime.combine(value, time(), tzinfo=UTC))
    if callable(value):
        return {"$pybridge": "unsupported", "type": "function"}
    if depth >= MAX_DEPTH:
        return {"$pybridge": "too_deep"}
    seen = set() if seen is None else seen
    if id(value) in seen:
        return {"$pybridge": "circular"}
    if isinstance(value, Mapping):
        seen.add(id(value))
        out: dict[str, Any] = {}
        for count, (key, item) in enumerate(value.items()):
            if count > MAX_ITEMS:
                break
            out[str(key)] = encode(item, depth + 1, seen, budget)
        seen.discard(id(value))
        return out
    if isinstance(value, list | tuple | set | frozenset):
        seen.add(id(value))
        items = [encode(item, depth + 1, seen, budget) for count, item in enumerate(value) if count < MAX_ITEMS]
        seen.discard(id(value))
        return items
    to_py = getattr(value, "to_py", None)  # a JsProxy the page's Python code got from JavaScript
    if callable(to_py):
        try:
            converted = to_py(depth=MAX_DEPTH)
        except Exception:
            return {"$pybridge": "unsupported", "type": "object"}
        if converted is not value:
            return encode(converted, depth + 1, seen, budget)
    return {"$pybridge": "unsupported", "type": type(value).__name__}


def _encode_args(args: tuple[Any, ...]) -> list[Any]:
    budget = Budget()
    return [encode(item, budget=budget) for item in args[:MAX_ARGS]]


def _redact(args: list[Any]) -> list[Any]:
    return [
        {k: ("[redacted]" if k in CREDENTIAL_KEYS else v) for k, v in arg.items()} if isinstance(arg, dict) else arg
        for arg in args
    ]


# -- the JavaScript runtime ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Runtime:
    """What this module uses from Pyodide; `_runtime()` fills it in the browser, tests may pass a fake."""

    js: Any
    create_proxy: Callable[[Any], Any]
    create_once_callable: Callable[[Any], Any]
    to_js: Callable[..., Any]


def _runtime() -> Runtime:
    import js  # only inside Pyodide
    from pyodide.ffi import create_once_callable, create_proxy, to_js

    return Runtime(js=js, create_proxy=create_proxy, create_once_callable=create_once_callable, to_js=to_js)


class _QueueStub:
    """Intercom's official queue stub, kept in Python: the page sees a function (a proxy of this object) whose
    calls land in `q`, a real JavaScript array, so the widget drains it on load exactly as it drains the stub of the
    official snippet (it reads `Intercom.q` and replays each entry in order)."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self.q: Any = runtime.js.Array.new()

    def __call__(self, *args: Any) -> None:
        # Called from JavaScript (the page's own code, before the widget loaded): arguments arrive as Python values
        # or JsProxies, and go back to JavaScript unchanged.
        try:
            self.q.push(self._runtime.to_js(list(args), dict_converter=self._runtime.js.Object.fromEntries))
        except Exception:
            return


def _guarded(method: Callable[Concatenate[PyBridge, P], Any]) -> Callable[Concatenate[PyBridge, P], PyBridge]:
    """A public method that never raises into the page: a failure becomes one `[py-bridge]` warning."""

    def wrapper(self: PyBridge, /, *args: P.args, **kwargs: P.kwargs) -> PyBridge:
        try:
            method(self, *args, **kwargs)
        except Exception as error:
            self._say("warn", f"{method.__name__}() failed ({type(error).__name__}: {str(error)[:200]}); ignored")
        return self

    wrapper.__name__ = method.__name__
    wrapper.__qualname__ = method.__qualname__
    wrapper.__doc__ = method.__doc__
    return wrapper


class IntercomControls:
    """`bridge.intercom.show()` and friends: Messenger controls, validated by the core like embed.js's."""

    def __init__(self, owner: PyBridge) -> None:
        self._owner = owner

    def show(self) -> PyBridge:
        return self._owner._control("show", ())

    def hide(self) -> PyBridge:
        return self._owner._control("hide", ())

    def showMessages(self) -> PyBridge:  # Intercom's method names, as in embed.js
        return self._owner._control("showMessages", ())

    def showNewMessage(self, text: str | None = None) -> PyBridge:
        return self._owner._control("showNewMessage", () if text is None else (text,))

    def showSpace(self, name: str) -> PyBridge:
        return self._owner._control("showSpace", (name,))

    def showArticle(self, article_id: int | str) -> PyBridge:
        return self._owner._control("showArticle", (article_id,))

    def startTour(self, tour_id: int | str) -> PyBridge:
        return self._owner._control("startTour", (tour_id,))

    def startSurvey(self, survey_id: int | str) -> PyBridge:
        return self._owner._control("startSurvey", (survey_id,))

    def on(self, event: str, fn: Callable[..., Any]) -> PyBridge:
        return self._owner.on(event, fn)


class PyBridge:
    """py-bridge driven from Python in the page. Build it with `install()`; every method returns the bridge."""

    VERSION: Final = __version__

    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime
        self.js: Any = runtime.js
        self.intercom = IntercomControls(self)
        self.bridge: Bridge | None = None
        self.widget = "idle"  # idle | loading | loaded | failed (the executor's view, as in embed.js)
        self.dropped = 0  # calls made while the bridge is not running (it failed to start)
        self.anonymous_id = ""
        self._debug = False
        self._storage_allowed = True
        self._queue: deque[Command] = deque()
        self._applying = False
        self._stub: Any = None
        self._handlers: dict[str, list[Callable[..., Any]]] = {"show": [], "hide": [], "unread": []}
        self._listeners: dict[str, Any] = {}  # event -> the one create_proxy callback registered with Intercom
        self._ready: list[Callable[[], Any]] = []
        self._ready_fired = False
        self._watching: list[Any] = []  # proxies kept alive for the page's lifetime (history hooks)
        self._pending: list[dict[str, Any]] | None = []  # items sent before start (None once started)
        self._max_queue = DEFAULT_MAX_QUEUE
        self._overflowed = 0

    def _start(self, raw_settings: dict[str, Any]) -> None:
        """Validate the settings, build the core with start_bridge, load the Messenger. Never raises."""
        try:
            self._debug = raw_settings.get("debug") is True
            consent = raw_settings.get("consent")
            self._storage_allowed = not (isinstance(consent, dict) and consent.get("required") is True)
            self.anonymous_id = self._load_anonymous_id()
            self._save_anonymous_id()
            bridge, errors = start_bridge(raw_settings, self._environment(raw_settings))
            self._apply_all(errors)
            if bridge is None:
                self._say("error", "not started (see the error above); py-bridge is disabled on this page")
                return
            self.bridge = bridge
            self._max_queue = bridge.settings.max_queue
            # Start in a microtask, once the page's script has run: calls made right after install() are replayed
            # by bridge.start() like the embed's pre-load queue, so an identify() boots the user directly instead of
            # booting a visitor and then updating it.
            begin = self._rt.create_once_callable(lambda *_: self._begin())
            queue_microtask = getattr(self.js, "queueMicrotask", None)
            if queue_microtask is not None:
                queue_microtask(begin)
            else:
                self.js.setTimeout(begin, 0)
        except Exception as error:  # a broken runtime: report, and keep a bridge that drops calls
            self._fail(error)

    def _begin(self) -> None:
        pending, self._pending = self._pending or [], None
        try:
            if self._overflowed:
                self._say(
                    "warn",
                    f"{self._overflowed} call(s) were dropped before py-bridge started (pre-start queue bound "
                    f"{self._max_queue})",
                )
            if self.bridge is not None:
                self._apply_all(self.bridge.start(pending))
        except Exception as error:
            self._fail(error)

    def _fail(self, error: Exception) -> None:
        self.bridge = None
        self._pending = None
        self._say("error", f"could not start ({type(error).__name__}: {str(error)[:200]}); py-bridge is disabled")

    # -- the public API (analytics.js shapes, Python values) ----------------------------------------------------
    @_guarded
    def page(self, *args: Any) -> None:
        """page([category], [name], [properties], [options])"""
        self._call("page", args)

    @_guarded
    def identify(self, *args: Any) -> None:
        """identify([user_id], [traits], [options])"""
        self._call("identify", args)

    @_guarded
    def track(self, *args: Any) -> None:
        """track(event, [properties], [options])"""
        self._call("track", args)

    @_guarded
    def group(self, *args: Any) -> None:
        """group([group_id], [traits], [options])"""
        self._call("group", args)

    @_guarded
    def reset(self) -> None:
        """Logout: a new anonymous id, and the core shuts the session down and boots a fresh visitor."""
        self.anonymous_id = str(uuid.uuid4())
        with contextlib.suppress(Exception):
            self.js.localStorage.removeItem(ANON_KEY)
        self._save_anonymous_id()
        self._call("reset", ())

    @_guarded
    def on(self, event: str, fn: Callable[..., Any]) -> None:
        """Run fn when the Messenger is shown, hidden, or its unread count changes (event: show, hide, unread)."""
        if event not in LISTEN_METHODS or not callable(fn):
            self._say("warn", "on(event, fn): event must be show, hide or unread and fn a function; ignored")
            return
        self._handlers[event].append(fn)
        self._send({"kind": "listen", "event": event})

    @_guarded
    def ready(self, fn: Callable[[], Any]) -> None:
        """Run fn once the bridge has started and the Messenger has loaded or failed (later calls run soon after)."""
        if not callable(fn):
            self._say("warn", "ready(fn): fn must be a function; ignored")
        elif self._ready_fired:
            self.js.setTimeout(self._rt.create_once_callable(lambda *_: self._run_ready(fn)), 0)
        else:
            self._ready.append(fn)

    @_guarded
    def consent(self, granted: bool) -> None:
        """Answer the consent question (setting consent={"required": True}): True loads Intercom, False never."""
        if granted is True:
            self._storage_allowed = True
            self._save_anonymous_id()
        self._send({"kind": "consent", "granted": granted is True})

    @_guarded
    def _control(self, method: str, args: tuple[Any, ...]) -> None:
        self._send({"kind": "control", "method": method, "args": _encode_args(args)})

    # -- calls into the core ------------------------------------------------------------------------------------
    def _call(self, method: str, args: tuple[Any, ...]) -> None:
        self._send({"kind": "call", "method": method, "args": _encode_args(args), "context": self._context()})

    def _send(self, item: dict[str, Any]) -> None:
        if self.bridge is None:
            self.dropped += 1
            return
        if self._pending is not None:
            if len(self._pending) >= self._max_queue:
                self._overflowed += 1
                return
            self._pending.append(item)
            return
        self._apply_all(self.bridge.receive(item))

    def _signal(self, name: str, data: dict[str, Any]) -> None:
        self._send({"kind": "signal", "name": name, "data": data})

    def _context(self) -> dict[str, Any]:
        js = self.js
        location = js.location
        context: dict[str, Any] = {
            "url": str(location.href),
            "path": str(location.pathname),
            "search": str(location.search),
            "referrer": str(js.document.referrer),
            "title": str(js.document.title),
            "timestamp": js.Date.now(),
            "locale": _text(getattr(js.navigator, "language", None)),
            "user_agent": _text(getattr(js.navigator, "userAgent", None)),
            "anonymous_id": self.anonymous_id,
        }
        with contextlib.suppress(Exception):
            context["timezone"] = str(js.Intl.DateTimeFormat.new().resolvedOptions().timeZone)
        return context

    def _environment(self, raw: dict[str, Any]) -> dict[str, Any]:
        selector = raw.get("widget_id", raw.get("activator"))
        selector_valid = True
        if isinstance(selector, str):
            try:
                self.js.document.createDocumentFragment().querySelector(selector)
            except Exception:
                selector_valid = False
        return {"native_intercom": self._is_function(self._intercom()), "selector_valid": selector_valid}

    # -- identity kept in the browser -----------------------------------------------------------------------------
    def _load_anonymous_id(self) -> str:
        if self._storage_allowed:
            try:
                stored = _text(self.js.localStorage.getItem(ANON_KEY))
                if stored and ANON_RE.fullmatch(stored):
                    return stored
            except Exception:
                pass
        return str(uuid.uuid4())

    def _save_anonymous_id(self) -> None:
        if self._storage_allowed:
            with contextlib.suppress(Exception):
                self.js.localStorage.setItem(ANON_KEY, self.anonymous_id)

    # -- the executor: the only things the core can make happen in the page -------------------------------------
    def _apply_all(self, commands: list[Command]) -> None:
        """Apply in order. A command may call back into the bridge (a Messenger callback runs synchronously):
        the commands that produces are queued behind the current ones, never applied in the middle of them."""
        self._queue.extend(commands)
        if self._applying:
            return
        self._applying = True
        try:
            while self._queue:
                command = self._queue.popleft()
                try:
                    self._apply(command)
                except Exception as error:
                    self._say("warn", f"could not apply {type(command).__name__} ({type(error).__name__}); skipped")
        finally:
            self._applying = False

    def _apply(self, command: Command) -> None:
        match command:
            case SetIntercomSettings(settings):
                self.js.window.intercomSettings = self._js_value(settings)
            case LoadWidget(src):
                self._load_widget(src)
            case IntercomCall(method, args):
                self._call_intercom(method, list(args))
            case Listen(event):
                self._listen(event)
            case Log(level, message):
                text = str(message)[:2000]
                if level != "debug" or self._debug:
                    self._say(LOG_LEVELS.get(level, "debug"), text)
                self._emit("pybridge:log", {"level": level, "message": text})
            case Ready():
                self._fire_ready()
            case Emit(event, properties):
                self._emit("pybridge:event", {"event": str(event), "properties": properties})
            case WatchPages():
                self._watch_pages()
            case Schedule(delay_s):
                delay = max(0, min(round(delay_s * 1000), MAX_TIMEOUT_MS))
                tick = self._rt.create_once_callable(lambda *_: self._signal("tick", {}))
                self.js.setTimeout(tick, delay)

    def _js_value(self, value: Any) -> Any:
        """Plain data as a JavaScript value, the way the worker sends it (JSON: None is null, no proxies)."""
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, default=str)
        return self.js.JSON.parse(text)

    def _say(self, level: str, message: str) -> None:
        with contextlib.suppress(Exception):  # a console that throws must not break the page
            getattr(self.js.console, level)(f"{PREFIX} {message}")

    def _emit(self, name: str, detail: dict[str, Any]) -> None:
        try:
            options = self._js_value({"detail": detail})
            self.js.window.dispatchEvent(self.js.CustomEvent.new(name, options))
        except Exception:
            pass  # listeners are the page's business

    def _intercom(self) -> Any:
        try:
            return getattr(self.js.window, "Intercom", None)
        except Exception:
            return None

    @staticmethod
    def _is_function(value: Any) -> bool:
        if value is None or isinstance(value, _QueueStub):
            return value is not None
        kind = getattr(value, "typeof", None)  # a JsProxy knows its JavaScript typeof
        return kind == "function" if isinstance(kind, str) else callable(value)

    def _allowed_script(self, src: str) -> bool:
        if src.startswith(WIDGET_PREFIX):
            return APP_ID_RE.fullmatch(src[len(WIDGET_PREFIX) :]) is not None
        sandbox = self.bridge.settings.intercom.sandbox_url if self.bridge else None
        if sandbox and src.startswith(sandbox + "/widget/"):
            return APP_ID_RE.fullmatch(src[len(sandbox) + len("/widget/") :]) is not None
        return False

    def _load_widget(self, src: str) -> None:
        if self.widget != "idle":
            return
        if not isinstance(src, str) or not self._allowed_script(src):
            self._say("error", f"refused to load a script that is not the Intercom widget: {str(src)[:100]}")
            self.widget = "failed"
            self._signal("widget", {"status": "failed", "reason": "refused"})
            return
        self.widget = "loading"
        js = self.js
        timeout_ms = self.bridge.settings.widget_timeout_ms if self.bridge else WIDGET_TIMEOUT_MS
        current = self._intercom()
        if self._is_function(current):
            stub = current
        else:
            stub = _QueueStub(self._rt)
            self._stub = self._rt.create_proxy(stub)  # kept for the page's lifetime, like the official stub
            js.window.Intercom = self._stub
        handlers: dict[str, Any] = {}

        def still_stub() -> bool:
            now = self._intercom()
            if isinstance(stub, _QueueStub):
                return now is stub
            try:
                return bool(now == stub)
            except Exception:
                return False

        def loader_ran() -> bool:
            # Intercom's loader keeps the stub and marks it `booted`; its frame drains the queue later.
            if not still_stub():
                return True
            try:
                return getattr(stub, "booted", None) is True
            except Exception:
                return False

        def queue_length() -> int:
            try:
                length = stub.q.length
                return int(length) if isinstance(length, int | float) else 0
            except Exception:
                return 0

        def started(queued_at_load: int) -> bool:
            return not still_stub() or (queued_at_load > 0 and queue_length() == 0)

        def settled(ok: bool, reason: str, caller: str) -> None:
            for name, handler in handlers.items():
                if name in ("timer", "poll"):
                    js.clearTimeout(handler)
                elif name != caller:
                    with contextlib.suppress(Exception):
                        handler.destroy()
            handlers.clear()
            if self.widget != "loading":
                return
            self.widget = "loaded" if ok else "failed"
            # The queue is never emptied here: the Messenger's frame may still drain it.
            self._signal("widget", {"status": "loaded"} if ok else {"status": "failed", "reason": reason})

        def watch_start(queued_at_load: int, caller: str) -> None:
            if self.widget != "loading":
                return
            if started(queued_at_load):
                settled(True, "", caller)
                return
            if "poll_fn" not in handlers:
                handlers["poll_fn"] = self._rt.create_proxy(lambda *_: watch_start(queued_at_load, "poll_fn"))
            handlers["poll"] = js.setTimeout(handlers["poll_fn"], START_POLL_MS)

        def on_load(*_: Any) -> None:
            if not loader_ran():
                settled(
                    False,
                    "the script loaded but the Intercom loader did not run (it skips bots, or the script is not "
                    "the Messenger)",
                    "load",
                )
                return
            watch_start(queue_length(), "load")

        def on_error(*_: Any) -> None:
            settled(False, "script request failed", "error")

        def on_timeout(*_: Any) -> None:
            settled(False, f"the Messenger did not start within {timeout_ms / 1000:g} s", "timeout")

        def inject(*_: Any) -> None:
            element = js.document.createElement("script")
            element.setAttribute("async", "")
            element.src = src
            handlers["load"] = self._rt.create_once_callable(on_load)
            handlers["error"] = self._rt.create_once_callable(on_error)
            handlers["timeout"] = self._rt.create_once_callable(on_timeout)
            element.onload = handlers["load"]
            element.onerror = handlers["error"]
            head = js.document.head
            (head if head is not None else js.document.documentElement).appendChild(element)
            handlers["timer"] = js.setTimeout(handlers["timeout"], timeout_ms)

        if str(js.document.readyState) == "complete":
            inject()
        else:
            once = self._js_value({"once": True})
            js.window.addEventListener("load", self._rt.create_once_callable(inject), once)

    def _call_intercom(self, method: str, args: list[Any], *, callback: Any = None) -> None:
        if method not in INTERCOM_METHODS or self.widget == "failed":
            return
        target = self._intercom()
        if not self._is_function(target):
            return
        self._emit("pybridge:log", {"level": "call", "method": method, "args": _redact(args)})
        call = self._js_value([method, *args])
        if callback is not None:
            call.push(callback)
        try:
            if isinstance(target, _QueueStub):
                target.q.push(call)
            else:
                self.js.Reflect.apply(target, self.js.window, call)
        except Exception as error:
            self._say("warn", f"Intercom('{method}') threw: {str(error)[:200]}")

    def _listen(self, event: str) -> None:
        method = LISTEN_METHODS.get(event)
        if method is None:
            return
        callback = self._listeners.get(event)
        if callback is None:

            def forward(*args: Any) -> None:
                self._on_messenger(event, args[0] if args else None)

            callback = self._listeners[event] = self._rt.create_proxy(forward)
        self._call_intercom(method, [], callback=callback)

    def _on_messenger(self, event: str, value: Any) -> None:
        for fn in list(self._handlers.get(event, ())):
            try:
                if event == "unread":
                    fn(value)
                else:
                    fn()
            except Exception as error:
                self._say("warn", f"an on('{event}') callback raised {type(error).__name__}: {str(error)[:200]}")
        if event != "unread":
            with contextlib.suppress(Exception):
                self._signal("messenger", {"event": event})

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
            self._say("warn", f"a ready() callback raised {type(error).__name__}: {str(error)[:200]}")

    def _watch_pages(self) -> None:
        if self._watching:
            return
        js = self.js
        last = [f"{js.location.pathname}{js.location.search}"]

        def changed(*_: Any) -> None:
            now = f"{js.location.pathname}{js.location.search}"
            if now != last[0]:
                last[0] = now
                self.page()

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


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


_installed: PyBridge | None = None


def install(app_id: str, widget_id: str | None = None, **settings: Any) -> PyBridge:
    """Start py-bridge in this page: the Messenger loads, and the returned bridge takes analytics.js-style calls.

    `settings` are the embed's `data-settings` keys (snake_case), e.g. `consent={"required": True}`, `debug=True`.
    A second call returns the first bridge (with a warning). Outside Pyodide this raises RuntimeError: there is no
    page to drive.
    """
    global _installed
    if _installed is not None:
        _installed._say("warn", "install() was called more than once; the first bridge stays in charge")
        return _installed
    try:
        runtime = _runtime()
    except ImportError as error:
        raise RuntimeError("py_bridge.pyscript.install() runs only inside Pyodide/PyScript in a browser") from error
    raw: dict[str, Any] = {**settings, "app_id": app_id}
    if widget_id is not None:
        raw["widget_id"] = widget_id
    bridge = _installed = PyBridge(runtime)
    bridge._start(raw)
    return bridge
