"""``replay.fold`` over in-memory records: what it applies, where it stops, and what it reports."""

from collections import Counter

import pytest

from bench.workload import mixed_inputs
from journal import JournalRecord, RecordKind
from oms_daemon.core import Core
from oms_daemon.core.codec import encode_input
from replay import Checkpoint, ReplayDivergence, encode_checkpoint, fold

EVENTS = 200
CHECK_EVERY = 50


def records(*, tamper_at: int | None = None) -> tuple[list[JournalRecord], list[str]]:
    """Event records with a checkpoint every CHECK_EVERY events; also the live state hash after each event."""
    core = Core()
    out: list[JournalRecord] = []
    hashes: list[str] = []
    for n, inp in enumerate(mixed_inputs(EVENTS), start=1):
        out.append(JournalRecord(len(out) + 1, RecordKind.EVENT, inp.ts_recv, encode_input(inp)))
        core.step(inp)
        hashes.append(core.state.state_hash())
        if n % CHECK_EVERY == 0:
            state_hash = "0" * 32 if n == tamper_at else hashes[-1]
            checkpoint = Checkpoint(last_seq=len(out), state_hash=state_hash, events=n)
            out.append(JournalRecord(len(out) + 1, RecordKind.CHECKSUM, inp.ts_recv, encode_checkpoint(checkpoint)))
    return out, hashes


def test_given_records_when_folded_then_every_event_is_applied_and_counted_by_type() -> None:
    given, hashes = records()
    core, result = fold(given, verify=True)
    assert core.state.state_hash() == hashes[-1]
    assert result.events == EVENTS
    assert result.checksums_verified == EVENTS // CHECK_EVERY
    assert result.by_type == dict(sorted(Counter(type(i).__name__ for i in mixed_inputs(EVENTS)).items()))
    assert (result.last_seq, result.last_ts_ns) == (given[-1].seq, given[-1].ts_ns)


def test_given_until_seq_then_the_fold_stops_after_that_record() -> None:
    given, hashes = records()
    core, result = fold(given, until_seq=30)
    assert (result.events, result.last_seq, result.last_ts_ns) == (30, 30, given[29].ts_ns)
    assert core.state.state_hash() == hashes[29]


def test_given_until_ns_then_the_fold_stops_at_that_event_time() -> None:
    given, _ = records()
    cutoff = given[100].ts_ns
    _, result = fold(given, until_ns=cutoff)
    assert result.last_ts_ns <= cutoff
    assert all(r.ts_ns > cutoff for r in given[result.last_seq :])


def test_given_observer_and_progress_then_they_see_every_applied_event() -> None:
    given, _ = records()
    seen: list[int] = []
    _, result = fold(given, observer=lambda seq, _inp, _events: seen.append(seq), progress=lambda _seq: None)
    assert seen == [r.seq for r in given if r.kind == RecordKind.EVENT]
    assert len(seen) == result.events


def test_given_a_tampered_checkpoint_when_verified_then_replay_diverges_there() -> None:
    given, _ = records(tamper_at=100)
    with pytest.raises(ReplayDivergence) as raised:
        fold(given, verify=True)
    assert raised.value.seq == 2 * CHECK_EVERY + 1  # the second checkpoint follows event 100 and checkpoint 1


def test_given_no_records_then_the_result_is_empty() -> None:
    core = Core()
    same, result = fold([], core)
    assert same is core
    assert (result.events, result.last_seq, result.last_ts_ns, result.by_type) == (0, 0, 0, {})
