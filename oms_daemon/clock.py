"""``EventClock``: the receive times the shell stamps on inputs, which never go back.

Event time drives everything in the core that waits (token buckets, lookup graces, staleness), so it must
keep moving at the real rate even when the wall clock steps back (an NTP step, a VM resume, a bad RTC, a
restart with the clock behind the journal). The clock follows the wall clock while it moves forward; once
the wall clock is more than ``step_threshold_ns`` behind the time already stamped, it carries that time on
with the monotonic clock (and says so, with the size of the step) until the wall clock has caught up.
"""

import time
from collections.abc import Callable

__all__ = ["EventClock"]

SECOND = 1_000_000_000


class EventClock:
    """Strictly increasing UTC nanoseconds, at least ``floor_ns`` + 1 (the journal's latest stamp)."""

    def __init__(
        self,
        floor_ns: int = 0,
        step_threshold_ns: int = SECOND,
        wall: Callable[[], int] = time.time_ns,
        monotonic: Callable[[], int] = time.monotonic_ns,
    ) -> None:
        self._wall = wall
        self._monotonic = monotonic
        self._threshold = step_threshold_ns
        self._anchor = floor_ns  # event time at ``_anchor_mono``
        self._anchor_mono = monotonic()
        self._last = floor_ns
        self.behind_ns = 0
        """How far the wall clock is behind event time (0 while they agree within the threshold)."""
        self.now_ns()

    def resume_after(self, floor_ns: int) -> None:
        """Go on from ``floor_ns`` (the journal's latest stamp, after recovery) if the clock is not past it."""
        if floor_ns >= self._last:
            self._anchor, self._anchor_mono, self._last = floor_ns + 1, self._monotonic(), floor_ns
            self.now_ns()

    def now_ns(self) -> int:
        """The receive time for an input taken in now."""
        wall, mono = self._wall(), self._monotonic()
        carried = self._anchor + (mono - self._anchor_mono)
        if wall >= carried - self._threshold:  # the wall clock agrees (a small step back only pauses time)
            self._anchor, self._anchor_mono = wall, mono
            self.behind_ns = 0
            stamp = wall
        else:  # stepped back: time goes on from where it was
            self.behind_ns = carried - wall
            stamp = carried
        if stamp <= self._last:
            stamp = self._last + 1
        self._last = stamp
        return stamp
