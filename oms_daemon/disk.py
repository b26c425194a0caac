"""``DiskWatch``: the journal's free space, looked at on every timer tick.

It turns the space into journaled facts (``JournalSpace``): low once the free space falls below the low-water
mark or a full disk made the journal spend its space reserve; room again once the free space is back above
the mark by a tenth (so it does not flap) and the reserve could be taken again.
"""

from journal import JournalWriter
from oms_daemon.core.inputs import JournalSpace

__all__ = ["DiskWatch"]

MB = 1024 * 1024


class DiskWatch:
    """Whether the journal's disk is low, from ``journal``'s free space and reserve."""

    def __init__(self, journal: JournalWriter, low_water_bytes: int) -> None:
        self._journal = journal
        self._low_water = low_water_bytes
        self._margin = low_water_bytes // 10
        self.low = False
        self.free_bytes = journal.free_bytes

    def check(self, now_ns: int) -> JournalSpace | None:
        """The fact to journal when the disk became low or has room again (None while nothing changed)."""
        journal = self._journal
        free = self.free_bytes = journal.free_bytes
        if not self.low:
            reason = "space reserve spent: the disk filled" if journal.reserve_spent else ""
            if not reason and free < self._low_water:
                reason = f"below the low-water mark of {self._low_water / MB:.1f} MB"
            if not reason:
                return None
            self.low = True
            return JournalSpace(ts_recv=now_ns, low=True, free_bytes=free, reason=reason)
        if free < self._low_water + self._margin or (journal.reserve_spent and not journal.restore_reserve()):
            return None
        self.low = False
        return JournalSpace(ts_recv=now_ns, low=False, free_bytes=journal.free_bytes)
