"""Crash recovery: omsd is SIGKILLed at chosen moments while strategies trade through it against the
out-of-process simulated exchange; after every restart omsd agrees with the exchange's own records.

The kill points (cycled): plain load; a submit held at the exchange and canceled before the kill; a submit
the exchange accepted but never answered; fills at the exchange while omsd is down; a cancel the exchange
holds. `make test` runs one of each; `pytest -m slow` runs many more. Each run prints, per kill, the orders
whose outcome was open at the kill and the journal's size at each start.
"""

import json
import random
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from oms_daemon.client import OmsClient
from simex import SimexConfig, SimexProcess
from tests.ccxt.daemon import CcxtDaemon, eventually
from tests.ccxt.journal_census import census
from tests.ccxt.truth import reset_book
from tests.daemon.process import ROOT
from tests.safety.agreement import OPEN_OUTCOMES, SYMBOL, assert_agrees, load, unload

ORDER = {"path": "/api/v3/order"}


def journal_summary(journal: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "oms_daemon.cli", "replay", str(journal), "--json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(done.stdout)


def journal_bytes(journal: Path) -> int:
    return sum(f.stat().st_size for f in journal.glob("*.omsj"))


def placed(client: OmsClient, side: str, price: str | None = None) -> int:
    """An order omsd accepted (retried while it refuses, e.g. ``recovery_in_progress`` just after a restart)."""
    kind = {"order_type": "LIMIT", "price": price} if price else {}

    def accepted() -> int | None:
        reply = client.submit(SYMBOL, side, "0.001", **kind)
        return reply.order_id if reply.ok else None

    return eventually(accepted, timeout=15)


def held_submit_canceled(daemon: CcxtDaemon, sim: SimexProcess) -> None:
    """A submit the exchange holds, canceled (the cancel bounces) before the kill."""
    sim.control.add_faults({"kind": "stall", "seconds": 1.5, "method": "POST", "times": 0, **ORDER})
    with daemon.client(strategy="held") as client:
        assert client.cancel(placed(client, "BUY", "58000")).ok


def accepted_unanswered(daemon: CcxtDaemon, sim: SimexProcess) -> None:
    """Submits the exchange places but whose replies it holds past the kill."""
    sim.control.add_faults({"kind": "accept_then_timeout", "seconds": 3, "method": "POST", "times": 0, **ORDER})
    with daemon.client(strategy="unanswered") as client:
        placed(client, "BUY", "58100")
        placed(client, "SELL")


def stalled_cancel(daemon: CcxtDaemon, sim: SimexProcess) -> None:
    """Cancels the exchange holds at the kill (and acts on when it releases them, omsd dead)."""
    with daemon.client(strategy="stalled") as client:
        resting = [placed(client, "BUY", "58200") for _ in range(3)]
        eventually(lambda: all(o.status == "NEW" for o in client.orders().items if o.order_id in resting))
        sim.control.add_faults({"kind": "stall", "seconds": 1.0, "method": "DELETE", "times": 0, **ORDER})
        for order_id in resting:
            assert client.cancel(order_id).ok


def fills_while_down(daemon: CcxtDaemon, sim: SimexProcess) -> None:
    """Resting buys, filled at the exchange after the kill (see ``run_crashes``)."""
    with daemon.client(strategy="filled") as client:
        resting = [placed(client, "BUY", "59990") for _ in range(3)]
        eventually(lambda: all(o.status == "NEW" for o in client.orders().items if o.order_id in resting))


KILL_POINTS: tuple[tuple[str, Callable[[CcxtDaemon, SimexProcess], None] | None], ...] = (
    ("load", None),
    ("held_submit_canceled", held_submit_canceled),
    ("accepted_unanswered", accepted_unanswered),
    ("fills_while_down", fills_while_down),
    ("stalled_cancel", stalled_cancel),
)


def run_crashes(tmp_path: Path, kills: int, seed: int) -> list[dict]:
    rnd = random.Random(seed)
    report = []
    with SimexProcess(SimexConfig(unique_client_ids=True), log=tmp_path / "simex.log") as sim:
        reset_book(sim)
        start_btc = sum(sim.control.balances()["BTC"].values(), Decimal(0))
        daemon = CcxtDaemon(tmp_path, sim, poll_interval_s=0.5)
        with daemon:
            sizes = [journal_bytes(daemon.journal)]
            for point in range(kills):
                name, setup = KILL_POINTS[point % len(KILL_POINTS)]
                stop, threads = load(daemon, 3, seed * 100 + point)
                time.sleep(rnd.uniform(0.3, 1.5))  # the kill point: a random moment under load...
                if setup is not None:
                    setup(daemon, sim)  # ...in the situation this point is about
                daemon.kill()
                unload(stop, threads)
                trades_before = len(sim.control.trades())
                if name == "fills_while_down":
                    sim.control.set_book("BTCUSDT", [("59900", "5")], [("59950", "5")])
                # the requests the exchange held act now, omsd down
                eventually(lambda: not sim.control.stats()["rest"].get("in_flight"), timeout=10)
                sim.control.clear_faults()
                at_kill = journal_summary(daemon.journal)
                before = census(daemon.journal)
                daemon.start()
                sizes.append(journal_bytes(daemon.journal))
                assert_agrees(daemon, sim, start_btc)
                after = census(daemon.journal)
                new_trades = len(sim.control.trades()) - trades_before
                # the journal grew by what was new at the venue (and each start's own few passes), not more
                assert after["VenueFill"] - before["VenueFill"] <= 2 * new_trades + 10
                assert after["ReconciliationSnapshot"] - before["ReconciliationSnapshot"] <= 6
                reset_book(sim)
                report.append(
                    {
                        "kill": point,
                        "point": name,
                        "orders": sum(at_kill["orders_by_status"].values()),
                        "in_flight": {s: n for s, n in at_kill["orders_by_status"].items() if s in OPEN_OUTCOMES},
                        "journal_bytes_at_start": sizes[-1],
                        "new_trades": new_trades,
                        "fills_journaled": after["VenueFill"] - before["VenueFill"],
                        "passes": after["ReconciliationSnapshot"] - before["ReconciliationSnapshot"],
                    }
                )
            assert daemon.stop() == 0
    print("kill points:", json.dumps(report))
    return report


def test_sigkill_at_each_kind_of_moment_loses_no_fill_sends_nothing_twice_and_agrees_with_the_exchange(
    tmp_path: Path,
) -> None:
    report = run_crashes(tmp_path, kills=len(KILL_POINTS), seed=20261208)
    assert [entry["point"] for entry in report] == [name for name, _ in KILL_POINTS]
    assert any(entry["in_flight"] for entry in report)  # some kills caught orders whose outcome was open


@pytest.mark.slow
def test_sigkill_soak(tmp_path: Path) -> None:
    report = run_crashes(tmp_path, kills=25, seed=int(time.time()))
    assert len(report) == 25
