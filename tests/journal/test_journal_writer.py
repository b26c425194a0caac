"""JournalWriter: framing on disk, sequence numbers, reopening, and what it refuses."""

from pathlib import Path

import pytest

from journal import (
    MAX_RECORD_BYTES,
    FsyncPolicy,
    JournalError,
    JournalReader,
    JournalRecord,
    JournalWriter,
    RecordKind,
    read_journal,
)
from tests.journal.support import DAY1, payload, spec_frame, spec_header, write_journal


def test_appended_records_are_framed_exactly_as_the_format_describes(tmp_path: Path) -> None:
    # given an empty journal directory
    # when two records are appended and the writer closed
    with JournalWriter(tmp_path, schema_version=7, policy=FsyncPolicy.NONE) as writer:
        first = writer.append(RecordKind.EVENT, DAY1, b"\x81\xa1a\x01")
        second = writer.append(RecordKind.CHECKSUM, DAY1 + 5, b"")
    # then seqs start at 1 and the file holds the header and both frames byte for byte
    assert (first, second) == (1, 2)
    path = tmp_path / "journal-2024-03-09.omsj"
    assert path.read_bytes() == (
        spec_header(7) + spec_frame(1, 1, DAY1, b"\x81\xa1a\x01") + spec_frame(2, 2, DAY1 + 5, b"")
    )


def test_records_read_back_in_order_with_their_schema_version(tmp_path: Path) -> None:
    # given a journal of 50 events written with schema version 3
    expected = write_journal(tmp_path, 50, schema_version=3)
    # when it is read
    reader = JournalReader([tmp_path])
    records = list(reader.records())
    # then every record comes back unchanged, and the file's schema version is exposed
    assert records == expected
    assert reader.torn_tail is None
    assert reader.schema_versions == {tmp_path / "journal-2024-03-09.omsj": 3}


def test_reopening_after_close_resumes_the_sequence_in_the_same_file(tmp_path: Path) -> None:
    # given a journal closed after 3 records
    first = write_journal(tmp_path, 3)
    # when a new writer opens it and appends more
    with JournalWriter(tmp_path, schema_version=1, policy=FsyncPolicy.NONE) as writer:
        assert writer.next_seq == 4
        assert writer.torn_tail is None
        assert writer.current_path == tmp_path / "journal-2024-03-09.omsj"
        seq = writer.append(RecordKind.EVENT, DAY1 + 100, payload(4))
    # then the sequence continues and the whole journal reads back
    assert seq == 4
    assert list(read_journal([tmp_path])) == [*first, JournalRecord(4, RecordKind.EVENT, DAY1 + 100, payload(4))]
    assert [path.name for path in tmp_path.iterdir()] == ["journal-2024-03-09.omsj"]


def test_unflushed_records_are_not_in_the_file_until_flush(tmp_path: Path) -> None:
    # given a writer with one appended record
    with JournalWriter(tmp_path, schema_version=1, policy=FsyncPolicy.NONE) as writer:
        writer.append(RecordKind.EVENT, DAY1, payload(1))
        assert writer.current_path is not None
        size_before_flush = writer.current_path.stat().st_size
        # when it is flushed
        writer.flush()
        # then the frame reaches the file only at the flush
        assert size_before_flush == 16
        assert list(read_journal([tmp_path])) == [JournalRecord(1, RecordKind.EVENT, DAY1, payload(1))]


def test_a_new_schema_version_starts_a_new_part_file_for_the_same_day(tmp_path: Path) -> None:
    # given a day's file written with schema version 1
    old = write_journal(tmp_path, 2, schema_version=1)
    # when a writer with schema version 2 appends on the same day
    new = write_journal(tmp_path, 2, start_ts=DAY1 + 10, schema_version=2)
    # then the day has a second part, each file keeps its own version, and seqs continue
    reader = JournalReader([tmp_path])
    assert list(reader.records()) == old + new
    assert reader.schema_versions == {
        tmp_path / "journal-2024-03-09.omsj": 1,
        tmp_path / "journal-2024-03-09.1.omsj": 2,
    }


def test_an_empty_journal_has_no_current_file_until_the_first_append(tmp_path: Path) -> None:
    # given a fresh directory
    with JournalWriter(tmp_path / "new", schema_version=1, policy=FsyncPolicy.NONE) as writer:
        # then nothing is created before the first record's time is known
        assert writer.current_path is None
        assert writer.next_seq == 1
        assert list((tmp_path / "new").iterdir()) == []


def test_oversized_payload_and_unknown_kind_are_refused(tmp_path: Path) -> None:
    # given an open writer
    with JournalWriter(tmp_path, schema_version=1, policy=FsyncPolicy.NONE) as writer:
        # when a payload over the cap, or an unknown kind, is appended
        with pytest.raises(JournalError):
            writer.append(RecordKind.EVENT, DAY1, bytes(MAX_RECORD_BYTES + 1))
        with pytest.raises(JournalError):
            writer.append(9, DAY1, b"")  # type: ignore[arg-type]
        # then nothing was taken and the sequence did not move
        assert writer.next_seq == 1


def test_a_payload_of_exactly_the_cap_is_accepted(tmp_path: Path) -> None:
    # given a payload of exactly MAX_RECORD_BYTES
    body = bytes(MAX_RECORD_BYTES)
    # when it is journaled
    with JournalWriter(tmp_path, schema_version=1, policy=FsyncPolicy.NONE) as writer:
        writer.append(RecordKind.EVENT, DAY1, body)
    # then it reads back
    assert [record.payload == body for record in read_journal([tmp_path])] == [True]


def test_a_closed_writer_refuses_appends_and_closes_again_quietly(tmp_path: Path) -> None:
    # given a closed writer
    writer = JournalWriter(tmp_path, schema_version=1, policy=FsyncPolicy.NONE)
    writer.append(RecordKind.EVENT, DAY1, payload(1))
    writer.close()
    # when it is used again
    with pytest.raises(JournalError, match="closed"):
        writer.append(RecordKind.EVENT, DAY1, payload(2))
    writer.close()
    # then the one record it took is in the journal
    assert [record.seq for record in read_journal([tmp_path])] == [1]


def test_a_second_writer_on_the_same_directory_is_refused(tmp_path: Path) -> None:
    # given an open writer
    # when another writer opens the same directory
    # then it is refused
    with (
        JournalWriter(tmp_path, schema_version=1, policy=FsyncPolicy.NONE),
        pytest.raises(JournalError, match="another writer"),
    ):
        JournalWriter(tmp_path, schema_version=1, policy=FsyncPolicy.NONE)
    # and once the first is closed, the directory can be opened again
    JournalWriter(tmp_path, schema_version=1, policy=FsyncPolicy.NONE).close()


def test_a_new_schema_version_with_an_earlier_stamp_never_creates_an_earlier_file(tmp_path: Path) -> None:
    # given the 9th's file written with schema version 1
    old = write_journal(tmp_path, 1, start_ts=DAY1, schema_version=1)
    # when a schema version 2 writer's first event is stamped a day earlier (a clock stepping back)
    new = write_journal(tmp_path, 1, start_ts=DAY1 - 86_400 * 10**9, schema_version=2)
    # then it goes into a new part of the 9th, keeping file order equal to seq order
    assert sorted(path.name for path in tmp_path.iterdir()) == ["journal-2024-03-09.1.omsj", "journal-2024-03-09.omsj"]
    assert list(read_journal([tmp_path])) == old + new
