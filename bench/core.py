"""Core + journal throughput, and replay throughput, over a generated mixed workload.

    python bench/core.py [--events 1000000] [--dir /tmp/omsd-bench]

Prints events/s for decode → core → encode → journal append (group commit, the daemon's default),
for the core alone, and for replaying the journal it wrote (read → decode → core).
"""

import argparse
import faulthandler
import shutil
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
from replay import fold

BATCH = 256


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


def core_only(payloads: list[bytes]) -> float:
    core = Core()
    step, decode = core.step, decode_input
    start = time.perf_counter()
    for payload in payloads:
        step(decode(payload))
    return time.perf_counter() - start


def main() -> None:
    faulthandler.dump_traceback_later(300, exit=True)  # a hang guard: the 1M run takes ~40 s on a busy 2-core box
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=None, help="journal directory (default: a temp dir)")
    args = parser.parse_args()
    print(native.status())
    directory = args.dir or Path(tempfile.mkdtemp(prefix="omsd-bench-"))
    shutil.rmtree(directory, ignore_errors=True)
    payloads = [encode_input(i) for i in mixed_inputs(args.events)]
    n = len(payloads)
    print(f"workload: {n} mixed inputs (quotes, submits, acks, partial fills, fills, cancels)")

    elapsed = core_only(payloads)
    print(f"core only (decode → core):                            {n / elapsed:>10,.0f} events/s")

    elapsed, live = core_and_journal(payloads, directory)
    print(f"core + journal (decode → core → encode → append, group): {n / elapsed:>7,.0f} events/s")

    start = time.perf_counter()
    replayed, result = fold(read_journal([directory]))
    elapsed = time.perf_counter() - start
    print(f"replay (read → decode → core):                         {result.events / elapsed:>8,.0f} events/s")
    same = replayed.state.state_hash() == live.state.state_hash()
    print(f"replayed state hash equals live: {same}")
    if args.dir is None:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
