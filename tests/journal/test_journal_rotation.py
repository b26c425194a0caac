"""Rotation: one file per UTC day of the records' event time, with one unbroken sequence."""

from pathlib import Path

from journal import FsyncPolicy, JournalReader, JournalRecord, JournalWriter, RecordKind, read_journal
from tests.journal.support import payload, ts

BEFORE_MIDNIGHT = ts("2024-03-09T23:59:59.999999")
AFTER_MIDNIGHT = ts("2024-03-10T00:00:00")


def _events(writer: JournalWriter, stamps: list[int]) -> list[JournalRecord]:
    records = []
    for stamp in stamps:
        seq = writer.append(RecordKind.EVENT, stamp, payload(writer.next_seq))
        records.append(JournalRecord(seq, RecordKind.EVENT, stamp, payload(seq)))
    return records


def test_records_across_utc_midnight_go_to_two_files_with_one_sequence(tmp_path: Path) -> None:
    # given a writer
    with JournalWriter(tmp_path, schema_version=1, policy=FsyncPolicy.NONE) as writer:
        # when events are stamped just before and just after UTC midnight
        written = _events(writer, [BEFORE_MIDNIGHT - 1, BEFORE_MIDNIGHT, AFTER_MIDNIGHT, AFTER_MIDNIGHT + 1])
        current = writer.current_path
    # then each day has its file, and the directory reads back in order with continuous seqs
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "journal-2024-03-09.omsj",
        "journal-2024-03-10.omsj",
    ]
    assert current == tmp_path / "journal-2024-03-10.omsj"
    assert list(read_journal([tmp_path])) == written
    assert [record.seq for record in read_journal([tmp_path / "journal-2024-03-10.omsj"])] == [3, 4]


def test_files_are_read_in_date_order_whatever_order_they_are_given_in(tmp_path: Path) -> None:
    # given a journal spanning two days
    with JournalWriter(tmp_path, schema_version=1, policy=FsyncPolicy.NONE) as writer:
        written = _events(writer, [BEFORE_MIDNIGHT, AFTER_MIDNIGHT])
    # when its files are passed newest first
    reader = JournalReader([tmp_path / "journal-2024-03-10.omsj", tmp_path / "journal-2024-03-09.omsj"])
    # then they are read oldest first
    assert list(reader.records()) == written


def test_reopening_after_rotation_continues_in_the_newest_file(tmp_path: Path) -> None:
    # given a journal that rotated at midnight and was closed
    with JournalWriter(tmp_path, schema_version=1, policy=FsyncPolicy.NONE) as writer:
        first = _events(writer, [BEFORE_MIDNIGHT, AFTER_MIDNIGHT])
    # when it is reopened and more of the same day is appended
    with JournalWriter(tmp_path, schema_version=1, policy=FsyncPolicy.NONE) as writer:
        path = writer.current_path
        more = _events(writer, [AFTER_MIDNIGHT + 10])
    # then the newest file is extended and seqs continue
    assert path == tmp_path / "journal-2024-03-10.omsj"
    assert len(list(tmp_path.iterdir())) == 2
    assert list(read_journal([tmp_path])) == [*first, *more]


def test_an_event_stamped_before_the_current_day_stays_in_the_current_file(tmp_path: Path) -> None:
    # given a writer already in the 10th's file
    with JournalWriter(tmp_path, schema_version=1, policy=FsyncPolicy.NONE) as writer:
        # when the clock steps back and an event is stamped on the 9th
        written = _events(writer, [AFTER_MIDNIGHT, BEFORE_MIDNIGHT])
    # then no earlier-dated file appears behind it, so file order still matches seq order
    assert [path.name for path in tmp_path.iterdir()] == ["journal-2024-03-10.omsj"]
    assert list(read_journal([tmp_path])) == written


def test_rotation_skips_days_without_events(tmp_path: Path) -> None:
    # given a writer on the 9th
    with JournalWriter(tmp_path, schema_version=1, policy=FsyncPolicy.NONE) as writer:
        # when the next event is three days later
        written = _events(writer, [BEFORE_MIDNIGHT, ts("2024-03-12T08:00:00")])
    # then only the days with events have files
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "journal-2024-03-09.omsj",
        "journal-2024-03-12.omsj",
    ]
    assert list(read_journal([tmp_path])) == written
