"""The append-only event journal: every input event is framed, CRC-checked and written before it acts.

Files are `journal-YYYY-MM-DD.omsj`, one per UTC day of the records' `ts_ns`. Each starts with a
16-byte header (b"OMSJ", u16 format version 1, u16 payload schema version, u64 reserved); each
record is a frame `u32 length | u32 crc32 | u64 seq | u8 kind | i64 ts_ns | payload`, little-endian,
the crc covering seq through payload (journal.layout). Seqs go +1 from 1 across files. See
journal.sync for what each FsyncPolicy guarantees and journal.scan for torn tail versus corruption.
"""

from journal.errors import JournalCorruption, JournalError, JournalFull
from journal.jsonl import export_jsonl
from journal.layout import MAX_RECORD_BYTES
from journal.reader import JournalReader, read_journal
from journal.record import JournalRecord, RecordKind, TornTail
from journal.space import SpaceReserve, free_bytes
from journal.sync import FsyncPolicy, JournalObserver
from journal.writer import JournalWriter

__all__ = [
    "MAX_RECORD_BYTES",
    "FsyncPolicy",
    "JournalCorruption",
    "JournalError",
    "JournalFull",
    "JournalObserver",
    "JournalReader",
    "JournalRecord",
    "JournalWriter",
    "RecordKind",
    "SpaceReserve",
    "TornTail",
    "export_jsonl",
    "free_bytes",
    "read_journal",
]
