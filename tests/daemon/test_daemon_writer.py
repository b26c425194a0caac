"""The writer's batches: in what order their effects leave (replies, venue calls, stream events), and the state
checksums they journal when they take the entity digests themselves."""

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from journal import read_journal
from oms_daemon.app import Daemon
from oms_daemon.config import load_config
from oms_daemon.core.enums import OrderSide, OrderType
from oms_daemon.core.events import Event, Replied
from oms_daemon.core.inputs import SubmitOrder
from oms_daemon.core.model import Order
from oms_daemon.venues import build_venues
from replay import fold
from tests.daemon.process import DaemonProcess


def market_buy(daemon: Daemon, request_id: str, quantity: str = "0.001") -> SubmitOrder:
    return SubmitOrder(
        ts_recv=daemon.now_ns(),
        request_id=request_id,
        account_id="paper-1",
        strategy_id="replies",
        symbol="BTC/USDT",
        side=OrderSide.BUY,
        quantity=Decimal(quantity),
        order_type=OrderType.MARKET,
    )


class Heard:
    """What left the writer, in order: replies (through their hooks), venue submits, publications."""

    def __init__(self) -> None:
        self.order: list[str] = []

    def replied(self, reply: Replied) -> None:
        self.order.append(f"reply {reply.request_id}")

    def published(self, events: list[Event]) -> None:
        self.order.append("published")


@pytest.fixture
def heard() -> Heard:
    return Heard()


@pytest.fixture
async def daemon(tmp_path: Path, heard: Heard) -> AsyncIterator[Daemon]:
    """omsd in this process on the paper venue (the subprocess tests' config), stopped afterwards.

    The real paper venue, with its submits noted in ``heard`` as they reach it.
    """
    config = load_config(DaemonProcess(tmp_path).config)
    venues = build_venues(config)
    paper = venues["paper"]
    submit = paper.submit

    async def noted_submit(order: Order) -> None:
        heard.order.append("venue submit")
        await submit(order)

    paper.submit = noted_submit  # type: ignore[method-assign]
    running = Daemon(config, venues=venues)
    await running.start()
    running.add_publisher(heard.published)
    yield running
    await running.stop()


async def test_given_intents_without_venue_calls_then_each_reply_leaves_before_its_events(
    daemon: Daemon, heard: Heard
) -> None:
    # when two intents go into one batch, each with a reply hook, and both are refused (no funds for them)
    futures = [daemon.submit(market_buy(daemon, f"r{n}", "1000000"), heard.replied) for n in (1, 2)]
    replies = await asyncio.gather(*futures)
    # then each reply left as soon as its intent was applied, and the intent's events right after it
    assert heard.order[:4] == ["reply r1", "published", "reply r2", "published"]
    # and the futures resolved with the same replies
    assert [(r.request_id, r.ok, r.reason) for r in replies] == [(f"r{n}", False, "insufficient_funds") for n in (1, 2)]


async def test_given_an_intent_that_calls_the_venue_then_the_call_goes_out_before_its_events(
    daemon: Daemon, heard: Heard
) -> None:
    # when a market buy is accepted (a venue submit)
    reply = await daemon.submit(market_buy(daemon, "r1"), heard.replied)
    await asyncio.sleep(0.05)  # its publication, on the next loop turn, and the paper venue's fill
    # then the reply left first, then the venue call, and only then the stream heard of the order
    assert reply.ok and heard.order[:3] == ["reply r1", "venue submit", "published"]


async def test_given_a_failing_reply_hook_then_the_writer_carries_on_and_the_future_still_resolves(
    daemon: Daemon,
) -> None:
    # given a reply hook with a bug
    def broken(reply: Replied) -> None:
        raise RuntimeError("an ingress bug")

    # when a request's reply hook raises
    first = await asyncio.wait_for(daemon.submit(market_buy(daemon, "r1"), broken), 5)
    # then its future still resolves, and the writer takes the next request
    second = await asyncio.wait_for(daemon.submit(market_buy(daemon, "r2")), 5)
    assert first.ok and second.ok and not daemon.failed


async def test_given_entity_digests_taken_after_each_batch_then_every_journaled_checksum_verifies(
    tmp_path: Path,
) -> None:
    # given a daemon that journals a state checksum every 5 inputs, while its entity digests are taken
    # after each batch (a callback on the loop) rather than at the checksum
    config = load_config(DaemonProcess(tmp_path, checksum_every=5).config)
    daemon = Daemon(config)
    await daemon.start()
    try:
        # when orders are placed and the paper venue fills them
        for n in range(10):
            assert (await daemon.submit(market_buy(daemon, f"r{n}"))).ok
        await asyncio.sleep(0.2)
    finally:
        await daemon.stop()
    # then replaying the journal verifies every checksum against the recomputed state
    _, result = fold(read_journal([Path(config.daemon.journal_dir)]), verify=True)
    assert result.checksums_verified >= 5
