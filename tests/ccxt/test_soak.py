"""Soak: many orders through omsd while a seeded random fault is switched on before each one.

At the end every order is settled, and omsd's books equal the exchange's truth: per order one venue order
and exactly its trades; overall the same fills. ``make test`` runs a bounded version; ``-m slow`` the long one.
"""

import random
from decimal import Decimal
from typing import Any

import pytest

from oms_daemon.client import OmsClient
from simex import SimexProcess
from tests.ccxt.daemon import CcxtDaemon, eventually, order_of
from tests.ccxt.truth import BOOK, assert_matches_exchange

FINAL = {"FILLED", "CANCELED", "REJECTED", "EXPIRED", "REPLACED"}
ORDER = {"method": "POST", "path": "/api/v3/order"}
FAULTS: list[dict[str, Any] | str | None] = [
    None,
    {"kind": "drop", "event": "executionReport", "times": 2},
    {"kind": "duplicate", "event": "executionReport", "times": 3},
    {"kind": "delay", "event": "executionReport", "seconds": 0.4, "times": 2},
    {"kind": "reorder", "event": "executionReport", "window": 3},
    {"kind": "accept_then_timeout", "seconds": 2} | ORDER,
    {"kind": "reset"} | ORDER,
    "close_streams",
]
SLOW_FAULTS: list[dict[str, Any] | str | None] = [
    {"kind": "http_error", "status": 429, "retry_after": 1} | ORDER,
    {"kind": "http_error", "status": 503} | ORDER,
]


def place(client: OmsClient, sim: SimexProcess, rng: random.Random) -> int:
    """A random order: a market buy or sell, or a buy limit the market then trades through."""
    quantity = str(Decimal(rng.randint(1, 40)) / 100)
    if rng.random() < 0.3:
        reply = client.submit("BTC/USDT", "BUY", quantity, order_type="LIMIT", price="59500")
        sim.control.set_book("BTCUSDT", [("59400", "50")], [("59450", "50")])
    else:
        reply = client.submit("BTC/USDT", rng.choice(["BUY", "SELL"]), quantity)
    assert reply.order_id is not None
    return reply.order_id


def soak(client: OmsClient, sim: SimexProcess, orders: int, faults: list[Any], seed: int) -> None:
    """Place ``orders`` orders one by one, each after switching on a fault drawn from ``faults``; then compare."""
    rng = random.Random(seed)
    placed = []
    for _ in range(orders):
        fault = rng.choice(faults)
        if fault == "close_streams":
            sim.control.close_streams()
        elif fault is not None:
            sim.control.add_faults(fault)
        placed.append(place(client, sim, rng))
        eventually(lambda oid=placed[-1]: order_of(client, oid).status in FINAL, timeout=20)
        sim.control.clear_faults()
        sim.control.set_book("BTCUSDT", BOOK["bids"], BOOK["asks"])
    for order_id in placed:
        order = order_of(client, order_id)
        if order.status == "REJECTED":  # e.g. a 5xx the exchange did not act on: it must not have placed it
            assert sim.control.orders(client_order_id=order.client_order_id) == [], order
            assert client.fills(order_id=order_id).items == []
        else:
            assert_matches_exchange(client, sim, order_id)
    assert not sim.control.stats()["faults"].get("escalated_to_418")


def test_given_random_faults_when_orders_keep_coming_then_books_equal_the_exchange(
    client: OmsClient, sim: SimexProcess
) -> None:
    soak(client, sim, orders=10, faults=FAULTS, seed=4)


@pytest.mark.slow
def test_given_random_faults_over_many_orders_then_books_equal_the_exchange(
    client: OmsClient, sim: SimexProcess, daemon: CcxtDaemon
) -> None:
    soak(client, sim, orders=200, faults=FAULTS + SLOW_FAULTS, seed=11)
    # and, over the whole run, omsd booked every trade the exchange made for the account, once
    trades = sim.control.trades(api_key="simex-key")
    fills = client.fills(limit=1000).items
    assert sorted(str(t["id"]) for t in trades) == sorted(f.trade_id for f in fills)
