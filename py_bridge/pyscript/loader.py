"""The Messenger's script in the page: the queue stub, the script tag, and when the widget counts as loaded.

Load detection is embed.js's: the loader ran when `window.Intercom` is no longer our stub or the stub was marked
`booted`; the Messenger started when the stub was replaced or its queue (non-empty at load) was drained. The queue
is never emptied here: the Messenger's frame may still drain it after a timeout.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any, Final

from py_bridge.core.destinations.intercom.settings import APP_ID_RE, WIDGET_ORIGIN
from py_bridge.core.protocol import LATE_MESSENGER_MS, LATE_POLL_MS, START_POLL_MS
from py_bridge.pyscript.encoding import is_function
from py_bridge.pyscript.runtime import Runtime

__all__ = ["QueueStub", "WidgetLoader", "allowed_script"]

WIDGET_PREFIX: Final = f"{WIDGET_ORIGIN}/widget/"


def allowed_script(src: str, sandbox_url: str | None) -> bool:
    """Only the Intercom widget (or the loopback sandbox's) may be injected, whatever a command says."""
    if src.startswith(WIDGET_PREFIX):
        return APP_ID_RE.fullmatch(src[len(WIDGET_PREFIX) :]) is not None
    if sandbox_url and src.startswith(sandbox_url + "/widget/"):
        return APP_ID_RE.fullmatch(src[len(sandbox_url) + len("/widget/") :]) is not None
    return False


class QueueStub:
    """Intercom's official queue stub, kept in Python: the page sees a function (a proxy of this object) whose
    calls land in `q`, a real JavaScript array the widget drains in order on load, as with the official snippet."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self.q: Any = runtime.js.Array.new()

    def __call__(self, *args: Any) -> None:
        # Called from the page's own JavaScript before the widget loaded: arguments go back unchanged.
        with contextlib.suppress(Exception):
            self.q.push(self._runtime.to_js(list(args), dict_converter=self._runtime.js.Object.fromEntries))


class WidgetLoader:
    """Injects the widget once; reports through `done(status, reason, late)`: "late" when widget_timeout_ms passed
    (it keeps watching, as embed.js does, for LATE_MESSENGER_MS), then "loaded" (late=True after a "late") or
    "failed" with a reason."""

    def __init__(self, runtime: Runtime, done: Callable[[str, str, bool], None]) -> None:
        self._rt = runtime
        self._done = done
        self.status = "idle"  # idle | loading | late | loaded | failed
        self._proxy: Any = None  # the stub's proxy, kept for the page's lifetime like the official stub

    def intercom(self) -> Any:
        try:
            return getattr(self._rt.js.window, "Intercom", None)
        except Exception:
            return None

    def intercom_is_function(self) -> bool:
        target = self.intercom()
        return target is not None and (isinstance(target, QueueStub) or is_function(target))

    def native_session(self) -> dict[str, str | None] | None:
        """The page's own Intercom session, exactly as embed.js's nativeSession() sees it, or None.

        An install has a session when its queue holds a `boot`, or when its Messenger is up (the API replaced the
        stub, so `q` is no array) with intercomSettings carrying an app_id to boot from. Who it is comes from
        intercomSettings. The core then continues that session with updates instead of booting a second one."""
        js = self._rt.js
        try:
            intercom = self.intercom()
            if intercom is None or isinstance(intercom, QueueStub) or not is_function(intercom):
                return None
            queue = getattr(intercom, "q", None)
            queued_boot = False
            if queue is not None and js.Array.isArray(queue):
                for index in range(min(int(queue.length), 1000)):
                    with contextlib.suppress(Exception):  # a hole or a non-object entry is no boot
                        queued_boot = queued_boot or js.Reflect.get(js.Reflect.get(queue, index), 0) == "boot"
            # JSON keeps own enumerable keys only, as embed.js's own(): a polluted prototype never counts.
            raw = getattr(js.window, "intercomSettings", None)
            page_settings = json.loads(str(js.JSON.stringify(raw))) if raw is not None else None
            has_settings = isinstance(page_settings, dict) and bool(page_settings.get("app_id"))
            auto_booted = not (queue is not None and js.Array.isArray(queue)) and has_settings
            if not queued_boot and not auto_booted:
                return None
            known = page_settings if isinstance(page_settings, dict) else {}
            user_id, email = known.get("user_id"), known.get("email")
            return {
                "user_id": str(user_id)
                if isinstance(user_id, str | int | float) and not isinstance(user_id, bool)
                else None,
                "email": email if isinstance(email, str) else None,
            }
        except Exception:  # a throwing getter or a cyclic intercomSettings: not a session we can continue
            return None

    def refuse(self, src: str) -> None:
        self._rt.say("error", f"refused to load a script that is not the Intercom widget: {str(src)[:100]}")
        self.status = "failed"
        self._done("failed", "refused", False)

    def load(self, src: str, timeout_ms: int) -> None:
        if self.status != "idle":
            return
        self.status = "loading"
        js = self._rt.js
        current = self.intercom()
        if self.intercom_is_function():
            stub = current
        else:
            stub = QueueStub(self._rt)
            self._proxy = self._rt.create_proxy(stub)
            js.window.Intercom = self._proxy
        handlers: dict[str, Any] = {}

        def still_stub() -> bool:
            now = self.intercom()
            if isinstance(stub, QueueStub):
                # Read back from the page, our stub is a JsProxy of its PyProxy: the same page object as _proxy
                # (comparing it with the Python object was always False, so the Messenger looked started at load).
                try:
                    return now is stub or bool(now == self._proxy)
                except Exception:
                    return False
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

        late_until = [0.0]
        load_seen = [False]

        def settled(ok: bool, reason: str, caller: str) -> None:
            for name, handler in handlers.items():
                if name in ("timer", "poll", "deadline"):
                    js.clearTimeout(handler)
                elif name != caller:
                    with contextlib.suppress(Exception):
                        handler.destroy()
            handlers.clear()
            if self.status not in ("loading", "late"):
                return
            late = self.status == "late"
            self.status = "loaded" if ok else "failed"
            self._done(self.status, reason, late)

        def watch_start(queued_at_load: int, caller: str) -> None:
            if self.status not in ("loading", "late"):
                return
            if not still_stub() or (queued_at_load > 0 and queue_length() == 0):
                settled(True, "", caller)
                return
            if self.status == "late" and float(js.Date.now()) >= late_until[0]:
                minutes = LATE_MESSENGER_MS // 60_000
                settled(False, f"no Messenger started within {minutes} minutes after widget_timeout_ms", caller)
                return
            if "poll_fn" not in handlers:
                handlers["poll_fn"] = self._rt.create_proxy(lambda *_: watch_start(queued_at_load, "poll_fn"))
            delay = LATE_POLL_MS if self.status == "late" else START_POLL_MS
            handlers["poll"] = js.setTimeout(handlers["poll_fn"], delay)

        def on_load(*_: Any) -> None:
            load_seen[0] = True
            if "deadline" in handlers:
                js.clearTimeout(handlers.pop("deadline"))
            if not loader_ran():
                reason = "the script loaded but the Intercom loader did not run (it skips bots, or the script is not "
                settled(False, reason + "the Messenger)", "load")
                return
            watch_start(queue_length(), "load")

        def on_error(*_: Any) -> None:
            settled(False, "script request failed", "error")

        def on_timeout(*_: Any) -> None:
            if self.status != "loading":
                return
            # A slow link may still bring the Messenger: the core keeps the calls made meanwhile ("late").
            self.status = "late"
            late_until[0] = float(js.Date.now()) + LATE_MESSENGER_MS
            self._done("late", f"the Messenger did not start within {timeout_ms / 1000:g} s", False)
            if not load_seen[0]:
                minutes = LATE_MESSENGER_MS // 60_000
                reason = f"the widget script did not arrive within {minutes} minutes after widget_timeout_ms"
                handlers["deadline_fn"] = self._rt.create_once_callable(
                    lambda *_: settled(False, reason, "deadline_fn")
                )
                handlers["deadline"] = js.setTimeout(handlers["deadline_fn"], LATE_MESSENGER_MS)

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
            js.window.addEventListener("load", self._rt.create_once_callable(inject), self._rt.js_value({"once": True}))
