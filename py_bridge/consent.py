"""Consent: with `{"consent": {"required": true}}` nothing loads and nothing is sent until the page says yes.

Calls made before the answer wait in a bounded buffer: sent in order on `consent(true)`, dropped on `consent(false)`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["ConsentGate"]

State = Literal["pending", "granted", "denied"]


@dataclass
class ConsentGate:
    required: bool
    limit: int
    state: State = "granted"
    buffer: deque[Any] = field(default_factory=deque)
    dropped: int = 0

    def __post_init__(self) -> None:
        self.state = "pending" if self.required else "granted"

    @property
    def open(self) -> bool:
        return self.state == "granted"

    def hold(self, item: Any) -> bool:
        """Keep a call until consent is answered; False when the buffer is full (the call is dropped)."""
        if len(self.buffer) >= self.limit:
            self.dropped += 1
            return False
        self.buffer.append(item)
        return True

    def answer(self, granted: bool) -> list[Any]:
        """Record the answer; returns the held calls to send (empty when denied)."""
        self.state = "granted" if granted else "denied"
        held = list(self.buffer) if granted else []
        self.buffer.clear()
        return held
