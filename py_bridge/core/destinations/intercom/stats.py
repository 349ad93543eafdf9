"""The destination's counters: one object shared by the parts that count (session, update queue, destination).

Each part adds to its own counters; keeping them in one place keeps the debug report, the benchmarks and a
restarted worker's hand-over (handover.py) reading a single flat record.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Stats"]


@dataclass
class Stats:
    """Counters reported in debug logs and read by tests and benchmarks."""

    boots: int = 0
    updates_sent: int = 0
    page_updates_skipped: int = 0
    updates_deferred: int = 0
    events_sent: int = 0
    dropped_unavailable: int = 0
    held_back: int = 0
