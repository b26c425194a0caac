"""The JSONL view of a journal: one JSON object per record, payload shown as decoded msgpack.

A line reads `{"seq": 1, "kind": "event", "ts_ns": 1700000000000000000, "payload": {...}}`. Reading
a line back re-encodes the payload with msgspec.msgpack.encode. That reproduces the original msgpack
*values* (not always the same bytes: msgspec writes a Struct's map with a 16-bit length header, a
plain dict with the shortest one) for payloads JSON can carry (str, int, bool, None, finite floats,
lists, str-keyed maps); `export_jsonl` checks every line and refuses a record that would not survive
(bytes, non-str keys, extension types such as datetimes).
"""

from collections.abc import Generator, Iterable
from pathlib import Path
from typing import Any, TextIO

import msgspec

from journal.errors import JournalCorruption, JournalError
from journal.record import JournalRecord, RecordKind

__all__ = ["export_jsonl", "read_jsonl"]


class _Line(msgspec.Struct, forbid_unknown_fields=True):
    seq: int
    kind: str
    ts_ns: int
    payload: Any


_NAME_BY_KIND = {kind: kind.name.lower() for kind in RecordKind}
_KIND_BY_NAME = {name: kind for kind, name in _NAME_BY_KIND.items()}
_encode_line = msgspec.json.Encoder().encode
_decode_line = msgspec.json.Decoder(_Line).decode
_encode_payload = msgspec.msgpack.Encoder().encode
_decode_payload = msgspec.msgpack.Decoder().decode


def export_jsonl(records: Iterable[JournalRecord], out: TextIO) -> int:
    """Write one JSON line per record to `out` and return how many; raises if a payload won't round-trip."""
    count = 0
    for record in records:
        try:
            payload = _decode_payload(record.payload)
        except msgspec.DecodeError as error:
            raise JournalError(f"record {record.seq}: payload is not msgpack: {error}") from error
        line = _encode_line(_Line(record.seq, _NAME_BY_KIND[record.kind], record.ts_ns, payload))
        back = _record_from_line(line)
        if (back.seq, back.kind, back.ts_ns) != (record.seq, record.kind, record.ts_ns) or _decode_payload(
            back.payload
        ) != payload:
            raise JournalError(f"record {record.seq}: payload would not round-trip through JSON")
        out.write(line.decode())
        out.write("\n")
        count += 1
    return count


def read_jsonl(path: Path, expected_seq: int | None) -> Generator[JournalRecord, None, int | None]:
    """Yield the records of a JSONL export, checking seq continuity; return the next expected seq."""
    offset = 0
    with path.open("rb") as file:
        for line in file:
            if line.strip():
                try:
                    record = _record_from_line(line)
                except (msgspec.DecodeError, msgspec.EncodeError, KeyError) as error:
                    raise JournalCorruption(path, offset, f"bad JSONL record: {error!r}") from error
                if expected_seq is not None and record.seq != expected_seq:
                    raise JournalCorruption(path, offset, f"sequence {record.seq} where {expected_seq} was expected")
                yield record
                expected_seq = record.seq + 1
            offset += len(line)
    return expected_seq


def _record_from_line(line: bytes) -> JournalRecord:
    row = _decode_line(line)
    return JournalRecord(row.seq, _KIND_BY_NAME[row.kind], row.ts_ns, _encode_payload(row.payload))
