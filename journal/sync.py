"""When the journal fsyncs: the FsyncPolicy and the FileSyncer that applies it.

Every flush hands the buffered records to the OS with one os.write, whatever the policy, so a
process crash (kill -9) never loses a flushed record. The policy only decides when the OS is told to
put them on disk (fsync), which is what survives a power loss or kernel crash:

- ALWAYS: fsync on every flush, before flush returns. A flushed record is on disk before its effect.
- GROUP (default): fsync at most every `group_interval_ms`, from a background daemon thread, once
  there are unsynced writes; or inline in flush once `group_max_events` records are unsynced,
  whichever comes first. flush never waits for the interval. A power loss loses at most the last
  window (about `group_interval_ms` plus one fsync, or `group_max_events` records).
- NONE: for tests only. Never fsyncs on its own; a power loss may lose anything not yet written
  back by the OS. An explicit `JournalWriter.sync()` still fsyncs.

Rotation and close fsync the finished file under ALWAYS and GROUP. An fsync or write failure is
not retried: the writer refuses further flushes (fail-stop), since the OS may have dropped the data.
"""

import enum
import os
import threading
import time
from typing import Protocol

from journal.errors import JournalError

__all__ = ["FileSyncer", "FsyncPolicy", "JournalObserver"]


class FsyncPolicy(enum.Enum):
    """How eagerly flushed records are forced to disk; see the module docstring for the guarantees."""

    ALWAYS = "always"
    GROUP = "group"
    NONE = "none"


class JournalObserver(Protocol):
    """Receives journal timings in seconds, e.g. to feed Prometheus histograms.

    `observe_append` gets the time of each flush's os.write, which covers every record appended since
    the previous flush (timing each buffered append would cost more than the append itself).
    `observe_fsync` gets each fsync's time, and is called from the GROUP sync thread too.
    """

    def observe_append(self, seconds: float) -> None: ...

    def observe_fsync(self, seconds: float) -> None: ...


class FileSyncer:
    """Applies a FsyncPolicy to the file the writer is appending to, and owns the GROUP sync thread.

    The writer thread calls `attach`, `wrote`, `sync`, `detach` and `close`; a lock guards the file
    descriptor so that the sync thread never fsyncs a descriptor that is being swapped or closed.
    """

    def __init__(
        self, policy: FsyncPolicy, interval_s: float, max_events: int, observer: JournalObserver | None
    ) -> None:
        self._policy = policy
        self._interval_s = interval_s
        self._max_events = max_events
        self._observer = observer
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._written = 0  # records handed to the OS; only the writer thread changes it
        self._synced = 0  # records known to be on disk; changed under the lock
        self._fsync_count = 0
        self._failure: OSError | None = None
        self._signal = threading.Condition()
        """Guards ``_pending`` and ``_stopping``: the sync thread waits on predicates, so no wake-up is lost."""
        self._pending = False  # unsynced writes the sync thread has not taken up yet
        self._stopping = False
        self._thread: threading.Thread | None = None
        if policy is FsyncPolicy.GROUP:
            self._thread = threading.Thread(target=self._run, name="omsd-journal-fsync", daemon=True)
            self._thread.start()

    @property
    def fsync_count(self) -> int:
        """How many fsyncs of journal data have completed."""
        return self._fsync_count

    def attach(self, fd: int) -> None:
        """Start applying the policy to a newly opened file."""
        with self._lock:
            self._fd = fd

    def detach(self) -> None:
        """Make the current file durable (unless the policy is NONE) and stop touching its descriptor."""
        with self._lock:
            if self._policy is not FsyncPolicy.NONE:
                self._sync_locked()
            self._fd = None

    def check(self) -> None:
        """Raise if an earlier write or fsync failed: what the OS holds can no longer be trusted."""
        if self._failure is not None:
            raise JournalError(f"journal is unusable after an earlier I/O failure: {self._failure}")

    @property
    def usable(self) -> bool:
        """False once a write or fsync failed."""
        return self._failure is None

    def failed(self, error: OSError) -> None:
        """Record a write failure so that every later flush refuses."""
        self._failure = error

    def wrote(self, records: int) -> None:
        """Note that `records` more records were written to the OS, and fsync if the policy says so."""
        self._written += records
        policy = self._policy
        if policy is FsyncPolicy.ALWAYS or (
            policy is FsyncPolicy.GROUP and self._written - self._synced >= self._max_events
        ):
            with self._lock:
                self._sync_locked()
        elif policy is FsyncPolicy.GROUP and not self._pending:
            with self._signal:
                self._pending = True
                self._signal.notify()

    def sync(self) -> None:
        """fsync now, whatever the policy."""
        with self._lock:
            self._sync_locked()

    def close(self) -> None:
        """Stop the sync thread; the writer detaches its file first."""
        with self._signal:
            self._stopping = True
            self._signal.notify_all()
        if self._thread is not None:
            self._thread.join()

    def _sync_locked(self) -> None:
        target = self._written
        if target == self._synced or self._fd is None:
            return
        observer = self._observer
        started = time.perf_counter_ns() if observer is not None else 0
        try:
            os.fsync(self._fd)
        except OSError as error:
            self._failure = error
            raise JournalError(f"fsync of the journal failed: {error}") from error
        self._synced = target
        self._fsync_count += 1
        if observer is not None:
            observer.observe_fsync((time.perf_counter_ns() - started) / 1e9)

    def _run(self) -> None:
        signal = self._signal
        while True:
            with signal:
                signal.wait_for(lambda: self._pending or self._stopping)
                # the group window: writes that land meanwhile share this fsync
                if signal.wait_for(lambda: self._stopping, self._interval_s):
                    return
                self._pending = False
            try:
                with self._lock:
                    self._sync_locked()
            except JournalError:
                return  # the failure is recorded; the writer's next flush raises it
