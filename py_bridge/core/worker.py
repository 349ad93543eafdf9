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

from py_bridge.core.bridge import Bridge, start_bridge
from py_bridge.core.commands import Command, Log, State, to_message
from py_bridge.core.transform_files import (
    CREDENTIALS_REFUSED,
    EntryUrl,
    entry_name,
    has_credentials,
    refusal,
    without_urls,
)

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
        mark: Callable[[str, str], Any] | None = None,
    ) -> None:
        self.post = post
        self.beat = beat
        # mark(name, phase): which transformation is about to "load" or "run" (the page's watchdog names a file
        # that hangs, and restarts the worker without it).
        self.mark = mark
        self.clock = clock
        self.bridge: Bridge | None = None
        self.stopped = False
        self.sent_state: str | None = None  # the JSON text of the last State sent: an unchanged one is not resent

    def handle(self, text: str) -> None:
        """Handle one message from the page. Never raises: an internal error becomes one `[py-bridge]` error."""
        try:
            message = json.loads(text)
            message = message if isinstance(message, dict) else {}
            commands = self._handle(message)
            if message.get("type") in ("init", "batch"):
                commands += self._state()
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
            items = message.get("items")
            queued = self._beating(items if isinstance(items, list) else [])
            state = message.get("state")
            if isinstance(state, dict):
                # A restart: the page's Messenger is already loaded and booted. Go on from the previous worker's
                # state, then handle the calls it had not handled (never load or boot again, never replay).
                resumed = bridge.resume(state, bridge_env_widget(message.get("env")))
                return [*fetch_notes, *errors, *resumed, *bridge.receive_many(queued)]
            return [*fetch_notes, *errors, *bridge.start(queued)]
        if kind == "batch" and self.bridge is not None:
            items = message.get("items")
            return self.bridge.receive_many(self._beating(items if isinstance(items, list) else []))
        return []

    def _state(self) -> list[Command]:
        """The bridge's state for the page, when it changed. Only with transformations: a worker is only ever
        restarted because a transformation hung, and without one this would be work for nothing."""
        bridge = self.bridge
        if bridge is None or bridge.transforms is None:
            return []
        try:
            state = bridge.state()
            text = json.dumps(state, ensure_ascii=False, allow_nan=False, default=str)
        except (TypeError, ValueError):  # never costs the message's commands; the page keeps the previous state
            return []
        if text == self.sent_state:
            return []
        self.sent_state = text
        return [State(state)]

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
    """On a restart, the page says what its Messenger already is (env.widget)."""
    widget = env.get("widget") if isinstance(env, dict) else None
    return widget if isinstance(widget, str) else None


def _transform_sources(raw: Any) -> tuple[list[tuple[str, str]], list[Command]]:
    """The transformation files worker.mjs fetched: (url, text) for the answers that may run, a warning for the others.

    worker.mjs reports what came back ({url, index, status, type, redirected, text} or {url, index, error}); which
    answers may run is decided by `transform_files.refusal`, as for the PyScript entry. A URL with a user name or
    password is refused whatever came back (the page refuses it too). Warnings name the entry by its index (the
    site's, as worker.mjs sends it) and origin, never its path, query or credentials, and so do the reports about the
    files that run: each source's name is an `EntryUrl` carrying that label."""
    sources: list[tuple[str, str]] = []
    notes: list[Command] = []
    for entry in raw if isinstance(raw, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
            continue
        url = entry["url"][:2000]
        raw_index = entry.get("index")
        index = raw_index if isinstance(raw_index, int) and not isinstance(raw_index, bool) else None
        name = entry_name(index, url)
        status = entry.get("status")
        content_type = entry.get("type")
        if has_credentials(url):
            reason: str | None = CREDENTIALS_REFUSED
        elif entry.get("error") is not None:
            reason = f"could not be fetched ({without_urls(str(entry['error']))[:200]})"
        else:
            reason = refusal(
                status if isinstance(status, int) and not isinstance(status, bool) else 0,
                content_type if isinstance(content_type, str) else None,
                entry.get("redirected") is True,
            )
        if reason is None and not isinstance(entry.get("text"), str):
            reason = "could not be fetched (no text)"
        if reason is None:
            sources.append((EntryUrl(url, index), entry["text"]))
        else:
            notes.append(Log("warn", f"{name} {reason}; skipped"))
    return sources, notes
