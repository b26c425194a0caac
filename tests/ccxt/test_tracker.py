"""``OrderTracker``: which orders may still change (what the sweeps ask the venue about)."""

import time

from adapters.ccxt.tracker import STREAM_SETTLE_S, OrderTracker
from adapters.testing import RecordingInbox
from oms_daemon.core.inputs import VenueFill, VenueStreamGap

SYMBOL = "BTC/USDT"


def order(cid: str, status: str, filled: float = 0.0, venue_id: str = "1") -> dict[str, object]:
    return {"id": venue_id, "clientOrderId": cid, "symbol": SYMBOL, "status": status, "filled": filled}


def trade(trade_id: str, venue_id: str = "1", amount: float = 0.001) -> dict[str, object]:
    return {"id": trade_id, "order": venue_id, "symbol": SYMBOL, "side": "buy", "amount": amount, "price": 1.0}


def test_given_many_finished_orders_then_only_open_ones_are_active() -> None:
    tracker = OrderTracker("acct", RecordingInbox(), first_seq=0)
    for n in range(100):
        tracker.on_order(order(f"done-{n}", "closed", 0.001, venue_id=str(n)), f"done-{n}")
        tracker.on_trade(trade(f"t-{n}", venue_id=str(n)))
    tracker.track("open-1", SYMBOL)
    # when / then: asked twice, the answer stays the same once the finished orders were set aside
    for _ in range(2):
        assert tracker.active_symbols() == {SYMBOL}
        assert tracker.active_orders() == [("open-1", SYMBOL)]


def test_given_a_finished_order_set_aside_when_the_venue_counts_more_fills_then_it_is_active_again() -> None:
    inbox = RecordingInbox()
    tracker = OrderTracker("acct", inbox, first_seq=0)
    tracker.on_order(order("c-1", "closed", 0.001), "c-1")
    tracker.on_trade(trade("t-1"))
    assert tracker.active_symbols() == set()
    # when a later report counts a fill not seen yet
    tracker.on_order(order("c-1", "closed", 0.002), "c-1")
    # then its symbol is swept again until that fill arrives
    assert tracker.active_symbols() == {SYMBOL}
    assert tracker.active_orders() == []
    tracker.on_trade(trade("t-2"))
    assert tracker.active_symbols() == set()
    assert [f.trade_id for f in inbox.of(VenueFill)] == ["t-1", "t-2"]


def test_given_a_cancel_waiting_for_fills_then_the_order_stays_active_until_they_arrive() -> None:
    tracker = OrderTracker("acct", RecordingInbox(), first_seq=0)
    tracker.on_order(order("c-1", "open"), "c-1")
    assert tracker.active_orders() == [("c-1", SYMBOL)]
    # when the venue reports the cancel with a fill not delivered yet
    tracker.on_order(order("c-1", "canceled", 0.001), "c-1")
    # then the order is still asked about, and set aside once the fill (and the held cancel) went out
    assert tracker.active_orders() == [("c-1", SYMBOL)]
    tracker.on_trade(trade("t-1"))
    assert tracker.active_orders() == []
    assert tracker.active_symbols() == set()


# --- gaps in the user stream ----------------------------------------------------------------------------------


def gaps(inbox: RecordingInbox) -> list[tuple[str, float]]:
    return [(g.client_order_id, float(g.venue_filled)) for g in inbox.of(VenueStreamGap)]


def test_given_a_dropped_trade_report_when_the_next_update_counts_it_then_a_stream_gap() -> None:
    inbox = RecordingInbox()
    tracker = OrderTracker("acct", inbox, first_seq=0)
    tracker.track("c-1", SYMBOL, placed=True)
    # given the stream's first execution (trade t-1, cumulative 0.001) was dropped
    # when the second arrives: its trade, then the order update with cumulative 0.002
    tracker.on_stream_trade(trade("t-2"))
    tracker.on_stream_order(order("c-1", "open", 0.002))
    # then the gap is reported with the venue's cumulative, once
    tracker.on_stream_order(order("c-1", "open", 0.002))
    assert gaps(inbox) == [("c-1", 0.002)]


def test_given_every_report_when_updates_come_merged_then_no_gap() -> None:
    inbox = RecordingInbox()
    tracker = OrderTracker("acct", inbox, first_seq=0)
    tracker.track("c-1", SYMBOL, placed=True)
    # the REST reply reported the first trade before the stream did; ccxt merged two order updates into one
    tracker.on_trade(trade("t-1"), "c-1", "1")
    tracker.on_stream_trade(trade("t-1"))
    tracker.on_stream_trade(trade("t-2"))
    tracker.on_stream_order(order("c-1", "closed", 0.002))
    assert gaps(inbox) == []


def test_given_an_order_from_before_a_restart_then_the_stream_counts_from_where_it_first_shows_it() -> None:
    inbox = RecordingInbox()
    tracker = OrderTracker("acct", inbox, first_seq=0)
    tracker.track("old", SYMBOL)  # known to the OMS, filled 0.005 in an earlier run
    tracker.on_stream_trade(trade("t-6"))
    tracker.on_stream_order(order("old", "open", 0.006))
    assert gaps(inbox) == []
    tracker.on_stream_order(order("old", "open", 0.008))  # t-7 and t-8 never came
    assert gaps(inbox) == [("old", 0.008)]


def test_given_a_trade_rest_reported_when_the_stream_never_delivers_it_then_a_gap_after_the_settle_time() -> None:
    inbox = RecordingInbox()
    tracker = OrderTracker("acct", inbox, first_seq=0)
    tracker.stream_up(since_ms=0)
    tracker.track("c-1", SYMBOL, placed=True)
    tracker.on_trade(trade("t-1") | {"timestamp": 1000}, "c-1", "1")  # the REST reply
    tracker.on_trade(trade("t-2") | {"timestamp": 1001}, "c-1", "1")
    tracker.on_stream_trade(trade("t-1"))  # the stream delivers t-1, never t-2
    now = time.monotonic()
    tracker.overdue(now)
    assert gaps(inbox) == []  # not yet: the stream may be slow
    tracker.overdue(now + STREAM_SETTLE_S)
    assert gaps(inbox) == [("c-1", 0.002)]
    tracker.overdue(now + 2 * STREAM_SETTLE_S)
    assert len(gaps(inbox)) == 1


def test_given_the_stream_down_then_trades_rest_finds_are_not_owed_by_it() -> None:
    inbox = RecordingInbox()
    tracker = OrderTracker("acct", inbox, first_seq=0)
    tracker.stream_up(since_ms=0)
    tracker.stream_down()
    tracker.on_trade(trade("t-1") | {"timestamp": 1000}, "c-1", "1")
    tracker.stream_up(since_ms=5000)  # back up later: the backfill's older trades are not owed either
    tracker.on_trade(trade("t-2") | {"timestamp": 2000}, "c-1", "1")
    tracker.overdue(time.monotonic() + STREAM_SETTLE_S)
    assert gaps(inbox) == []


def test_given_a_gap_reported_when_rest_fills_it_in_then_the_same_trades_are_not_reported_again() -> None:
    inbox = RecordingInbox()
    tracker = OrderTracker("acct", inbox, first_seq=0)
    tracker.stream_up(since_ms=0)
    tracker.track("c-1", SYMBOL, placed=True)
    tracker.on_stream_trade(trade("t-2") | {"timestamp": 1001})
    tracker.on_stream_order(order("c-1", "closed", 0.002))
    tracker.on_trade(trade("t-1") | {"timestamp": 1000}, "c-1", "1")  # the gap's lookup backfills it
    tracker.overdue(time.monotonic() + STREAM_SETTLE_S)
    assert gaps(inbox) == [("c-1", 0.002)]
