"""The safety layer in the core: limits, throttles, spam and churn guards, stream health, recovery, reconciliation."""

from decimal import Decimal as D

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oms_daemon.core.enums import OrderStatus as S
from oms_daemon.core.enums import OrderType
from oms_daemon.core.events import (
    CancelAtVenue,
    FeedStatusChanged,
    ModeChanged,
    OrderUpdated,
    PositionsMarkedDirty,
    QueryAtVenue,
    ReconciliationDone,
    SnapshotRequested,
)
from oms_daemon.core.inputs import (
    CancelOrder,
    MarketQuote,
    PreviewOrder,
    ReconciliationSnapshot,
    ReplaceOrder,
    SessionStarted,
    StreamHeartbeat,
    SubmitOrder,
    TimerTick,
    VenueBalance,
    VenueFill,
    VenueOrderAccepted,
    VenueOrderCanceled,
    VenueOrderReplaced,
    VenueOrderStatus,
    VenuePosition,
    VenueStreamGap,
)
from oms_daemon.core.limits import FeedLimits, RiskLimits, RiskRule
from oms_daemon.core.model import BookLevel
from oms_daemon.core.reasons import Reason
from tests.core.scenario import CONFIG, Scenario, alerts, of_type, replies

MS = 1_000_000


def configured(*rules: RiskRule, feeds: FeedLimits | None = None) -> Scenario:
    scenario = Scenario(msgspec.structs.replace(CONFIG, risk=rules, feeds=feeds or FeedLimits()))
    scenario.fund("spot", USDT="10000000", BTC="1000", ETH="1000")
    scenario.quote("BTC/USDT", "100", "101")
    return scenario


def limited(**limits: object) -> Scenario:
    return configured(RiskRule(account_id="spot", limits=RiskLimits(**limits)))


def reason_of(events: list) -> str | None:
    return replies(events)[0].reason


# --- limits -----------------------------------------------------------------------------------------------


def test_given_max_order_quantity_when_larger_order_then_refused() -> None:
    s = limited(max_order_qty=D(5))
    assert reason_of(s.submit(qty="6")) == Reason.MAX_ORDER_QTY
    assert replies(s.submit(qty="5"))[0].ok


def test_given_max_notional_when_larger_order_then_refused() -> None:
    s = limited(max_order_notional=D(1000))
    assert reason_of(s.submit(qty="10")) == Reason.MAX_NOTIONAL  # 10 x ask 101
    assert replies(s.submit(qty="9"))[0].ok


def test_given_max_position_then_working_orders_count_toward_it() -> None:
    s = limited(max_position=D(10))
    s.fill(s.working(qty="6"), "6", "100")
    s.working(order_type=OrderType.LIMIT, price=D(90), qty="3")
    assert reason_of(s.submit(qty="2")) == Reason.MAX_POSITION  # 6 held + 3 working + 2
    assert replies(s.submit(qty="1"))[0].ok
    assert replies(s.submit(side="SELL", qty="6"))[0].ok  # reducing orders always fit


def test_given_max_open_orders_when_one_more_then_refused() -> None:
    s = limited(max_open_orders=2)
    s.placed(order_type=OrderType.LIMIT, price=D(90))
    s.placed(order_type=OrderType.LIMIT, price=D(91))
    assert reason_of(s.submit(order_type=OrderType.LIMIT, price=D(92))) == Reason.MAX_OPEN_ORDERS


@pytest.mark.parametrize(("side", "price", "ok"), [("BUY", "106", False), ("BUY", "105", True), ("SELL", "94", False)])
def test_given_price_band_when_limit_is_overly_marketable_then_refused(side: str, price: str, ok: bool) -> None:
    s = limited(price_band_bps=D(400))  # 4% through the touch: buy above 105.04, sell below 96
    events = s.submit(side=side, order_type=OrderType.LIMIT, price=D(price))
    assert replies(events)[0].ok is ok
    if not ok:
        assert reason_of(events) == Reason.PRICE_BAND


def test_given_stale_reference_price_then_band_fails_closed() -> None:
    s = limited(price_band_bps=D(400), max_quote_age_ms=1000)
    s.ts += 2_000 * MS  # the last quote is now two seconds old
    events = s.submit(order_type=OrderType.LIMIT, price=D(100))
    assert reason_of(events) == Reason.REFERENCE_STALE
    s.quote("BTC/USDT", "100", "101")
    assert replies(s.submit(order_type=OrderType.LIMIT, price=D(100)))[0].ok


# --- throttles, spam, churn ---------------------------------------------------------------------------------


def test_given_order_rate_per_instrument_then_a_burst_beyond_it_is_throttled_and_refills_in_event_time() -> None:
    s = limited(orders_per_second=D(2), orders_burst=2)
    assert replies(s.submit())[0].ok and replies(s.submit())[0].ok
    assert reason_of(s.submit()) == Reason.THROTTLED
    s.ts += 500 * MS  # half a second: one token back
    assert replies(s.submit())[0].ok
    assert reason_of(s.submit()) == Reason.THROTTLED


def test_given_order_rate_per_strategy_then_other_strategies_are_not_throttled() -> None:
    s = limited(strategy_orders_per_second=D(1), strategy_orders_burst=1)
    assert replies(s.submit(strategy_id="s1"))[0].ok
    assert reason_of(s.submit(strategy_id="s1")) == Reason.THROTTLED
    assert replies(s.submit(strategy_id="s2"))[0].ok


def test_given_spam_guard_when_identical_intent_repeats_within_the_window_then_refused() -> None:
    s = limited(duplicate_window_ms=500)
    assert replies(s.submit(qty="1"))[0].ok
    assert reason_of(s.submit(qty="1")) == Reason.DUPLICATE_INTENT
    assert replies(s.submit(qty="2"))[0].ok  # a different intent
    s.ts += 600 * MS
    assert replies(s.submit(qty="1"))[0].ok


def test_given_churn_cap_when_an_order_is_replaced_too_often_then_refused() -> None:
    s = limited(max_replaces_per_order=2)
    order = s.working(order_type=OrderType.LIMIT, price=D(90))
    for price in ("89", "88"):
        new_id = replies(s.request(ReplaceOrder, account_id="spot", order_id=order.order_id, price=D(price)))[
            0
        ].order_id
        new = s.order(new_id)
        s.apply(
            VenueOrderReplaced,
            account_id="spot",
            client_order_id=new.client_order_id,
            orig_client_order_id=order.client_order_id,
        )
        order = s.order(new_id)
    events = s.request(ReplaceOrder, account_id="spot", order_id=order.order_id, price=D(87))
    assert reason_of(events) == Reason.CHURN_LIMIT


# --- stream health -------------------------------------------------------------------------------------------


def test_given_market_data_goes_quiet_then_stale_gates_new_risk_and_a_quote_clears_it() -> None:
    s = configured(feeds=FeedLimits(market_data_max_age_ms=1000))
    s.fill(s.working(qty="2"), "2", "100")
    s.ts += 1_500 * MS
    events = s.apply(TimerTick)
    assert any(e.stream == "market:BTC/USDT" and e.stale for e in of_type(events, FeedStatusChanged))
    assert alerts(events, "feed_stale")
    assert reason_of(s.submit(qty="1")) == Reason.FEED_STALE
    assert replies(s.submit(side="SELL", qty="1"))[0].ok  # reducing still goes
    recovered = s.apply(MarketQuote, symbol="BTC/USDT", bid=D(100), ask=D(101))
    assert alerts(recovered, "feed_recovered")
    assert replies(s.submit(qty="1"))[0].ok


def test_given_user_stream_goes_silent_then_stale_until_it_speaks_again() -> None:
    s = configured(feeds=FeedLimits(user_stream_max_silence_ms=1000))
    s.ts += 1_500 * MS
    s.apply(TimerTick)
    assert "user:spot" in s.state.stale_feeds
    assert reason_of(s.submit(qty="1")) == Reason.FEED_STALE
    s.apply(StreamHeartbeat, account_id="spot")
    assert "user:spot" not in s.state.stale_feeds


def test_given_sequence_gap_then_account_dirty_snapshot_requested_and_duplicates_absorbed() -> None:
    s = configured()
    order = s.placed(qty="2")
    s.apply(
        VenueOrderAccepted, account_id="spot", client_order_id=order.client_order_id, venue_order_id="v", venue_seq=1
    )
    fill = {"account_id": "spot", "client_order_id": order.client_order_id, "symbol": "BTC/USDT", "side": "BUY"}
    s.apply(VenueFill, **fill, trade_id="T1", price=D(100), quantity=D(1), venue_seq=2)
    assert s.apply(VenueFill, **fill, trade_id="T1", price=D(100), quantity=D(1), venue_seq=2) == []  # duplicate
    events = s.apply(VenueFill, **fill, trade_id="T3", price=D(100), quantity=D(1), venue_seq=5)  # 3 and 4 lost
    assert of_type(events, SnapshotRequested)
    assert alerts(events, "sequence_gap")
    assert ("spot", "BTC/USDT") in s.state.dirty
    assert reason_of(s.submit(qty="1")) == Reason.POSITION_DIRTY


def test_given_a_stream_that_skipped_a_fill_then_dirty_and_looked_up_until_the_fill_is_booked() -> None:
    s = configured()
    order = s.working(qty="2")
    s.fill(order, "0.5", "100")
    # when the adapter sees the venue report 1.5 filled of an order whose stream delivered 0.5
    gap = {"account_id": "spot", "client_order_id": order.client_order_id, "symbol": "BTC/USDT"}
    events = s.apply(VenueStreamGap, **gap, venue_filled=D("1.5"), reason="cumulative 1.5, delivered 0.5")
    # then the gap is raised, the symbol dirty (buys refused), and the order looked up (which backfills it)
    assert alerts(events, "sequence_gap") and of_type(events, QueryAtVenue)
    assert reason_of(s.submit(qty="1")) == Reason.POSITION_DIRTY
    # and it stays so until every missing fill is booked
    s.fill(order, "0.5", "100")
    assert ("spot", "BTC/USDT") in s.state.dirty
    s.fill(order, "0.5", "100")
    assert ("spot", "BTC/USDT") not in s.state.dirty and not s.state.fill_gaps
    assert replies(s.submit(qty="1"))[0].ok


def test_given_a_stream_gap_whose_fills_rest_booked_already_then_only_the_alert() -> None:
    s = configured()
    order = s.working(qty="2")
    s.fill(order, "2", "100")
    gap = {"account_id": "spot", "client_order_id": order.client_order_id, "symbol": "BTC/USDT"}
    events = s.apply(VenueStreamGap, **gap, venue_filled=D(2), reason="trade T1 found by REST only")
    assert alerts(events, "sequence_gap") and not of_type(events, PositionsMarkedDirty)


def test_given_a_fill_gap_when_a_clean_reconciliation_vouches_for_the_position_then_trusted_again() -> None:
    s = configured()
    order = s.working(qty="2")
    gap = {"account_id": "spot", "client_order_id": order.client_order_id, "symbol": "BTC/USDT"}
    s.apply(VenueStreamGap, **gap, venue_filled=D(1), reason="cumulative 1, delivered 0")
    s.apply(ReconciliationSnapshot, account_id="spot")
    assert ("spot", "BTC/USDT") not in s.state.dirty and not s.state.fill_gaps


# --- crash recovery ---------------------------------------------------------------------------------------------


def test_given_orders_left_open_by_a_crash_when_restarted_then_queried_and_new_orders_wait() -> None:
    s = configured()
    pending = s.placed(qty="1")
    canceling = s.working(order_type=OrderType.LIMIT, price=D(90))
    s.request(CancelOrder, account_id="spot", order_id=canceling.order_id)
    events = s.apply(SessionStarted, config=s.state.config)
    queried = {q.client_order_id for q in of_type(events, QueryAtVenue)}
    assert queried == {pending.client_order_id, canceling.client_order_id}
    assert reason_of(s.submit(qty="1")) == Reason.RECOVERING
    s.ts += 11_000_000_000  # past the lookup grace: "not found" is now conclusive
    s.apply(VenueOrderStatus, account_id="spot", client_order_id=pending.client_order_id, status=None)
    resent = s.apply(VenueOrderStatus, account_id="spot", client_order_id=canceling.client_order_id, status=S.NEW)
    assert of_type(resent, CancelAtVenue)  # the cancel never reached the venue: sent again
    assert s.order(pending.order_id).status is S.REJECTED
    assert reason_of(s.submit(qty="1")) == Reason.RECOVERING  # the cancel is still open
    s.apply(VenueOrderCanceled, account_id="spot", client_order_id=canceling.client_order_id)
    assert replies(s.submit(qty="1"))[0].ok


# --- reconciliation -----------------------------------------------------------------------------------------------


def snapshot(s: Scenario, btc: str, **kw: object) -> list:
    return s.apply(
        ReconciliationSnapshot,
        account_id="spot",
        positions=(VenuePosition(symbol="BTC/USDT", quantity=D(btc)),),
        balances=(VenueBalance(currency="USDT", total=D(10_000_000)),),
        **kw,
    )


def test_given_a_fill_the_stream_lost_when_reconciling_then_booked_as_a_reconciliation_fill() -> None:
    s = configured()
    order = s.working(qty="2")
    events = s.fill(order, "2", "100", reconciliation=True)
    assert alerts(events, "missing_fill_recovered")
    assert s.state.fills[1].reconciliation
    done = snapshot(s, "2")
    assert of_type(done, ReconciliationDone)[0].clean


def test_given_a_position_mismatch_then_first_rechecked_and_if_it_persists_safe_mode() -> None:
    s = configured()
    s.fill(s.working(qty="2"), "2", "100")
    first = snapshot(s, "3")
    assert of_type(first, SnapshotRequested) and not of_type(first, ModeChanged)
    assert ("spot", "BTC/USDT") in s.state.dirty
    second = snapshot(s, "3")
    assert of_type(second, ModeChanged)[0].safe
    assert s.state.mode("spot").safe


def test_given_snapshot_older_than_applied_events_then_inconclusive_not_a_mismatch() -> None:
    s = configured()
    order = s.placed(qty="2")
    s.apply(
        VenueOrderAccepted, account_id="spot", client_order_id=order.client_order_id, venue_order_id="v", venue_seq=7
    )
    events = snapshot(s, "5", venue_seq=6)
    assert alerts(events, "reconciliation_inconclusive")
    assert not s.state.dirty


def test_given_dirty_position_when_clean_reconciliation_then_cleared() -> None:
    s = configured()
    s.fill(s.working(qty="1"), "1.5", "100")  # overfill: dirty
    assert s.state.dirty
    done = snapshot(s, "1.5")
    assert of_type(done, PositionsMarkedDirty)[0].dirty is False
    assert not s.state.dirty


# --- local book -----------------------------------------------------------------------------------------------------


def test_given_book_depth_then_preview_slippage_walks_the_levels() -> None:
    s = configured()
    s.apply(
        MarketQuote,
        symbol="BTC/USDT",
        bid=D(99),
        ask=D(101),
        asks=(BookLevel(D(101), D(1)), BookLevel(D(103), D(2))),
        bids=(BookLevel(D(99), D(5)),),
    )
    preview = replies(s.request(PreviewOrder, account_id="spot", symbol="BTC/USDT", side="BUY", quantity=D(2)))[0].data
    assert preview.slippage_estimate == D(1) * 1 + D(3) * 1  # mid 100: one at 101, one at 103


# --- property: no generated intent sequence gets an order past a configured limit -----------------------------------

LIMITS = RiskLimits(
    max_order_qty=D(3),
    max_order_notional=D(250),
    max_position=D(5),
    max_open_orders=4,
    price_band_bps=D(300),
    orders_per_second=D(5),
    orders_burst=3,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["BUY", "SELL"]),
            st.sampled_from(["0.5", "1", "2", "3", "4"]),
            st.sampled_from([None, "95", "100", "101", "104", "110"]),
            st.integers(0, 400),
            st.booleans(),
        ),
        max_size=40,
    )
)
def test_no_generated_intent_sequence_produces_an_order_that_breaks_a_limit(draws: list) -> None:
    s = Scenario(msgspec.structs.replace(CONFIG, risk=(RiskRule(limits=LIMITS),)))
    s.fund("spot", USDT="10000000", BTC="1000")
    s.quote("BTC/USDT", "100", "101")
    for side, qty, price, gap_ms, fill in draws:
        s.ts += gap_ms * MS
        key = ("spot", "BTC/USDT")
        net, (buys, sells) = s.state.net_quantity(key), s.state.working_leaves(key)
        working = sum(len(ids) for ids in s.state.open_orders.values())
        events = s.request(
            SubmitOrder,
            account_id="spot",
            symbol="BTC/USDT",
            side=side,
            quantity=D(qty),
            order_type=OrderType.LIMIT if price else OrderType.MARKET,
            price=D(price) if price else None,
        )
        created = [e.order for e in of_type(events, OrderUpdated) if e.order.status is S.PENDING_NEW]
        for order in created:
            reference = order.price or D(101 if side == "BUY" else 100)
            assert order.quantity <= LIMITS.max_order_qty
            assert order.quantity * reference <= LIMITS.max_order_notional
            assert working < LIMITS.max_open_orders
            projected = net + buys + order.quantity if side == "BUY" else net - sells - order.quantity
            reducing = ((net > 0 and side == "SELL") or (net < 0 and side == "BUY")) and order.quantity <= abs(net)
            assert reducing or abs(projected) <= LIMITS.max_position
            if order.price is not None:
                assert order.price <= D(101) * D("1.03") if side == "BUY" else order.price >= D(100) * D("0.97")
            if fill:
                s.fill(order, str(order.quantity), str(reference))


def test_given_a_venue_marked_unavailable_when_the_daemon_restarts_then_available_again() -> None:
    from oms_daemon.core.inputs import VenueAvailability

    s = configured()
    s.apply(VenueAvailability, account_id="spot", available=False, reason="breaker open")
    assert reason_of(s.submit(qty="1")) == Reason.VENUE_UNAVAILABLE
    s.apply(SessionStarted, config=s.state.config)
    assert replies(s.submit(qty="1"))[0].ok
