"""A minimal WebDriver BiDi client over `websockets`: enough to drive Debian's Firefox ESR (engine tests, bench).

Why our own: Firefox speaks WebDriver BiDi natively (`--remote-debugging-port`), but the maintained Python clients
reach it only through geckodriver (Selenium), which Debian does not package and PyPI carries only as third-party
binary wheels; Playwright cannot drive Firefox ESR (docs/engines.md). The protocol itself is JSON over one
WebSocket: a command `{"id", "method", "params"}` is answered by a message with the same id, and events
(`{"type": "event", "method", "params"}`) arrive in between. This module does exactly that and nothing more:
one reader thread matches answers to waiting commands and hands events to subscribers, in the order received.

Spec: https://w3c.github.io/webdriver-bidi/ (commands used: session.new/subscribe, browser.createUserContext/
removeUserContext/close, browsingContext.create/navigate/close/locateNodes, script.callFunction,
input.performActions, storage.getCookies).
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection

__all__ = ["BiDiClient", "BiDiError"]

Listener = Callable[[dict[str, Any]], None]


class BiDiError(RuntimeError):
    """A command the browser answered with an error (`{"type": "error", "error", "message"}`)."""


class _Pending:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.message: dict[str, Any] = {}


class BiDiClient:
    """Commands and events over an open WebSocket to `ws://HOST:PORT/session` (the caller opens and closes it)."""

    def __init__(self, connection: ClientConnection) -> None:
        self._connection = connection
        self._ids = itertools.count(1)
        self._pending: dict[int, _Pending] = {}
        self._lock = threading.Lock()
        self._listeners: dict[str, list[Listener]] = {}
        self._closed = False
        self._reader = threading.Thread(target=self._read, name="bidi-reader", daemon=True)
        self._reader.start()

    def on(self, event: str, listener: Listener) -> None:
        """Call `listener(params)` for each `event` (e.g. "log.entryAdded"), on the reader thread. Subscribe to it
        in the browser with `session.subscribe` as well."""
        self._listeners.setdefault(event, []).append(listener)

    def send(self, method: str, params: dict[str, Any] | None = None, timeout_s: float = 60) -> dict[str, Any]:
        """Send one command and wait for its answer; returns its `result` or raises BiDiError."""
        command_id = next(self._ids)
        pending = _Pending()
        with self._lock:
            if self._closed:
                raise BiDiError(f"{method}: the connection to the browser is closed")
            self._pending[command_id] = pending
        self._connection.send(json.dumps({"id": command_id, "method": method, "params": params or {}}))
        if not pending.done.wait(timeout_s):
            with self._lock:
                self._pending.pop(command_id, None)
            raise BiDiError(f"{method}: no answer within {timeout_s} s")
        message = pending.message
        if message.get("type") != "success":
            raise BiDiError(f"{method}: {message.get('error', 'closed')}: {message.get('message', '')}".strip())
        result: dict[str, Any] = message.get("result", {})
        return result

    def _read(self) -> None:
        try:
            for raw in self._connection:
                message = json.loads(raw)
                if message.get("type") == "event":
                    for listener in self._listeners.get(message.get("method", ""), []):
                        listener(message.get("params", {}))
                    continue
                with self._lock:
                    pending = self._pending.pop(message.get("id", -1), None)
                if pending is not None:
                    pending.message = message
                    pending.done.set()
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                self._closed = True
                waiting, self._pending = list(self._pending.values()), {}
            for pending in waiting:  # answered with an error: the browser went away
                pending.done.set()
