"""A full disk on a real (small) filesystem: a write lands whole or not at all, the space reserve is spent
before the writer gives up, and what was written reads back whole."""

from pathlib import Path

import pytest

from journal import JournalFull, JournalWriter, RecordKind, read_journal
from tests.disk import can_mount, fill, small_filesystem
from tests.journal.support import DAY1, payload

pytestmark = pytest.mark.skipif(not can_mount(), reason="needs to mount a tmpfs (root)")
RESERVE = 64 * 1024


def append_until_full(writer: JournalWriter, limit: int = 100_000) -> int:
    """Append and flush one record at a time until the journal refuses; how many were flushed."""
    for flushed in range(limit):
        writer.append(RecordKind.EVENT, DAY1, payload(writer.next_seq) * 20)
        try:
            writer.flush()
        except JournalFull:
            return flushed
    raise AssertionError("the disk never filled")


def test_given_a_full_disk_then_the_reserve_is_spent_first_and_every_flushed_record_reads_back(
    tmp_path: Path,
) -> None:
    with small_filesystem(tmp_path / "disk", 1 << 20) as disk:
        journal = disk / "journal"
        writer = JournalWriter(journal, schema_version=1, reserve_bytes=RESERVE)
        assert not writer.reserve_spent
        # when everything else fills the disk
        fill(disk / "ballast")
        flushed = append_until_full(writer)
        # then the writer spent its reserve before refusing, and the flushed records are whole on disk
        assert writer.reserve_spent
        assert flushed * 2500 >= RESERVE // 2
        writer.close()  # after the failure: closes without writing
        records = list(read_journal([journal]))
        assert [r.seq for r in records] == list(range(1, flushed + 1))
        # and once there is room again, a new writer appends after them and holds a reserve again
        (disk / "ballast").unlink()
        with JournalWriter(journal, schema_version=1, reserve_bytes=RESERVE) as again:
            assert again.next_seq == flushed + 1 and not again.reserve_spent
            again.append(RecordKind.EVENT, DAY1, payload(again.next_seq))
            again.flush()
        assert len(list(read_journal([journal]))) == flushed + 1


def test_given_space_back_while_running_then_the_reserve_is_taken_again(tmp_path: Path) -> None:
    with small_filesystem(tmp_path / "disk", 1 << 20) as disk:
        writer = JournalWriter(disk / "journal", schema_version=1, reserve_bytes=RESERVE)
        fill(disk / "ballast", leave_bytes=8 * 1024)
        for _ in range(20):  # ~50 KB: more than the disk has, less than it has with the reserve
            writer.append(RecordKind.EVENT, DAY1, payload(writer.next_seq) * 20)
            writer.flush()
        assert writer.reserve_spent
        (disk / "ballast").unlink()
        assert writer.restore_reserve() and not writer.reserve_spent
        writer.close()
