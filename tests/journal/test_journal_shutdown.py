"""Closing the journal never hangs, whatever moment the close lands in the GROUP sync thread's cycle.

The sync thread waits for unsynced writes, then for the group window, then fsyncs. A close that landed
between the window running out and the thread taking up the writes once left the thread waiting for a
wake-up nobody would send, and ``close`` joined it for ever (a SIGTERM that never ended the daemon).
"""

import os
import random
import threading
from pathlib import Path

import pytest

from journal import FsyncPolicy, JournalWriter, RecordKind
from journal.sync import FileSyncer
from tests.journal.support import DAY1, payload

CLOSE_TIMEOUT_S = 5.0


def closes_in_time(close: object) -> bool:
    """Run ``close`` on a thread of its own; False if it is still running after ``CLOSE_TIMEOUT_S``."""
    closer = threading.Thread(target=close, daemon=True)  # type: ignore[arg-type]
    closer.start()
    closer.join(CLOSE_TIMEOUT_S)
    return not closer.is_alive()


def test_given_a_busy_group_sync_thread_when_closed_at_any_moment_of_its_cycle_then_close_returns(
    tmp_path: Path,
) -> None:
    # given a sync thread whose group window (0.2 ms) is so short that closes land all over its cycle
    rnd = random.Random(5)
    fd = os.open(tmp_path / "file", os.O_CREAT | os.O_WRONLY)
    try:
        for cycle in range(600):
            syncer = FileSyncer(FsyncPolicy.GROUP, 0.0002, 1000, None)
            syncer.attach(fd)
            for _ in range(rnd.randrange(7)):
                os.write(fd, b"x")
                syncer.wrote(1)
            threading.Event().wait(rnd.choice((0, 0.0001, 0.0002, 0.0003)))
            # when it is closed, then close returns
            assert closes_in_time(syncer.close), f"close hung on cycle {cycle}"
    finally:
        os.close(fd)


@pytest.mark.parametrize("policy", list(FsyncPolicy))
def test_given_each_policy_when_a_writer_is_opened_written_and_closed_in_a_loop_then_it_never_hangs(
    tmp_path: Path, policy: FsyncPolicy
) -> None:
    rnd = random.Random(policy.value)
    for cycle in range(150):
        writer = JournalWriter(tmp_path, schema_version=1, policy=policy, group_interval_ms=0.2)
        # with and without records flushed in its last moments
        for _ in range(rnd.randrange(3)):
            writer.append(RecordKind.EVENT, DAY1, payload(writer.next_seq))
            writer.flush()
        assert closes_in_time(writer.close), f"close hung on cycle {cycle}"
