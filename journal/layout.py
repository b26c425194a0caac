"""On-disk layout of a journal file: the file header and the record frame (all little-endian).

File header (16 bytes): b"OMSJ" | u16 format version | u16 payload schema version | u64 reserved (0).
Frame (25 bytes + payload): u32 payload length | u32 crc32 | u64 seq | u8 kind | i64 ts_ns | payload.
The crc32 (zlib) covers every byte after the crc field: seq, kind, ts_ns and payload.
"""

import struct
from pathlib import Path

from journal.errors import JournalCorruption
from journal.record import RecordKind

__all__ = [
    "FILE_HEADER_SIZE",
    "FORMAT_VERSION",
    "FRAME_HEAD",
    "FRAME_HEAD_SIZE",
    "FRAME_LENGTH_CRC",
    "FRAME_SEQ_KIND_TS",
    "KIND_BY_CODE",
    "MAGIC",
    "MAX_RECORD_BYTES",
    "decode_file_header",
    "encode_file_header",
]

MAGIC = b"OMSJ"
FORMAT_VERSION = 1
MAX_RECORD_BYTES = 16 * 1024 * 1024
"""Largest payload a frame may carry; a larger length field is corruption."""

_FILE_HEADER = struct.Struct("<4sHHQ")
FILE_HEADER_SIZE = _FILE_HEADER.size
FRAME_HEAD = struct.Struct("<IIQBq")
FRAME_HEAD_SIZE = FRAME_HEAD.size
FRAME_LENGTH_CRC = struct.Struct("<II")
FRAME_SEQ_KIND_TS = struct.Struct("<QBq")

KIND_BY_CODE: tuple[RecordKind | None, ...] = tuple(
    RecordKind(code) if code in RecordKind._value2member_map_ else None for code in range(256)
)
"""RecordKind for each u8 kind code, None where the code is unknown."""


def encode_file_header(schema_version: int) -> bytes:
    """Header that starts every journal file."""
    return _FILE_HEADER.pack(MAGIC, FORMAT_VERSION, schema_version, 0)


def decode_file_header(data: bytes, path: Path) -> int:
    """Payload schema version of a file whose first bytes are `data`; raises if the header is foreign."""
    magic, version, schema_version, _reserved = _FILE_HEADER.unpack_from(data)
    if magic != MAGIC:
        raise JournalCorruption(path, 0, f"not a journal file (magic {magic!r}, expected {MAGIC!r})")
    if version != FORMAT_VERSION:
        raise JournalCorruption(path, 4, f"unsupported journal format version {version}")
    return schema_version
