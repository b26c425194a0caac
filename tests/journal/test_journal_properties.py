"""Properties: any payloads round-trip, and a file cut at any byte recovers exactly its complete records."""

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from journal import FsyncPolicy, JournalReader, JournalRecord, JournalWriter, RecordKind, TornTail
from tests.journal.support import DAY1, frame_offsets

NAME = "journal-2024-03-09.omsj"

records_strategy = st.lists(
    st.tuples(st.sampled_from(RecordKind), st.integers(0, 10**9), st.binary(max_size=300)), max_size=30
)


def _write(directory: Path, items: list[tuple[RecordKind, int, bytes]]) -> list[JournalRecord]:
    with JournalWriter(directory, schema_version=1, policy=FsyncPolicy.NONE) as writer:
        for index, (kind, offset_ns, body) in enumerate(items):
            writer.append(kind, DAY1 + offset_ns, body)
            if index % 7 == 6:
                writer.flush()
    return [
        JournalRecord(seq, kind, DAY1 + offset_ns, body) for seq, (kind, offset_ns, body) in enumerate(items, start=1)
    ]


@settings(max_examples=60, deadline=None)
@given(items=records_strategy)
def test_any_payloads_round_trip(items: list[tuple[RecordKind, int, bytes]]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        # given any records written and closed
        expected = _write(Path(directory), items)
        # when the journal is read
        reader = JournalReader([Path(directory)])
        # then exactly those records come back
        assert list(reader.records()) == expected
        assert reader.torn_tail is None


@settings(max_examples=150, deadline=None)
@given(items=records_strategy.filter(bool), data=st.data())
def test_a_file_cut_at_any_byte_recovers_exactly_its_complete_records(
    items: list[tuple[RecordKind, int, bytes]], data: st.DataObject
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        # given a journal file cut at an arbitrary byte, as a crash could leave it
        root = Path(directory)
        expected = _write(root, items)
        path = root / NAME
        whole = path.read_bytes()
        ends = [*frame_offsets(path)[1:], len(whole)]
        cut = data.draw(st.integers(0, len(whole)), label="cut")
        path.write_bytes(whole[:cut])
        complete = sum(1 for end in ends if end <= cut)
        if cut < 16:  # inside the file header
            torn = TornTail(path, 0, cut)
        else:
            boundary = ends[complete - 1] if complete else 16
            torn = None if cut == boundary else TornTail(path, boundary, cut - boundary)
        # when it is read, and then opened by a writer that appends one more record
        reader = JournalReader([root])
        read = list(reader.records())
        with JournalWriter(root, schema_version=1, policy=FsyncPolicy.NONE) as writer:
            writer_torn = writer.torn_tail
            seq = writer.append(RecordKind.EVENT, DAY1, b"after")
        # then exactly the complete records are recovered, the rest reported as torn, and the
        # writer cuts the same tail and continues right after the last complete record
        assert read == expected[:complete]
        assert reader.torn_tail == torn
        assert writer_torn == torn
        assert seq == complete + 1
        assert list(JournalReader([root]).records()) == [
            *expected[:complete],
            JournalRecord(seq, RecordKind.EVENT, DAY1, b"after"),
        ]
