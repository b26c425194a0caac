"""Core + journal throughput, and replay throughput, over a generated mixed workload.

    python bench/core.py [--events 1000000] [--dir /tmp/omsd-bench]

Prints events/s for the core alone (decode → core), for decode → core → encode → journal append
(group commit, the daemon's default; the journal is kept for the next phase), and for replaying
that journal (read → decode → core), then checks that the replay reached the live state's hash.
Each phase runs in a fresh interpreter, as the daemon and ``omsd replay`` do: a phase's figure is
not weighed down by the previous phase's million-event state still in memory.
"""

import argparse
import faulthandler
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.workload import mixed_inputs
from journal import FsyncPolicy, JournalWriter, RecordKind, read_journal
from oms_daemon import native
from oms_daemon.core import Core
from oms_daemon.core.codec import SCHEMA_VERSION, decode_input, encode_input
from oms_daemon.runtime import tune_gc
from replay import fold

BATCH = 256
PHASES = {
    "core": "core only (decode → core):                             ",
    "journal": "core + journal (decode → core → encode → append, group):",
    "replay": "replay (read → decode → core):                        ",
}


def core_and_journal(payloads: list[bytes], directory: Path) -> tuple[float, Core]:
    """Decode each wire payload, journal it (group commit), apply it to the core."""
    core = Core()
    step, decode, encode = core.step, decode_input, encode_input
    with JournalWriter(directory, schema_version=SCHEMA_VERSION, policy=FsyncPolicy.GROUP) as journal:
        append = journal.append
        start = time.perf_counter()
        for begin in range(0, len(payloads), BATCH):
            batch = [decode(p) for p in payloads[begin : begin + BATCH]]
            for inp in batch:
                append(RecordKind.EVENT, inp.ts_recv, encode(inp))
            journal.flush()
            for inp in batch:
                step(inp)
        elapsed = time.perf_counter() - start
    return elapsed, core


def core_only(payloads: list[bytes]) -> tuple[float, Core]:
    """Decode each wire payload and apply it to the core."""
    core = Core()
    step, decode = core.step, decode_input
    start = time.perf_counter()
    for payload in payloads:
        step(decode(payload))
    return time.perf_counter() - start, core


def run_phase(phase: str, events: int, directory: Path) -> None:
    """One phase in this interpreter; prints ``events elapsed state_hash``."""
    tune_gc()
    if phase == "replay":
        start = time.perf_counter()
        core, result = fold(read_journal([directory]))
        elapsed, count = time.perf_counter() - start, result.events
    else:
        payloads = [encode_input(i) for i in mixed_inputs(events)]
        elapsed, core = core_only(payloads) if phase == "core" else core_and_journal(payloads, directory)
        count = len(payloads)
    print(count, elapsed, core.state.state_hash())


def main() -> None:
    faulthandler.dump_traceback_later(300, exit=True)  # a hang guard: the 1M run takes ~40 s on a busy 2-core box
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=None, help="journal directory (default: a temp dir)")
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)  # one phase, in a child
    args = parser.parse_args()
    directory = args.dir or Path(tempfile.mkdtemp(prefix="omsd-bench-"))
    if args.phase:
        run_phase(args.phase, args.events, directory)
        return
    print(native.status())
    print(f"workload: {args.events} mixed inputs (quotes, submits, acks, partial fills, fills, cancels)")
    shutil.rmtree(directory, ignore_errors=True)
    hashes = {}
    for phase, label in PHASES.items():
        child = [sys.executable, __file__, "--phase", phase, "--events", str(args.events), "--dir", str(directory)]
        count, elapsed, hashes[phase] = subprocess.run(child, capture_output=True, text=True, check=True).stdout.split()
        print(f"{label} {int(count) / float(elapsed):>9,.0f} events/s")
    print(f"replayed state hash equals live: {hashes['replay'] == hashes['journal'] == hashes['core']}")
    if args.dir is None:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
