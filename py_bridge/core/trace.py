"""Debug mode: what happened to each call, as one collapsed console group, and the session's events for export.

A site owner debugging an integration wants to see, per call, what the page sent, what the pipeline decided
(filtered, transformed, held for consent, verification or the update throttle) and which Intercom calls were made,
without ever seeing a `user_hash` or JWT in the console, in any spelling and at any depth (`credentials` names
them). The bridge hands each call's commands to `Tracer.trace`, which folds its decision lines into one `Trace`
command; `Tracer.record` keeps the session's events (bounded) in the shape a transformation receives, so
`pybridge.debug.export()` can hand them to `py-bridge transform` for replay.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, Final

from py_bridge.core.commands import Command, IntercomCall, Log, Trace
from py_bridge.core.credentials import redact_deep

__all__ = ["MAX_RECORDED", "STARTUP_RECORD", "Tracer"]

MAX_RECORDED: Final = 5000  # events kept for export; the oldest go first
# The key of the export's first line, `{"startup": {"mode", "ms", "phases", "fallback"?}}`: how this session
# started (the page's start-up timeline), written by the page runtime (web/page/debug-exports.js) before the events.
# Not an event: `py-bridge transform` passes over it.
STARTUP_RECORD: Final = "startup"
MAX_TITLE_ARG: Final = 40


def _title(method: str, args: Any) -> str:
    shown = []
    for arg in args if isinstance(args, list) else []:
        if isinstance(arg, str):
            text = arg if len(arg) <= MAX_TITLE_ARG else arg[: MAX_TITLE_ARG - 1] + "…"
            shown.append(json.dumps(text, ensure_ascii=False))
        elif isinstance(arg, dict) and arg.get("$pybridge") == "callback":
            shown.append("callback")
        elif isinstance(arg, dict):
            shown.append("{…}")
        elif arg is None or isinstance(arg, bool | int | float):
            shown.append(json.dumps(arg))
    return f"{method}({', '.join(shown)})"


class Tracer:
    """Folds a call's decisions into a Trace, and keeps the recent events for `debug.export()`."""

    def __init__(self, enabled: bool, to_record: Callable[[Any], dict[str, Any] | None] | None = None) -> None:
        self.enabled = enabled
        self.to_record = to_record
        self.recorded: deque[dict[str, Any]] = deque(maxlen=MAX_RECORDED)

    def trace(self, item: dict[str, Any], commands: Iterable[Command], extra: Iterable[str] = ()) -> list[Command]:
        """With debug on: the call's debug lines become steps of one Trace appended after its commands."""
        commands = list(commands)
        if not self.enabled:
            return commands
        steps = [*extra]
        made: list[Any] = []
        kept: list[Command] = []
        for command in commands:
            if isinstance(command, Log):
                steps.append(f"{command.level}: {command.message}" if command.level != "debug" else command.message)
                if command.level == "debug":
                    continue  # shown in the group instead of as a line of its own
            elif isinstance(command, IntercomCall):
                made.append([command.method, *redact_deep(list(command.args))])
            kept.append(command)
        method = str(item.get("method") or item.get("kind") or "call")
        received = redact_deep(item.get("args", []))
        return [*kept, Trace(_title(method, received), received, tuple(steps), tuple(made))]

    def record(self, event: Any) -> None:
        """Keep one event (converted by `to_record`, the transform shape) for export; never raises."""
        if self.to_record is None:
            return
        try:
            spec = self.to_record(event)
        except Exception:
            return
        if spec is not None:
            self.recorded.append(redact_deep(spec))

    def export(self) -> str:
        """The recorded events as JSON lines, oldest first, credentials redacted."""
        return "".join(json.dumps(e, ensure_ascii=False, default=str) + "\n" for e in self.recorded)
