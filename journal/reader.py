"""JournalReader: records in seq order from journal directories, `.omsj` files and `.jsonl` exports.

Files are read oldest first (by the date and part in their names) and the sequence must go +1
across them. Reading never modifies a file: a torn tail in the newest file ends the records and is
reported in `torn_tail`; anything else that is wrong raises JournalCorruption naming file and offset.
"""

from collections.abc import Iterable, Iterator
from pathlib import Path

from journal.errors import JournalError
from journal.files import journal_files, order_key
from journal.jsonl import read_jsonl
from journal.record import JournalRecord, TornTail
from journal.scan import FileScan

__all__ = ["JournalReader", "read_journal"]


class JournalReader:
    """Reads a journal read-only; `records()` fills in `torn_tail` and `schema_versions` as it goes.

    `schema_versions` maps each `.omsj` file read to its payload schema version (exports carry none).
    """

    def __init__(self, paths: Iterable[Path]) -> None:
        files: list[Path] = []
        for path in map(Path, paths):
            if path.is_dir():
                files.extend(journal_files(path))
            elif path.is_file() and path.suffix in (".omsj", ".jsonl"):
                files.append(path)
            else:
                raise JournalError(f"{path}: not a journal directory, .omsj file or .jsonl export")
        self.files: tuple[Path, ...] = tuple(sorted(dict.fromkeys(files), key=order_key))
        self.torn_tail: TornTail | None = None
        self.schema_versions: dict[Path, int] = {}

    def records(self) -> Iterator[JournalRecord]:
        """Every record in seq order; stops early only at a torn tail in the newest file."""
        self.torn_tail = None
        self.schema_versions = {}
        expected_seq: int | None = None
        last = len(self.files) - 1
        for index, path in enumerate(self.files):
            if path.suffix == ".jsonl":
                expected_seq = yield from read_jsonl(path, expected_seq)
                continue
            scan = FileScan(path, expected_seq, is_last=index == last)
            yield from scan
            expected_seq = scan.next_seq
            self.torn_tail = scan.torn_tail
            if scan.schema_version is not None:
                self.schema_versions[path] = scan.schema_version


def read_journal(paths: Iterable[Path]) -> Iterator[JournalRecord]:
    """Every record of the given journal directories, `.omsj` files and `.jsonl` exports, in seq order."""
    return JournalReader(paths).records()
