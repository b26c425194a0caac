"""The simulated exchange's matching engine, in process: Binance spot behaviour, given / when / then."""

from decimal import Decimal as D
from typing import Any

import pytest

from simex import Exchange, SimexConfig
from simex.errors import BinanceError
from simex.orders import NewOrder

KEY = "simex-key"


EVENTS: list[dict[str, Any]] = []


@pytest.fixture
def ex() -> Exchange:
    """The demo exchange at a fixed clock; its user events go to ``EVENTS``."""
    EVENTS.clear()
    exchange = Exchange(SimexConfig(), clock=lambda: 1_000)
    exchange.listeners.append(lambda _key, event: EVENTS.append(event))
    return exchange


def order(side: str = "BUY", kind: str = "MARKET", qty: str = "0.1", **kw: Any) -> NewOrder:
    return NewOrder(symbol="BTCUSDT", side=side, type=kind, quantity=D(qty), **kw)


def reports(ex: Exchange, execution: str | None = None) -> list[dict[str, Any]]:
    found = [e for e in EVENTS if e["e"] == "executionReport"]
    return [e for e in found if execution in (None, e["x"])]


def test_given_the_demo_book_when_a_market_buy_walks_two_levels_then_two_trades_and_filled(ex: Exchange) -> None:
    placed = ex.new_order(KEY, order(qty="0.7"))
    assert placed.status == "FILLED"
    assert [(t.price, t.quantity) for t in placed.fills] == [(D("60001"), D("0.5")), (D("60002"), D("0.2"))]
    assert [e["x"] for e in reports(ex)] == ["NEW", "TRADE", "TRADE"]
    assert EVENTS[-1]["e"] == "outboundAccountPosition"


def test_given_a_buy_when_filled_then_commission_is_taken_from_the_base_received(ex: Exchange) -> None:
    ex.new_order(KEY, order(qty="0.5"))
    assert ex.wallets[KEY].free["BTC"] == D("10") + D("0.5") - D("0.0005")
    assert ex.wallets[KEY].free["USDT"] == D("1000000") - D("30000.5")


def test_given_a_market_order_larger_than_the_book_then_the_rest_expires(ex: Exchange) -> None:
    placed = ex.new_order(KEY, order(qty="3"))
    assert (placed.status, placed.executed) == ("EXPIRED", D("2.5"))


def test_given_a_limit_below_the_market_then_it_rests_and_locks_its_quote(ex: Exchange) -> None:
    placed = ex.new_order(KEY, order(kind="LIMIT", qty="1", price=D("50000"), time_in_force="GTC"))
    assert placed.status == "NEW" and ex.open_orders(KEY, "BTCUSDT") == [placed]
    assert ex.wallets[KEY].locked["USDT"] == D("50000")


def test_given_a_resting_buy_when_the_book_crosses_it_then_it_fills_at_its_price_as_maker(ex: Exchange) -> None:
    placed = ex.new_order(KEY, order(kind="LIMIT", qty="1", price=D("59500"), time_in_force="GTC"))
    ex.set_book("BTCUSDT", [(D("59000"), D("2"))], [(D("59400"), D("2"))])
    assert placed.status == "FILLED" and [(t.price, t.maker) for t in placed.fills] == [(D("59500"), True)]
    assert ex.wallets[KEY].locked["USDT"] == 0


def test_given_fok_that_the_book_cannot_fill_then_expired_without_a_trade(ex: Exchange) -> None:
    placed = ex.new_order(KEY, order(kind="LIMIT", qty="2", price=D("60001"), time_in_force="FOK"))
    assert placed.status == "EXPIRED" and placed.fills == []


def test_given_a_stop_sell_when_the_last_price_falls_to_it_then_it_sells_at_market(ex: Exchange) -> None:
    placed = ex.new_order(KEY, order(side="SELL", kind="STOP_LOSS", qty="0.1", stop_price=D("59000")))
    assert placed.status == "NEW" and not placed.triggered
    ex.set_book("BTCUSDT", [(D("58990"), D("1"))], [(D("59010"), D("1"))], last=D("59000"))
    assert placed.status == "FILLED" and placed.fills[0].price == D("58990")


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (order(side="SELL", kind="STOP_LOSS", stop_price=D("61000")), "Stop price would trigger immediately."),
        (order(kind="LIMIT_MAKER", price=D("60005")), "Order would immediately match and take."),
        (order(kind="LIMIT", qty="100", price=D("50000"), time_in_force="GTC"), "Account has insufficient balance"),
    ],
)
def test_given_an_order_binance_refuses_then_2010_with_its_message(
    ex: Exchange, request_: NewOrder, message: str
) -> None:
    with pytest.raises(BinanceError) as refused:
        ex.new_order(KEY, request_)
    assert refused.value.code == -2010 and refused.value.msg.startswith(message)
    assert ex.orders == {}


@pytest.mark.parametrize(
    ("request_", "filter_name"),
    [
        (order(qty="0.000001"), "LOT_SIZE"),
        (order(qty="0.100001"), "LOT_SIZE"),
        (order(kind="LIMIT", price=D("50000.005"), time_in_force="GTC"), "PRICE_FILTER"),
        (order(kind="LIMIT", qty="0.0001", price=D("100"), time_in_force="GTC"), "NOTIONAL"),
    ],
)
def test_given_a_filter_breach_then_1013_filter_failure(ex: Exchange, request_: NewOrder, filter_name: str) -> None:
    with pytest.raises(BinanceError) as refused:
        ex.new_order(KEY, request_)
    assert (refused.value.code, refused.value.msg) == (-1013, f"Filter failure: {filter_name}")


def test_given_an_open_order_when_its_client_id_is_sent_again_then_duplicate_refused(ex: Exchange) -> None:
    ex.new_order(KEY, order(kind="LIMIT", price=D("50000"), time_in_force="GTC", client_order_id="c-1"))
    with pytest.raises(BinanceError) as refused:
        ex.new_order(KEY, order(kind="LIMIT", price=D("50000"), time_in_force="GTC", client_order_id="c-1"))
    assert (refused.value.code, refused.value.msg) == (-2010, "Duplicate order sent.")
    assert ex.stats["duplicates_refused"] == 1


def test_given_a_filled_order_when_its_client_id_is_reused_then_binance_accepts_it(ex: Exchange) -> None:
    ex.new_order(KEY, order(client_order_id="c-2"))
    again = ex.new_order(KEY, order(client_order_id="c-2"))
    assert again.status == "FILLED" and len(ex.account_orders(KEY)) == 2


def test_given_an_open_order_when_canceled_by_client_id_then_report_carries_both_ids(ex: Exchange) -> None:
    ex.new_order(KEY, order(kind="LIMIT", price=D("50000"), time_in_force="GTC", client_order_id="c-3"))
    canceled = ex.cancel(KEY, "BTCUSDT", None, "c-3", "cancel-1")
    assert canceled.status == "CANCELED" and ex.wallets[KEY].locked["USDT"] == 0
    (report,) = reports(ex, "CANCELED")
    assert (report["c"], report["C"]) == ("cancel-1", "c-3")


def test_given_an_unknown_order_then_cancel_2011_and_query_2013(ex: Exchange) -> None:
    with pytest.raises(BinanceError) as cancel:
        ex.cancel(KEY, "BTCUSDT", None, "nope")
    with pytest.raises(BinanceError) as query:
        ex.find(KEY, "BTCUSDT", None, "nope")
    assert (cancel.value.code, query.value.code) == (-2011, -2013)


def test_given_a_cancel_replace_whose_new_order_fails_then_the_cancel_stands_and_409(ex: Exchange) -> None:
    ex.new_order(KEY, order(kind="LIMIT", price=D("50000"), time_in_force="GTC", client_order_id="c-4"))
    replacement = order(kind="LIMIT", qty="100", price=D("50000"), time_in_force="GTC", client_order_id="c-5")
    with pytest.raises(BinanceError) as failed:
        ex.cancel_replace(KEY, "BTCUSDT", None, "c-4", None, replacement)
    assert (failed.value.status, failed.value.code) == (409, -2021)
    assert ex.find(KEY, "BTCUSDT", None, "c-4").status == "CANCELED"
