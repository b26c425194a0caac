"""``OrderTracker``: which orders may still change (what the sweeps ask the venue about)."""

from adapters.ccxt.tracker import OrderTracker
from adapters.testing import RecordingInbox
from oms_daemon.core.inputs import VenueFill

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
