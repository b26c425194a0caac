"""Comparing what omsd says with what the simulated exchange did (its truth, read through the control API)."""

from decimal import Decimal
from typing import Any

from oms_daemon.client import OmsClient
from simex import SimexProcess
from tests.ccxt.daemon import eventually, order_of

__all__ = ["BOOK", "assert_matches_exchange", "reset_book", "wait_status"]

BOOK = {
    "bids": [(f"{59999 - i}.00", "0.5") for i in range(5)],
    "asks": [(f"{60001 + i}.00", "0.5") for i in range(5)],
}
"""The simulated exchange's demo BTCUSDT book: 0.5 BTC a level, 1 USDT apart, around 60000."""


def reset_book(sim: SimexProcess) -> None:
    """Put the demo book back and disarm every fault."""
    sim.control.clear_faults()
    sim.control.set_book("BTCUSDT", BOOK["bids"], BOOK["asks"])


def wait_status(client: OmsClient, order_id: int | None, *statuses: str, timeout: float = 10.0) -> Any:
    """The order once omsd shows it in one of ``statuses``."""

    def reached() -> Any:
        order = order_of(client, order_id)
        return order if order.status in statuses else None

    return eventually(reached, timeout=timeout)


def assert_matches_exchange(client: OmsClient, sim: SimexProcess, order_id: int | None) -> dict[str, Any]:
    """No lost fill, no duplicate: the exchange has exactly one order under the client order id, and omsd
    booked exactly its trades (ids, quantities, prices). Returns the exchange's order."""
    order = order_of(client, order_id)
    venue_orders = sim.control.orders(client_order_id=order.client_order_id)
    assert len(venue_orders) == 1, venue_orders
    truth = {(str(t["id"]), Decimal(t["qty"]), Decimal(t["price"])) for t in sim.control.trades(order.client_order_id)}
    booked = {(f.trade_id, f.quantity, f.price) for f in client.fills(order_id=order_id, limit=1000).items}
    assert booked == truth
    assert order.filled_qty == sum((q for _, q, _ in truth), Decimal(0))
    return venue_orders[0]
