"""Crash recovery: omsd is SIGKILLed at random moments while several strategies trade through it
against the out-of-process simulated exchange; after every restart the exchange's truth and omsd agree.

`make test` runs a bounded number of kill points; `pytest -m slow` runs many more.
"""

import contextlib
import json
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from oms_daemon.client import OmsClient, OmsClientError
from simex import SimexConfig, SimexProcess
from tests.ccxt.daemon import CcxtDaemon, eventually
from tests.ccxt.truth import reset_book
from tests.daemon.process import ROOT

OPEN_OUTCOMES = {"PENDING_NEW", "PENDING_CANCEL", "PENDING_REPLACE", "UNKNOWN"}
SYMBOL = "BTC/USDT"


def journal_summary(journal: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "oms_daemon.cli", "replay", str(journal), "--json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(done.stdout)


def trade(daemon: CcxtDaemon, strategy: str, stop: threading.Event, seed: int) -> None:
    """A strategy's steady flow: small market orders both ways, resting limits, cancels."""
    rnd = random.Random(seed)
    with contextlib.suppress(OmsClientError), daemon.client(strategy=strategy, timeout=2.0) as client:
        resting: list[int] = []
        while not stop.is_set():
            action = rnd.random()
            if action < 0.5:
                client.submit(SYMBOL, rnd.choice(["BUY", "SELL"]), "0.001")
            elif action < 0.8:
                reply = client.submit(
                    SYMBOL, "BUY", "0.001", order_type="LIMIT", price=str(59_000 + rnd.randint(0, 900))
                )
                if reply.ok and reply.order_id is not None:
                    resting.append(reply.order_id)
            elif resting:
                client.cancel(resting.pop(rnd.randrange(len(resting))))
            time.sleep(rnd.uniform(0.005, 0.03))


def every_order(client: OmsClient) -> list:
    """All orders of every strategy, over every page."""
    orders, cursor = [], None
    while True:
        page = client.orders(scope="all", all_strategies=True, cursor=cursor, limit=1000)
        orders += page.items
        if page.next_cursor is None:
            return orders
        cursor = page.next_cursor


def settled(daemon: CcxtDaemon) -> list:
    """Every order once none is left with an open outcome (recovery done)."""
    with daemon.client() as client:

        def done() -> list | None:
            orders = every_order(client)
            return None if any(o.status in OPEN_OUTCOMES for o in orders) else orders

        try:
            return eventually(done, timeout=30)
        except AssertionError:
            stuck = [o for o in every_order(client) if o.status in OPEN_OUTCOMES]
            raise AssertionError(f"orders still open after 30 s: {stuck}") from None


def assert_agrees_with_exchange(daemon: CcxtDaemon, sim: SimexProcess, start_btc: Decimal) -> None:
    orders = settled(daemon)
    venue_orders = sim.control.orders()
    sent = Counter(o["clientOrderId"] for o in venue_orders)
    assert all(n == 1 for n in sent.values()), [cid for cid, n in sent.items() if n > 1]
    assert sim.control.stats()["engine"].get("duplicates_refused", 0) == 0  # no client order id was ever sent twice
    trades = sim.control.trades()
    with daemon.client() as client:
        fills = []
        cursor = None
        while True:
            page = client.fills(all_strategies=True, cursor=cursor, limit=1000)
            fills += page.items
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        position = next((p.quantity for p in client.positions().items if p.symbol == SYMBOL), Decimal(0))
    booked = {f.trade_id: f for f in fills}
    made = {str(t["id"]) for t in trades}
    assert made <= set(booked)  # every fill the exchange made is booked...
    assert set(booked) == made, [booked[t] for t in set(booked) - made]  # ...and nothing else
    exchange_net = sum((Decimal(t["qty"]) if t["isBuyer"] else -Decimal(t["qty"]) for t in trades), Decimal(0))
    btc_fees = sum((Decimal(t["commission"]) for t in trades if t["commissionAsset"] == "BTC"), Decimal(0))
    btc = sim.control.balances()["BTC"]
    assert position == exchange_net == btc["free"] + btc["locked"] - start_btc + btc_fees
    ours = {o.client_order_id: o for o in orders}
    for venue_order in venue_orders:
        assert venue_order["clientOrderId"] in ours  # nothing at the exchange omsd cannot explain
    assert not [o for o in orders if o.status in OPEN_OUTCOMES]


FAULTS = (
    None,
    {"kind": "stall", "seconds": 2.0, "times": 0},  # submits in flight at the kill (PENDING_NEW)
    {"kind": "accept_then_timeout", "seconds": 2.0, "times": 0},  # accepted, reply never seen (UNKNOWN)
)
"""What the exchange does to order requests around each kill point (cycled)."""


def run_crashes(tmp_path: Path, kills: int, seed: int) -> list[dict]:
    rnd = random.Random(seed)
    report = []
    with SimexProcess(SimexConfig(unique_client_ids=True), log=tmp_path / "simex.log") as sim:
        reset_book(sim)
        start_btc = sum(sim.control.balances()["BTC"].values(), Decimal(0))
        daemon = CcxtDaemon(tmp_path, sim, poll_interval_s=0.5)
        with daemon:
            for point in range(kills):
                stop = threading.Event()
                strategies = [
                    threading.Thread(target=trade, args=(daemon, f"s{n}", stop, seed * 100 + point * 10 + n))
                    for n in range(3)
                ]
                for thread in strategies:
                    thread.start()
                time.sleep(rnd.uniform(0.3, 1.5))  # the kill point: a random moment under load...
                fault = FAULTS[point % len(FAULTS)]
                if fault is not None:  # ...some of them while the exchange holds order requests
                    sim.control.add_faults({**fault, "method": "POST", "path": "/api/v3/order"})
                    time.sleep(0.3)
                daemon.kill()
                sim.control.clear_faults()
                stop.set()
                for thread in strategies:
                    thread.join(timeout=10)
                at_kill = journal_summary(daemon.journal)
                in_flight = {s: n for s, n in at_kill["orders_by_status"].items() if s in OPEN_OUTCOMES}
                daemon.start()
                assert_agrees_with_exchange(daemon, sim, start_btc)
                report.append(
                    {
                        "kill": point,
                        "fault": fault["kind"] if fault else None,
                        "orders": sum(at_kill["orders_by_status"].values()),
                        "in_flight": in_flight,
                    }
                )
            assert daemon.stop() == 0
    print("kill points:", json.dumps(report))
    return report


def test_sigkill_at_random_moments_loses_no_fill_and_sends_nothing_twice(tmp_path: Path) -> None:
    report = run_crashes(tmp_path, kills=3, seed=20261121)
    assert len(report) == 3
    assert any(entry["in_flight"] for entry in report)  # some kills caught orders whose outcome was open


@pytest.mark.slow
def test_sigkill_soak(tmp_path: Path) -> None:
    report = run_crashes(tmp_path, kills=25, seed=int(time.time()))
    assert len(report) == 25
