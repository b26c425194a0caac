"""Every request type over real ZeroMQ sockets, through the Python clients, against the real core."""

from decimal import Decimal

import pytest

from oms_daemon.client import AsyncOmsClient, OmsClient, OmsRejected, OmsTimeout
from oms_daemon.core.enums import OrderStatus
from oms_daemon.core.reasons import Reason
from oms_daemon.views import PositionSide, PreviewView
from tests.zmq.harness import Daemon

D = Decimal


async def test_given_funded_account_when_submit_then_reply_carries_the_new_order_id(client: AsyncOmsClient) -> None:
    reply = await client.submit("BTC/USDT", "BUY", D("0.5"), order_type="LIMIT", price=D("99.5"))

    assert reply.ok and reply.order_id == 1 and reply.reason is None
    page = await client.orders()
    assert [(o.order_id, o.status, o.price, o.quantity) for o in page.items] == [
        (1, OrderStatus.PENDING_NEW, D("99.5"), D("0.5"))
    ]


async def test_given_an_order_with_a_key_when_the_key_is_sent_again_then_the_same_order_id_returns(
    client: AsyncOmsClient,
) -> None:
    first = await client.submit("BTC/USDT", "BUY", "1", idempotency_key="k-1")

    again = await client.submit("BTC/USDT", "BUY", "1", idempotency_key="k-1")

    assert first.ok and again.ok and again.order_id == first.order_id
    assert "duplicate" in (again.message or "")
    assert len((await client.orders()).items) == 1


async def test_given_an_unknown_symbol_when_submit_then_the_core_reason_comes_back(client: AsyncOmsClient) -> None:
    reply = await client.submit("DOGE/USDT", "BUY", "1")

    assert not reply.ok and reply.reason == Reason.UNKNOWN_SYMBOL and "DOGE" in (reply.message or "")


async def test_given_raise_on_reject_when_refused_then_oms_rejected_carries_the_reply(daemon: Daemon) -> None:
    async with AsyncOmsClient(daemon.requests, account="R", strategy="beta", raise_on_reject=True) as client:
        with pytest.raises(OmsRejected) as refused:
            await client.submit("BTC/USDT", "BUY", "1")

    assert refused.value.reason == Reason.STRATEGY_NOT_PERMITTED
    assert refused.value.reply.ok is False


async def test_given_a_quote_when_preview_then_data_is_a_typed_preview(client: AsyncOmsClient) -> None:
    reply = await client.preview("BTC/USDT", "BUY", "2")

    assert reply.ok
    assert isinstance(reply.data, PreviewView)
    assert (reply.data.reference_price, reply.data.notional, reply.data.position_after) == (D(101), D(202), D(2))


async def test_given_too_little_cash_when_preview_then_not_ok_with_refusals(client: AsyncOmsClient) -> None:
    reply = await client.preview("BTC/USDT", "BUY", "100000")

    assert not reply.ok
    assert [r.reason for r in reply.data.refusals] == [Reason.INSUFFICIENT_FUNDS]


async def test_given_a_working_order_when_cancel_then_it_is_pending_cancel(
    daemon: Daemon, client: AsyncOmsClient
) -> None:
    placed = await client.submit("BTC/USDT", "BUY", "1", order_type="LIMIT", price="90")
    daemon.call(daemon.gateway.accept, placed.order_id)

    reply = await client.cancel(placed.order_id)

    assert reply.ok and reply.order_id == placed.order_id
    assert (await client.orders()).items[0].status is OrderStatus.PENDING_CANCEL


async def test_given_a_working_order_when_replace_then_the_replacement_has_a_new_id(
    daemon: Daemon, client: AsyncOmsClient
) -> None:
    placed = await client.submit("BTC/USDT", "BUY", "1", order_type="LIMIT", price="90")
    daemon.call(daemon.gateway.accept, placed.order_id)

    reply = await client.replace(placed.order_id, price=D("91"))

    assert reply.ok and reply.order_id == placed.order_id + 1
    orders = {o.order_id: o for o in (await client.orders()).items}
    assert orders[placed.order_id].status is OrderStatus.PENDING_REPLACE
    assert orders[reply.order_id].price == D("91") and orders[reply.order_id].replaces_id == placed.order_id


async def test_given_an_unknown_order_when_cancel_then_order_not_found(client: AsyncOmsClient) -> None:
    reply = await client.cancel(999)

    assert not reply.ok and reply.reason == Reason.ORDER_NOT_FOUND


async def test_given_a_filled_buy_when_close_position_then_a_reducing_sell_is_placed(
    daemon: Daemon, client: AsyncOmsClient
) -> None:
    placed = await client.submit("BTC/USDT", "BUY", "2")
    daemon.call(daemon.gateway.fill, placed.order_id, "2", "101")

    reply = await client.close_position("BTC/USDT")

    assert reply.ok and reply.order_ids == (placed.order_id + 1,)
    closing = (await client.orders(newest_first=True)).items[0]
    assert (closing.side, closing.quantity, closing.reduce_only) == ("SELL", D(2), True)


async def test_given_two_positions_when_close_all_then_one_order_per_symbol(
    daemon: Daemon, client: AsyncOmsClient
) -> None:
    for symbol in ("BTC/USDT", "ETH/USDT"):
        placed = await client.submit(symbol, "BUY", "1")
        daemon.call(daemon.gateway.fill, placed.order_id, "1", "100")

    reply = await client.close_all()

    assert reply.ok and len(reply.order_ids) == 2


async def test_given_no_position_when_close_position_then_no_position(client: AsyncOmsClient) -> None:
    reply = await client.close_position("ETH/USDT")

    assert not reply.ok and reply.reason == Reason.NO_POSITION


async def test_given_a_fill_when_queried_then_fills_positions_and_account_agree(
    daemon: Daemon, client: AsyncOmsClient
) -> None:
    placed = await client.submit("BTC/USDT", "BUY", "2")
    daemon.call(daemon.gateway.fill, placed.order_id, "2", "101")
    daemon.call(daemon.gateway.quote, "BTC/USDT", "104", "106")

    fills = await client.fills()
    positions = await client.positions()
    account = await client.account()

    assert [(f.order_id, f.quantity, f.price) for f in fills.items] == [(placed.order_id, D(2), D(101))]
    (position,) = positions.items
    assert (position.side, position.mark_price, position.unrealized_pnl) == (PositionSide.LONG, D(105), D(8))
    usdt = next(b for b in account.balances if b.currency == "USDT")
    assert usdt.balance == D(1000000) - D(202)


async def test_given_orders_of_two_strategies_when_listed_then_own_by_default_all_on_request(
    daemon: Daemon, client: AsyncOmsClient
) -> None:
    async with AsyncOmsClient(daemon.requests, account="A", strategy="s2") as other:
        await other.submit("BTC/USDT", "BUY", "1")
    await client.submit("BTC/USDT", "BUY", "1")

    own = await client.orders()
    every = await client.orders(all_strategies=True)

    assert [o.strategy_id for o in own.items] == ["s1"]
    assert sorted(o.strategy_id for o in every.items) == ["s1", "s2"]


async def test_given_many_orders_when_paged_then_cursors_walk_every_order_once(client: AsyncOmsClient) -> None:
    for _ in range(5):
        await client.submit("BTC/USDT", "BUY", "0.1")

    seen, cursor = [], None
    while True:
        page = await client.orders(limit=2, cursor=cursor)
        seen += [o.order_id for o in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor

    assert seen == [1, 2, 3, 4, 5]


async def test_given_an_unknown_account_when_queried_then_unknown_account_is_raised(daemon: Daemon) -> None:
    async with AsyncOmsClient(daemon.requests, account="nope", strategy="s1") as client:
        with pytest.raises(OmsRejected) as refused:
            await client.orders()

    assert refused.value.reason == Reason.UNKNOWN_ACCOUNT


async def test_given_a_daemon_when_status_then_every_account_and_mode_is_listed(client: AsyncOmsClient) -> None:
    await client.submit("BTC/USDT", "BUY", "1")

    status = await client.status()

    assert [(a.account_id, a.armed) for a in status.accounts] == [("A", True), ("M", True), ("R", True)]
    assert (status.open_order_count, status.order_count, status.instance_id) == (1, 1, "t")


async def test_given_safe_mode_when_submit_then_safe_mode_refuses(client: AsyncOmsClient) -> None:
    switched = await client.safe_mode(True, reason="drill")

    reply = await client.submit("BTC/USDT", "BUY", "1")

    assert switched.ok and (await client.account()).safe
    assert not reply.ok and reply.reason == Reason.SAFE_MODE


async def test_given_no_confirm_when_arm_then_confirmation_required(client: AsyncOmsClient) -> None:
    await client.disarm(reason="drill")

    unconfirmed = await client.arm(confirm=False)
    confirmed = await client.arm(confirm=True, reason="back")

    assert not unconfirmed.ok and unconfirmed.reason == "confirmation_required"
    assert confirmed.ok and (await client.account()).armed


async def test_given_working_orders_when_kill_then_they_are_canceled_and_the_account_disarmed(
    client: AsyncOmsClient,
) -> None:
    placed = await client.submit("BTC/USDT", "BUY", "1", order_type="LIMIT", price="90")

    reply = await client.kill(reason="drill")

    assert reply.ok and reply.order_ids == (placed.order_id,)
    account = await client.account()
    assert (account.armed, account.killed) == (False, True)


async def test_given_stop_accepting_when_intent_then_shutting_down_but_queries_still_answer(
    daemon: Daemon, client: AsyncOmsClient
) -> None:
    daemon.call(daemon.api.stop_accepting)

    reply = await client.submit("BTC/USDT", "BUY", "1")

    assert not reply.ok and reply.reason == "shutting_down"
    assert (await client.orders()).items == []


async def test_given_a_closed_gateway_when_intent_then_shutting_down(daemon: Daemon, client: AsyncOmsClient) -> None:
    daemon.call(setattr, daemon.gateway, "closed", True)

    reply = await client.cancel(1)

    assert not reply.ok and reply.reason == "shutting_down"


def test_given_the_blocking_client_when_used_then_it_does_what_the_async_one_does(daemon: Daemon) -> None:
    with OmsClient(daemon.requests, account="A", strategy="sync") as client:
        placed = client.submit("ETH/USDT", "SELL", D("1.25"), order_type="LIMIT", price="12")
        orders = client.orders()
        status = client.status()

    assert placed.ok
    assert [(o.order_id, o.side, o.quantity) for o in orders.items] == [(placed.order_id, "SELL", D("1.25"))]
    assert status.open_order_count == 1


def test_given_a_float_amount_when_submitting_from_python_then_the_client_refuses_before_sending(
    daemon: Daemon,
) -> None:
    with OmsClient(daemon.requests, account="A", strategy="sync") as client, pytest.raises(TypeError, match="float"):
        client.submit("ETH/USDT", "SELL", 1.5)  # type: ignore[arg-type]


async def test_given_no_daemon_when_a_request_waits_past_the_timeout_then_oms_timeout() -> None:
    async with AsyncOmsClient("tcp://127.0.0.1:9", account="A", strategy="s1", timeout=0.05) as client:
        with pytest.raises(OmsTimeout, match=r"within 0\.05 s"):
            await client.status()


def test_given_no_daemon_when_the_blocking_client_waits_past_the_timeout_then_oms_timeout() -> None:
    with OmsClient("tcp://127.0.0.1:9", account="A", strategy="s1", timeout=0.05) as client, pytest.raises(OmsTimeout):
        client.cancel(1)
