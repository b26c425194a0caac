"""When a reply leaves the writer: at once for a socket's reply hook, before the batch's publication."""

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from oms_daemon.app import Daemon
from oms_daemon.config import load_config
from oms_daemon.core.enums import OrderSide, OrderType
from oms_daemon.core.events import Event, Replied
from oms_daemon.core.inputs import SubmitOrder
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


@pytest.fixture
async def daemon(tmp_path: Path) -> AsyncIterator[Daemon]:
    """omsd in this process on the paper venue (the subprocess tests' config), stopped afterwards."""
    running = Daemon(load_config(DaemonProcess(tmp_path).config))
    await running.start()
    yield running
    await running.stop()


async def test_given_reply_hooks_when_a_batch_is_applied_then_each_hears_its_reply_before_publication(
    daemon: Daemon,
) -> None:
    # given a stream publisher that notes when it is called
    heard: list[str] = []

    def published(events: list[Event]) -> None:
        heard.append("published")

    def replied(reply: Replied) -> None:
        heard.append(f"reply {reply.request_id}")

    daemon.add_publisher(published)
    # when two intents go into one batch, each with a reply hook; both are refused (the funds are not
    # there), so no venue call defers the batch's publication: it happens in the same writer step
    futures = [daemon.submit(market_buy(daemon, f"r{n}", "1000000"), replied) for n in (1, 2)]
    replies = await asyncio.gather(*futures)
    # then both hooks heard their replies, in order, before the batch's events were published
    assert heard[:3] == ["reply r1", "reply r2", "published"]
    # and the futures resolved with the same replies
    assert [(r.request_id, r.ok, r.reason) for r in replies] == [(f"r{n}", False, "insufficient_funds") for n in (1, 2)]


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
