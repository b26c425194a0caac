"""The values the journal stores and reports: records, their kinds, and a cut torn tail."""

from enum import IntEnum
from pathlib import Path

import msgspec

__all__ = ["JournalRecord", "RecordKind", "TornTail"]


class RecordKind(IntEnum):
    """What a record holds: an input event, or a checksum of the state it led to."""

    EVENT = 1
    CHECKSUM = 2


class JournalRecord(msgspec.Struct, frozen=True, gc=False):
    """One journaled record; `payload` is the caller's opaque msgpack bytes, `ts_ns` UTC ns since epoch."""

    seq: int
    kind: RecordKind
    ts_ns: int
    payload: bytes


class TornTail(msgspec.Struct, frozen=True):
    """An incomplete final record left by a crash: `bytes_cut` bytes from `offset` in `path` are not used."""

    path: Path
    offset: int
    bytes_cut: int
