"""A small filesystem of the test's own (tmpfs, where the test may mount one), to fill up on purpose."""

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

__all__ = ["can_mount", "fill", "small_filesystem"]


def can_mount() -> bool:
    """Whether this process may mount a tmpfs (root with CAP_SYS_ADMIN, and ``mount`` at hand)."""
    return os.geteuid() == 0 and shutil.which("mount") is not None


@contextlib.contextmanager
def small_filesystem(where: Path, size_bytes: int) -> Iterator[Path]:
    """A tmpfs of ``size_bytes`` mounted at ``where`` for the duration (unmounted after, even on failure)."""
    where.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_bytes}", "tmpfs", str(where)], check=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(path: Path, leave_bytes: int = 0) -> int:
    """Grow the ballast file ``path`` until its filesystem has at most ``leave_bytes`` free; bytes written."""
    written = 0
    with path.open("ab") as ballast:
        while True:
            stat = os.statvfs(path.parent)
            room = stat.f_bavail * stat.f_frsize - leave_bytes
            if room <= 0:
                return written
            try:
                ballast.write(b"\0" * min(room, 1 << 20))
                ballast.flush()
                os.fsync(ballast.fileno())
            except OSError:
                return written
            written += min(room, 1 << 20)
