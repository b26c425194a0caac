"""Names and order of journal files: one per UTC day, `journal-YYYY-MM-DD.omsj`.

A day gets a further part, `journal-YYYY-MM-DD.N.omsj`, only when a writer with a different payload
schema version reopens that day's file (a file holds one schema version).
"""

import re
from datetime import date, timedelta
from pathlib import Path

__all__ = ["NS_PER_DAY", "file_name", "journal_files", "order_key", "parse_name"]

NS_PER_DAY = 86_400 * 1_000_000_000
_EPOCH = date(1970, 1, 1)
_NAME = re.compile(r"journal-(\d{4}-\d{2}-\d{2})(?:\.(\d+))?\.(?:omsj|jsonl)")


def file_name(day: int, part: int) -> str:
    """File name for UTC `day` (days since the epoch) and `part` (0 for the day's first file)."""
    text = (_EPOCH + timedelta(days=day)).isoformat()
    return f"journal-{text}.omsj" if part == 0 else f"journal-{text}.{part}.omsj"


def parse_name(path: Path) -> tuple[int, int] | None:
    """(day, part) of a journal file name, None for any other name."""
    match = _NAME.fullmatch(path.name)
    if match is None:
        return None
    day = (date.fromisoformat(match[1]) - _EPOCH).days
    return day, int(match[2] or 0)


def order_key(path: Path) -> tuple[int, int, str]:
    """Sort key putting journal files in date and part order; other names go first, by name."""
    parsed = parse_name(path)
    if parsed is None:
        return -(1 << 62), 0, path.name
    return parsed[0], parsed[1], path.name


def journal_files(directory: Path) -> list[Path]:
    """The `.omsj` journal files of a directory, oldest first."""
    return sorted((path for path in directory.glob("journal-*.omsj") if parse_name(path) is not None), key=order_key)
