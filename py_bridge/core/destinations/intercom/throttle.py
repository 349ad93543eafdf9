"""The `update` budget: Intercom allows 20 `update` calls per 30 minutes per page load.

Intercom silently ignores updates past the quota (the console shows `rate_limited_update`), which is how the CDP
integrations lose SPA route changes and late trait changes. We count our own calls so data is never lost: page-only
updates are skipped when the budget is short, data updates wait (merged) until the budget frees.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Final

__all__ = ["UPDATE_LIMIT", "UPDATE_WINDOW_S", "UpdateBudget"]

UPDATE_LIMIT: Final = 20
UPDATE_WINDOW_S: Final = 30 * 60


@dataclass
class UpdateBudget:
    """A sliding window of the times updates were sent. A sliding window is never looser than Intercom's fixed one."""

    limit: int = UPDATE_LIMIT
    window_s: float = UPDATE_WINDOW_S
    page_reserve: int = 2  # keep the last few for data so a burst of navigations cannot delay a trait change
    _sent: deque[float] = field(default_factory=deque)

    def _expire(self, now: float) -> None:
        while self._sent and now - self._sent[0] >= self.window_s:
            self._sent.popleft()

    def remaining(self, now: float) -> int:
        self._expire(now)
        return self.limit - len(self._sent)

    def can_send(self, now: float, *, carries_data: bool) -> bool:
        left = self.remaining(now)
        return left > 0 if carries_data else left > self.page_reserve

    def use(self, now: float) -> None:
        """Charge one update sent now. A clock reading older than the last charge is charged at the last one, so
        the window stays ordered and a send can never be booked into the past (where it would expire early)."""
        at = max(now, self._sent[-1]) if self._sent else now
        self._expire(at)
        self._sent.append(at)

    def charges(self) -> list[float]:
        """When the updates still in the window were sent (oldest first): a restarted worker's budget starts there."""
        return list(self._sent)

    def restore(self, charges: list[float]) -> None:
        """Take over the charges a previous worker made (oldest first, at most `limit` of them)."""
        self._sent = deque(sorted(charges)[-self.limit :])

    def seconds_until_free(self, now: float) -> float:
        """How long until one more data update may be sent (0 when one may be sent now)."""
        self._expire(now)
        if len(self._sent) < self.limit:
            return 0.0
        return max(0.0, self._sent[0] + self.window_s - now)
