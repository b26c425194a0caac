"""``RateGate``: one venue connection's pause after a rate limit; every call waits at the gate."""

import asyncio
import time
from collections.abc import Callable

__all__ = ["RateGate"]


class RateGate:
    """Closed for the venue's Retry-After once it said "slow down"; then open to one trial call, and to
    everyone once a call has gone through without being limited again.

    Pausing every call, not only the one that was refused, is what keeps a 429 from becoming a ban: the
    venue counts all of them. The single trial keeps callers that all waited out the same pause from
    arriving together and tripping the limit again.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.paused_until = 0.0
        self.reason = ""
        self._limited = False
        self._trial = False
        self._watchers: list[Callable[[float], None]] = []

    @property
    def remaining(self) -> float:
        """Seconds until the pause ends (0 when not paused)."""
        return max(0.0, self.paused_until - self._clock())

    @property
    def limited(self) -> bool:
        """True from a rate limit until a call has gone through after it."""
        return self._limited

    def watch(self, watcher: Callable[[float], None]) -> None:
        """Tell ``watcher`` the seconds left of every pause from now on (callers the gate does not see)."""
        self._watchers.append(watcher)

    def unwatch(self, watcher: Callable[[float], None]) -> None:
        """Stop telling ``watcher``."""
        self._watchers.remove(watcher)

    def pause(self, seconds: float, reason: str = "") -> None:
        """Close the gate for ``seconds`` from now (never shortens a longer pause)."""
        self._limited = True
        until = self._clock() + seconds
        if until > self.paused_until:
            self.paused_until = until
            self.reason = reason
            for watcher in self._watchers:
                watcher(until - self._clock())

    async def enter(self) -> bool:
        """Wait until this caller may go; True when it goes as the one trial after a pause."""
        while True:
            if (left := self.remaining) > 0:
                await asyncio.sleep(left)
                continue
            if not self._limited:
                return False
            if not self._trial:
                self._trial = True
                return True
            await asyncio.sleep(0.005)

    def leave(self, trial: bool, limited: bool) -> None:
        """A call that entered is done; a trial that was not limited opens the gate for everyone."""
        if trial:
            self._trial = False
            if not limited:
                self._limited = False
