"""The stream child's frames: only what the daemon reads of each watch result, one write per loop turn."""

import asyncio
import os
from typing import Any

import ccxt.pro as ccxt_pro
import msgspec
import pytest

from adapters.ccxt.snapshots import BalanceBook
from adapters.ccxt.stream_process import _Child, _Frames
from adapters.ccxt.stream_process.payloads import shipped
from adapters.ccxt.tracker import OrderTracker
from adapters.testing import RecordingInbox
from oms_daemon.core.inputs import Input

MARKET = {"id": "BTCUSDT", "symbol": "BTC/USDT", "base": "BTC", "quote": "USDT", "type": "spot", "spot": True}


def execution_report(status: str, execution: str, cid: str = "oms-1", filled: str = "0.001") -> dict[str, Any]:
    """A Binance ``executionReport`` as the user stream sends it."""
    return {
        "e": "executionReport", "E": 1_700_000_000_000, "s": "BTCUSDT", "c": cid, "S": "BUY", "o": "LIMIT",
        "f": "GTC", "q": "0.002", "p": "60000.00", "P": "0", "F": "0", "g": -1, "C": "", "x": execution,
        "X": status, "r": "NONE" if status != "REJECTED" else "INSUFFICIENT_BALANCE", "i": 42, "l": filled,
        "z": filled, "L": "60000.00", "n": "0.06", "N": "USDT", "T": 1_700_000_000_001, "t": 7, "I": 1,
        "w": False, "m": False, "M": True, "O": 1_700_000_000_000, "Z": "60.00", "Y": "60.00", "Q": "0",
        "W": 1_700_000_000_000, "V": "NONE",
    }  # fmt: skip


@pytest.fixture(scope="module")
def parser() -> Any:
    """ccxt.pro's Binance parser, with the one market the reports trade (no network)."""
    exchange = ccxt_pro.binance()
    exchange.set_markets([MARKET])
    return exchange


def reported(feed: list[tuple[str, dict[str, Any]]]) -> list[Input]:
    """What a fresh tracker reports for ``feed`` (orders and trades, in order), receive times left out."""
    inbox = RecordingInbox()
    tracker = OrderTracker("acct", inbox, first_seq=0)
    tracker.track("oms-1", "BTC/USDT")
    for kind, item in feed:
        (tracker.on_order if kind == "orders" else tracker.on_trade)(item)
    return [msgspec.structs.replace(event, ts_recv=0) for event in inbox.events]


def test_given_ccxt_parsed_reports_when_shipped_then_the_tracker_reports_exactly_the_same(parser: Any) -> None:
    # given, parsed by ccxt.pro: an acknowledgement, a partial fill, then a cancel that counts a second fill
    # whose trade only comes after it (the tracker holds the cancel back until then)
    second_fill = execution_report("CANCELED", "TRADE", filled="0.002") | {"t": 8, "l": "0.001"}
    full = [
        ("orders", parser.parse_ws_order(execution_report("NEW", "NEW", filled="0"))),
        ("orders", parser.parse_ws_order(execution_report("PARTIALLY_FILLED", "TRADE", filled="0.001"))),
        ("my_trades", parser.parse_ws_trade(execution_report("PARTIALLY_FILLED", "TRADE", filled="0.001"))),
        ("orders", parser.parse_ws_order(execution_report("CANCELED", "CANCELED", filled="0.002"))),
        ("my_trades", parser.parse_ws_trade(second_fill)),
    ]
    # when each goes through what the child ships
    slim = [(kind, shipped(kind, [item])[0]) for kind, item in full]
    # then the daemon's tracker reports the same events from both: acknowledged, two fills, canceled
    assert reported(slim) == reported(full)
    assert [type(event).__name__ for event in reported(full)] == [
        "VenueOrderAccepted",
        "VenueFill",
        "VenueFill",
        "VenueOrderCanceled",
    ]
    size = msgspec.msgpack.encode
    assert all(len(size(s)) < len(size(f)) for (_, s), (_, f) in zip(slim, full, strict=True))


def test_given_a_rejected_order_when_shipped_then_its_venue_message_goes_along(parser: Any) -> None:
    # given a rejection as ccxt.pro parses it
    order = parser.parse_ws_order(execution_report("REJECTED", "REJECTED", filled="0"))
    # when shipped, then the tracker's rejection carries the venue's whole message, as with the full order
    assert reported([("orders", shipped("orders", [order])[0])]) == reported([("orders", order)])
    assert shipped("orders", [order])[0]["info"]["r"] == "INSUFFICIENT_BALANCE"


def test_given_a_balance_update_when_shipped_then_it_lays_over_the_base_the_same_way() -> None:
    # given a REST balance as the base and a stream update of one asset
    base = {"total": {"BTC": 1.0, "USDT": 1000.0}, "free": {"BTC": 1.0, "USDT": 1000.0}}
    update = {"info": {"e": "outboundAccountPosition"}, "timestamp": 1, "BTC": {"free": 1.5, "total": 1.5},
              "total": {"BTC": 1.5}, "free": {"BTC": 1.5}, "used": {"BTC": 0.0}}  # fmt: skip
    books = BalanceBook(), BalanceBook()
    for book in books:
        book.rebase(base)
    # when one book gets the update as it is and the other what the child ships, then both have the same rows
    assert books[0].overlay(update) == books[1].overlay(shipped("balance", update))


def read_frames(fd: int) -> tuple[list[list[Any]], int]:
    """Every frame waiting on ``fd`` as the daemon splits them (``_Child``), and how many reads it took."""
    frames: list[list[Any]] = []
    child, reads = _Child(frames.append), 0
    os.set_blocking(fd, False)
    while True:
        try:
            child.pipe_data_received(1, os.read(fd, 65536))
        except BlockingIOError:
            return frames, reads
        reads += 1


def test_given_results_of_one_loop_turn_then_they_leave_together_and_in_order() -> None:
    read, write = os.pipe()
    frames = _Frames(write)

    async def turn() -> tuple[list[list[Any]], int]:
        # given three results in one loop turn
        for name in ("orders", "my_trades", "balance"):
            frames.result(name)([] if name != "balance" else {"total": {}, "free": {}})
        # then nothing is written before the turn ends
        assert read_frames(read)[0] == []
        await asyncio.sleep(0)
        return read_frames(read)

    try:
        got, reads = asyncio.run(turn())
        # then all three leave in one write, in the order they came
        assert [frame[0] for frame in got] == ["orders", "my_trades", "balance"]
        assert reads == 1
    finally:
        os.close(read)
        os.close(write)


def test_given_queued_results_when_a_control_frame_is_sent_then_it_goes_behind_them() -> None:
    read, write = os.pipe()
    frames = _Frames(write)

    async def turn() -> list[list[Any]]:
        # given a result queued in this loop turn
        frames.result("orders")([])
        # when the streams go down in the same turn
        frames.send("down", "connection lost")
        return read_frames(read)[0]

    try:
        # then the daemon reads the result before the "down"
        assert [frame[0] for frame in asyncio.run(turn())] == ["orders", "down"]
    finally:
        os.close(read)
        os.close(write)
