"""The worker boundary: JSON messages from embed.js in, JSON command lists out.

This module runs inside the py-bridge Web Worker (Pyodide). It imports nothing from `js`: the worker script hands
it one `post` function, and every message crosses as a JSON string, which is cheaper than proxying nested objects
and guarantees that only plain data reaches the page (no proxies, no `Map`s, no functions).
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Final

from py_bridge.bridge import Bridge, start_bridge
from py_bridge.commands import Command, Log, to_message

__all__ = ["HEARTBEAT_S", "WorkerSession"]

# While a long backlog is handled, the page hears from the worker at least this often: busy is not dead.
HEARTBEAT_S: Final = 1.0


class WorkerSession:
    """One page's bridge inside the worker. `post(json_text)` sends a JSON array of commands to the page."""

    def __init__(
        self,
        post: Callable[[str], Any],
        beat: Callable[[], Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
        mark: Callable[[str], Any] | None = None,
    ) -> None:
        self.post = post
        self.beat = beat
        self.mark = mark  # tells the page which transformation is about to run (its watchdog names a file that hangs)
        self.clock = clock
        self.bridge: Bridge | None = None
        self.stopped = False

    def handle(self, text: str) -> None:
        """Handle one message from the page. Never raises: an internal error becomes one `[py-bridge]` error."""
        try:
            message = json.loads(text)
            commands = self._handle(message if isinstance(message, dict) else {})
        except Exception as error:  # contained; the page must never see a Python exception
            detail = traceback.format_exception_only(type(error), error)[-1].strip()
            commands = [Log("error", f"internal error in the worker: {detail[:300]}")]
        self._send(commands)

    def _handle(self, message: dict[str, Any]) -> list[Command]:
        kind = message.get("type")
        if kind == "init" and self.bridge is None and not self.stopped:
            sources, fetch_notes = _transform_sources(message.get("transforms"))
            bridge, errors = start_bridge(
                message.get("settings"), message.get("env"), transform_sources=sources, on_transform=self.mark
            )
            if bridge is None:
                self.stopped = True
                self._send(errors, stop=True)
                return []
            self.bridge = bridge
            history = message.get("history")
            if isinstance(history, list) and history:
                bridge.restore(self._beating(history), bridge_env_widget(message.get("env")))
            items = message.get("items")
            return [*fetch_notes, *errors, *bridge.start(self._beating(items if isinstance(items, list) else []))]
        if kind == "batch" and self.bridge is not None:
            items = message.get("items")
            return self.bridge.receive_many(self._beating(items if isinstance(items, list) else []))
        return []

    def _beating(self, items: Iterable[Any]) -> Iterator[Any]:
        """Yield the items, telling the page every HEARTBEAT_S that this worker is alive and working through them."""
        last = self.clock()
        for item in items:
            yield item
            if self.beat is not None and self.clock() - last >= HEARTBEAT_S:
                last = self.clock()
                self.beat()

    def _send(self, commands: list[Command], *, stop: bool = False) -> None:
        messages = [to_message(c) for c in commands]
        if stop:
            messages.append({"op": "stop"})
        if messages:
            self.post(json.dumps(messages, ensure_ascii=False, allow_nan=False, default=str))


def bridge_env_widget(env: Any) -> str | None:
    """On a restart, the page says what its Messenger already is."""
    widget = env.get("widget") if isinstance(env, dict) else None
    return widget if isinstance(widget, str) else None


def _transform_sources(raw: Any) -> tuple[list[tuple[str, str]], list[Command]]:
    """The transformation files worker.mjs fetched: (url, text) for those it got, a warning for the others."""
    sources: list[tuple[str, str]] = []
    notes: list[Command] = []
    for entry in raw if isinstance(raw, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
            continue
        url = entry["url"][:2000]
        if entry.get("ok") is True and isinstance(entry.get("text"), str):
            sources.append((url, entry["text"]))
        else:
            reason = str(entry.get("error") or f"HTTP {entry.get('status')}")[:200]
            notes.append(Log("warn", f"transform {url} could not be fetched ({reason}); skipped"))
    return sources, notes
