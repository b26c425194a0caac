"""Fills and positions: dedup, partials, overfill, PnL, flips, history, tickets, exposure."""

from decimal import Decimal as D

import pytest

from oms_daemon.core.enums import OrderStatus as S
from oms_daemon.core.enums import OrderType
from oms_daemon.core.events import FillBooked, PositionsMarkedDirty, PositionUpdated
from oms_daemon.core.inputs import CancelOrder, CloseAll, ClosePosition, VenueFill, VenueOrderCanceled
from oms_daemon.core.positions import unrealized_pnl
from oms_daemon.core.reasons import Reason
from tests.core.scenario import Scenario, alerts, of_type, replies, statuses


@pytest.fixture
def s() -> Scenario:
    scenario = Scenario()
    scenario.fund("spot", USDT="1000000", BTC="100")
    scenario.fund("fx", USD="100000")
    scenario.fund("mt5", USD="100000")
    scenario.quote("BTC/USDT", "100", "101")
    scenario.quote("EURUSD", "1.1000", "1.1002")
    return scenario


def test_given_order_when_partial_then_full_fill_then_status_and_average_price(s: Scenario) -> None:
    order = s.working(qty="2")
    assert statuses(s.fill(order, "0.5", "100")) == [S.PARTIALLY_FILLED]
    assert statuses(s.fill(order, "1.5", "104")) == [S.FILLED]
    done = s.order(order.order_id)
    assert done.filled_qty == D(2) and done.avg_fill_price == D(103)


def test_given_fill_when_same_trade_id_arrives_again_then_booked_once(s: Scenario) -> None:
    order = s.working(qty="2")
    s.fill(order, "1", "100", trade_id="T1")
    assert s.fill(order, "1", "100", trade_id="T1") == []
    assert s.net("spot", "BTC/USDT") == D(1)
    assert len(s.state.fills) == 1


def test_given_fill_beyond_quantity_then_overfill_alert_and_dirty_position(s: Scenario) -> None:
    order = s.working(qty="1")
    events = s.fill(order, "1.5", "100")
    assert alerts(events, "overfill")[0].amount == D("0.5")
    assert ("spot", "BTC/USDT") in s.state.dirty
    assert s.net("spot", "BTC/USDT") == D("1.5")  # the venue's fill is the truth


def test_given_fill_before_ack_then_partially_filled_and_late_ack_absorbed(s: Scenario) -> None:
    order = s.placed(qty="2")
    assert statuses(s.fill(order, "1", "100")) == [S.PARTIALLY_FILLED]
    events = s.ack(order)
    assert statuses(events) == [S.PARTIALLY_FILLED]  # only learns the venue id
    assert not alerts(events)


def test_given_canceled_order_when_late_fill_arrives_then_booked_and_alerted(s: Scenario) -> None:
    order = s.working(qty="2")
    s.request(CancelOrder, account_id="spot", order_id=order.order_id)
    s.apply(VenueOrderCanceled, account_id="spot", client_order_id=order.client_order_id)
    events = s.fill(order, "1", "100")
    assert alerts(events, "fill_on_closed_order")
    assert s.order(order.order_id).status is S.CANCELED
    assert s.net("spot", "BTC/USDT") == D(1)


def test_given_fill_for_unknown_order_then_booked_as_external_and_alerted(s: Scenario) -> None:
    events = s.apply(
        VenueFill,
        account_id="spot",
        client_order_id="elsewhere-1",
        trade_id="E1",
        symbol="BTC/USDT",
        side="BUY",
        price=D(100),
        quantity=D(1),
    )
    assert alerts(events, "fill_for_unknown_order")
    assert of_type(events, FillBooked)[0].fill.order_id is None
    assert s.net("spot", "BTC/USDT") == D(1)


def test_given_unbookable_fill_then_critical_alert_and_dirty(s: Scenario) -> None:
    events = s.apply(
        VenueFill,
        account_id="spot",
        client_order_id=None,
        trade_id="Z",
        symbol="???",
        side="BUY",
        price=D(1),
        quantity=D(1),
    )
    assert alerts(events, "unbookable_fill")
    assert of_type(events, PositionsMarkedDirty)


def test_given_flat_when_first_fill_then_position_opens_with_an_id(s: Scenario) -> None:
    order = s.working(qty="2")
    events = s.fill(order, "2", "100")
    position = of_type(events, PositionUpdated)[0].position
    assert position.position_id == 1 and position.quantity == D(2) and position.is_open


def test_given_long_when_reduced_then_realized_pnl_and_average_kept(s: Scenario) -> None:
    s.fill(s.working(qty="2"), "2", "100")
    s.fill(s.working(side="SELL", qty="1"), "1", "110")
    position = s.state.positions[1]
    assert position.quantity == D(1) and position.avg_price == D(100) and position.realized_pnl == D(10)


def test_given_long_when_sold_through_flat_then_old_closes_to_history_and_a_new_short_opens(s: Scenario) -> None:
    s.fill(s.working(qty="1"), "1", "100")
    events = s.fill(s.working(side="SELL", qty="3"), "3", "90")
    closed, opened = (e.position for e in of_type(events, PositionUpdated))
    assert closed.position_id == 1 and not closed.is_open and closed.realized_pnl == D(-10)
    assert opened.position_id == 2 and opened.quantity == D(-2) and opened.avg_price == D(90)
    assert s.net("spot", "BTC/USDT") == D(-2)


def test_given_closed_position_when_reopened_then_it_gets_a_new_id(s: Scenario) -> None:
    s.fill(s.working(qty="1"), "1", "100")
    s.fill(s.working(side="SELL", qty="1"), "1", "100")
    s.fill(s.working(qty="1"), "1", "100")
    assert sorted(s.state.positions) == [1, 2]
    assert not s.state.positions[1].is_open and s.state.positions[2].is_open


def test_unrealized_pnl_from_mark() -> None:
    s = Scenario()
    s.fund("spot", USDT="1000")
    s.quote("BTC/USDT", "100", "101")
    s.fill(s.working(qty="2"), "2", "100")
    assert unrealized_pnl(s.state.positions[1], D(105)) == D(10)
    assert unrealized_pnl(s.state.positions[1], None) == D(0)


def test_given_working_orders_then_exposure_projection_counts_their_leaves(s: Scenario) -> None:
    s.fill(s.working(qty="2"), "2", "100")
    s.working(order_type=OrderType.LIMIT, price=D("90"), qty="1")
    sell = s.working(side="SELL", order_type=OrderType.LIMIT, price=D("120"), qty="0.5")
    s.fill(sell, "0.2", "120")
    buys, sells = s.state.working_leaves(("spot", "BTC/USDT"))
    net = s.net("spot", "BTC/USDT")
    assert (net + buys, net - sells) == (D("2.8"), D("1.5"))


def test_given_position_when_close_position_then_reduce_only_market_order_for_the_whole(s: Scenario) -> None:
    s.fill(s.working(qty="3"), "3", "100")
    reply = replies(s.request(ClosePosition, account_id="spot", symbol="BTC/USDT"))[0]
    close = s.order(reply.order_id)
    assert close.side == "SELL" and close.quantity == D(3) and close.reduce_only
    s.fill(close, "3", "101")
    assert s.net("spot", "BTC/USDT") == 0


def test_given_position_when_partial_close_then_only_that_quantity(s: Scenario) -> None:
    s.fill(s.working(qty="3"), "3", "100")
    reply = replies(s.request(ClosePosition, account_id="spot", symbol="BTC/USDT", quantity=D(1)))[0]
    assert s.order(reply.order_id).quantity == D(1)


def test_given_close_already_working_when_close_again_then_refused(s: Scenario) -> None:
    s.fill(s.working(qty="3"), "3", "100")
    s.request(ClosePosition, account_id="spot", symbol="BTC/USDT")
    again = replies(s.request(ClosePosition, account_id="spot", symbol="BTC/USDT"))[0]
    assert again.reason == Reason.CLOSE_PENDING


def test_given_flat_when_close_position_then_no_position(s: Scenario) -> None:
    assert replies(s.request(ClosePosition, account_id="spot", symbol="BTC/USDT"))[0].reason == Reason.NO_POSITION


def test_given_two_positions_when_close_all_then_one_order_per_symbol(s: Scenario) -> None:
    s.quote("ETH/USDT", "10", "11")
    s.fund("spot", USDT="1000000", BTC="100", ETH="100")
    s.fill(s.working(qty="1"), "1", "100")
    s.fill(s.working(symbol="ETH/USDT", side="SELL", qty="2"), "2", "10")
    reply = replies(s.request(CloseAll, account_id="spot"))[0]
    orders = [s.order(i) for i in reply.order_ids]
    assert {(o.symbol, o.side, o.quantity) for o in orders} == {("BTC/USDT", "SELL", D(1)), ("ETH/USDT", "BUY", D(2))}


def test_given_hedging_account_then_each_order_opens_a_ticket_and_net_view_sums_them(s: Scenario) -> None:
    a = s.working(account="mt5", symbol="EURUSD", qty="1000")
    b = s.working(account="mt5", symbol="EURUSD", side="SELL", qty="400")
    s.fill(a, "1000", "1.1")
    s.fill(b, "400", "1.2")
    tickets = s.state.open_positions[("mt5", "EURUSD")]
    assert len(tickets) == 2
    assert s.net("mt5", "EURUSD") == D(600)


def test_given_hedging_ticket_when_closed_by_id_then_only_that_ticket_closes(s: Scenario) -> None:
    s.fill(s.working(account="mt5", symbol="EURUSD", qty="1000"), "1000", "1.1")
    s.fill(s.working(account="mt5", symbol="EURUSD", qty="500"), "500", "1.1")
    first, second = s.state.open_positions[("mt5", "EURUSD")]
    reply = replies(s.request(ClosePosition, account_id="mt5", symbol="EURUSD", position_id=first))[0]
    close = s.order(reply.order_id)
    assert close.position_id == first and close.quantity == D(1000)
    s.fill(close, "1000", "1.2")
    assert s.state.open_positions[("mt5", "EURUSD")] == [second]
    assert s.state.positions[first].realized_pnl == D("100.0")


def test_given_hedging_account_when_close_position_without_id_then_one_order_per_ticket(s: Scenario) -> None:
    s.fill(s.working(account="mt5", symbol="EURUSD", qty="1000"), "1000", "1.1")
    s.fill(s.working(account="mt5", symbol="EURUSD", qty="500"), "500", "1.1")
    reply = replies(s.request(ClosePosition, account_id="mt5", symbol="EURUSD"))[0]
    assert len(reply.order_ids) == 2


def test_given_an_open_position_when_a_fill_without_a_known_order_arrives_then_it_moves_the_same_position(
    s: Scenario,
) -> None:
    s.fill(s.working(qty="2"), "2", "100")
    s.apply(
        VenueFill,
        account_id="spot",
        client_order_id=None,
        trade_id="H1",
        symbol="BTC/USDT",
        side="BUY",
        price=D(100),
        quantity=D(1),
    )
    assert len(s.state.open_positions[("spot", "BTC/USDT")]) == 1
    assert s.net("spot", "BTC/USDT") == D(3)


def test_given_a_trade_history_fill_without_client_id_then_booked_to_the_order_by_venue_id(s: Scenario) -> None:
    order = s.working(qty="2")  # acknowledged as venue order "v1"
    events = s.apply(
        VenueFill,
        account_id="spot",
        client_order_id=None,
        venue_order_id=order.venue_order_id,
        trade_id="H2",
        symbol="BTC/USDT",
        side="BUY",
        price=D(100),
        quantity=D(2),
        reconciliation=True,
    )
    assert not alerts(events, "fill_for_unknown_order")
    assert s.order(order.order_id).status is S.FILLED
