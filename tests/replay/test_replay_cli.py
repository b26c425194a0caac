"""`omsd replay` and `omsd journal export` on real journal files, through the real CLI."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.workload import mixed_inputs
from journal import FsyncPolicy, JournalWriter, RecordKind
from oms_daemon.core import Core
from oms_daemon.core.codec import SCHEMA_VERSION, encode_input
from replay import Checkpoint, encode_checkpoint
from tests.daemon.process import ROOT

EVENTS = 600
CHECK_EVERY = 100


def omsd(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "oms_daemon.cli", *args], capture_output=True, text=True, cwd=ROOT)


def write_journal(directory: Path, *, tamper_at: int | None = None) -> Core:
    """A journal of mixed inputs with a checkpoint every CHECK_EVERY events, as the daemon writes it."""
    core = Core()
    with JournalWriter(directory, schema_version=SCHEMA_VERSION, policy=FsyncPolicy.NONE) as journal:
        for n, inp in enumerate(mixed_inputs(EVENTS), start=1):
            journal.append(RecordKind.EVENT, inp.ts_recv, encode_input(inp))
            core.step(inp)
            if n % CHECK_EVERY == 0:
                state_hash = "0" * 32 if n == tamper_at else core.state.state_hash()
                checkpoint = Checkpoint(last_seq=journal.next_seq - 1, state_hash=state_hash, events=n)
                journal.append(RecordKind.CHECKSUM, inp.ts_recv, encode_checkpoint(checkpoint))
    return core


@pytest.fixture(scope="module")
def journal_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    directory = tmp_path_factory.mktemp("journal")
    core = write_journal(directory)
    return directory, core.state.state_hash()


def summary(*args: str) -> dict:
    done = omsd("replay", *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_given_journal_when_replayed_then_summary_matches_the_live_state(journal_dir: tuple[Path, str]) -> None:
    directory, live_hash = journal_dir
    result = summary(str(directory), "--verify")
    assert result["events"] == EVENTS
    assert result["state_hash"] == live_hash
    assert result["checksums_verified"] == EVENTS // CHECK_EVERY
    assert sum(result["orders_by_status"].values()) > 0 and result["fills"] > 0


def test_given_until_seq_then_replay_stops_there(journal_dir: tuple[Path, str]) -> None:
    directory, _ = journal_dir
    result = summary(str(directory), "--until", "50")
    assert result["last_seq"] == 50 and result["events"] == 50


def test_given_until_time_then_replay_stops_at_that_event_time(journal_dir: tuple[Path, str]) -> None:
    directory, _ = journal_dir
    inputs = list(mixed_inputs(EVENTS))
    cutoff = inputs[200].ts_recv  # 2026-01-01T00:00:00Z plus a few microseconds
    iso = f"2026-01-01T00:00:00.{(cutoff - 1_767_225_600_000_000_000) // 1000:06d}Z"
    result = summary(str(directory), "--until", iso)
    assert 0 < result["events"] < EVENTS
    assert result["last_ts_ns"] <= cutoff


def test_given_order_id_then_its_whole_story_is_printed(journal_dir: tuple[Path, str]) -> None:
    directory, _ = journal_dir
    done = omsd("replay", str(directory), "--order", "4")
    assert done.returncode == 0, done.stderr
    story = done.stdout
    for step in ("SubmitOrder", "VenueOrderAccepted", "VenueFill", "created PENDING_NEW", "→ NEW"):
        assert step in story
    assert "order 5 " not in story


def test_given_tampered_checksum_when_verify_then_exit_nonzero_naming_the_sequence(tmp_path: Path) -> None:
    write_journal(tmp_path, tamper_at=300)
    done = omsd("replay", str(tmp_path), "--verify")
    assert done.returncode == 3
    assert "diverges at seq 302" in done.stderr  # 300 events + 2 earlier checkpoint records


def test_given_jsonl_export_then_replaying_it_gives_the_same_state(
    journal_dir: tuple[Path, str], tmp_path: Path
) -> None:
    directory, live_hash = journal_dir
    exported = tmp_path / "day.jsonl"
    done = omsd("journal", "export", "--jsonl", str(directory), "-o", str(exported))
    assert done.returncode == 0, done.stderr
    first = json.loads(exported.read_text().splitlines()[1])
    assert first["kind"] == "event" and first["payload"]["type"] == "BalancesSnapshot"
    assert summary(str(exported), "--verify")["state_hash"] == live_hash


def test_given_torn_tail_then_replay_stops_before_it_and_says_so(tmp_path: Path) -> None:
    write_journal(tmp_path)
    file = next(tmp_path.glob("*.omsj"))
    file.write_bytes(file.read_bytes()[:-7])
    done = omsd("replay", str(tmp_path), "--json")
    assert done.returncode == 0
    assert "torn tail" in done.stderr
    assert json.loads(done.stdout)["last_seq"] == EVENTS + EVENTS // CHECK_EVERY - 1


def test_given_corruption_mid_file_then_replay_fails_naming_file_and_offset(tmp_path: Path) -> None:
    write_journal(tmp_path)
    file = next(tmp_path.glob("*.omsj"))
    data = bytearray(file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    file.write_bytes(bytes(data))
    done = omsd("replay", str(tmp_path))
    assert done.returncode == 4
    assert str(file) in done.stderr and "at byte" in done.stderr
