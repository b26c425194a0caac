"""A cancel that overtakes its own submit, against the simulated exchange (a separate process) holding the submit.

The exchange holds the order request (``stall``: then does it; ``blackhole``: then drops it without doing
anything) while the strategy cancels; the cancel reaches the exchange first and bounces "Unknown order sent".
Whatever the submit then does, omsd and the exchange end agreeing: a canceled order in both, or none at the
exchange and a closed one in omsd, never a phantom working order. Reconciliation meanwhile stays bounded.
"""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.ccxt.config import Credentials
from adapters.ccxt.exchange import build_rest
from oms_daemon.client import OmsClient
from simex import SimexProcess
from tests.ccxt.daemon import CcxtDaemon, eventually, order_of
from tests.ccxt.journal_census import census, reconciliation_fills
from tests.ccxt.support import API_KEY, SECRET, account_config
from tests.ccxt.truth import wait_status

ORDER = "/api/v3/order"
HELD_S = 1.0  # less than the account's recvWindow (2 s): a stalled order is still placed when released


@pytest.fixture
def sim() -> Iterator[SimexProcess]:
    """A fresh exchange per test (each test's omsd starts its client order ids afresh)."""
    with SimexProcess() as process:
        yield process


@pytest.fixture
def daemon(sim: SimexProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CcxtDaemon]:
    """omsd on ``bn-1``, fresh per test: each reads its own journal."""
    with CcxtDaemon(tmp_path_factory.mktemp("omsd"), sim, poll_interval_s=0.5) as process:
        yield process


def hold_and_cancel(client: OmsClient, sim: SimexProcess, kind: str) -> int:
    """Submit a resting buy that the exchange holds (``kind``), cancel it at once; the cancel bounces."""
    bounced = sim.control.stats()["rest"].get("DELETE /api/v3/order", 0)
    sim.control.add_faults({"kind": kind, "seconds": HELD_S, "method": "POST", "path": ORDER})
    reply = client.submit("BTC/USDT", "BUY", "0.01", order_type="LIMIT", price="50000")
    assert reply.ok and reply.order_id is not None
    assert client.cancel(reply.order_id).ok
    eventually(lambda: sim.control.stats()["rest"].get("DELETE /api/v3/order", 0) > bounced)
    return reply.order_id


def test_given_a_held_submit_canceled_when_the_exchange_places_it_after_all_then_the_cancel_is_sent_again(
    client: OmsClient, daemon: CcxtDaemon, sim: SimexProcess
) -> None:
    order_id = hold_and_cancel(client, sim, "stall")
    cid = order_of(client, order_id).client_order_id
    # then, once the held submit lands, the exchange has the order canceled, and omsd says so too
    eventually(lambda: [o["status"] for o in sim.control.orders(client_order_id=cid)] == ["CANCELED"], timeout=10)
    assert wait_status(client, order_id, "CANCELED").filled_qty == 0
    assert sim.control.stats()["engine"].get("duplicates_refused", 0) == 0


def test_given_a_held_submit_canceled_when_the_exchange_drops_it_then_canceled_after_the_grace_and_not_working(
    client: OmsClient, daemon: CcxtDaemon, sim: SimexProcess
) -> None:
    order_id = hold_and_cancel(client, sim, "blackhole")
    cid = order_of(client, order_id).client_order_id
    # then omsd ends the order CANCELED (the exchange never got it), and does not count it as working
    order = wait_status(client, order_id, "CANCELED", timeout=15)
    assert order.message == "canceled before it reached the venue"
    assert sim.control.orders(client_order_id=cid) == []
    assert not [o for o in client.orders().items if o.order_id == order_id]


def test_given_an_unsettled_order_when_an_operator_reconciles_then_passes_and_fills_stay_bounded(
    sim: SimexProcess, tmp_path: Path
) -> None:
    # given omsd without REST sweeps (only reconciliation finds what the stream missed)
    with CcxtDaemon(tmp_path, sim, poll_interval_s=0) as daemon, daemon.client() as client:
        # and 5 trades the user stream never delivered (the exchange drops their reports)
        sim.control.add_faults({"kind": "drop", "event": "executionReport", "times": 0})
        asyncio.run(trade_directly(sim, 5))
        sim.control.clear_faults()
        # and an order whose cancel overtook its held submit, the submit dropped
        order_id = hold_and_cancel(client, sim, "blackhole")
        before = census(daemon.journal)
        # when an operator reconciles while the order is unsettled, then again once it is settled
        assert client.reconcile(reason="test").ok
        eventually(lambda: len(reconciliation_fills(daemon.journal)) == 5, timeout=10)
        wait_status(client, order_id, "CANCELED", timeout=15)
        assert client.reconcile(reason="again").ok
        eventually(lambda: census(daemon.journal)["ReconciliationSnapshot"] >= before["ReconciliationSnapshot"] + 2)
        after = census(daemon.journal)
        # then each missed trade was journaled once (not again by the second pass), and the passes were few
        assert sorted(reconciliation_fills(daemon.journal)) == sorted(str(t["id"]) for t in sim.control.trades())
        assert after["VenueFill"] == 5
        assert after["ReconciliationSnapshot"] - before["ReconciliationSnapshot"] <= 4
        assert after["VenueOrderStatus"] - before["VenueOrderStatus"] <= 10


async def trade_directly(sim: SimexProcess, count: int) -> None:
    """``count`` market buys on the account straight at the exchange, not through omsd."""
    rest = build_rest(account_config(sim), Credentials(API_KEY, SECRET))
    try:
        await rest.load_markets()
        for _ in range(count):
            await rest.create_order("BTC/USDT", "market", "buy", 0.001)
    finally:
        await rest.close()
