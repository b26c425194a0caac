"""REST faults injected at the simulated exchange while omsd trades through ccxt: 429 and 418 (waited out, never
escalated to a ban), 5xx, an order accepted whose reply is lost (timeout, reset). Every one ends with no lost
fill and no duplicate venue order (checked against the exchange's truth), and with the expected alert.

The daemon here does not sweep over REST (``poll_interval_s = 0``), so an order whose reply was lost can only
be learned by the query its UNKNOWN status triggers.
"""

import time
from decimal import Decimal

import pytest

from oms_daemon.client import OmsClient
from simex import SimexProcess
from tests.ccxt.daemon import CcxtDaemon, order_of
from tests.ccxt.truth import assert_matches_exchange, wait_status

D = Decimal
ORDER = "/api/v3/order"
POLL_INTERVAL_S = 0  # no REST sweep: an order whose reply was lost is learned only by its query


def test_given_a_429_on_submit_then_it_waits_out_retry_after_and_is_placed_once_without_a_ban(
    client: OmsClient, sim: SimexProcess
) -> None:
    sim.control.add_faults({"kind": "http_error", "status": 429, "retry_after": 1, "method": "POST", "path": ORDER})
    started = time.monotonic()
    reply = client.submit("BTC/USDT", "BUY", "0.01")
    wait_status(client, reply.order_id, "FILLED")
    # then it was sent again only after Retry-After, nothing hit the exchange meanwhile (no 418)
    assert time.monotonic() - started >= 1.0
    faults = sim.control.stats()["faults"]
    assert faults.get("served_429") == 1 and not faults.get("escalated_to_418")
    assert_matches_exchange(client, sim, reply.order_id)


def test_given_a_418_ban_on_submit_then_nothing_is_sent_until_it_lifts(client: OmsClient, sim: SimexProcess) -> None:
    before = sim.control.stats()["faults"]
    sim.control.add_faults({"kind": "http_error", "status": 418, "retry_after": 1, "method": "POST", "path": ORDER})
    reply = client.submit("BTC/USDT", "BUY", "0.01")
    wait_status(client, reply.order_id, "FILLED")
    faults = sim.control.stats()["faults"]
    assert faults.get("served_418", 0) == before.get("served_418", 0) + 1
    assert faults.get("refused_while_banned", 0) == before.get("refused_while_banned", 0)
    assert_matches_exchange(client, sim, reply.order_id)


def test_given_a_503_on_submit_then_unknown_resolved_by_query_as_not_placed(
    client: OmsClient, daemon: CcxtDaemon, sim: SimexProcess
) -> None:
    alerts = daemon.alerts("submit_outcome_unknown")
    sim.control.add_faults({"kind": "http_error", "status": 503, "method": "POST", "path": ORDER})
    # when the exchange answers 503 (Binance: execution status unknown)
    reply = client.submit("BTC/USDT", "BUY", "0.01")
    # then the order was not resent but looked up: the exchange never placed it, so it is rejected as such
    order = wait_status(client, reply.order_id, "REJECTED")
    assert order.reason == "venue_not_found"
    assert daemon.alerts("submit_outcome_unknown") == alerts + 1
    assert sim.control.orders(client_order_id=order.client_order_id) == []


@pytest.mark.parametrize("fault", ["accept_then_timeout", "reset"])
def test_given_an_accepted_order_whose_reply_is_lost_then_unknown_resolved_by_query_without_a_resend(
    fault: str, client: OmsClient, daemon: CcxtDaemon, sim: SimexProcess
) -> None:
    alerts = daemon.alerts("submit_outcome_unknown")
    # given the exchange acts on the next order but its reply never arrives (times out / connection reset),
    # and the user stream says nothing about it either
    sim.control.add_faults(
        {"kind": fault, "seconds": 3, "method": "POST", "path": ORDER},
        {"kind": "drop", "event": "executionReport", "times": 0},
    )
    reply = client.submit("BTC/USDT", "BUY", "0.7")
    # then omsd marks it UNKNOWN, queries it by client order id, and books both fills: one venue order, no resend
    wait_status(client, reply.order_id, "FILLED")
    assert daemon.alerts("submit_outcome_unknown") == alerts + 1
    assert_matches_exchange(client, sim, reply.order_id)
    assert order_of(client, reply.order_id).filled_qty == D("0.7")
