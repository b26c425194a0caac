"""PaperExchange driven by the real OMS core: after any order flow the venue's snapshots reconcile cleanly.

The core's commands go to the exchange, the exchange's events go back to the core, exactly as the
daemon's writer task does (minus the journal and the latency). Then the venue's balances, positions and
open orders must agree with the core to the digit: a balances snapshot changes nothing, a positions
snapshot raises no mismatch, every order has the same status on both sides.
"""

from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.paper import PaperExchange
from oms_daemon.core import Core
from oms_daemon.core.config import AccountConfig, CoreConfig, Instrument
from oms_daemon.core.enums import AccountKind, OrderSide, OrderStatus, OrderType, TimeInForce
from oms_daemon.core.events import (
    AlertRaised,
    CancelAtVenue,
    Event,
    ModifyAtVenue,
    PositionsMarkedDirty,
    QueryAtVenue,
    SubmitToVenue,
)
from oms_daemon.core.inputs import (
    CancelOrder,
    Input,
    MarketQuote,
    ReplaceOrder,
    SessionStarted,
    SubmitOrder,
    VenueEvent,
)

D = Decimal
BTC = Instrument(symbol="BTC/USDT", base_currency="BTC", quote_currency="USDT", tick_size=D("0.01"))
EURUSD = Instrument(symbol="EURUSD", base_currency="EUR", quote_currency="USD", margin_rate=D("0.05"))
CONFIG = CoreConfig(
    instance_id="t",
    accounts=(
        AccountConfig(account_id="spot", venue="paper", armed_on_start=True),
        AccountConfig(account_id="fx", venue="paper", kind=AccountKind.MARGIN, armed_on_start=True),
    ),
    instruments=(BTC, EURUSD),
)


class Loop:
    """The core and the exchange wired together, one input at a time."""

    def __init__(self) -> None:
        self.core = Core()
        self.exchange = PaperExchange(
            [BTC, EURUSD],
            balances={"spot": {"USDT": D("250000"), "BTC": D("1")}, "fx": {"USD": D("50000")}},
            accounts=CONFIG.accounts,
            slippage_bps=D("1"),
            commission_bps=D("10"),
            level_step_bps=D("5"),
            book_depth=3,
        )
        self.ts = 0
        self.requests = 0
        self.step(SessionStarted, config=CONFIG)
        for account in ("spot", "fx"):
            self.core.step(self.exchange.balances(account, self.clock()))

    def clock(self) -> int:
        self.ts += 1_000
        return self.ts

    def step(self, kind: type[Input], **fields: Any) -> list[Event]:
        return self.handle(self.core.step(kind(ts_recv=self.clock(), **fields)))

    def handle(self, events: list[Event]) -> list[Event]:
        """Send the core's venue commands to the exchange and its answers back to the core."""
        out = list(events)
        for event in events:
            now = self.clock()
            answers: list[VenueEvent]
            match event:
                case SubmitToVenue(order=order):
                    answers = self.exchange.submit(order, now)
                case CancelAtVenue(order=order):
                    answers = self.exchange.cancel(order, now)
                case ModifyAtVenue(order=order, replacement=replacement):
                    answers = self.exchange.modify(order, replacement, now)
                case QueryAtVenue(account_id=account_id, client_order_id=cid):
                    answers = [self.exchange.query(account_id, cid, now)]
                case _:
                    continue
            for answer in answers:
                out += self.handle(self.core.step(answer))
        return out

    def quote(self, symbol: str, bid: str, ask: str, size: str) -> None:
        now = self.clock()
        venue_events = self.exchange.on_quote(symbol, D(bid), D(ask), D(size), D(size), None, now)
        self.core.step(
            MarketQuote(ts_recv=now, symbol=symbol, bid=D(bid), ask=D(ask), bid_size=D(size), ask_size=D(size))
        )
        for event in venue_events:
            self.handle(self.core.step(event))

    def request(self, kind: type[Input], **fields: Any) -> list[Event]:
        self.requests += 1
        return self.step(kind, request_id=f"r{self.requests}", strategy_id="s", **fields)

    def assert_reconciled(self) -> None:
        """Snapshots from the venue change nothing in the core; order statuses agree."""
        for account in ("spot", "fx"):
            assert self.core.step(self.exchange.balances(account, self.clock())) == [], account
            events = self.core.step(self.exchange.positions(account, self.clock()))
            assert not [e for e in events if isinstance(e, AlertRaised | PositionsMarkedDirty)], events
            assert self.core.step(self.exchange.open_orders(account, self.clock())) == [], account
        for order in self.core.state.orders.values():
            if order.status is OrderStatus.REJECTED and order.venue_order_id is None:
                continue  # refused by the core's own checks or by the venue before it knew the order
            venue = self.exchange.query(order.account_id, order.client_order_id, self.clock())
            assert (venue.status, venue.filled_qty) == (order.status, order.filled_qty), order


def test_given_spot_flow_when_snapshots_arrive_then_nothing_to_reconcile() -> None:
    loop = Loop()
    loop.quote("BTC/USDT", "59990.00", "60000.00", "0.5")
    buy = dict(account_id="spot", symbol="BTC/USDT", side=OrderSide.BUY)
    loop.request(SubmitOrder, quantity=D("1.2"), **buy)  # walks three levels
    loop.request(SubmitOrder, quantity=D("0.3"), order_type=OrderType.LIMIT, price=D("59000"), **buy)
    loop.request(
        SubmitOrder,
        account_id="spot",
        symbol="BTC/USDT",
        side=OrderSide.SELL,
        quantity=D("0.4"),
        order_type=OrderType.LIMIT,
        price=D("60100"),
        time_in_force=TimeInForce.IOC,
    )
    resting = max(loop.core.state.orders)
    loop.request(SubmitOrder, quantity=D("0.2"), order_type=OrderType.LIMIT, price=D("59500"), **buy)
    loop.request(ReplaceOrder, account_id="spot", order_id=resting + 1, quantity=D("0.25"), price=D("59400"))
    loop.request(CancelOrder, account_id="spot", order_id=resting - 1)
    loop.quote("BTC/USDT", "59300.00", "59390.00", "0.1")  # crosses the replaced order (partly)
    loop.assert_reconciled()
    statuses = sorted(o.status for o in loop.core.state.orders.values())
    assert OrderStatus.REPLACED in statuses and OrderStatus.PARTIALLY_FILLED in statuses


def test_given_margin_round_trips_when_snapshots_arrive_then_nothing_to_reconcile() -> None:
    loop = Loop()
    fx = dict(account_id="fx", symbol="EURUSD")
    loop.quote("EURUSD", "1.0999", "1.1001", "500000")
    loop.request(SubmitOrder, side=OrderSide.BUY, quantity=D("300000"), **fx)
    loop.quote("EURUSD", "1.1049", "1.1051", "500000")
    loop.request(SubmitOrder, side=OrderSide.SELL, quantity=D("500000"), **fx)  # flips short
    loop.quote("EURUSD", "1.0949", "1.0951", "100000")
    loop.request(SubmitOrder, side=OrderSide.BUY, quantity=D("150000"), **fx)  # walks two levels
    loop.assert_reconciled()
    assert loop.core.state.net_quantity(("fx", "EURUSD")) == D("-50000")


_side = st.sampled_from([OrderSide.BUY, OrderSide.SELL])
_op = st.one_of(
    st.tuples(st.just("quote"), st.integers(-40, 40), st.sampled_from(["0.1", "0.5", "2"])),
    st.tuples(st.just("market"), _side, st.sampled_from(["0.05", "0.3", "0.7", "1.5"])),
    st.tuples(st.just("limit"), _side, st.sampled_from(["0.1", "0.4"]), st.integers(-30, 30)),
    st.tuples(st.just("cancel"), st.integers(0, 50)),
    st.tuples(st.just("replace"), st.integers(0, 50), st.integers(-30, 30)),
    st.tuples(st.just("fx_quote"), st.integers(-40, 40)),
    st.tuples(st.just("fx_market"), _side, st.sampled_from(["50000", "120000", "700000"])),
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_op, min_size=1, max_size=25))
def test_given_any_spot_and_margin_flow_when_snapshots_arrive_then_nothing_to_reconcile(ops: list[tuple]) -> None:
    loop = Loop()
    loop.quote("BTC/USDT", "59990.00", "60000.00", "0.5")
    loop.quote("EURUSD", "1.0999", "1.1001", "300000")
    for op in ops:
        working = sorted(
            oid
            for oid, o in loop.core.state.orders.items()
            if o.status in (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED) and o.account_id == "spot"
        )
        match op:
            case ("quote", offset, size):
                mid = D(60000) + D(offset) * 25
                loop.quote("BTC/USDT", str(mid - 5), str(mid + 5), size)
            case ("market", side, qty):
                loop.request(SubmitOrder, account_id="spot", symbol="BTC/USDT", side=side, quantity=D(qty))
            case ("limit", side, qty, offset):
                price = D(60000) + D(offset) * 25
                loop.request(
                    SubmitOrder,
                    account_id="spot",
                    symbol="BTC/USDT",
                    side=side,
                    quantity=D(qty),
                    order_type=OrderType.LIMIT,
                    price=price,
                )
            case ("cancel", pick) if working:
                loop.request(CancelOrder, account_id="spot", order_id=working[pick % len(working)])
            case ("fx_quote", offset):
                mid = D("1.1") + D(offset) * D("0.0005")
                loop.quote("EURUSD", str(mid - D("0.0001")), str(mid + D("0.0001")), "300000")
            case ("fx_market", side, qty):
                loop.request(SubmitOrder, account_id="fx", symbol="EURUSD", side=side, quantity=D(qty))
            case ("replace", pick, offset) if working:
                loop.request(
                    ReplaceOrder,
                    account_id="spot",
                    order_id=working[pick % len(working)],
                    price=D(60000) + D(offset) * 25 + 10,
                )
    loop.assert_reconciled()
