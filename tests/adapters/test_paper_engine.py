"""PaperExchange: order types, time in force, levels, stops, costs, funds, replace, restore.

The book in these tests (unless a test says otherwise): bid 99.90 / ask 100.00, 2 at every level,
levels 10 bps apart, 3 deep -> a buyer takes 100.00, 100.10, 100.20; a seller 99.90, 99.80, 99.70.
"""

import msgspec
import pytest

from oms_daemon.core.enums import OrderStatus
from oms_daemon.core.inputs import (
    VenueCancelRejected,
    VenueFill,
    VenueOrderAccepted,
    VenueOrderCanceled,
    VenueOrderExpired,
    VenueOrderRejected,
    VenueOrderReplaced,
    VenueOrderStatus,
    VenueReplaceRejected,
)
from oms_daemon.core.model import Fill
from tests.adapters.paper_support import (
    BUY,
    DAY,
    DAY_NS,
    FOK,
    IOC,
    LIMIT,
    SELL,
    STOP,
    STOP_LIMIT,
    D,
    Desk,
    fills,
    kinds,
)


@pytest.fixture
def desk() -> Desk:
    desk = Desk()
    desk.quote()
    return desk


# --- market orders -----------------------------------------------------------------------------------


def test_given_touch_size_when_market_buy_fits_then_one_fill_at_the_ask(desk: Desk) -> None:
    order, events = desk.submit(BUY, "1")
    assert kinds(events) == ["VenueOrderAccepted", "VenueFill"]
    accepted, fill = events
    assert isinstance(accepted, VenueOrderAccepted) and isinstance(fill, VenueFill)
    assert accepted.client_order_id == fill.client_order_id == order.client_order_id
    assert accepted.venue_order_id == fill.venue_order_id == "PO-1"
    assert (fill.trade_id, fill.price, fill.quantity, fill.side, fill.symbol) == (
        "P-1",
        D("100.00"),
        D(1),
        BUY,
        "BTC/USD",
    )
    assert desk.balance("USD") == D("99900.00") and desk.balance("BTC") == D(11)
    assert desk.position() == D(1)


def test_given_order_larger_than_touch_when_market_buy_then_it_walks_the_levels() -> None:
    desk = Desk()
    desk.quote()
    order, events = desk.submit(BUY, "5")
    assert fills(events) == [(D("100.00"), D(2)), (D("100.10"), D(2)), (D("100.20"), D(1))]
    assert [e.trade_id for e in events if isinstance(e, VenueFill)] == ["P-1", "P-2", "P-3"]
    assert [e.venue_seq for e in events] == [1, 2, 3, 4]
    status = desk.exchange.query("acct", order.client_order_id, desk.tick())
    assert (status.status, status.filled_qty) == (OrderStatus.FILLED, D(5))


def test_given_market_sell_when_larger_than_touch_then_walks_down_the_bids(desk: Desk) -> None:
    _, events = desk.submit(SELL, "3")
    assert fills(events) == [(D("99.90"), D(2)), (D("99.80"), D(1))]
    assert desk.balance("BTC") == D(7) and desk.position() == D(-3)


def test_given_order_larger_than_the_book_when_market_buy_then_rest_is_canceled(desk: Desk) -> None:
    order, events = desk.submit(BUY, "7")
    assert kinds(events) == ["VenueOrderAccepted", "VenueFill", "VenueFill", "VenueFill", "VenueOrderCanceled"]
    assert sum(q for _, q in fills(events)) == D(6)
    status = desk.exchange.query("acct", order.client_order_id, desk.tick())
    assert (status.status, status.filled_qty) == (OrderStatus.CANCELED, D(6))


def test_given_no_quote_yet_when_market_order_then_rejected_no_market_data() -> None:
    desk = Desk()
    _, events = desk.submit(BUY, "1")
    assert isinstance(events[0], VenueOrderRejected) and events[0].reason == "no_market_data"


def test_given_unknown_symbol_when_submitted_then_rejected_unknown_symbol(desk: Desk) -> None:
    _, events = desk.submit(BUY, "1", symbol="DOGE/USD")
    (rejected,) = events
    assert isinstance(rejected, VenueOrderRejected) and rejected.reason == "unknown_symbol"


def test_given_known_client_order_id_when_submitted_again_then_status_and_no_second_order(desk: Desk) -> None:
    order, _ = desk.submit(BUY, "1")
    events = desk.exchange.submit(order, desk.tick())
    (status,) = events
    assert isinstance(status, VenueOrderStatus) and status.status is OrderStatus.FILLED
    assert desk.position() == D(1)


# --- costs -----------------------------------------------------------------------------------------------


def test_given_slippage_and_commission_when_market_buy_then_exact_price_fee_and_balance() -> None:
    desk = Desk(slippage_bps=D(10), commission_bps=D(10))
    desk.quote()
    _, events = desk.submit(BUY, "1")
    (fill,) = [e for e in events if isinstance(e, VenueFill)]
    # 100.00 * 1.001 = 100.10 (on the tick); fee 10 bps of 100.10
    assert (fill.price, fill.commission, fill.commission_currency) == (D("100.10"), D("0.10010"), "USD")
    assert desk.balance("USD") == D("100000") - D("100.10") - D("0.10010")


def test_given_slippage_when_market_sell_then_price_rounds_down_to_the_tick() -> None:
    desk = Desk(slippage_bps=D(10), commission_bps=D(10))
    desk.quote()
    _, events = desk.submit(SELL, "1")
    (fill,) = [e for e in events if isinstance(e, VenueFill)]
    # 99.90 * 0.999 = 99.8001 -> 99.80 (adverse side)
    assert (fill.price, fill.commission) == (D("99.80"), D("0.09980"))
    assert desk.balance("USD") == D("100000") + D("99.80") - D("0.09980")


def test_given_instrument_without_tick_when_taker_fills_then_slippage_is_exact() -> None:
    desk = Desk(slippage_bps=D(10), commission_bps=D(10))
    desk.quote("50.00", "50.02", "5", symbol="RAW/USD")
    _, events = desk.submit(BUY, "2", symbol="RAW/USD")
    (fill,) = [e for e in events if isinstance(e, VenueFill)]
    assert (fill.price, fill.commission) == (D("50.07002"), D("0.10014004"))


def test_given_slippage_when_marketable_limit_then_taker_price_is_capped_at_the_limit() -> None:
    desk = Desk(slippage_bps=D(10))
    desk.quote()
    _, events = desk.submit(BUY, "1", LIMIT, price="100.05")
    assert fills(events) == [(D("100.05"), D(1))]


# --- limit orders and time in force ----------------------------------------------------------------------


def test_given_limit_below_market_when_a_later_quote_crosses_then_fills_at_its_own_price(desk: Desk) -> None:
    order, events = desk.submit(BUY, "1", LIMIT, price="99.50")
    assert kinds(events) == ["VenueOrderAccepted"]
    assert desk.open_ids() == [order.client_order_id]
    assert desk.quote("99.30", "99.60") == []  # not crossed yet
    events = desk.quote("99.30", "99.40")
    assert fills(events) == [(D("99.50"), D(1))]
    assert desk.open_ids() == []


def test_given_resting_limit_when_crossing_book_is_thin_then_partial_fill_and_keeps_resting(desk: Desk) -> None:
    order, _ = desk.submit(BUY, "3", LIMIT, price="99.50")
    events = desk.quote("99.30", "99.45", size="1")  # levels 99.45, 99.55, ... only 1 at or below 99.50
    assert fills(events) == [(D("99.50"), D(1))]
    (report,) = desk.exchange.open_orders("acct", desk.now).orders
    assert (report.client_order_id, report.filled_qty, report.status) == (
        order.client_order_id,
        D(1),
        OrderStatus.PARTIALLY_FILLED,
    )


def test_given_marketable_limit_when_book_runs_out_then_takes_and_rests_the_rest(desk: Desk) -> None:
    _, events = desk.submit(BUY, "5", LIMIT, price="100.10")
    assert fills(events) == [(D("100.00"), D(2)), (D("100.10"), D(2))]
    (report,) = desk.exchange.open_orders("acct", desk.now).orders
    assert (report.filled_qty, report.status, report.price) == (D(4), OrderStatus.PARTIALLY_FILLED, D("100.10"))


def test_given_ioc_limit_when_partly_marketable_then_remainder_canceled(desk: Desk) -> None:
    _, events = desk.submit(BUY, "5", LIMIT, price="100.10", tif=IOC)
    assert kinds(events)[-1] == "VenueOrderCanceled"
    assert sum(q for _, q in fills(events)) == D(4)
    assert desk.open_ids() == []


def test_given_fok_when_book_cannot_fill_all_then_canceled_with_no_fill(desk: Desk) -> None:
    _, events = desk.submit(BUY, "7", tif=FOK)
    assert kinds(events) == ["VenueOrderAccepted", "VenueOrderCanceled"]
    _, events = desk.submit(BUY, "5", LIMIT, price="100.10", tif=FOK)
    assert kinds(events) == ["VenueOrderAccepted", "VenueOrderCanceled"]
    assert desk.balance("USD") == D(100000) and desk.position() == D(0)


def test_given_fok_when_book_can_fill_all_then_filled(desk: Desk) -> None:
    _, events = desk.submit(BUY, "3", LIMIT, price="100.10", tif=FOK)
    assert fills(events) == [(D("100.00"), D(2)), (D("100.10"), D(1))]


def test_given_post_only_when_it_would_cross_then_rejected_else_rests(desk: Desk) -> None:
    _, events = desk.submit(BUY, "1", LIMIT, price="100.00", post_only=True)
    assert isinstance(events[0], VenueOrderRejected) and events[0].reason == "post_only_would_cross"
    _, events = desk.submit(SELL, "1", LIMIT, price="99.90", post_only=True)
    assert isinstance(events[0], VenueOrderRejected) and events[0].reason == "post_only_would_cross"
    order, events = desk.submit(BUY, "1", LIMIT, price="99.95", post_only=True)
    assert kinds(events) == ["VenueOrderAccepted"] and desk.open_ids() == [order.client_order_id]


def test_given_day_order_when_the_utc_date_changes_then_it_expires_and_gtc_stays(desk: Desk) -> None:
    day, _ = desk.submit(BUY, "1", LIMIT, price="99.00", tif=DAY)
    gtc, _ = desk.submit(BUY, "1", LIMIT, price="99.00")
    assert desk.quote() == []  # same day
    desk.now = DAY_NS  # midnight UTC
    events = desk.quote()
    assert kinds(events) == ["VenueOrderExpired"]
    assert isinstance(events[0], VenueOrderExpired) and events[0].client_order_id == day.client_order_id
    assert desk.open_ids() == [gtc.client_order_id]
    assert desk.free("USD") == D(100000) - D(99)  # the expired order's lock is released


# --- stops ----------------------------------------------------------------------------------------------------


def test_given_buy_stop_when_last_reaches_the_stop_then_it_fills_at_market(desk: Desk) -> None:
    order, events = desk.submit(BUY, "1", STOP, stop="101.00")
    assert kinds(events) == ["VenueOrderAccepted"]
    assert desk.quote("100.40", "100.50", last="100.45") == []
    events = desk.quote("100.90", "101.00", last="101.00")
    assert fills(events) == [(D("101.00"), D(1))]
    status = desk.exchange.query("acct", order.client_order_id, desk.tick())
    assert status.status is OrderStatus.FILLED


def test_given_quote_without_last_when_touch_reaches_the_stop_then_it_triggers(desk: Desk) -> None:
    desk.submit(SELL, "1", STOP, stop="99.00")
    events = desk.quote("99.00", "99.10")
    assert fills(events) == [(D("99.00"), D(1))]


def test_given_sell_stop_limit_when_triggered_then_takes_to_its_limit_and_rests(desk: Desk) -> None:
    order, _ = desk.submit(SELL, "3", STOP_LIMIT, price="98.85", stop="99.00")
    events = desk.quote("98.90", "99.00", last="98.95")  # sell levels 98.90, 98.80 (< limit), ...
    assert fills(events) == [(D("98.90"), D(2))]
    (report,) = desk.exchange.open_orders("acct", desk.now).orders
    assert (report.client_order_id, report.filled_qty, report.order_type) == (order.client_order_id, D(2), STOP_LIMIT)
    events = desk.quote("98.85", "98.95")  # crosses the resting limit
    assert fills(events) == [(D("98.85"), D(1))]


def test_given_stop_already_through_the_market_when_submitted_then_triggers_at_once(desk: Desk) -> None:
    _, events = desk.submit(BUY, "1", STOP, stop="99.00")
    assert fills(events) == [(D("100.00"), D(1))]


# --- cancel and replace ------------------------------------------------------------------------------------------


def test_given_resting_order_when_canceled_then_canceled_and_funds_free_again(desk: Desk) -> None:
    order, _ = desk.submit(BUY, "2", LIMIT, price="99.00")
    assert desk.free("USD") == D(100000) - D(198)
    events = desk.exchange.cancel(order, desk.tick())
    assert kinds(events) == ["VenueOrderCanceled"]
    assert isinstance(events[0], VenueOrderCanceled) and events[0].venue_order_id == "PO-1"
    assert desk.open_ids() == [] and desk.free("USD") == D(100000)
    (again,) = desk.exchange.cancel(order, desk.tick())
    assert isinstance(again, VenueCancelRejected) and again.reason == "order_not_open"


def test_given_unknown_order_when_canceled_then_cancel_rejected(desk: Desk) -> None:
    (refused,) = desk.exchange.cancel(desk.order(BUY, "1", LIMIT, price="99"), desk.tick())
    assert isinstance(refused, VenueCancelRejected) and refused.reason == "order_not_found"


def test_given_partly_filled_order_when_replaced_then_new_id_and_fills_carry_over(desk: Desk) -> None:
    order, _ = desk.submit(BUY, "3", LIMIT, price="99.50")
    desk.quote("99.30", "99.45", size="1")  # fills 1
    replacement = msgspec.structs.replace(
        order, order_id=99, client_order_id="c99", quantity=D(4), price=D("99.40"), replaces_id=order.order_id
    )
    events = desk.exchange.modify(order, replacement, desk.tick())
    (replaced,) = events
    assert isinstance(replaced, VenueOrderReplaced)
    assert (replaced.client_order_id, replaced.orig_client_order_id, replaced.venue_order_id) == ("c99", "c1", "PO-2")
    (report,) = desk.exchange.open_orders("acct", desk.now).orders
    assert (report.client_order_id, report.quantity, report.filled_qty, report.price) == (
        "c99",
        D(4),
        D(1),
        D("99.40"),
    )
    assert desk.exchange.query("acct", "c1", desk.tick()).status is OrderStatus.REPLACED
    assert desk.free("USD") == desk.balance("USD") - D(3) * D("99.40")


def test_given_resting_order_when_replaced_at_a_marketable_price_then_it_fills(desk: Desk) -> None:
    order, _ = desk.submit(BUY, "1", LIMIT, price="99.00")
    replacement = msgspec.structs.replace(order, order_id=99, client_order_id="c99", price=D("100.00"))
    events = desk.exchange.modify(order, replacement, desk.tick())
    assert kinds(events) == ["VenueOrderReplaced", "VenueFill"]
    assert fills(events) == [(D("100.00"), D(1))]


@pytest.mark.parametrize(
    ("setup", "quantity", "reason"),
    [
        ("unknown", "2", "order_not_found"),
        ("filled", "2", "order_not_open"),
        ("partial", "1", "quantity_below_filled"),
    ],
)
def test_given_replace_that_cannot_apply_when_modified_then_replace_rejected(
    desk: Desk, setup: str, quantity: str, reason: str
) -> None:
    if setup == "unknown":
        order = desk.order(BUY, "1", LIMIT, price="99.00")
    elif setup == "filled":
        order, _ = desk.submit(BUY, "1")
    else:
        order, _ = desk.submit(BUY, "3", LIMIT, price="99.50")
        desk.quote("99.30", "99.45", size="1")
    replacement = msgspec.structs.replace(order, order_id=99, client_order_id="c99", quantity=D(quantity))
    (refused,) = desk.exchange.modify(order, replacement, desk.tick())
    assert isinstance(refused, VenueReplaceRejected)
    assert (refused.client_order_id, refused.orig_client_order_id, refused.reason) == (
        "c99",
        order.client_order_id,
        reason,
    )


# --- funds ---------------------------------------------------------------------------------------------------------


def test_given_small_cash_balance_when_buying_more_than_it_pays_then_insufficient_funds() -> None:
    desk = Desk(balances={"acct": {"USD": D("150")}})
    desk.quote()
    _, events = desk.submit(BUY, "2")
    (rejected,) = events
    assert isinstance(rejected, VenueOrderRejected) and rejected.reason == "insufficient_funds"
    first, events = desk.submit(BUY, "1", LIMIT, price="99.00")
    assert kinds(events) == ["VenueOrderAccepted"]
    _, events = desk.submit(BUY, "1", LIMIT, price="99.00")  # 99 of 150 is locked
    assert isinstance(events[0], VenueOrderRejected) and events[0].reason == "insufficient_funds"
    desk.exchange.cancel(first, desk.tick())
    _, events = desk.submit(BUY, "1", LIMIT, price="99.00")
    assert kinds(events) == ["VenueOrderAccepted"]


def test_given_commission_when_balance_covers_exactly_notional_plus_fee_then_accepted() -> None:
    desk = Desk(balances={"acct": {"USD": D("100.10")}, "short": {"USD": D("100.09")}}, commission_bps=D(10))
    desk.quote()
    _, events = desk.submit(BUY, "1")
    assert kinds(events) == ["VenueOrderAccepted", "VenueFill"]
    assert desk.balance("USD") == D(0)
    _, events = desk.submit(BUY, "1", account="short")
    assert isinstance(events[0], VenueOrderRejected) and events[0].reason == "insufficient_funds"


def test_given_no_base_currency_when_cash_sell_then_insufficient_funds() -> None:
    desk = Desk(balances={"acct": {"USD": D("1000")}})
    desk.quote()
    _, events = desk.submit(SELL, "1")
    assert isinstance(events[0], VenueOrderRejected) and events[0].reason == "insufficient_funds"
    _, events = desk.submit(SELL, "1", LIMIT, price="101")
    assert isinstance(events[0], VenueOrderRejected) and events[0].reason == "insufficient_funds"


def test_given_margin_account_when_round_trip_then_realized_pnl_and_fees_booked_in_quote() -> None:
    desk = Desk(balances={"fx": {"USD": D("10000")}}, commission_bps=D(1))
    desk.quote("1.0999", "1.1001", "1000000", symbol="EURUSD")
    desk.submit(BUY, "100000", account="fx", symbol="EURUSD")
    buy_fee = D("100000") * D("1.1001") * D("0.0001")
    assert desk.balance("USD", "fx") == D(10000) - buy_fee
    assert desk.balance("EUR", "fx") == D(0)  # margin accounts do not swap currencies
    assert desk.free("USD", "fx") == desk.balance("USD", "fx") - D("100000") * D("1.1001") * D("0.05")
    desk.quote("1.1099", "1.1101", "1000000", symbol="EURUSD")
    desk.submit(SELL, "100000", account="fx", symbol="EURUSD")
    sell_fee = D("100000") * D("1.1099") * D("0.0001")
    assert desk.balance("USD", "fx") == D(10000) + D(980) - buy_fee - sell_fee
    assert desk.position("EURUSD", "fx") == D(0)


def test_given_margin_account_when_position_needs_more_margin_than_free_then_insufficient_funds() -> None:
    desk = Desk(balances={"fx": {"USD": D("10000")}})
    desk.quote("1.0999", "1.1001", "1000000", symbol="EURUSD")
    _, events = desk.submit(BUY, "200000", account="fx", symbol="EURUSD")  # 11001 of margin on 10000
    assert isinstance(events[0], VenueOrderRejected) and events[0].reason == "insufficient_funds"


# --- queries, snapshots, sequence -------------------------------------------------------------------------------------


def test_given_orders_when_queried_then_status_or_none_for_unknown_and_foreign(desk: Desk) -> None:
    order, _ = desk.submit(BUY, "1", LIMIT, price="99")
    status = desk.exchange.query("acct", order.client_order_id, desk.tick())
    assert (status.status, status.venue_order_id, status.filled_qty) == (OrderStatus.NEW, "PO-1", D(0))
    assert desk.exchange.query("acct", "nope", desk.tick()).status is None
    assert desk.exchange.query("other", order.client_order_id, desk.tick()).status is None


def test_given_two_accounts_when_trading_then_each_has_its_own_gapless_venue_seq() -> None:
    desk = Desk(balances={"a": {"USD": D(1000)}, "b": {"USD": D(1000)}})
    desk.quote()
    seqs: dict[str, list[int | None]] = {"a": [], "b": []}
    for account in ("a", "b", "a", "b", "a"):
        _, events = desk.submit(BUY, "1", account=account)
        seqs[account] += [e.venue_seq for e in events]
    assert seqs == {"a": [1, 2, 3, 4, 5, 6], "b": [1, 2, 3, 4]}
    assert desk.exchange.positions("a", desk.now).venue_seq == 6  # snapshots: as of the last event


def test_given_fills_at_different_times_when_fills_since_then_only_later_ones(desk: Desk) -> None:
    desk.submit(BUY, "1")
    middle = desk.tick()
    desk.submit(BUY, "1")
    assert [f.trade_id for f in desk.exchange.fills_since("acct", 0)] == ["P-1", "P-2"]
    assert [f.trade_id for f in desk.exchange.fills_since("acct", middle)] == ["P-2"]
    assert desk.exchange.fills_since("nobody", 0) == []


def test_given_history_limit_when_many_orders_then_memory_is_bounded_and_recent_orders_answer() -> None:
    desk = Desk(history_limit=10)
    desk.quote()
    orders = [desk.submit(BUY, "0.01")[0] for _ in range(50)]
    assert len(desk.exchange.fills_since("acct", 0)) <= 20
    assert desk.exchange.query("acct", orders[-1].client_order_id, desk.tick()).status is OrderStatus.FILLED
    assert desk.exchange.query("acct", orders[0].client_order_id, desk.tick()).status is None


# --- restore ---------------------------------------------------------------------------------------------------------


def _as_journal_fill(fill: VenueFill, n: int) -> Fill:
    return Fill(
        fill_id=n,
        account_id=fill.account_id,
        symbol=fill.symbol,
        side=fill.side,
        quantity=fill.quantity,
        price=fill.price,
        trade_id=fill.trade_id,
        commission=fill.commission,
        commission_currency=fill.commission_currency,
        client_order_id=fill.client_order_id,
        venue_order_id=fill.venue_order_id,
        ts_event=fill.ts_event,
        ts_recv=fill.ts_recv,
    )


def test_given_journal_state_when_restored_then_orders_balances_positions_and_ids_continue(desk: Desk) -> None:
    resting, _ = desk.submit(BUY, "2", LIMIT, price="99.50")
    desk.quote("99.30", "99.45", size="1")  # resting fills 1 of 2
    stop, _ = desk.submit(SELL, "1", STOP, stop="90.00")
    desk.submit(BUY, "1")
    history = desk.exchange.fills_since("acct", 0)
    balances = {"acct": {b.currency: b.total for b in desk.exchange.balances("acct", desk.now).balances}}
    working = [
        msgspec.structs.replace(resting, venue_order_id="PO-1", filled_qty=D(1), status=OrderStatus.PARTIALLY_FILLED),
        msgspec.structs.replace(stop, venue_order_id="PO-2", status=OrderStatus.NEW),
        desk.order(BUY, "1", LIMIT, price="95"),  # never acknowledged: no venue order id -> skipped
    ]
    fresh = Desk()
    fresh.exchange.restore(
        working, balances, fills=[_as_journal_fill(f, i) for i, f in enumerate(history)], venue_seqs={"acct": 40}
    )
    assert fresh.exchange.open_orders("acct", 0) == msgspec.structs.replace(
        desk.exchange.open_orders("acct", 0), venue_seq=40
    )
    assert fresh.exchange.balances("acct", 0).balances == desk.exchange.balances("acct", 0).balances
    assert fresh.exchange.positions("acct", 0).positions == desk.exchange.positions("acct", 0).positions
    assert fresh.exchange.fills_since("acct", 0) == [msgspec.structs.replace(f, venue_seq=None) for f in history]
    # the restored order meets the market at the next quote; new ids continue after the old ones
    fresh.now, fresh.seq = desk.now, desk.seq
    events = fresh.quote("99.30", "99.45", size="1")
    (fill,) = [e for e in events if isinstance(e, VenueFill)]
    assert (fill.client_order_id, fill.venue_order_id, fill.trade_id, fill.venue_seq) == (
        resting.client_order_id,
        "PO-1",
        f"P-{len(history) + 1}",
        41,
    )
    _, events = fresh.submit(BUY, "1", LIMIT, price="90")
    assert isinstance(events[0], VenueOrderAccepted) and events[0].venue_order_id == "PO-4"
    (canceled,) = fresh.exchange.cancel(stop, fresh.tick())
    assert isinstance(canceled, VenueOrderCanceled)
