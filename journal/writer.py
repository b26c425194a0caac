"""JournalWriter: frame records into a buffer, write them with one os.write per flush, rotate per UTC day.

Rotation follows each record's `ts_ns` (event time, not the wall clock), so replays and tests are
deterministic: the first record whose UTC date is after the current file's closes that file (flush,
fsync, close) and starts the new day's file. A record whose date is earlier than the current file's
(a clock stepping back) stays in the current file, so file order always matches seq order.

Opening a writer on an existing directory validates the newest file, cuts a torn tail off it (see
`torn_tail`), and appends to it; older files are left to the reader to validate.

A write lands whole or not at all: one the OS took only part of is cut off again. A full disk first spends
the space reserve (`reserve_bytes`, see journal.space) and writes again; only when that is gone too does
the writer raise `JournalFull` and refuse further flushes. If the newest file
was written with another payload schema version, the writer starts a new file instead (a further
part for the same day, `journal-YYYY-MM-DD.N.omsj`), since a file holds one schema version.
"""

import fcntl
import os
import time
from pathlib import Path
from types import TracebackType
from typing import Self
from zlib import crc32

from journal.errors import JournalError, JournalFull
from journal.files import NS_PER_DAY, file_name, journal_files, parse_name
from journal.layout import (
    FILE_HEADER_SIZE,
    FRAME_LENGTH_CRC,
    FRAME_SEQ_KIND_TS,
    KIND_BY_CODE,
    MAX_RECORD_BYTES,
    encode_file_header,
)
from journal.record import RecordKind, TornTail
from journal.scan import FileScan
from journal.space import FULL_ERRNOS, SpaceReserve, free_bytes
from journal.sync import FileSyncer, FsyncPolicy, JournalObserver

__all__ = ["JournalWriter"]

_NO_DAY = -(1 << 62)
"""Day before any real one: the writer has no file yet."""
_ROTATE_NOW = -(1 << 64)
"""Rotation threshold that every ts_ns reaches: the next append must (re)open a file, or fail if closed."""
_KINDS = frozenset(kind for kind in KIND_BY_CODE if kind is not None)
_PACK_LENGTH_CRC = FRAME_LENGTH_CRC.pack
_PACK_SEQ_KIND_TS = FRAME_SEQ_KIND_TS.pack
_FILE_FLAGS = os.O_WRONLY | os.O_APPEND


class JournalWriter:
    """Appends records to the journal in `directory`; a single writer per directory (it holds a lock).

    `append` only buffers a frame; `flush` writes the buffer to the OS and applies the FsyncPolicy
    (see journal.sync for what each policy guarantees). Use as a context manager or call `close`.
    """

    def __init__(
        self,
        directory: Path,
        *,
        schema_version: int,
        policy: FsyncPolicy = FsyncPolicy.GROUP,
        group_interval_ms: float = 2.0,
        group_max_events: int = 1000,
        observer: JournalObserver | None = None,
        reserve_bytes: int = 0,
    ) -> None:
        if not 0 <= schema_version <= 0xFFFF:
            raise ValueError(f"schema_version must fit in u16, got {schema_version}")
        if group_interval_ms <= 0 or group_max_events < 1:
            raise ValueError("group_interval_ms must be > 0 and group_max_events >= 1")
        self._directory = Path(directory)
        self._schema_version = schema_version
        self._policy = policy
        self._observer = observer
        self._buf = bytearray()
        self._next_seq = 1
        self._flushed_seq = 1
        self._fd: int | None = None
        self._size = 0  # bytes of the open file that hold whole records
        self._path: Path | None = None
        self._day = _NO_DAY
        self._part = 0
        self._rotate_at_ns = _ROTATE_NOW
        self._closed = False
        self._torn_tail: TornTail | None = None
        self._directory.mkdir(parents=True, exist_ok=True)
        self._dir_fd = os.open(self._directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(self._dir_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._dir_fd)
            raise JournalError(f"{self._directory}: journal is already open by another writer") from None
        self._syncer = FileSyncer(policy, group_interval_ms / 1000, group_max_events, observer)
        self._reserve = SpaceReserve(self._directory, reserve_bytes)
        try:
            self._reserve.ensure()
            self._open_newest()
        except BaseException:
            self.close()
            raise

    @property
    def next_seq(self) -> int:
        """The seq the next appended record gets."""
        return self._next_seq

    @property
    def torn_tail(self) -> TornTail | None:
        """The torn final record cut off when opening, None if the journal was clean."""
        return self._torn_tail

    @property
    def fsync_count(self) -> int:
        """How many fsyncs of journal data have completed (for tests and metrics)."""
        return self._syncer.fsync_count

    @property
    def free_bytes(self) -> int:
        """Free bytes on the journal's filesystem (the reserve not counted)."""
        return free_bytes(self._directory)

    @property
    def reserve_spent(self) -> bool:
        """True once a full disk made the writer give its space reserve back (until ``restore_reserve``)."""
        return self._reserve.size > 0 and not self._reserve.held

    def restore_reserve(self) -> bool:
        """Take the space reserve again (after the disk got room back); True if it is held."""
        return self._reserve.ensure()

    @property
    def current_path(self) -> Path | None:
        """The file being appended to; None until the first append into an empty journal."""
        return self._path

    def append(self, kind: RecordKind, ts_ns: int, payload: bytes) -> int:
        """Buffer one record stamped `ts_ns` (UTC ns) and return its seq; `flush` writes it."""
        size = len(payload)
        if size > MAX_RECORD_BYTES or kind not in _KINDS:
            raise JournalError(f"cannot journal a {size}-byte payload of kind {kind!r}")
        if ts_ns >= self._rotate_at_ns:
            self._rotate(ts_ns)
        seq = self._next_seq
        seq_kind_ts = _PACK_SEQ_KIND_TS(seq, kind, ts_ns)
        buf = self._buf
        buf += _PACK_LENGTH_CRC(size, crc32(payload, crc32(seq_kind_ts)))
        buf += seq_kind_ts
        buf += payload
        self._next_seq = seq + 1
        return seq

    def flush(self) -> None:
        """Write every buffered record with one os.write, then apply the fsync policy."""
        buf = self._buf
        if not buf:
            return
        observer = self._observer
        started = time.perf_counter_ns() if observer is not None else 0
        self._write(buf)
        if observer is not None:
            observer.observe_append((time.perf_counter_ns() - started) / 1e9)
        buf.clear()
        records = self._next_seq - self._flushed_seq
        self._flushed_seq = self._next_seq
        self._syncer.wrote(records)

    def sync(self) -> None:
        """Flush, then fsync now whatever the policy."""
        self.flush()
        self._syncer.sync()

    def close(self) -> None:
        """Flush, fsync (unless the policy is NONE), stop the sync thread and close; idempotent."""
        if self._closed:
            return
        self._closed = True
        self._rotate_at_ns = _ROTATE_NOW
        try:
            if self._fd is not None and self._syncer.usable:  # after a failed write: nothing more to write
                self.flush()
                self._syncer.detach()
        finally:
            self._syncer.close()
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
            os.close(self._dir_fd)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _open_newest(self) -> None:
        """Recover and reopen the newest file, continuing its sequence."""
        files = journal_files(self._directory)
        if not files:
            return
        newest = files[-1]
        scan = _scan(newest, is_last=True)
        self._torn_tail = scan.torn_tail
        self._day, self._part = parse_name(newest) or (_NO_DAY, 0)
        next_seq = scan.next_seq
        for older in reversed(files[:-1]):  # a newest file without records continues an older one
            if next_seq is not None:
                break
            next_seq = _scan(older, is_last=False).next_seq
        self._next_seq = self._flushed_seq = next_seq or 1
        fd = os.open(newest, _FILE_FLAGS)
        try:
            if scan.torn_tail is not None:
                self._cut(fd, scan.torn_tail)
        except BaseException:
            os.close(fd)
            raise
        if scan.schema_version in (None, self._schema_version):
            self._attach(fd, newest)
        else:
            os.close(fd)  # the next append starts a new part of this day (or a later day's file)

    def _cut(self, fd: int, torn: TornTail) -> None:
        """Truncate a torn tail off the open file; a torn header is rewritten whole."""
        if torn.offset < FILE_HEADER_SIZE:
            os.ftruncate(fd, 0)
            os.write(fd, encode_file_header(self._schema_version))
        else:
            os.ftruncate(fd, torn.offset)
        if self._policy is not FsyncPolicy.NONE:
            os.fsync(fd)

    def _rotate(self, ts_ns: int) -> None:
        """Close the current file and start the file for `ts_ns`'s UTC day (or a new part of today)."""
        if self._closed:
            raise JournalError(f"{self._directory}: journal writer is closed")
        day = max(ts_ns // NS_PER_DAY, self._day)
        part = self._part + 1 if day == self._day else 0
        if self._fd is not None:
            self.flush()
            self._syncer.detach()
            os.close(self._fd)
            self._fd = None
        path = self._directory / file_name(day, part)
        fd = os.open(path, _FILE_FLAGS | os.O_CREAT | os.O_EXCL, 0o644)
        self._day, self._part = day, part
        self._attach(fd, path)
        self._write(encode_file_header(self._schema_version))
        if self._policy is not FsyncPolicy.NONE:
            os.fsync(self._dir_fd)

    def _write(self, data: bytes | bytearray) -> None:
        """Append ``data`` whole, or leave the file as it was; a full disk first spends the space reserve."""
        self._syncer.check()
        try:
            try:
                _write_all(self._fd, data)
            except OSError as error:
                self._rewind()
                if error.errno not in FULL_ERRNOS or not self._reserve.release():
                    raise
                _write_all(self._fd, data)  # in the reserve's room
        except OSError as error:
            self._rewind()
            self._syncer.failed(error)
            kind = JournalFull if error.errno in FULL_ERRNOS else JournalError
            raise kind(f"{self._path}: journal write failed: {error}") from error
        self._size += len(data)

    def _rewind(self) -> None:
        """Cut off what a failed write left of its bytes (a torn record in the middle would be corruption)."""
        if self._fd is not None:
            os.ftruncate(self._fd, self._size)

    def _attach(self, fd: int, path: Path) -> None:
        self._fd = fd
        self._size = os.fstat(fd).st_size
        self._path = path
        self._rotate_at_ns = (self._day + 1) * NS_PER_DAY
        self._syncer.attach(fd)


def _scan(path: Path, *, is_last: bool) -> FileScan:
    """Validate a whole file, keeping only where it ended."""
    scan = FileScan(path, None, is_last=is_last)
    for _record in scan:
        pass
    return scan


def _write_all(fd: int | None, buf: bytearray) -> None:
    """os.write the whole buffer (regular files rarely write short, but may)."""
    if fd is None:
        raise OSError("no journal file is open")
    written = os.write(fd, buf)
    if written < len(buf):
        with memoryview(buf) as view:
            while written < len(buf):
                written += os.write(fd, view[written:])
