"""What a running daemon's journal holds, read from its files (read-only, as ``omsd replay`` does)."""

from collections import Counter
from pathlib import Path

from journal import RecordKind, read_journal
from oms_daemon.core.codec import decode_input
from oms_daemon.core.inputs import VenueFill

__all__ = ["census", "reconciliation_fills"]


def census(journal: Path) -> Counter[str]:
    """Inputs journaled so far, by type."""
    return Counter(
        type(decode_input(r.payload)).__name__ for r in read_journal([journal]) if r.kind == RecordKind.EVENT
    )


def reconciliation_fills(journal: Path) -> list[str]:
    """Trade ids of every reconciliation fill journaled so far (a trade id twice means it was journaled twice)."""
    found = []
    for record in read_journal([journal]):
        if record.kind == RecordKind.EVENT:
            inp = decode_input(record.payload)
            if isinstance(inp, VenueFill) and inp.reconciliation:
                found.append(inp.trade_id)
    return found
