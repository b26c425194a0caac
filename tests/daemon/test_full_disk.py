"""A full journal disk, on a small filesystem the test mounts and fills (tmpfs): omsd warns and refuses new
risk below the low-water mark, keeps journaling in-flight work into its reserve, answers every request it
took in, stops with exit code 75, and a restart after space is freed recovers every order."""

import asyncio
import re
import urllib.request
from pathlib import Path

import pytest

from journal import read_journal
from oms_daemon.app import EXIT_JOURNAL_UNWRITABLE, Daemon
from oms_daemon.config import load_config
from oms_daemon.core.events import Replied
from oms_daemon.gateway import GatewayClosed
from replay import fold
from tests.daemon.process import DaemonProcess, eventually
from tests.daemon.test_daemon_writer import market_buy
from tests.disk import can_mount, fill, small_filesystem

pytestmark = pytest.mark.skipif(not can_mount(), reason="needs to mount a small tmpfs (root)")
DISK = 4 << 20
LOW_WATER = 1 << 20
SETTINGS = "disk_low_water_mb = 1\ndisk_reserve_mb = 0.25"
KNOWN = {"journal_space_low", "journal_unavailable", "shutting_down", "not_armed", "insufficient_funds"}


def metrics(daemon: DaemonProcess) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{daemon.http_port}/metrics", timeout=5) as response:
        return response.read().decode()


def free_metric(daemon: DaemonProcess) -> float:
    found = re.search(r"^omsd_journal_free_bytes ([0-9.e+]+)$", metrics(daemon), re.M)
    assert found is not None
    return float(found.group(1))


def test_given_the_journal_disk_filling_then_warned_refused_stopped_75_and_recovered_after(tmp_path: Path) -> None:
    with small_filesystem(tmp_path / "disk", DISK) as disk:
        daemon = DaemonProcess(tmp_path, journal=disk / "journal", daemon_extra=SETTINGS).start()
        ballast = disk / "ballast"
        with daemon.client() as client:
            # given a resting buy
            resting = client.submit("BTC/USDT", "BUY", "0.01", order_type="LIMIT", price="50000")
            eventually(lambda: client.orders().items and client.orders().items[0].status == "NEW")
            # when the disk falls below the low-water mark, then new risk is refused with its reason, and said so
            fill(ballast, leave_bytes=LOW_WATER // 2)
            eventually(lambda: client.submit("BTC/USDT", "BUY", "0.001").reason == "journal_space_low")
            assert free_metric(daemon) < LOW_WATER
            assert 'omsd_alerts_total{code="journal_disk_low",severity="CRITICAL"} 1.0' in metrics(daemon)
            # but cancels still go
            assert client.cancel(resting.order_id).ok
            eventually(lambda: not client.orders().items)
            # when the disk fills up, then the journal spends its reserve, and once that is gone too, omsd stops
            eventually(lambda: fill(ballast) >= 0 and not daemon.alive, timeout=60)
        assert daemon.exited() == EXIT_JOURNAL_UNWRITABLE
        log = daemon.log.read_text()
        assert "journal cannot be written" in log and "Traceback" not in log
        # when space is freed and omsd restarts, then every order is there and the journal verifies
        ballast.unlink()
        daemon.start()
        with daemon.client() as client:
            orders = client.orders(scope="all").items
            assert {o.order_id for o in orders} >= {resting.order_id}
            assert next(o for o in orders if o.order_id == resting.order_id).status == "CANCELED"
            assert not [o for o in orders if o.status in ("PENDING_NEW", "PENDING_CANCEL", "UNKNOWN")]
        assert daemon.stop() == 0
        fold(read_journal([disk / "journal"]), verify=True)


async def test_given_requests_in_flight_when_the_journal_fails_then_each_is_answered_and_the_exit_code_is_75(
    tmp_path: Path,
) -> None:
    with small_filesystem(tmp_path / "disk", DISK) as disk:
        config = load_config(DaemonProcess(tmp_path, journal=disk / "journal", daemon_extra=SETTINGS).config)
        daemon = Daemon(config)
        await daemon.start()
        fill(disk / "ballast")  # no room left but the journal's reserve
        taken: list[asyncio.Future[Replied]] = []
        for n in range(5000):  # until the reserve is spent as well
            try:
                taken.append(daemon.submit(market_buy(daemon, f"f{n}", quantity="0.001")))
            except GatewayClosed:
                break
            if n % 50 == 49:  # let the writer take them in, then fill what the journal freed
                await asyncio.wait(taken[-50:], timeout=10)
                fill(disk / "ballast")
        await asyncio.wait_for(daemon.stop(), 30)
        # then every request omsd took in got a reply: applied, or refused because it could not be journaled
        assert taken and all(f.done() and f.exception() is None for f in taken)
        reasons = {f.result().reason for f in taken if not f.result().ok}
        assert "journal_unavailable" in reasons and reasons <= KNOWN
        assert daemon.exit_code == EXIT_JOURNAL_UNWRITABLE
