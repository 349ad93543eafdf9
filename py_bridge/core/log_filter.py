"""What reaches the page's console: debug lines only in debug mode, and no flood of one warning.

A loop in the site's code can make the same bad call thousands of times; each would be a `[py-bridge]` warning.
Identical warnings are shown a few times, the last of them saying that further ones are suppressed. The count is
bounded: hostile input can make every message distinct, so the memory of seen messages is dropped when full.
"""

from __future__ import annotations

from collections import Counter
from typing import Final

from py_bridge.core.commands import Command, Log

__all__ = ["MAX_DISTINCT_WARNINGS", "WARNING_REPEATS", "LogFilter"]

WARNING_REPEATS: Final = 5  # identical warnings after this many are summarised once, so a loop cannot flood the console
MAX_DISTINCT_WARNINGS: Final = 1000


class LogFilter:
    """The warnings seen so far (one count a message), and the filter every batch of commands passes through."""

    def __init__(self) -> None:
        self._warned: Counter[str] = Counter()

    def __call__(self, commands: list[Command], *, debug: bool) -> list[Command]:
        """Drop debug lines unless `debug`, and summarise repeated warnings."""
        out: list[Command] = []
        for command in commands:
            if isinstance(command, Log):
                if command.level == "debug" and not debug:
                    continue
                if command.level in ("warn", "error"):
                    if len(self._warned) >= MAX_DISTINCT_WARNINGS:
                        self._warned.clear()  # bounded memory: hostile input can make every message distinct
                    self._warned[command.message] += 1
                    seen = self._warned[command.message]
                    if seen > WARNING_REPEATS:
                        continue
                    if seen == WARNING_REPEATS:
                        command = Log(command.level, command.message + " (further identical warnings suppressed)")
            out.append(command)
        return out
