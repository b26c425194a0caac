"""``CircuitBreaker``: after N consecutive failures a venue connection is declared unavailable until it works again."""

import time
from collections.abc import Callable
from enum import StrEnum

__all__ = ["BreakerState", "CircuitBreaker"]


class BreakerState(StrEnum):
    """CLOSED: the venue works. OPEN: it failed N times in a row; new orders are gated. HALF_OPEN: the
    cool-down has passed; the next probe decides."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Counts consecutive failures of one venue connection; ``on_change(available, reason)`` when it opens or closes."""

    def __init__(
        self,
        threshold: int,
        cooldown_s: float,
        on_change: Callable[[bool, str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = threshold
        self.cooldown_s = cooldown_s
        self.on_change = on_change
        self._clock = clock
        self.failures = 0
        self.opened_at = 0.0
        self._open = False
        self.last_error = ""

    @property
    def state(self) -> BreakerState:
        """The state now (OPEN becomes HALF_OPEN once the cool-down has passed)."""
        if not self._open:
            return BreakerState.CLOSED
        if self._clock() - self.opened_at >= self.cooldown_s:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    @property
    def closed(self) -> bool:
        """True when the venue is considered available."""
        return not self._open

    def success(self) -> None:
        """A call (or a probe, or a stream connect) worked: reset the count, close if open."""
        self.failures = 0
        if self._open:
            self._open = False
            if self.on_change is not None:
                self.on_change(True, "venue answers again")

    def failure(self, reason: str) -> None:
        """A call failed for transport or availability reasons; open after ``threshold`` in a row."""
        self.failures += 1
        self.last_error = reason
        if self._open:
            self.opened_at = self._clock()  # a failed probe starts a new cool-down
            return
        if self.failures >= self.threshold:
            self._open = True
            self.opened_at = self._clock()
            if self.on_change is not None:
                self.on_change(False, f"{self.failures} consecutive failures, last: {reason}")
