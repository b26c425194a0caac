"""Exponential back-off with jitter."""

import random

__all__ = ["Backoff"]


class Backoff:
    """Delay before retry ``n`` (0-based): ``initial * multiplier ** n`` capped at ``maximum``, less up to
    ``jitter`` of it at random, so that many clients retrying together spread out."""

    def __init__(
        self, initial: float, multiplier: float, maximum: float, jitter: float, rng: random.Random | None = None
    ) -> None:
        self.initial = initial
        self.multiplier = multiplier
        self.maximum = maximum
        self.jitter = jitter
        self._rng = rng or random.Random()

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt``."""
        base = min(self.initial * self.multiplier**attempt, self.maximum)
        return base * (1 - self.jitter * self._rng.random())
