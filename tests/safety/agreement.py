"""omsd against the simulated exchange's own records, after crashes and venue faults.

Agreement means: no order left with an open outcome; every omsd order open exactly when the exchange has it
open (and none REJECTED or never-placed that the exchange has); one exchange order per client order id, none
omsd cannot explain; every exchange trade booked exactly once, nothing else booked; the position equal to the
exchange's trades and balances. Statuses may take a lookup or a sweep to settle: they are waited for.
"""

import contextlib
import random
import threading
from collections import Counter
from decimal import Decimal
from typing import Any

from oms_daemon.client import OmsClient, OmsClientError
from simex import SimexProcess
from tests.ccxt.daemon import CcxtDaemon, eventually

__all__ = ["OPEN_OUTCOMES", "SYMBOL", "assert_agrees", "every_fill", "every_order", "load", "trade", "unload"]

OPEN_OUTCOMES = {"PENDING_NEW", "PENDING_CANCEL", "PENDING_REPLACE", "UNKNOWN"}
SYMBOL = "BTC/USDT"
_VENUE_OPEN = {"NEW", "PARTIALLY_FILLED"}


def trade(daemon: CcxtDaemon, strategy: str, stop: threading.Event, seed: int) -> None:
    """A strategy's steady flow until ``stop``: small market orders both ways, resting limits, cancels."""
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
            stop.wait(rnd.uniform(0.005, 0.03))


def _pages(fetch: Any) -> list:
    items, cursor = [], None
    while True:
        page = fetch(cursor)
        items += page.items
        if page.next_cursor is None:
            return items
        cursor = page.next_cursor


def every_order(client: OmsClient) -> list:
    """All orders of every strategy, over every page."""
    return _pages(lambda cursor: client.orders(scope="all", all_strategies=True, cursor=cursor, limit=1000))


def every_fill(client: OmsClient) -> list:
    """All fills of every strategy, over every page."""
    return _pages(lambda cursor: client.fills(all_strategies=True, cursor=cursor, limit=1000))


def _disagreements(client: OmsClient, sim: SimexProcess) -> list[str]:
    """What omsd and the exchange say differently about orders, now (empty when they agree)."""
    venue = {o["clientOrderId"]: o for o in sim.control.orders()}
    found = []
    for order in every_order(client):
        theirs = venue.get(order.client_order_id)
        if order.status in OPEN_OUTCOMES:
            found.append(f"{order.order_id} still {order.status}")
        elif theirs is None and order.is_open:
            found.append(f"{order.order_id} {order.status} in omsd, unknown to the exchange")
        elif theirs is not None and order.is_open != (theirs["status"] in _VENUE_OPEN):
            found.append(f"{order.order_id} {order.status} in omsd, {theirs['status']} at the exchange")
        elif theirs is not None and order.status == "REJECTED":
            found.append(f"{order.order_id} REJECTED in omsd, {theirs['status']} at the exchange")
    return found


def assert_agrees(daemon: CcxtDaemon, sim: SimexProcess, start_btc: Decimal, timeout: float = 30) -> None:
    """Wait (bounded) for omsd to agree with the exchange on every order, then check fills and positions."""
    with daemon.client() as client:
        try:
            eventually(lambda: not _disagreements(client, sim), timeout=timeout)
        except AssertionError:
            raise AssertionError(f"omsd and the exchange disagree: {_disagreements(client, sim)}") from None
        orders, fills = every_order(client), every_fill(client)
        position = next((p.quantity for p in client.positions().items if p.symbol == SYMBOL), Decimal(0))
    venue_orders = sim.control.orders()
    sent = Counter(o["clientOrderId"] for o in venue_orders)
    assert all(n == 1 for n in sent.values()), [cid for cid, n in sent.items() if n > 1]
    assert sim.control.stats()["engine"].get("duplicates_refused", 0) == 0  # no client order id sent twice
    ours = {o.client_order_id for o in orders}
    assert set(sent) <= ours  # nothing at the exchange omsd cannot explain
    trades = sim.control.trades()
    booked = Counter(f.trade_id for f in fills)
    assert all(n == 1 for n in booked.values()), [t for t, n in booked.items() if n > 1]
    assert set(booked) == {str(t["id"]) for t in trades}  # every exchange trade booked once, nothing else
    exchange_net = sum((Decimal(t["qty"]) if t["isBuyer"] else -Decimal(t["qty"]) for t in trades), Decimal(0))
    btc_fees = sum((Decimal(t["commission"]) for t in trades if t["commissionAsset"] == "BTC"), Decimal(0))
    btc = sim.control.balances()["BTC"]
    assert position == exchange_net == btc["free"] + btc["locked"] - start_btc + btc_fees


def load(daemon: CcxtDaemon, strategies: int, seed: int) -> tuple[threading.Event, list[threading.Thread]]:
    """Start ``strategies`` trading threads; set the event and join them to stop."""
    stop = threading.Event()
    threads = [threading.Thread(target=trade, args=(daemon, f"s{n}", stop, seed * 10 + n)) for n in range(strategies)]
    for thread in threads:
        thread.start()
    return stop, threads


def unload(stop: threading.Event, threads: list[threading.Thread]) -> None:
    """Stop the trading threads ``load`` started."""
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
