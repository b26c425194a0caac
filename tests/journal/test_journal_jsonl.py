"""The JSONL view: export, read back, and an exact round trip of msgspec-made payloads."""

import io
import json
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest

from journal import (
    FsyncPolicy,
    JournalCorruption,
    JournalError,
    JournalRecord,
    JournalWriter,
    RecordKind,
    export_jsonl,
    read_journal,
)
from tests.journal.support import DAY1, write_journal


class Leg(msgspec.Struct):
    venue: str
    qty: Decimal


class OrderAccepted(msgspec.Struct, tag=True):
    client_order_id: str
    price: Decimal
    qty: int
    reduce_only: bool
    venue_order_id: str | None
    legs: list[Leg]
    tags: dict[str, str]


def _events() -> list[bytes]:
    return [
        msgspec.msgpack.encode(
            OrderAccepted("c-1", Decimal("101.25"), 3, False, None, [Leg("binance", Decimal("0.001"))], {})
        ),
        msgspec.msgpack.encode(
            OrderAccepted("c-2", Decimal("-0.00000001"), -7, True, "v-9", [], {"strategy": "mm", "é": "ü"})
        ),
        msgspec.msgpack.encode({"checksum": "ab12", "orders": 2, "ratio": 0.1}),
    ]


def test_a_journal_exported_to_jsonl_reads_back_as_the_same_records(tmp_path: Path) -> None:
    # given a journal of msgspec-encoded events and a checksum record
    payloads = _events()
    with JournalWriter(tmp_path / "journal", schema_version=1, policy=FsyncPolicy.NONE) as writer:
        writer.append(RecordKind.EVENT, DAY1, payloads[0])
        writer.append(RecordKind.EVENT, DAY1 + 1, payloads[1])
        writer.append(RecordKind.CHECKSUM, DAY1 + 2, payloads[2])
    records = list(read_journal([tmp_path / "journal"]))
    # when it is exported to JSONL and the export is read as a journal
    export = tmp_path / "export.jsonl"
    with export.open("w") as out:
        count = export_jsonl(records, out)
    # then every record comes back with the same seq, kind, ts_ns and payload bytes
    assert count == 3
    assert list(read_journal([export])) == records
    assert [record.payload for record in records] == payloads


def test_each_jsonl_line_shows_the_decoded_payload(tmp_path: Path) -> None:
    # given one event record
    record = JournalRecord(1, RecordKind.EVENT, DAY1, msgspec.msgpack.encode({"price": Decimal("1.5")}))
    # when it is exported
    out = io.StringIO()
    export_jsonl([record], out)
    # then the line is plain JSON with the payload as an object
    assert [json.loads(line) for line in out.getvalue().splitlines()] == [
        {"seq": 1, "kind": "event", "ts_ns": DAY1, "payload": {"price": "1.5"}}
    ]


def test_a_payload_that_json_would_change_is_refused(tmp_path: Path) -> None:
    # given a record whose payload carries raw bytes, which JSON can only show as a string
    record = JournalRecord(1, RecordKind.EVENT, DAY1, msgspec.msgpack.encode({"blob": b"\x00\x01"}))
    # when it is exported
    # then the export refuses instead of writing a line that would read back differently
    with pytest.raises(JournalError, match="round-trip"):
        export_jsonl([record], io.StringIO())


def test_a_jsonl_export_with_a_sequence_gap_is_corruption(tmp_path: Path) -> None:
    # given an export where seq 2 is missing
    records = write_journal(tmp_path / "journal", 3)
    export = tmp_path / "export.jsonl"
    with export.open("w") as out:
        export_jsonl([records[0], records[2]], out)
    first_line = export.read_bytes().index(b"\n") + 1
    # when it is read
    # then it raises at the second line's byte offset
    with pytest.raises(JournalCorruption) as error:
        list(read_journal([export]))
    assert (error.value.path, error.value.offset) == (export, first_line)
