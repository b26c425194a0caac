"""Helpers for the journal tests: timestamps, payloads, a spec-derived frame encoder, waiting."""

import struct
import time
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from journal import FsyncPolicy, JournalRecord, JournalWriter, RecordKind

HEADER_SIZE = 16
FRAME_HEAD_SIZE = 25


def ts(text: str) -> int:
    """UTC nanoseconds since the epoch of an ISO timestamp such as '2024-03-09T23:59:59'."""
    moment = datetime.fromisoformat(text).replace(tzinfo=UTC)
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1000


DAY1 = ts("2024-03-09T12:00:00")
DAY2 = ts("2024-03-10T12:00:00")


def payload(index: int) -> bytes:
    """A small msgpack payload like the daemon's events."""
    return msgspec.msgpack.encode({"type": "OrderAccepted", "client_order_id": f"c-{index}", "qty": "1.5"})


def write_journal(directory: Path, count: int, *, start_ts: int = DAY1, schema_version: int = 1) -> list[JournalRecord]:
    """Append `count` events one nanosecond apart and close; return the records as they should read back."""
    with JournalWriter(directory, schema_version=schema_version, policy=FsyncPolicy.NONE) as writer:
        first = writer.next_seq
        for index in range(count):
            writer.append(RecordKind.EVENT, start_ts + index, payload(first + index))
    return [
        JournalRecord(first + index, RecordKind.EVENT, start_ts + index, payload(first + index))
        for index in range(count)
    ]


def spec_frame(seq: int, kind: int, ts_ns: int, body: bytes) -> bytes:
    """A frame encoded straight from the format description, independently of the journal package."""
    covered = struct.pack("<QBq", seq, kind, ts_ns) + body
    return struct.pack("<II", len(body), zlib.crc32(covered)) + covered


def spec_header(schema_version: int) -> bytes:
    """A file header encoded straight from the format description."""
    return b"OMSJ" + struct.pack("<HHQ", 1, schema_version, 0)


def frame_offsets(path: Path) -> list[int]:
    """Byte offset of every frame in a well-formed journal file."""
    data = path.read_bytes()
    offsets, offset = [], HEADER_SIZE
    while offset < len(data):
        offsets.append(offset)
        offset += FRAME_HEAD_SIZE + struct.unpack_from("<I", data, offset)[0]
    return offsets


def flip_byte(path: Path, offset: int) -> None:
    """Invert every bit of one byte of a file in place."""
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def eventually(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait until `condition()` holds, failing after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition did not become true in time")
        time.sleep(0.001)
