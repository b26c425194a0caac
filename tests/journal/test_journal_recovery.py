"""Recovery: a torn final record is cut and reported; any other damage raises JournalCorruption."""

import struct
from pathlib import Path

import pytest

from journal import (
    FsyncPolicy,
    JournalCorruption,
    JournalReader,
    JournalRecord,
    JournalWriter,
    RecordKind,
    TornTail,
    read_journal,
)
from tests.journal.support import DAY1, DAY2, flip_byte, frame_offsets, payload, spec_frame, write_journal

NAME = "journal-2024-03-09.omsj"


def _tear(path: Path, how: str) -> int:
    """Damage the last frame as a crash would; return that frame's offset."""
    last = frame_offsets(path)[-1]
    data = path.read_bytes()
    if how == "short header":
        path.write_bytes(data[: last + 10])
    elif how == "short payload":
        path.write_bytes(data[:-3])
    else:  # bad crc on the last frame
        flip_byte(path, len(data) - 1)
    return last


@pytest.mark.parametrize("how", ["short header", "short payload", "bad crc"])
def test_a_torn_last_record_is_cut_reported_and_appending_continues(tmp_path: Path, how: str) -> None:
    # given a journal of 5 records whose last frame was torn by a crash
    records = write_journal(tmp_path, 5)
    path = tmp_path / NAME
    last = _tear(path, how)
    torn_size = path.stat().st_size - last
    # when a writer opens it and appends
    with JournalWriter(tmp_path, schema_version=1, policy=FsyncPolicy.NONE) as writer:
        torn = writer.torn_tail
        next_seq = writer.next_seq
        writer.append(RecordKind.EVENT, DAY1 + 50, payload(5))
    # then the torn bytes were cut and reported, and the new record takes the lost seq
    assert torn == TornTail(path, last, torn_size)
    assert next_seq == 5
    assert list(read_journal([tmp_path])) == [
        *records[:4],
        JournalRecord(5, RecordKind.EVENT, DAY1 + 50, payload(5)),
    ]


@pytest.mark.parametrize("how", ["short header", "short payload", "bad crc"])
def test_a_reader_stops_at_a_torn_tail_without_changing_the_file(tmp_path: Path, how: str) -> None:
    # given a crashed journal with a torn last frame
    records = write_journal(tmp_path, 5)
    path = tmp_path / NAME
    last = _tear(path, how)
    before = path.read_bytes()
    # when it is read
    reader = JournalReader([tmp_path])
    read = list(reader.records())
    # then the complete records come back, the tail is reported, and the file is untouched
    assert read == records[:4]
    assert reader.torn_tail == TornTail(path, last, len(before) - last)
    assert path.read_bytes() == before


def test_a_file_cut_inside_its_header_is_a_torn_tail_and_gets_a_fresh_header(tmp_path: Path) -> None:
    # given the newest file holds only part of its header (crash right after it was created)
    records = write_journal(tmp_path, 2)
    newest = tmp_path / "journal-2024-03-10.omsj"
    newest.write_bytes(b"OMSJ\x01")
    # when a writer opens the journal and appends on that day
    with JournalWriter(tmp_path, schema_version=1, policy=FsyncPolicy.NONE) as writer:
        torn = writer.torn_tail
        writer.append(RecordKind.EVENT, DAY2, payload(3))
    # then the partial header was reported and replaced, and seqs continue from the older file
    assert torn == TornTail(newest, 0, 5)
    assert list(read_journal([tmp_path])) == [*records, JournalRecord(3, RecordKind.EVENT, DAY2, payload(3))]


def test_a_flipped_byte_mid_file_raises_naming_file_and_offset(tmp_path: Path) -> None:
    # given a journal where one byte inside the 5th of 10 frames is flipped
    write_journal(tmp_path, 10)
    path = tmp_path / NAME
    fifth = frame_offsets(path)[4]
    flip_byte(path, fifth + 30)
    before = path.read_bytes()
    # when it is read, or a writer opens it
    with pytest.raises(JournalCorruption) as read_error:
        list(read_journal([tmp_path]))
    with pytest.raises(JournalCorruption) as open_error:
        JournalWriter(tmp_path, schema_version=1, policy=FsyncPolicy.NONE)
    # then both name the file and the frame's offset, and nothing was cut
    for error in (read_error.value, open_error.value):
        assert (error.path, error.offset) == (path, fifth)
        assert str(path) in str(error) and f"byte {fifth}" in str(error)
    assert path.read_bytes() == before


def test_a_corrupted_length_field_mid_file_is_not_taken_for_a_torn_tail(tmp_path: Path) -> None:
    # given a journal where the 3rd frame's length field claims more bytes than the frame has
    write_journal(tmp_path, 6)
    path = tmp_path / NAME
    third = frame_offsets(path)[2]
    data = bytearray(path.read_bytes())
    (length,) = struct.unpack_from("<I", data, third)
    struct.pack_into("<I", data, third, length + 40)
    path.write_bytes(bytes(data))
    # when a writer opens it
    # then it raises at that frame instead of cutting the later, valid records
    with pytest.raises(JournalCorruption) as error:
        JournalWriter(tmp_path, schema_version=1, policy=FsyncPolicy.NONE)
    assert (error.value.path, error.value.offset) == (path, third)
    assert path.read_bytes() == bytes(data)


def test_a_length_field_running_past_the_end_mid_file_is_corruption(tmp_path: Path) -> None:
    # given a journal where the 2nd of 4 frames' length field points past the end of the file
    write_journal(tmp_path, 4)
    path = tmp_path / NAME
    second = frame_offsets(path)[1]
    data = bytearray(path.read_bytes())
    struct.pack_into("<I", data, second, 100_000)
    path.write_bytes(bytes(data))
    # when it is read
    # then the later valid frames show it is corruption, not a torn tail
    with pytest.raises(JournalCorruption) as error:
        list(read_journal([path]))
    assert error.value.offset == second


def test_an_impossible_length_is_corruption_even_on_the_last_frame(tmp_path: Path) -> None:
    # given a journal whose last frame claims a payload over the 16 MiB cap
    write_journal(tmp_path, 3)
    path = tmp_path / NAME
    last = frame_offsets(path)[-1]
    data = bytearray(path.read_bytes())
    struct.pack_into("<I", data, last, 0xFFFF_FFFF)
    path.write_bytes(bytes(data))
    # when it is read
    # then it raises at that frame
    with pytest.raises(JournalCorruption, match="impossible payload length") as error:
        list(read_journal([tmp_path]))
    assert error.value.offset == last


def test_damage_in_a_file_that_is_not_the_newest_is_corruption(tmp_path: Path) -> None:
    # given two days of journal where the last frame of the older day is damaged
    write_journal(tmp_path, 3, start_ts=DAY1)
    write_journal(tmp_path, 3, start_ts=DAY2)
    older = tmp_path / NAME
    last = frame_offsets(older)[-1]
    flip_byte(older, older.stat().st_size - 1)
    # when it is read
    # then a bad last frame there is not a torn tail: it raises naming the older file
    with pytest.raises(JournalCorruption) as error:
        list(read_journal([tmp_path]))
    assert (error.value.path, error.value.offset) == (older, last)


def test_a_sequence_that_does_not_go_up_by_one_is_corruption(tmp_path: Path) -> None:
    # given a file whose frames are individually valid but skip seq 3
    write_journal(tmp_path, 2)
    path = tmp_path / NAME
    with path.open("ab") as file:
        file.write(spec_frame(4, 1, DAY1 + 9, payload(4)))
    gap_at = frame_offsets(path)[-1]
    # when it is read
    # then it raises at the frame with the unexpected seq
    with pytest.raises(JournalCorruption, match="sequence 4 where 3 was expected") as error:
        list(read_journal([tmp_path]))
    assert error.value.offset == gap_at


def test_a_sequence_gap_between_files_is_corruption(tmp_path: Path) -> None:
    # given the next day's file starts at a seq that does not follow the previous day's last
    write_journal(tmp_path, 2, start_ts=DAY1)
    newer = tmp_path / "journal-2024-03-10.omsj"
    newer.write_bytes((tmp_path / NAME).read_bytes()[:16] + spec_frame(7, 1, DAY2, payload(7)))
    # when the directory is read
    # then it raises naming the newer file
    with pytest.raises(JournalCorruption) as error:
        list(read_journal([tmp_path]))
    assert (error.value.path, error.value.offset) == (newer, 16)


@pytest.mark.parametrize(
    ("header", "complaint"),
    [(b"NOPE\x01\x00\x01\x00" + bytes(8), "not a journal file"), (b"OMSJ\x02\x00\x01\x00" + bytes(8), "version 2")],
)
def test_a_foreign_magic_or_format_version_is_refused_naming_the_file(
    tmp_path: Path, header: bytes, complaint: str
) -> None:
    # given a journal file with an unknown magic or format version
    path = tmp_path / NAME
    path.write_bytes(header + spec_frame(1, 1, DAY1, payload(1)))
    # when it is read or opened for writing
    # then the error names the file
    for attempt in (
        lambda: list(read_journal([tmp_path])),
        lambda: JournalWriter(tmp_path, schema_version=1, policy=FsyncPolicy.NONE),
    ):
        with pytest.raises(JournalCorruption, match=complaint) as error:
            attempt()
        assert str(path) in str(error.value)


def test_an_unknown_record_kind_with_a_valid_crc_is_corruption(tmp_path: Path) -> None:
    # given a frame with a correct CRC but a kind code the journal does not know
    write_journal(tmp_path, 1)
    path = tmp_path / NAME
    with path.open("ab") as file:
        file.write(spec_frame(2, 9, DAY1, payload(2)))
    # when it is read
    # then it raises rather than skipping the record
    with pytest.raises(JournalCorruption, match="unknown record kind 9"):
        list(read_journal([tmp_path]))
