"""The public facade: what a PyScript page calls. The embed's `window.pybridge`, in Python.

Every call goes to the page runtime (embed.js, the same JavaScript the tag runs) as the entry of its pre-load queue
would: `[method, ...args]`, pushed to `window.pybridge`, which is that queue until the runtime has loaded and its
API afterwards. So the runtime encodes, bounds and queues a PyScript page's calls exactly as a tag page's, and
Python on the page (`py_bridge.core.worker.WorkerSession`, reached through the runtime's in-page transport) decides.
Nothing here raises into the page: every public method catches and reports a `[py-bridge]` warning, and returns
the bridge.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Concatenate, Final, ParamSpec

from py_bridge import __version__
from py_bridge.pyscript.crossing import to_page
from py_bridge.pyscript.runtime import Runtime

__all__ = ["Debug", "IntercomControls", "PyBridge", "User"]

P = ParamSpec("P")


@dataclass(frozen=True)
class User:
    """A read-only snapshot of who the bridge believes the user is (analytics.js `user()`)."""

    _id: str | None
    _anonymous_id: str | None  # None until the page runtime has loaded (it makes or reads the id)
    _traits: dict[str, Any] = field(default_factory=dict)

    def id(self) -> str | None:
        return self._id

    def anonymous_id(self) -> str | None:
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
    """`bridge.intercom.show()` and friends: Messenger controls, validated by the core like the embed's."""

    def __init__(self, owner: PyBridge) -> None:
        self._owner = owner

    def show(self) -> PyBridge:
        return self._owner._push("intercom.show")

    def hide(self) -> PyBridge:
        return self._owner._push("intercom.hide")

    def showMessages(self) -> PyBridge:  # Intercom's method names, as in the embed
        return self._owner._push("intercom.showMessages")

    def showNewMessage(self, text: str | None = None) -> PyBridge:
        return self._owner._push("intercom.showNewMessage", *(() if text is None else (text,)))

    def showSpace(self, name: str) -> PyBridge:
        return self._owner._push("intercom.showSpace", name)

    def showArticle(self, article_id: int | str) -> PyBridge:
        return self._owner._push("intercom.showArticle", article_id)

    def startTour(self, tour_id: int | str) -> PyBridge:
        return self._owner._push("intercom.startTour", tour_id)

    def startSurvey(self, survey_id: int | str) -> PyBridge:
        return self._owner._push("intercom.startSurvey", survey_id)

    def on(self, event: str, fn: Callable[..., Any]) -> PyBridge:
        return self._owner.on(event, fn)


class Debug:
    """`bridge.debug(True)`: one collapsed console group per call, for this tab; `bridge.debug.export()`."""

    def __init__(self, owner: PyBridge) -> None:
        self._owner = owner

    def __call__(self, on: bool = True) -> PyBridge:
        return self._owner._push("debug", on is not False)

    def export(self) -> asyncio.Future[str]:
        """The session's events as JSON lines (for `py-bridge transform`); `await bridge.debug.export()`."""
        future: asyncio.Future[str] = asyncio.get_event_loop().create_future()

        def settle(jsonl: Any) -> None:
            if not future.done():
                future.set_result(jsonl if isinstance(jsonl, str) else "")

        self._owner._push("debug.export", settle)
        return future


class PyBridge:
    """py-bridge driven from Python in the page. Build it with `install()`; every method returns the bridge."""

    VERSION: Final = __version__

    def __init__(self, runtime: Runtime, session: Any = None) -> None:
        self._rt = runtime
        self._session = session  # the page's WorkerSession, once the runtime connected (py_bridge.pyscript)
        self.intercom = IntercomControls(self)
        self.debug = Debug(self)

    @property
    def state(self) -> str:
        """The bridge: "starting" (the runtime or the core not there yet), "running", or "failed"."""
        session = self._session
        if session is None:
            return "starting"
        if session.stopped:
            return "failed"
        return "running" if session.bridge is not None else "starting"

    # -- the public API (analytics.js shapes, Python values) ------------------------------------------------------
    def page(self, *args: Any) -> PyBridge:
        """page([category], [name], [properties], [options], [callback])"""
        return self._push("page", *args)

    def screen(self, *args: Any) -> PyBridge:
        """screen([category], [name], [properties], [options], [callback])"""
        return self._push("screen", *args)

    def identify(self, *args: Any) -> PyBridge:
        """identify([user_id], [traits], [options], [callback])"""
        return self._push("identify", *args)

    def track(self, *args: Any) -> PyBridge:
        """track(event, [properties], [options], [callback])"""
        return self._push("track", *args)

    def group(self, *args: Any) -> PyBridge:
        """group([group_id], [traits], [options], [callback])"""
        return self._push("group", *args)

    def alias(self, *args: Any) -> PyBridge:
        """alias(to, [from], [options], [callback])"""
        return self._push("alias", *args)

    def reset(self, *args: Any) -> PyBridge:
        """Logout: a new anonymous id, and the core shuts the session down and boots a fresh visitor."""
        return self._push("reset", *args)

    def on(self, event: str, fn: Callable[..., Any]) -> PyBridge:
        """Run fn when the Messenger is shown, hidden, or its unread count changes (event: show, hide, unread)."""
        return self._push("intercom.on", event, fn)

    def ready(self, fn: Callable[[], Any]) -> PyBridge:
        """Run fn once the bridge has started and the Messenger has loaded or failed (later calls run soon after)."""
        return self._push("ready", fn)

    def consent(self, granted: bool) -> PyBridge:
        """Answer the consent question (setting consent={"required": True}): True loads Intercom, False never."""
        return self._push("consent", granted is True)

    def user(self) -> User:
        """Who the bridge believes the user is (read-only): `.id()`, `.anonymous_id()`, `.traits()`."""
        try:
            api = self._api()
            if api is None:
                return User(None, None)
            view = api.user()
            traits = view.traits()
            user_id, anonymous = view.id(), view.anonymousId()
            return User(
                user_id if isinstance(user_id, str) else None,
                anonymous if isinstance(anonymous, str) else None,
                traits.to_py() if hasattr(traits, "to_py") else {},
            )
        except Exception as error:
            self._rt.say("warn", f"user() failed ({type(error).__name__}); ignored")
            return User(None, None)

    def anonymous_id(self) -> str | None:
        """This browser's anonymous id (shared with the embed through localStorage); None until the runtime loaded."""
        return self.user().anonymous_id()

    # -- the page runtime -----------------------------------------------------------------------------------------
    def _api(self) -> Any:
        """window.pybridge once the runtime runs (its API object), else None (still the pre-load queue)."""
        current = getattr(self._rt.js.window, "pybridge", None)
        return current if current is not None and getattr(current, "__pybridge", None) is True else None

    @_guarded
    def _push(self, method: str, *args: Any) -> None:
        """One call as the pre-load queue's entry `[method, ...args]`: the queue keeps it until the runtime loads,
        with where and when it was made (`ctx`, as the README's snippet records it); the API takes it at once."""
        js = self._rt.js
        entry = js.Array.new()
        entry.push(method)
        for arg in args:
            try:
                entry.push(to_page(arg, js, self._rt.create_proxy))
            except ValueError as error:  # data JSON cannot carry (a cycle): the call goes, nothing of it is sent
                self._rt.say("warn", f"{method}(): an argument cannot be passed to the page ({error}); call dropped")
                return
        target = getattr(js.window, "pybridge", None)
        if target is None:  # install() made the queue; a page script removed it since: nothing to take the call
            raise RuntimeError("window.pybridge is gone")
        if self._api() is None:
            entry.ctx = js.JSON.parse(_captured(js))
        target.push(entry)


def _captured(js: Any) -> str:
    """Where and when a call was made, as the README's pre-load snippet records it (`ctx`)."""
    location, document = js.location, js.document
    return json.dumps(
        {
            "url": str(location.href),
            "path": str(location.pathname),
            "search": str(location.search),
            "referrer": str(document.referrer or ""),
            "title": str(document.title or ""),
            "timestamp": js.Date.now(),
        }
    )
