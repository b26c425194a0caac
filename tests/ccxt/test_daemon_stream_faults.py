"""User-stream faults injected at the simulated exchange while omsd trades through ccxt: dropped, duplicated,
delayed and reordered events, a dropped WebSocket. Every one ends with no lost fill and no duplicate venue
order, checked against the exchange's own truth; with the streams in the daemon and in a child process.
"""

import time
from decimal import Decimal

import pytest

from oms_daemon.client import OmsClient
from simex import SimexProcess
from tests.ccxt.daemon import eventually
from tests.ccxt.truth import assert_matches_exchange, wait_status

D = Decimal


@pytest.fixture(scope="module", params=[False, True], ids=["streams-in-daemon", "stream-process"])
def stream_process(request: pytest.FixtureRequest) -> bool:
    """Every test runs with the account's streams in the daemon and in a child process."""
    return bool(request.param)


def resting_buy(client: OmsClient, quantity: str = "0.2", price: str = "59500") -> int:
    """A buy limit working at the exchange, below the demo book."""
    reply = client.submit("BTC/USDT", "BUY", quantity, order_type="LIMIT", price=price)
    wait_status(client, reply.order_id, "NEW")
    assert reply.order_id is not None
    return reply.order_id


def sell_down_to(sim: SimexProcess, price: str = "59400") -> None:
    """Move the offers below a resting buy at 59500 (it fills as a maker)."""
    sim.control.set_book("BTCUSDT", [(price, "5")], [(str(D(price) + 50), "5")])


def stream_stat(sim: SimexProcess, key: str) -> int:
    return int(sim.control.stats()["user_streams"].get(key, 0))


# --- user-stream faults --------------------------------------------------------------------------------------


def test_given_fill_reports_dropped_when_a_resting_order_fills_then_the_sweep_books_it(
    client: OmsClient, sim: SimexProcess
) -> None:
    # given a resting buy, and every TRADE report of the user stream dropped
    order_id = resting_buy(client)
    sim.control.add_faults({"kind": "drop", "event": "executionReport", "execution": "TRADE", "times": 0})
    # when the market trades through it
    sell_down_to(sim)
    # then the stream said nothing, yet omsd booked the exchange's fill (from the REST sweep)
    wait_status(client, order_id, "FILLED")
    assert stream_stat(sim, "fault drop") >= 1
    assert_matches_exchange(client, sim, order_id)


def test_given_every_report_duplicated_then_each_fill_is_booked_once(client: OmsClient, sim: SimexProcess) -> None:
    sim.control.add_faults({"kind": "duplicate", "event": "executionReport", "times": 0})
    # when a market buy fills in two trades
    reply = client.submit("BTC/USDT", "BUY", "0.7")
    # then omsd booked two fills, not four
    wait_status(client, reply.order_id, "FILLED")
    assert stream_stat(sim, "fault duplicate") >= 3
    assert_matches_exchange(client, sim, reply.order_id)
    assert len(client.fills(order_id=reply.order_id).items) == 2


def test_given_reports_delayed_when_a_resting_order_fills_then_booked_once(
    client: OmsClient, sim: SimexProcess
) -> None:
    order_id = resting_buy(client)
    sim.control.add_faults({"kind": "delay", "event": "executionReport", "seconds": 1.5, "times": 0})
    sell_down_to(sim)
    wait_status(client, order_id, "FILLED")
    time.sleep(1.6)  # let the delayed reports arrive too: they must not book anything twice
    assert_matches_exchange(client, sim, order_id)


def test_given_reports_reordered_when_an_order_fills_in_three_trades_then_all_booked_once(
    client: OmsClient, sim: SimexProcess
) -> None:
    # given the next four user events held and released newest first (fills before the acknowledgement)
    sim.control.add_faults({"kind": "reorder", "event": "executionReport", "window": 4})
    order_id = resting_buy(client, quantity="1.2", price="59500")
    sim.control.set_book("BTCUSDT", [("59400", "5")], [("59450", "0.5"), ("59460", "0.5"), ("59470", "0.2")])
    order = wait_status(client, order_id, "FILLED")
    assert order.filled_qty == D("1.2")
    assert_matches_exchange(client, sim, order_id)


def test_given_the_websocket_dropped_when_an_order_fills_in_the_gap_then_resubscribed_and_backfilled(
    client: OmsClient, sim: SimexProcess
) -> None:
    # given a resting buy
    order_id = resting_buy(client)
    subscribed = stream_stat(sim, "method userDataStream.subscribe.signature")
    # when the exchange drops the stream and the order fills right away
    assert sim.control.close_streams() >= 1
    sell_down_to(sim)
    # then the stream is back within 5 s, and the fill is booked once
    started = time.monotonic()
    eventually(lambda: stream_stat(sim, "method userDataStream.subscribe.signature") > subscribed, timeout=5)
    assert time.monotonic() - started < 5
    wait_status(client, order_id, "FILLED")
    assert_matches_exchange(client, sim, order_id)
