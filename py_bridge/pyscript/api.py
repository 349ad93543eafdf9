"""The public facade: what a PyScript page calls. Same surface as embed.js's `window.pybridge`, in Python.

Each call becomes the item dict embed.js would post to the worker and goes to the same core
(`py_bridge.core.bridge.Bridge`, built by `start_bridge`); the commands it returns go to the `Executor`. Nothing here
raises into the page: every public method catches and reports a `[py-bridge]` warning, and returns the bridge.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Concatenate, Final, ParamSpec

from py_bridge import __version__
from py_bridge.core.bridge import Bridge, start_bridge
from py_bridge.core.commands import Command, ForgetIntercom
from py_bridge.core.destinations.intercom.destination import MIRRORED_KEYS
from py_bridge.core.errors import ConfigError
from py_bridge.core.protocol import ANON_KEY, ANONYMOUS_ID_PATTERN, DEBUG_KEY
from py_bridge.core.settings import DEFAULT_MAX_QUEUE, BridgeSettings, parse_settings
from py_bridge.pyscript.encoding import encode_args, is_function
from py_bridge.pyscript.executor import LISTEN_METHODS, Executor
from py_bridge.pyscript.runtime import Runtime
from py_bridge.pyscript.transforms import bundle_origin, fetch_sources, origin, resolve_transforms

__all__ = ["Debug", "IntercomControls", "PyBridge", "User"]

ANON_RE: Final = re.compile(ANONYMOUS_ID_PATTERN)
P = ParamSpec("P")


@dataclass(frozen=True)
class User:
    """A read-only snapshot of who the bridge believes the user is (analytics.js `user()`)."""

    _id: str | None
    _anonymous_id: str
    _traits: dict[str, Any] = field(default_factory=dict)

    def id(self) -> str | None:
        return self._id

    def anonymous_id(self) -> str:
        return self._anonymous_id

    def traits(self) -> dict[str, Any]:
        return dict(self._traits)


def _guarded(method: Callable[Concatenate[PyBridge, P], Any]) -> Callable[Concatenate[PyBridge, P], PyBridge]:
    """A public method that never raises into the page: a failure becomes one `[py-bridge]` warning."""

    def wrapper(self: PyBridge, /, *args: P.args, **kwargs: P.kwargs) -> PyBridge:
        try:
            method(self, *args, **kwargs)
        except Exception as error:
            self._rt.say("warn", f"{method.__name__}() failed ({type(error).__name__}: {str(error)[:200]}); ignored")
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


class Debug:
    """`bridge.debug(True)`: one collapsed console group per call, for this tab; `bridge.debug.export()`."""

    def __init__(self, owner: PyBridge) -> None:
        self._owner = owner

    def __call__(self, on: bool = True) -> PyBridge:
        return self._owner._set_debug(on is not False)

    def export(self) -> asyncio.Future[str]:
        """The session's events as JSON lines (for `py-bridge transform`); `await bridge.debug.export()`."""
        return self._owner._export()


class PyBridge:
    """py-bridge driven from Python in the page. Build it with `install()`; every method returns the bridge."""

    VERSION: Final = __version__

    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime
        self.js: Any = runtime.js
        self.executor = Executor(runtime, self._signal, self.page)
        self.intercom = IntercomControls(self)
        self.debug = Debug(self)
        self.bridge: Bridge | None = None
        self.state = "starting"  # starting -> running | failed
        self.dropped = 0  # calls made while the bridge is not running (it failed to start)
        self._anonymous_id = ""
        self._consent_required = False
        self._storage_allowed = True
        self._pending: list[dict[str, Any]] = []  # items sent before start, replayed by bridge.start()
        self._max_queue = DEFAULT_MAX_QUEUE
        self._overflowed = 0
        self._last_was_reset = False
        self._export_seq = 0
        self._timezone: str | None = None
        self._starting: asyncio.Future[None] | None = None  # fetching the transformation files
        self._app_id = ""

    @property
    def widget(self) -> str:
        """The Messenger script as the executor sees it: idle, loading, loaded or failed."""
        return self.executor.loader.status

    # -- starting -------------------------------------------------------------------------------------------------
    def _start(self, raw: dict[str, Any]) -> None:
        """Validate the settings, fetch transformations, build the core, load the Messenger. Never raises."""
        try:
            js = self.js
            with contextlib.suppress(Exception):
                if js.sessionStorage.getItem(DEBUG_KEY) == "1":
                    raw["debug"] = True
            self.executor.debug = raw.get("debug") is True
            consent = raw.get("consent")
            self._consent_required = isinstance(consent, dict) and consent.get("required") is True
            self._app_id = str(raw.get("app_id") or raw.get("appId") or "")
            self._storage_allowed = not self._consent_required
            self._anonymous_id = self._stored_anonymous_id() or str(uuid.uuid4())
            self._save_anonymous_id()
            with contextlib.suppress(Exception):
                self._timezone = str(js.Intl.DateTimeFormat.new().resolvedOptions().timeZone)
            page_url = str(js.location.href)
            origins = [o for o in (origin(page_url), bundle_origin(self._rt.config, page_url)) if o]
            env = self._environment(raw, origins)
            if "transform" in raw:
                entries, indexes, warnings = resolve_transforms(raw["transform"], page_url, origins)
                for warning in warnings:
                    self._rt.say("warn", warning)
                if entries is not None:
                    raw["transform"] = entries
                    env["transform_index"] = indexes  # the core names entries as the site numbered them
                settings = self._valid_settings(raw) if entries else None
                if settings is not None:
                    # The files are fetched first; calls made meanwhile wait in the pre-start queue, in order.
                    urls = [entry.url for entry in settings.transform]
                    fetching = self._fetch_then_build(raw, env, urls, settings.transform_load_ms, indexes)
                    self._starting = asyncio.ensure_future(fetching)
                    return
            self._build(raw, env, [], [])
        except Exception as error:  # a broken runtime: report, and keep a bridge that drops calls
            self._fail(error)

    @staticmethod
    def _valid_settings(raw: dict[str, Any]) -> BridgeSettings | None:
        """The settings, or None when they are invalid (start_bridge then reports why, without fetching)."""
        try:
            return parse_settings(raw)
        except ConfigError:
            return None

    async def _fetch_then_build(
        self, raw: dict[str, Any], env: dict[str, Any], urls: list[str], load_ms: int, indexes: list[int]
    ) -> None:
        sources, notes = await fetch_sources(urls, self._rt.fetch, load_ms, indexes)
        try:
            self._build(raw, env, sources, notes)
        except Exception as error:
            self._fail(error)

    def _build(
        self, raw: dict[str, Any], env: dict[str, Any], sources: list[tuple[str, str]], notes: list[Command]
    ) -> None:
        bridge, errors = start_bridge(raw, env, transform_sources=sources)
        self.executor.apply_all([*notes, *errors])
        if bridge is None:
            self.state = "failed"
            self._pending = []
            self._rt.say("error", "not started (see the error above); py-bridge is disabled on this page")
            return
        self.bridge = bridge
        self.executor.settings = bridge.settings
        self._max_queue = bridge.settings.max_queue
        # Start in a microtask, once the page's script has run: calls made right after install() are replayed by
        # bridge.start() like the embed's pre-load queue, so an identify() boots the user directly.
        begin = self._rt.create_once_callable(lambda *_: self._begin())
        queue_microtask = getattr(self.js, "queueMicrotask", None)
        (queue_microtask or (lambda fn: self.js.setTimeout(fn, 0)))(begin)

    def _begin(self) -> None:
        pending, self._pending = self._pending, []
        try:
            if self._overflowed:
                self._rt.say(
                    "warn",
                    f"{self._overflowed} call(s) were dropped before py-bridge started (pre-start queue bound "
                    f"{self._max_queue})",
                )
            self.state = "running"
            if self.bridge is not None:
                self.executor.apply_all(self.bridge.start(pending))
        except Exception as error:
            self._fail(error)

    def _fail(self, error: Exception) -> None:
        self.bridge = None
        self.state = "failed"
        self._pending = []
        self._rt.say("error", f"could not start ({type(error).__name__}: {str(error)[:200]}); py-bridge is disabled")

    # -- the public API (analytics.js shapes, Python values) ------------------------------------------------------
    @_guarded
    def page(self, *args: Any) -> None:
        """page([category], [name], [properties], [options], [callback])"""
        self._call("page", args)

    @_guarded
    def screen(self, *args: Any) -> None:
        """screen([category], [name], [properties], [options], [callback])"""
        self._call("screen", args)

    @_guarded
    def identify(self, *args: Any) -> None:
        """identify([user_id], [traits], [options], [callback])"""
        self._call("identify", args)

    @_guarded
    def track(self, *args: Any) -> None:
        """track(event, [properties], [options], [callback])"""
        self._call("track", args)

    @_guarded
    def group(self, *args: Any) -> None:
        """group([group_id], [traits], [options], [callback])"""
        self._call("group", args)

    @_guarded
    def alias(self, *args: Any) -> None:
        """alias(to, [from], [options], [callback])"""
        self._call("alias", args)

    @_guarded
    def reset(self, *args: Any) -> None:
        """Logout: a new anonymous id, and the core shuts the session down and boots a fresh visitor."""
        self._call("reset", args)

    @_guarded
    def on(self, event: str, fn: Callable[..., Any]) -> None:
        """Run fn when the Messenger is shown, hidden, or its unread count changes (event: show, hide, unread)."""
        if event not in LISTEN_METHODS or not is_function(fn):
            self._rt.say("warn", "on(event, fn): event must be show, hide or unread and fn a function; ignored")
            return
        self.executor.handlers[event].append(fn)
        self._send({"kind": "listen", "event": event})

    @_guarded
    def ready(self, fn: Callable[[], Any]) -> None:
        """Run fn once the bridge has started and the Messenger has loaded or failed (later calls run soon after)."""
        if is_function(fn):
            self.executor.add_ready(fn)
        else:
            self._rt.say("warn", "ready(fn): fn must be a function; ignored")

    @_guarded
    def consent(self, granted: bool) -> None:
        """Answer the consent question (setting consent={"required": True}): True loads Intercom, False never."""
        if granted is True:
            # Storage is touched only now: adopt the id a previous granted page view stored, or store this one.
            self._storage_allowed = True
            stored = self._stored_anonymous_id()
            if stored:
                self._anonymous_id = stored
            else:
                self._save_anonymous_id()
        else:
            self._storage_allowed = not self._consent_required
            self._forget_anonymous_id()
            with contextlib.suppress(Exception):
                self.js.sessionStorage.removeItem(DEBUG_KEY)
            if self.state != "running" and self._app_id:
                # The core is not there yet (fetching transformations) or failed: forget Intercom now, as the embed
                # does, instead of when (if ever) the core answers.
                self.executor.apply_all([ForgetIntercom(self._app_id, ("app_id", *MIRRORED_KEYS))])
        self._send({"kind": "consent", "granted": granted is True, "anonymous_id": self._anonymous_id})

    def user(self) -> User:
        """Who the bridge believes the user is (read-only): `.id()`, `.anonymous_id()`, `.traits()`."""
        user_id, traits = self.executor.identity
        return User(user_id, self._anonymous_id, dict(traits))

    def anonymous_id(self) -> str:
        """This browser's anonymous id (read-only; shared with the embed through localStorage)."""
        return self._anonymous_id

    @_guarded
    def _control(self, method: str, args: tuple[Any, ...]) -> None:
        self._send({"kind": "control", "method": method, "args": encode_args(args)})

    def _set_debug(self, on: bool) -> PyBridge:
        try:
            self.executor.debug = on
            with contextlib.suppress(Exception):  # storage blocked: this page view only
                if on:
                    self.js.sessionStorage.setItem(DEBUG_KEY, "1")
                else:
                    self.js.sessionStorage.removeItem(DEBUG_KEY)
            self._send({"kind": "debug", "on": on})
        except Exception as error:
            self._rt.say("warn", f"debug() failed ({type(error).__name__}); ignored")
        return self

    def _export(self) -> asyncio.Future[str]:
        self._export_seq += 1
        future = self.executor.new_export(self._export_seq)
        if self.state == "failed":
            self.executor.finish_export(self._export_seq, "")
        else:
            self._send({"kind": "export", "id": self._export_seq})
        return future

    # -- calls into the core --------------------------------------------------------------------------------------
    def _call(self, method: str, args: tuple[Any, ...]) -> None:
        if method == "reset":
            if self._last_was_reset and self.state != "failed":
                return  # a burst of resets is one logout
            self._forget_anonymous_id()
            self._save_anonymous_id()
        self._last_was_reset = method == "reset"
        encoded = encode_args(args, self.executor.register_callback)
        self._send({"kind": "call", "method": method, "args": encoded, "context": self._context()})

    def _send(self, item: dict[str, Any]) -> None:
        if self.state == "failed":
            self.dropped += 1
        elif self.state == "starting":
            if len(self._pending) >= self._max_queue:
                self._overflowed += 1
            else:
                self._pending.append(item)
        elif self.bridge is not None:
            self.executor.apply_all(self.bridge.receive(item))

    def _signal(self, name: str, data: dict[str, Any]) -> None:
        self._send({"kind": "signal", "name": name, "data": data})

    def _context(self) -> dict[str, Any]:
        js = self.js
        return {
            "url": str(js.location.href),
            "path": str(js.location.pathname),
            "search": str(js.location.search),
            "referrer": str(js.document.referrer),
            "title": str(js.document.title),
            "timestamp": js.Date.now(),
            "locale": _text(getattr(js.navigator, "language", None)),
            "user_agent": _text(getattr(js.navigator, "userAgent", None)),
            "anonymous_id": self._anonymous_id,
            "timezone": self._timezone,
        }

    def _environment(self, raw: dict[str, Any], origins: list[str]) -> dict[str, Any]:
        selector = raw.get("widget_id", raw.get("activator"))
        selector_valid = True
        if isinstance(selector, str):
            try:
                self.js.document.createDocumentFragment().querySelector(selector)
            except Exception:
                selector_valid = False
        native = self.executor.loader.intercom_is_function()
        env: dict[str, Any] = {"native_intercom": native, "selector_valid": selector_valid, "origins": origins}
        session = self.executor.loader.native_session() if native else None
        if session is not None:
            env["native_session"] = session  # the page's own Intercom already booted: continue it, as the embed does
        return env

    # -- the anonymous id, kept in the browser (as embed.js) ------------------------------------------------------
    def _stored_anonymous_id(self) -> str | None:
        if not self._storage_allowed:
            return None
        try:
            stored = _text(self.js.localStorage.getItem(ANON_KEY))
        except Exception:
            return None
        return stored if stored and ANON_RE.fullmatch(stored) else None

    def _save_anonymous_id(self) -> None:
        if self._storage_allowed:
            with contextlib.suppress(Exception):
                self.js.localStorage.setItem(ANON_KEY, self._anonymous_id)

    def _forget_anonymous_id(self) -> None:
        self._anonymous_id = str(uuid.uuid4())
        with contextlib.suppress(Exception):
            self.js.localStorage.removeItem(ANON_KEY)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
