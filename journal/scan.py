"""Walk one `.omsj` file's frames, checking CRC and sequence, and tell a torn tail from corruption.

A frame that fails (header cut short, payload past end of file, CRC mismatch) is a torn tail only in
the last file read and only when no valid frame (good CRC) follows it anywhere; otherwise it is
corruption. An impossible length, a sequence that does not go +1 and an unknown kind are always
corruption. A file shorter than its header is a torn tail when last, corruption otherwise.
"""

import mmap
import os
from collections.abc import Generator, Iterator
from pathlib import Path
from zlib import crc32

from journal.errors import JournalCorruption
from journal.layout import (
    FILE_HEADER_SIZE,
    FRAME_HEAD,
    FRAME_HEAD_SIZE,
    FRAME_LENGTH_CRC,
    KIND_BY_CODE,
    MAX_RECORD_BYTES,
    decode_file_header,
)
from journal.record import JournalRecord, TornTail

__all__ = ["FileScan"]

_CRC_START = 8
"""Offset within a frame where the CRC-covered bytes begin (after length and crc)."""

Buffer = bytes | mmap.mmap


class FileScan:
    """Iterates one `.omsj` file's records; afterwards holds its schema version, next seq and torn tail.

    `expected_seq` is the seq the first record must carry (None accepts any start). `is_last` says the
    file is the newest one read, the only place a torn tail may be. The file is mapped, not modified.
    """

    def __init__(self, path: Path, expected_seq: int | None, *, is_last: bool) -> None:
        self.path = path
        self.expected_seq = expected_seq
        self.is_last = is_last
        self.schema_version: int | None = None
        self.next_seq: int | None = expected_seq
        self.torn_tail: TornTail | None = None

    def __iter__(self) -> Iterator[JournalRecord]:
        with open(self.path, "rb") as file:
            size = os.fstat(file.fileno()).st_size
            if size < FILE_HEADER_SIZE:
                if not self.is_last:
                    raise JournalCorruption(self.path, 0, f"file of {size} bytes is shorter than its header")
                self.torn_tail = TornTail(self.path, 0, size)
                return
            with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
                self.schema_version = decode_file_header(data, self.path)
                self.next_seq, self.torn_tail = yield from _read_frames(
                    data, self.path, FILE_HEADER_SIZE, self.expected_seq, is_last=self.is_last
                )


def _read_frames(
    data: Buffer, path: Path, offset: int, expected_seq: int | None, *, is_last: bool
) -> Generator[JournalRecord, None, tuple[int | None, TornTail | None]]:
    """Yield the records framed in `data` from `offset`; return (next expected seq, torn tail or None)."""
    end = len(data)
    if expected_seq is None and end - offset >= FRAME_HEAD_SIZE:
        expected_seq = FRAME_HEAD.unpack_from(data, offset)[2]
    unpack = FRAME_HEAD.unpack_from
    kinds = KIND_BY_CODE
    record = JournalRecord
    with memoryview(data) as view:
        while offset < end:
            if end - offset < FRAME_HEAD_SIZE:
                break
            size, crc, seq, code, ts_ns = unpack(data, offset)
            body = offset + FRAME_HEAD_SIZE
            stop = body + size
            if stop > end or size > MAX_RECORD_BYTES or crc32(view[offset + _CRC_START : stop]) != crc:
                break
            if seq != expected_seq:
                raise JournalCorruption(path, offset, f"sequence {seq} where {expected_seq} was expected")
            kind = kinds[code]
            if kind is None:
                raise JournalCorruption(path, offset, f"unknown record kind {code}")
            yield record(seq, kind, ts_ns, data[body:stop])
            expected_seq = seq + 1
            offset = stop
        else:
            return expected_seq, None
    return expected_seq, _torn_tail_or_raise(data, path, offset, is_last=is_last)


def _torn_tail_or_raise(data: Buffer, path: Path, offset: int, *, is_last: bool) -> TornTail:
    """Classify the bad frame at `offset`: a torn tail, or JournalCorruption."""
    remaining = len(data) - offset
    if remaining < FRAME_HEAD_SIZE:
        reason = f"frame header cut short ({remaining} of {FRAME_HEAD_SIZE} bytes)"
    else:
        size, _crc = FRAME_LENGTH_CRC.unpack_from(data, offset)
        if size > MAX_RECORD_BYTES:
            raise JournalCorruption(path, offset, f"impossible payload length {size}")
        reason = "payload runs past end of file" if FRAME_HEAD_SIZE + size > remaining else "CRC mismatch"
    if not is_last:
        raise JournalCorruption(path, offset, f"{reason} in a file that is not the newest")
    if _has_valid_frame(data, offset + 1):
        raise JournalCorruption(path, offset, f"{reason} with valid frames after it")
    return TornTail(path, offset, remaining)


def _has_valid_frame(data: Buffer, start: int) -> bool:
    """Whether a frame with a matching CRC begins anywhere at or after `start`."""
    end = len(data)
    with memoryview(data) as view:
        for offset in range(start, end - FRAME_HEAD_SIZE + 1):
            size, crc = FRAME_LENGTH_CRC.unpack_from(data, offset)
            stop = offset + FRAME_HEAD_SIZE + size
            if stop <= end and size <= MAX_RECORD_BYTES and crc32(view[offset + _CRC_START : stop]) == crc:
                return True
    return False
