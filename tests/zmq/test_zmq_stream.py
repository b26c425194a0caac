"""The PUB event stream: topics by prefix, payloads, sequence numbers, what is and is not published."""

from decimal import Decimal

from oms_daemon.client import AsyncOmsClient
from oms_daemon.core.enums import AlertSeverity, OrderStatus
from oms_daemon.core.events import AlertRaised
from oms_daemon.views import PositionSide
from oms_daemon.zmq_api.schema import AccountEvent, FillEvent, OrderEvent, PositionEvent
from tests.zmq.harness import Daemon, eventually, listen

D = Decimal


async def test_given_two_strategies_when_each_submits_then_each_hears_only_its_own_orders(daemon: Daemon) -> None:
    async with (
        AsyncOmsClient(daemon.requests, daemon.events, account="A", strategy="s1") as one,
        AsyncOmsClient(daemon.requests, daemon.events, account="A", strategy="s2") as two,
    ):
        heard_one, heard_two = await listen(daemon, one), await listen(daemon, two)

        mine = await one.submit("BTC/USDT", "BUY", "1")
        theirs = await two.submit("BTC/USDT", "BUY", "1")

        await eventually(lambda: heard_one.of("order") and heard_two.of("order"))
        await heard_one.stop()
        await heard_two.stop()
    assert [m.data.order_id for m in heard_one.of("order")] == [mine.order_id]
    assert [m.data.order_id for m in heard_two.of("order")] == [theirs.order_id]


async def test_given_a_fill_when_published_then_fill_position_order_and_account_arrive_numbered_per_topic(
    daemon: Daemon, client: AsyncOmsClient
) -> None:
    heard = await listen(daemon, client)
    placed = await client.submit("BTC/USDT", "BUY", "2")

    daemon.call(daemon.gateway.fill, placed.order_id, "2", "101")

    await eventually(lambda: heard.of("account"))
    await heard.stop()
    kinds = [type(m) for m in heard.messages]
    assert kinds == [OrderEvent, FillEvent, PositionEvent, OrderEvent, AccountEvent]
    per_kind: dict[type, list[int]] = {}
    for message in heard.messages:
        per_kind.setdefault(type(message), []).append(message.seq)
    assert all(seqs == list(range(1, len(seqs) + 1)) for seqs in per_kind.values()), per_kind
    fill, position, order = heard.messages[1].data, heard.messages[2].data, heard.messages[3].data
    assert (fill.quantity, fill.price, fill.strategy_id) == (D(2), D(101), "s1")
    assert (position.side, position.quantity, position.mark_price) == (PositionSide.LONG, D(2), D("100.5"))
    assert order.status is OrderStatus.FILLED


async def test_given_an_operator_change_when_published_then_mode_arrives_on_the_account_topic(
    daemon: Daemon, client: AsyncOmsClient
) -> None:
    heard = await listen(daemon, client)

    await client.safe_mode(True, reason="drill", operator="alice")

    await eventually(lambda: heard.of("mode"))
    await heard.stop()
    (mode,) = heard.of("mode")
    assert (mode.data.account_id, mode.data.safe, mode.data.operator, mode.data.reason) == ("A", True, "alice", "drill")


async def test_given_alerts_when_published_then_account_and_daemon_wide_alerts_are_heard(
    daemon: Daemon, client: AsyncOmsClient
) -> None:
    heard = await listen(daemon, client)
    alerts = [
        AlertRaised(code="for_a", severity=AlertSeverity.WARNING, message="a", account_id="A"),
        AlertRaised(code="for_m", severity=AlertSeverity.WARNING, message="m", account_id="M"),
        AlertRaised(code="daemon", severity=AlertSeverity.CRITICAL, message="all", amount=D("1.5")),
    ]

    daemon.call(daemon.api.publish, alerts)

    await eventually(lambda: len(heard.of("alert")) == 2)
    await heard.stop()
    assert [(m.data.code, m.data.amount) for m in heard.of("alert")] == [("for_a", None), ("daemon", D("1.5"))]


async def test_given_default_config_when_quotes_move_then_nothing_is_published(daemon: Daemon) -> None:
    async with AsyncOmsClient(daemon.requests, daemon.events, topics=[""]) as everything:
        heard = await listen(daemon, everything)

        daemon.call(daemon.gateway.quote, "BTC/USDT", "102", "103")
        daemon.call(daemon.api.publish, [AlertRaised(code="marker", severity=AlertSeverity.INFO, message="m")])

        await eventually(lambda: heard.of("alert"))
        await heard.stop()
    assert heard.of("quote") == []


async def test_given_publish_quotes_when_quotes_move_then_they_arrive_on_the_quote_topic() -> None:
    with Daemon(publish_quotes=True) as daemon:
        async with AsyncOmsClient(daemon.requests, daemon.events, topics=["_/_/"]) as watcher:
            heard = await listen(daemon, watcher, account="_")

            daemon.call(daemon.gateway.quote, "BTC/USDT", "102", "104")

            await eventually(lambda: heard.of("quote"))
            await heard.stop()
    (quote,) = heard.of("quote")
    assert (quote.data.symbol, quote.data.bid, quote.data.mid) == ("BTC/USDT", D(102), D(103))
