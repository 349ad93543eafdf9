"""Consent: with `{"consent": {"required": true}}` nothing loads and nothing is sent until the page says yes.

Calls made before the answer wait in a bounded buffer: sent in order on `consent(true)`, dropped on `consent(false)`.
The gate also decides what an answer changes (`take`): a grant, a refusal, a withdrawal mid-session, or nothing;
what each means for Intercom and the page's user is the bridge's to do.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Answer", "ConsentGate"]

State = Literal["pending", "granted", "denied"]


@dataclass(frozen=True)
class Answer:
    """What one consent answer changed: nothing, a grant (the held calls to send now, in order), a refusal of a
    pending question (how many held calls were dropped), or a withdrawal of consent given earlier."""

    change: Literal["none", "granted", "refused", "withdrawn"]
    held: list[Any]
    dropped: int


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

    def take(self, granted: bool, anonymous_id: Any = None) -> Answer:
        """Record the page's answer and say what it changed. A grant hands over the held calls carrying the
        browser's stored `anonymous_id`: the page adopts it only once storage is allowed, so calls held until now
        carry a provisional one, and must not create one more Intercom visitor each page view."""
        previous = self.state
        held_count = len(self.buffer)
        held = self.answer(granted)
        if granted and isinstance(anonymous_id, str) and anonymous_id:
            for item in held:
                context = item.get("context") if isinstance(item, dict) else None
                if isinstance(context, dict):
                    context["anonymous_id"] = anonymous_id
        if previous != "pending" and granted == (previous == "granted"):
            return Answer("none", [], held_count)
        if not granted:
            return Answer("withdrawn" if previous == "granted" else "refused", [], held_count)
        return Answer("granted", held, 0)

    def respect(self, page_answer: str | None) -> None:
        """The page's own record of the answer ("denied", "pending", "granted" or None) restricts what this gate
        starts from: it was recorded on the page, at once, while this worker did not exist yet; a state handed over
        from a worker that ran the site's code cannot widen it."""
        if page_answer == "denied":
            self.state = "denied"
            self.buffer.clear()
        elif page_answer == "pending" and self.required and self.state == "granted":
            self.state = "pending"

    def restore(self, state: State, held: list[Any]) -> None:
        """Take over a previous worker's gate: its state, and the calls it held if the question is still open."""
        self.state = state
        self.buffer.clear()
        self.buffer.extend(held if state == "pending" else [])
