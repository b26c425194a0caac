"""A wall clock that steps back, faked for a real omsd process with libfaketime (Debian's ``faketime``,
installed here when missing): event time keeps moving, submits are not throttled for as long as the step
lasts, and the step is alerted with its size."""

import glob
import re
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest

from journal import RecordKind, read_journal
from oms_daemon.core.codec import decode_input
from oms_daemon.core.inputs import ClockStep, SessionStarted
from tests.daemon.process import DaemonProcess, eventually

DAY_NS = 86_400 * 1_000_000_000
THROTTLE = '\n[risk]\norders_per_second = "5"\norders_burst = 5\n'
"""At most 5 orders a second: a clock that stood still would throttle every submit after the first five."""


def libfaketime() -> str:
    """The path of libfaketime, installed from Debian's packages when missing (the test is skipped if it can't be)."""
    found = glob.glob("/usr/lib/*/faketime/libfaketime.so.1")
    if not found and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "faketime"], capture_output=True, check=False)
        found = glob.glob("/usr/lib/*/faketime/libfaketime.so.1")
    if not found:
        pytest.skip("libfaketime is not installed and could not be installed")
    return found[0]


def faked(lib: str, **settings: str) -> dict[str, str]:
    """Environment that shifts the wall clock (never the monotonic one, as NTP steps do not)."""
    return {"LD_PRELOAD": lib, "FAKETIME_DONT_FAKE_MONOTONIC": "1", **settings}


def alerts(daemon: DaemonProcess, code: str) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{daemon.http_port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return int(sum(float(v) for v in re.findall(rf'omsd_alerts_total\{{code="{code}",[^}}]*\}} ([0-9.e+]+)', text)))


def trade_past_the_burst(daemon: DaemonProcess, count: int = 12) -> None:
    """``count`` market buys, each retried until accepted: only a clock that moves lets the bucket refill."""
    with daemon.client() as client:
        for _ in range(count):
            eventually(lambda: client.submit("BTC/USDT", "BUY", "0.001").ok, timeout=10)


def is_session(payload: bytes) -> bool:
    return isinstance(decode_input(payload), SessionStarted)


def clock_steps(journal: Path) -> list[int]:
    steps = []
    for record in read_journal([journal]):
        if record.kind == RecordKind.EVENT and isinstance(inp := decode_input(record.payload), ClockStep):
            steps.append(inp.behind_ns)
    return steps


def test_given_a_restart_with_the_clock_a_day_behind_the_journal_then_trading_goes_on_and_the_step_is_alerted(
    tmp_path: Path,
) -> None:
    lib = libfaketime()
    daemon = DaemonProcess(tmp_path, extra=THROTTLE)
    daemon.start()
    trade_past_the_burst(daemon, 3)
    assert daemon.stop() == 0
    # when it restarts with the wall clock one day behind the journal
    daemon.start(env=faked(lib, FAKETIME="-1d"))
    # then submits are accepted past the throttle's burst (event time moves on), and the step was alerted
    trade_past_the_burst(daemon)
    eventually(lambda: alerts(daemon, "clock_step_back") == 1)
    assert daemon.stop() == 0
    (behind,) = clock_steps(daemon.journal)
    assert DAY_NS - 60 * 10**9 < behind < DAY_NS + 60 * 10**9
    records = list(read_journal([daemon.journal]))
    second = next(r.seq for r in records if r.seq > 1 and r.kind == RecordKind.EVENT and is_session(r.payload))
    first_run = max(r.ts_ns for r in records if r.seq < second)
    assert min(r.ts_ns for r in records if r.seq >= second) > first_run  # event time went on from the journal


def test_given_the_clock_steps_back_while_running_then_trading_goes_on_and_both_step_and_recovery_are_alerted(
    tmp_path: Path,
) -> None:
    lib = libfaketime()
    offset = tmp_path / "faketime"
    offset.write_text("+0\n")
    daemon = DaemonProcess(tmp_path, extra=THROTTLE)
    daemon.start(env=faked(lib, FAKETIME_TIMESTAMP_FILE=str(offset), FAKETIME_NO_CACHE="1"))
    trade_past_the_burst(daemon, 3)
    # when an NTP step puts the wall clock an hour back
    offset.write_text("-1h\n")
    eventually(lambda: alerts(daemon, "clock_step_back") == 1)
    trade_past_the_burst(daemon)
    # and then puts it right
    offset.write_text("+0\n")
    eventually(lambda: alerts(daemon, "clock_recovered") == 1)
    trade_past_the_burst(daemon, 3)
    assert daemon.stop() == 0
    steps = clock_steps(daemon.journal)
    assert len(steps) == 2 and 3590 * 10**9 < steps[0] < 3610 * 10**9 and steps[1] == 0
