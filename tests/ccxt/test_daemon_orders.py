"""End to end: a strategy → omsd (subprocess) → ccxt → the simulated exchange (subprocess), per order type.

Each test checks omsd's view against the exchange's own truth: one venue order per client order id, and
exactly the exchange's trades booked.
"""

from decimal import Decimal

import pytest

from oms_daemon.client import OmsClient
from simex import SimexProcess
from tests.ccxt.truth import assert_matches_exchange, wait_status

D = Decimal


def test_given_a_market_buy_when_sent_then_filled_across_levels_as_the_exchange_did(
    client: OmsClient, sim: SimexProcess
) -> None:
    # when a market buy larger than the best ask level is placed
    reply = client.submit("BTC/USDT", "BUY", "0.7")
    # then it fills in two trades (0.5 @ 60001, 0.2 @ 60002) and omsd booked exactly those
    assert reply.ok
    order = wait_status(client, reply.order_id, "FILLED")
    venue = assert_matches_exchange(client, sim, reply.order_id)
    assert venue["status"] == "FILLED" and order.venue_order_id == str(venue["orderId"])
    assert sorted(f.price for f in client.fills(order_id=reply.order_id).items) == [D("60001"), D("60002")]


def test_given_a_resting_limit_when_canceled_then_canceled_at_the_exchange(
    client: OmsClient, sim: SimexProcess
) -> None:
    # given a buy limit far below the market, working at the exchange
    reply = client.submit("BTC/USDT", "BUY", "0.01", order_type="LIMIT", price="50000")
    wait_status(client, reply.order_id, "NEW")
    # when it is canceled
    assert client.cancel(reply.order_id).ok
    # then both sides say CANCELED, without a fill
    wait_status(client, reply.order_id, "CANCELED")
    assert assert_matches_exchange(client, sim, reply.order_id)["status"] == "CANCELED"


def test_given_a_resting_limit_when_the_market_comes_to_it_then_filled_at_its_price(
    client: OmsClient, sim: SimexProcess
) -> None:
    # given a resting buy at 59500
    reply = client.submit("BTC/USDT", "BUY", "0.3", order_type="LIMIT", price="59500")
    wait_status(client, reply.order_id, "NEW")
    # when the offers fall through it
    sim.control.set_book("BTCUSDT", [("59400", "1")], [("59450", "1")])
    # then it fills as a maker at its own price
    wait_status(client, reply.order_id, "FILLED")
    assert assert_matches_exchange(client, sim, reply.order_id)["status"] == "FILLED"
    assert {f.price for f in client.fills(order_id=reply.order_id).items} == {D("59500")}


@pytest.mark.parametrize(
    ("side", "kind", "prices", "book", "venue_type", "fill_price"),
    [
        # a stop sell below the market sells at the bid once the price falls to it
        ("SELL", "STOP", {"stop_price": "59000"}, ("58990", "59010", "59000"), "STOP_LOSS", "58990"),
        # a stop-limit buy above the market buys at the ask, within its limit, once the price rises to it
        (
            "BUY",
            "STOP_LIMIT",
            {"stop_price": "61000", "price": "61010"},
            ("60995", "61005", "61000"),
            "STOP_LOSS_LIMIT",
            "61005",
        ),
    ],
)
def test_given_a_stop_order_when_the_price_reaches_it_then_it_triggers_and_fills(
    client: OmsClient,
    sim: SimexProcess,
    side: str,
    kind: str,
    prices: dict[str, str],
    book: tuple[str, str, str],
    venue_type: str,
    fill_price: str,
) -> None:
    # given a stop order away from the market, waiting at the exchange
    reply = client.submit("BTC/USDT", side, "0.1", order_type=kind, **prices)
    wait_status(client, reply.order_id, "NEW")
    # when the price moves to its stop
    bid, ask, last = book
    sim.control.set_book("BTCUSDT", [(bid, "1")], [(ask, "1")], last=last)
    # then it triggers at the exchange and fills there and in omsd alike
    wait_status(client, reply.order_id, "FILLED")
    assert assert_matches_exchange(client, sim, reply.order_id)["type"] == venue_type
    assert {f.price for f in client.fills(order_id=reply.order_id).items} == {D(fill_price)}


def test_given_a_resting_limit_when_replaced_then_the_exchange_works_only_the_replacement(
    client: OmsClient, sim: SimexProcess
) -> None:
    # given a resting buy limit
    reply = client.submit("BTC/USDT", "BUY", "0.01", order_type="LIMIT", price="50000")
    wait_status(client, reply.order_id, "NEW")
    # when it is replaced by a larger one at a higher price
    replaced = client.replace(reply.order_id, quantity="0.02", price="50500")
    assert replaced.ok
    # then the original is REPLACED, the replacement works, and so says the exchange
    wait_status(client, reply.order_id, "REPLACED")
    new = wait_status(client, replaced.order_id, "NEW")
    assert assert_matches_exchange(client, sim, reply.order_id)["status"] == "CANCELED"
    venue_new = assert_matches_exchange(client, sim, replaced.order_id)
    assert (venue_new["status"], D(venue_new["price"]), D(venue_new["origQty"])) == ("NEW", D("50500"), D("0.02"))
    assert new.venue_order_id == str(venue_new["orderId"])
    client.cancel(replaced.order_id)
    wait_status(client, replaced.order_id, "CANCELED")


def test_given_an_ioc_limit_larger_than_the_book_then_the_rest_expires(client: OmsClient, sim: SimexProcess) -> None:
    # when an IOC buy for 2 BTC can only take the 1 BTC offered up to its limit
    reply = client.submit("BTC/USDT", "BUY", "2", order_type="LIMIT", price="60002", time_in_force="IOC")
    # then it fills 1 BTC and the rest expires, on both sides
    order = wait_status(client, reply.order_id, "EXPIRED")
    assert order.filled_qty == D("1")
    assert assert_matches_exchange(client, sim, reply.order_id)["status"] == "EXPIRED"


def test_given_a_post_only_limit_that_would_cross_then_the_exchange_rejects_it_with_a_reason(
    client: OmsClient, sim: SimexProcess
) -> None:
    # when a post-only buy is priced through the offer
    reply = client.submit("BTC/USDT", "BUY", "0.01", order_type="LIMIT", price="60010", post_only=True)
    # then the exchange refuses it and omsd records why; nothing was placed
    order = wait_status(client, reply.order_id, "REJECTED")
    assert order.reason == "would_execute_immediately"
    assert sim.control.orders(client_order_id=order.client_order_id) == []
