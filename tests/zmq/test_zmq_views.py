"""Read models over the real core's state: marks, PnL, balances, filters and pagination."""

from decimal import Decimal

import pytest

from oms_daemon import views
from oms_daemon.core.enums import OrderSide, OrderStatus, OrderType
from oms_daemon.core.inputs import MarketQuote, SubmitOrder
from oms_daemon.views import PositionSide
from tests.zmq.harness import CoreGateway

D = Decimal


@pytest.fixture
def oms() -> CoreGateway:
    gateway = CoreGateway()
    gateway.seed()
    return gateway


def submit(oms: CoreGateway, account: str = "A", strategy: str = "s1", side: str = "BUY", **fields: object) -> int:
    fields.setdefault("symbol", "BTC/USDT")
    fields.setdefault("quantity", D(1))
    events = oms.feed(
        SubmitOrder(
            ts_recv=oms.now_ns(),
            request_id="r",
            account_id=account,
            strategy_id=strategy,
            side=OrderSide(side),
            **fields,  # type: ignore[arg-type]
        )
    )
    return next(e.order_id for e in events if type(e).__name__ == "Replied")


def test_given_a_long_position_when_viewed_then_marked_at_mid_with_unrealized_pnl(oms: CoreGateway) -> None:
    oms.fill(submit(oms, quantity=D(2)), "2", "101")
    oms.quote("BTC/USDT", "110", "112")

    (position,) = views.positions(oms.state).items

    assert (position.side, position.quantity, position.mark_price) == (PositionSide.LONG, D(2), D(111))
    assert position.unrealized_pnl == D(20)


def test_given_only_a_last_trade_when_viewed_then_marked_at_last() -> None:
    oms = CoreGateway()
    oms.seed(quotes=False)
    oms.fill(
        submit(oms, symbol="ETH/USDT", side="SELL", quantity=D(3), order_type=OrderType.LIMIT, price=D(10)), "3", "10"
    )
    oms.feed(MarketQuote(ts_recv=oms.now_ns(), symbol="ETH/USDT", last=D(8)))

    (position,) = views.positions(oms.state, symbol="ETH/USDT").items

    assert (position.side, position.mark_price, position.unrealized_pnl) == (PositionSide.SHORT, D(8), D(6))


def test_given_a_margin_position_when_account_viewed_then_equity_includes_unrealized_pnl(oms: CoreGateway) -> None:
    oms.fill(submit(oms, account="M", symbol="ETH/USDT", quantity=D(100)), "100", "10")
    oms.quote("ETH/USDT", "11", "13")

    account = views.account_view(oms.state, "M")

    assert account is not None
    (usdt,) = account.balances
    assert (usdt.balance, usdt.unrealized_pnl, usdt.equity) == (D(100000), D(200), D(100200))
    assert account.used_margin == D(100)
    assert usdt.available == usdt.balance - account.used_margin and usdt.locked == account.used_margin


def test_given_a_working_buy_when_cash_account_viewed_then_its_quote_currency_is_locked(oms: CoreGateway) -> None:
    submit(oms, quantity=D(10), order_type=OrderType.LIMIT, price=D(95))

    account = views.account_view(oms.state, "A")

    assert account is not None
    usdt = next(b for b in account.balances if b.currency == "USDT")
    assert (usdt.locked, usdt.available, usdt.equity) == (D(950), D(999050), D(1000000))


def test_given_orders_of_many_kinds_when_filtered_then_only_matches_return(oms: CoreGateway) -> None:
    first = submit(oms)
    submit(oms, strategy="s2")
    third = submit(oms, symbol="ETH/USDT")
    since = oms.now_ns()
    oms.fill(first, "1", "101")
    refused = submit(oms, symbol="BTC/USDT", quantity=D(-1))

    assert [o.order_id for o in views.orders(oms.state, strategy="s1", scope="open").items] == [third]
    assert [o.order_id for o in views.orders(oms.state, scope="history").items] == [first, refused]
    assert [o.order_id for o in views.orders(oms.state, statuses=[OrderStatus.REJECTED]).items] == [refused]
    assert [o.order_id for o in views.orders(oms.state, since=since).items] == [first, refused]
    assert [o.order_id for o in views.orders(oms.state, symbol="ETH/USDT").items] == [third]


@pytest.mark.parametrize("scope", ["open", "all"])
@pytest.mark.parametrize("newest_first", [False, True])
def test_given_seven_orders_when_paged_by_three_then_every_order_comes_once_in_order(
    oms: CoreGateway, scope: views.Scope, newest_first: bool
) -> None:
    ids = [submit(oms) for _ in range(7)]

    pages, cursor = [], None
    while True:
        page = views.orders(oms.state, scope=scope, limit=3, cursor=cursor, newest_first=newest_first)
        pages.append([o.order_id for o in page.items])
        if page.next_cursor is None:
            break
        cursor = page.next_cursor

    expected = sorted(ids, reverse=newest_first)
    assert pages == [expected[0:3], expected[3:6], expected[6:7]]


def test_given_fills_on_two_orders_when_filtered_by_order_then_only_its_fills(oms: CoreGateway) -> None:
    one, two = submit(oms, quantity=D(2)), submit(oms)
    oms.fill(one, "1", "101")
    oms.fill(two, "1", "102")
    oms.fill(one, "1", "103")

    page = views.fills(oms.state, order_id=one, newest_first=True)

    assert [(f.order_id, f.price) for f in page.items] == [(one, D(103)), (one, D(101))]


def test_given_a_closed_position_when_history_listed_then_it_is_flat_without_a_mark(oms: CoreGateway) -> None:
    oms.fill(submit(oms), "1", "101")
    oms.fill(submit(oms, side="SELL"), "1", "105")

    assert views.positions(oms.state).items == []
    (closed,) = views.positions(oms.state, scope="history").items
    assert (closed.side, closed.is_open, closed.mark_price, closed.realized_pnl) == (
        PositionSide.FLAT,
        False,
        None,
        D(4),
    )


def test_given_activity_on_two_accounts_when_status_of_one_then_counts_cover_only_it(oms: CoreGateway) -> None:
    submit(oms)
    submit(oms, account="M", symbol="ETH/USDT")

    status = views.status(oms.state, account="M")

    assert [a.account_id for a in status.accounts] == ["M"]
    assert (status.order_count, status.open_order_count, len(status.open_orders)) == (1, 1, 1)
