"""Gaps in Binance's user stream, which has no sequence number, seen from what its events say: the simulated
exchange drops fill reports, and every dropped one raises the ``sequence_gap`` flag until its fill is booked.

No REST sweep runs here (``poll_interval_s = 0``): only the gap's own lookup can fill a skipped trade in.
"""

import pytest

from oms_daemon.client import OmsClient
from simex import SimexProcess
from tests.ccxt.daemon import CcxtDaemon, eventually, order_of
from tests.ccxt.journal_census import census
from tests.ccxt.test_daemon_stream_faults import resting_buy
from tests.ccxt.truth import assert_matches_exchange, wait_status

POLL_INTERVAL_S = 0
DROP_ONE_FILL = {"kind": "drop", "event": "executionReport", "execution": "TRADE", "times": 1}


@pytest.fixture(scope="module", params=[False, True], ids=["streams-in-daemon", "stream-process"])
def stream_process(request: pytest.FixtureRequest) -> bool:
    """Every test runs with the account's streams in the daemon and in a child process."""
    return bool(request.param)


def gap_dirty(client: OmsClient) -> bool:
    return any(d.dirty and d.reason.startswith("stream gap") for d in client.account().dirty)


def offer(sim: SimexProcess, quantity: str) -> None:
    """Offers of ``quantity`` below a resting buy at 59500: it takes them as a maker."""
    sim.control.set_book("BTCUSDT", [("59400", "5")], [("59450", quantity)])


def test_given_a_dropped_fill_report_when_the_next_report_counts_it_then_flagged_until_the_fill_is_booked(
    client: OmsClient, daemon: CcxtDaemon, sim: SimexProcess
) -> None:
    # given a resting buy of 0.6, the exchange dropping the report of its first fill, and holding order lookups a
    # moment (so the open gap can be seen)
    order_id = resting_buy(client, quantity="0.6")
    alerts = daemon.alerts("sequence_gap")
    sim.control.add_faults(DROP_ONE_FILL, {"kind": "stall", "seconds": 1.5, "method": "GET", "path": "/api/v3/order"})
    # when offers of 0.3 come below it (the demo book replenishes: it fills in two trades of 0.3), the second
    # report saying 0.6 filled of which the stream delivered 0.3
    offer(sim, "0.3")
    # then the gap is flagged: the symbol dirty until the lookup books the skipped fill, then trusted again
    eventually(lambda: gap_dirty(client), timeout=5)
    assert daemon.alerts("sequence_gap") == alerts + 1
    wait_status(client, order_id, "FILLED", timeout=10)
    eventually(lambda: not gap_dirty(client), timeout=5)
    assert_matches_exchange(client, sim, order_id)
    assert len(sim.control.trades(order_of(client, order_id).client_order_id)) == 2


def test_given_fill_reports_dropped_when_rest_books_the_fills_then_each_trade_the_stream_skipped_is_flagged(
    client: OmsClient, daemon: CcxtDaemon, sim: SimexProcess
) -> None:
    # given every fill report dropped
    alerts = daemon.alerts("sequence_gap")
    gaps = census(daemon.journal)["VenueStreamGap"]
    sim.control.add_faults({**DROP_ONE_FILL, "times": 0})
    # when a market buy fills in two trades, booked from the order's REST reply
    reply = client.submit("BTC/USDT", "BUY", "0.7")
    wait_status(client, reply.order_id, "FILLED")
    # then each trade the stream never delivered is flagged (once its settle time passed); nothing is missing
    eventually(lambda: daemon.alerts("sequence_gap") == alerts + 2, timeout=10)
    assert census(daemon.journal)["VenueStreamGap"] == gaps + 2
    assert not gap_dirty(client)
    assert_matches_exchange(client, sim, reply.order_id)
