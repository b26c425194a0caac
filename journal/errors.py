"""The journal's exceptions: one root, and corruption that names where it was found."""

from pathlib import Path

__all__ = ["JournalCorruption", "JournalError"]


class JournalError(Exception):
    """Root of every error the journal raises."""


class JournalFull(JournalError):
    """The journal's disk has no room left (its reserve spent too): nothing more can be journaled."""


class JournalCorruption(JournalError):
    """A journal file holds bytes that cannot be trusted; `path` and `offset` say where."""

    def __init__(self, path: Path, offset: int, reason: str) -> None:
        super().__init__(f"{path}: corrupt journal at byte {offset}: {reason}")
        self.path = path
        self.offset = offset
        self.reason = reason
