"""Shutdown in a loop: omsd stops, whatever it was doing in its last milliseconds, under every fsync policy.

In this process (many cycles: a hang fails the test by its timeout) and as a real process sent SIGTERM.
"""

import asyncio
import random
from pathlib import Path

import pytest

from oms_daemon.app import Daemon
from oms_daemon.config import load_config
from oms_daemon.gateway import GatewayClosed
from tests.daemon.process import DaemonProcess, eventually
from tests.daemon.test_daemon_writer import market_buy

STOP_TIMEOUT_S = 15.0
POLICIES = ("always", "group", "none")


async def cycles(folder: Path, fsync: str, count: int, seed: int) -> None:
    """Start and stop omsd ``count`` times on one journal; some stops land while intents are in flight."""
    rnd = random.Random(seed)
    config = load_config(DaemonProcess(folder, fsync=fsync).config)
    for cycle in range(count):
        daemon = Daemon(config)
        await daemon.start()
        in_flight = []
        for n in range(rnd.choice((0, 0, 1, 5, 20))):  # traffic in the last milliseconds, or none
            in_flight.append(daemon.submit(market_buy(daemon, f"c{cycle}-{n}")))
        if in_flight and rnd.random() < 0.5:  # let some be answered first: the stop lands among them
            await asyncio.wait(in_flight, timeout=rnd.uniform(0, 0.003))
        await asyncio.wait_for(daemon.stop(), STOP_TIMEOUT_S)
        for future in in_flight:  # every request taken in was answered, or told the daemon stopped first
            assert future.done()
            if future.exception() is not None:
                assert isinstance(future.exception(), GatewayClosed)
        assert not daemon.failed


@pytest.mark.parametrize("fsync", POLICIES)
async def test_given_each_fsync_policy_when_started_and_stopped_in_a_loop_then_every_stop_completes(
    tmp_path: Path, fsync: str
) -> None:
    await cycles(tmp_path, fsync, count=25, seed=len(fsync))


@pytest.mark.slow
@pytest.mark.parametrize("fsync", POLICIES)
async def test_shutdown_soak(tmp_path: Path, fsync: str) -> None:
    await cycles(tmp_path, fsync, count=150, seed=len(fsync))


@pytest.mark.parametrize("fsync", POLICIES)
def test_given_a_real_process_when_sent_sigterm_right_after_traffic_then_it_exits_zero(
    tmp_path: Path, fsync: str
) -> None:
    daemon = DaemonProcess(tmp_path, fsync=fsync)
    for _ in range(2):
        daemon.start()
        with daemon.client() as client:
            for _ in range(5):
                client.submit("BTC/USDT", "BUY", "0.001")
            eventually(lambda: client.orders(scope="all").items, timeout=10)
        assert daemon.stop() == 0
