"""Fsync policies, counted on real files with real fsync."""

from pathlib import Path

from journal import FsyncPolicy, JournalWriter, RecordKind
from tests.journal.support import DAY1, eventually, payload


def _append(writer: JournalWriter, count: int) -> None:
    for _ in range(count):
        writer.append(RecordKind.EVENT, DAY1, payload(writer.next_seq))


class RecordingObserver:
    """A JournalObserver that keeps what it was told."""

    def __init__(self) -> None:
        self.appends: list[float] = []
        self.fsyncs: list[float] = []

    def observe_append(self, seconds: float) -> None:
        self.appends.append(seconds)

    def observe_fsync(self, seconds: float) -> None:
        self.fsyncs.append(seconds)


def test_always_fsyncs_on_every_flush(tmp_path: Path) -> None:
    # given an ALWAYS writer
    with JournalWriter(tmp_path, schema_version=1, policy=FsyncPolicy.ALWAYS) as writer:
        # when three batches are flushed
        counts = []
        for batch in (1, 5, 2):
            _append(writer, batch)
            writer.flush()
            counts.append(writer.fsync_count)
        # then each flush fsynced before returning, and an empty flush does not
        writer.flush()
        assert counts == [1, 2, 3]
        assert writer.fsync_count == 3


def test_group_fsyncs_inline_once_max_events_are_unsynced(tmp_path: Path) -> None:
    # given a GROUP writer whose interval is far away
    with JournalWriter(tmp_path, schema_version=1, group_interval_ms=60_000, group_max_events=10) as writer:
        # when 9 records are flushed, then a 10th
        _append(writer, 9)
        writer.flush()
        below_max = writer.fsync_count
        _append(writer, 1)
        writer.flush()
        # then only reaching 10 unsynced records fsynced, inside flush
        assert below_max == 0
        assert writer.fsync_count == 1


def test_group_fsyncs_after_the_interval_from_its_thread(tmp_path: Path) -> None:
    # given a GROUP writer with a short interval and a high event cap
    with JournalWriter(tmp_path, schema_version=1, group_interval_ms=5, group_max_events=1000) as writer:
        # when a single record is flushed and the writer is left alone
        _append(writer, 1)
        writer.flush()
        # then the background thread fsyncs it once the interval has passed
        eventually(lambda: writer.fsync_count == 1)


def test_group_close_fsyncs_what_the_thread_has_not(tmp_path: Path) -> None:
    # given a GROUP writer with unsynced records and a far interval
    writer = JournalWriter(tmp_path, schema_version=1, group_interval_ms=60_000)
    _append(writer, 3)
    writer.flush()
    unsynced = writer.fsync_count
    # when it is closed
    writer.close()
    # then close fsynced them
    assert (unsynced, writer.fsync_count) == (0, 1)


def test_none_never_fsyncs(tmp_path: Path) -> None:
    # given a NONE writer
    writer = JournalWriter(tmp_path, schema_version=1, policy=FsyncPolicy.NONE, group_max_events=1)
    # when records are flushed, a day rotates, and it closes
    _append(writer, 5)
    writer.flush()
    writer.append(RecordKind.EVENT, DAY1 + 86_400 * 10**9, payload(6))
    writer.close()
    # then nothing was fsynced
    assert writer.fsync_count == 0


def test_sync_fsyncs_now_whatever_the_policy(tmp_path: Path) -> None:
    # given a NONE writer with a buffered record
    with JournalWriter(tmp_path, schema_version=1, policy=FsyncPolicy.NONE) as writer:
        _append(writer, 1)
        # when sync is called
        writer.sync()
        # then the record was written and fsynced
        assert writer.fsync_count == 1


def test_the_observer_gets_one_write_timing_per_flush_and_one_per_fsync(tmp_path: Path) -> None:
    # given an ALWAYS writer with an observer
    observer = RecordingObserver()
    with JournalWriter(tmp_path, schema_version=1, policy=FsyncPolicy.ALWAYS, observer=observer) as writer:
        # when two batches are flushed
        _append(writer, 3)
        writer.flush()
        _append(writer, 2)
        writer.flush()
    # then it saw two writes and two fsyncs, each a non-negative duration in seconds
    assert len(observer.appends) == 2
    assert len(observer.fsyncs) == 2
    assert all(0 <= seconds < 60 for seconds in observer.appends + observer.fsyncs)
