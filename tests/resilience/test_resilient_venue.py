"""``ResilientVenue`` over real adapters: the ccxt adapter against the simulated exchange with faults switched on,
and the paper venue. What goes into the inbox is what the daemon would journal."""

import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal

import msgspec
import pytest

from adapters.ccxt import CcxtVenue
from adapters.paper import PaperVenue
from adapters.resilience import ResilientVenue
from adapters.testing import OrderFactory, RecordingInbox
from oms_daemon.core.enums import OrderSide, OrderType
from oms_daemon.core.events import CancelAtVenue, SubmitToVenue
from oms_daemon.core.inputs import (
    CommandDeadLettered,
    SubmitOutcomeUnknown,
    VenueAvailability,
    VenueFill,
    VenueOrderAccepted,
    VenueOrderCanceled,
    VenueOrderRejected,
)
from simex import SimexProcess
from tests.ccxt.daemon import subscriptions
from tests.ccxt.support import ACCOUNT, FAST, ccxt_venue
from tests.http.daemon import eventually_async

ORDER = {"method": "POST", "path": "/api/v3/order"}


@pytest.fixture(scope="module")
def sim() -> Iterator[SimexProcess]:
    with SimexProcess() as process:
        yield process


@pytest.fixture
def inbox() -> RecordingInbox:
    return RecordingInbox()


@pytest.fixture
async def venue(sim: SimexProcess, inbox: RecordingInbox) -> AsyncIterator[CcxtVenue]:
    adapter = ccxt_venue(sim, poll_interval_s=0)
    yield adapter
    await adapter.disconnect()
    sim.control.clear_faults()


@pytest.fixture
async def resilient(venue: CcxtVenue, inbox: RecordingInbox, sim: SimexProcess) -> AsyncIterator[ResilientVenue]:
    wrapped = ResilientVenue(venue, inbox, FAST, [ACCOUNT])  # binds its guards before connect, as the daemon does
    subscribed = subscriptions(sim)
    await venue.connect(inbox)
    # the user stream is up before a test injects faults: a stream process still starting could otherwise
    # subscribe inside a test's 429 window, and the exchange would ban the key for it
    await eventually_async(lambda: subscriptions(sim) > subscribed, timeout=15)
    yield wrapped
    await wrapped.close()


@pytest.fixture
def make_order() -> OrderFactory:
    return OrderFactory(ACCOUNT, "BTC/USDT")


def posts(sim: SimexProcess) -> int:
    return int(sim.control.stats()["rest"].get("POST /api/v3/order", 0))


async def test_given_a_5xx_on_submit_then_outcome_unknown_and_never_resent(
    resilient: ResilientVenue, inbox: RecordingInbox, sim: SimexProcess, make_order: OrderFactory
) -> None:
    order = make_order(OrderSide.BUY, Decimal("0.01"))
    sim.control.add_faults({"kind": "http_error", "status": 503, "times": 0} | ORDER)
    before = posts(sim)
    # when
    outcome = await resilient.execute(SubmitToVenue(account_id=ACCOUNT, order=order))
    # then one POST only, and the core is told the outcome is unknown
    assert outcome == "unknown" and posts(sim) == before + 1
    (unknown,) = inbox.of(SubmitOutcomeUnknown, client_order_id=order.client_order_id)
    assert "503" in unknown.reason


async def test_given_a_429_on_submit_then_resent_after_retry_after_without_a_ban(
    resilient: ResilientVenue, inbox: RecordingInbox, sim: SimexProcess, make_order: OrderFactory
) -> None:
    order = make_order(OrderSide.BUY, Decimal("0.01"))
    sim.control.add_faults({"kind": "http_error", "status": 429, "retry_after": 1} | ORDER)
    started = time.monotonic()
    outcome = await resilient.execute(SubmitToVenue(account_id=ACCOUNT, order=order))
    assert outcome == "retried" and time.monotonic() - started >= 1.0
    await inbox.eventually(lambda: inbox.of(VenueFill, client_order_id=order.client_order_id))
    assert len(sim.control.orders(client_order_id=order.client_order_id)) == 1
    assert not sim.control.stats()["faults"].get("escalated_to_418")


async def test_given_the_exchange_unreachable_then_a_submit_is_resent_then_dead_lettered(
    venue: CcxtVenue, inbox: RecordingInbox, sim: SimexProcess, make_order: OrderFactory
) -> None:
    # given a breaker that will not open during this test, and an exchange nobody can connect to
    resilient = ResilientVenue(venue, inbox, msgspec.structs.replace(FAST, circuit_breaker_threshold=1000), [ACCOUNT])
    await venue.connect(inbox)
    order = make_order(OrderSide.BUY, Decimal("0.01"))
    sim.control.outage()
    try:
        with contextlib.suppress(Exception):  # the pooled keep-alive connection dies here, not in the submit
            await venue.balances(ACCOUNT)
        # when a submit cannot even connect (nothing sent: safe to resend, up to max_retries times)
        outcome = await resilient.execute(SubmitToVenue(account_id=ACCOUNT, order=order))
    finally:
        sim.control.resume()
        await resilient.close()
    # then it is dead-lettered after every attempt, and the exchange never saw it
    assert outcome == "dead_lettered"
    (letter,) = inbox.of(CommandDeadLettered)
    assert letter.attempts == FAST.max_retries + 1 and letter.command.order == order
    assert sim.control.orders(client_order_id=order.client_order_id) == []


async def test_given_the_exchange_down_then_the_breaker_opens_gates_submits_and_closes_on_return(
    resilient: ResilientVenue, inbox: RecordingInbox, sim: SimexProcess, make_order: OrderFactory
) -> None:
    sim.control.outage()
    try:
        # when the streams keep failing to reconnect, the breaker opens for the account
        await inbox.eventually(lambda: inbox.of(VenueAvailability, available=False), what="breaker open")
        # then a new order is not even sent while it is open
        gated = make_order(OrderSide.BUY, Decimal("0.01"))
        assert await resilient.execute(SubmitToVenue(account_id=ACCOUNT, order=gated)) == "gated"
        (refused,) = inbox.of(VenueOrderRejected, client_order_id=gated.client_order_id)
        assert refused.reason == "venue_unavailable"
    finally:
        sim.control.resume()
    # and when the exchange is back, the probe or the streams close it again
    await inbox.eventually(lambda: inbox.of(VenueAvailability, available=True), timeout=5, what="breaker closed")


async def test_given_a_5xx_on_cancel_then_the_cancel_is_resent_and_done(
    resilient: ResilientVenue, inbox: RecordingInbox, sim: SimexProcess, make_order: OrderFactory
) -> None:
    order = make_order(OrderSide.BUY, Decimal("0.01"), OrderType.LIMIT, price=Decimal("50000"))
    await resilient.execute(SubmitToVenue(account_id=ACCOUNT, order=order))
    await inbox.eventually(lambda: inbox.of(VenueOrderAccepted, client_order_id=order.client_order_id))
    sim.control.add_faults({"kind": "http_error", "status": 503, "method": "DELETE", "path": "/api/v3/order"})
    assert await resilient.execute(CancelAtVenue(account_id=ACCOUNT, order=order)) == "retried"
    await inbox.eventually(lambda: inbox.of(VenueOrderCanceled, client_order_id=order.client_order_id))
    assert sim.control.orders(client_order_id=order.client_order_id)[0]["status"] == "CANCELED"


async def test_given_the_paper_venue_then_commands_go_through_unchanged(make_order: OrderFactory) -> None:
    inbox = RecordingInbox()
    paper = PaperVenue()
    resilient = ResilientVenue(paper, inbox, FAST, ["paper-1"])
    await paper.connect(inbox)
    try:
        order = OrderFactory("paper-1", "BTC/USDT")(OrderSide.BUY, Decimal("0.01"))
        assert await resilient.execute(SubmitToVenue(account_id="paper-1", order=order)) == "ok"
        await inbox.eventually(lambda: inbox.of(VenueFill, client_order_id=order.client_order_id))
    finally:
        await paper.disconnect()
        await resilient.close()
