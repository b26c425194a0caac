"""Disk space for the journal: how much is free, and a reserve given back when the disk fills.

The reserve is a preallocated file (``.reserve``) beside the journal files. When a write finds the disk full,
the writer deletes it and writes again, so what is already in flight (venue events of working orders,
cancels) can still be journaled while the daemon refuses new risk and asks for an operator.
"""

import errno
import os
from pathlib import Path

__all__ = ["FULL_ERRNOS", "SpaceReserve", "free_bytes"]

FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
"""Write failures that mean "no room": a full filesystem, a quota, a file-size limit."""


def free_bytes(directory: Path) -> int:
    """Bytes an unprivileged writer may still use on the filesystem of ``directory``."""
    stat = os.statvfs(directory)
    return stat.f_bavail * stat.f_frsize


class SpaceReserve:
    """``size`` bytes held in ``directory/.reserve`` (none when ``size`` is 0)."""

    def __init__(self, directory: Path, size: int) -> None:
        self.path = Path(directory) / ".reserve"
        self.size = size

    @property
    def held(self) -> bool:
        """True while the reserve file holds its whole size."""
        try:
            return self.path.stat().st_size >= self.size
        except FileNotFoundError:
            return False

    def ensure(self) -> bool:
        """Hold the reserve (allocating what is missing); False if the disk has not the room for it."""
        if self.size == 0 or self.held:
            return self.size > 0
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            os.posix_fallocate(fd, 0, self.size)
            os.fsync(fd)
        except OSError as error:
            if error.errno not in FULL_ERRNOS:
                raise
            self.path.unlink(missing_ok=True)  # no half reserve: it would only look held
            return False
        finally:
            os.close(fd)
        return True

    def release(self) -> bool:
        """Give the reserve's space back to the filesystem; False if there was none to give."""
        if not self.path.exists():
            return False
        self.path.unlink()
        return True
