"""Properties of PaperExchange over arbitrary order flow: deterministic, gapless, never overdrawn."""

from decimal import Decimal

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oms_daemon.core.enums import OrderStatus
from oms_daemon.core.inputs import (
    VenueEvent,
    VenueFill,
    VenueOrderAccepted,
    VenueOrderReplaced,
)
from oms_daemon.core.model import Order
from tests.adapters.paper_support import BUY, DAY_NS, GTC, LIMIT, MARKET, SELL, STOP, STOP_LIMIT, D, Desk
from tests.adapters.paper_support import DAY as DAY_TIF
from tests.adapters.paper_support import FOK as FOK_TIF
from tests.adapters.paper_support import IOC as IOC_TIF

_side = st.sampled_from([BUY, SELL])
_type = st.sampled_from([MARKET, LIMIT, STOP, STOP_LIMIT])
_tif = st.sampled_from([GTC, IOC_TIF, FOK_TIF, DAY_TIF])
_qty = st.sampled_from(["0.5", "1", "2.5", "4", "7"])
_account = st.sampled_from(["acct", "poor"])
_op = st.one_of(
    st.tuples(st.just("quote"), st.integers(-20, 20), st.sampled_from(["0.5", "2", "5"]), st.booleans()),
    st.tuples(
        st.just("submit"), _account, _side, _type, _tif, _qty, st.integers(-12, 12), st.integers(-12, 12), st.booleans()
    ),
    st.tuples(st.just("cancel"), st.integers(0, 40)),
    st.tuples(st.just("modify"), st.integers(0, 40), _qty, st.integers(-12, 12)),
    st.tuples(
        st.just("next_day"),
    ),
)
Ops = list[tuple]


def _price(offset: int) -> Decimal:
    return D(100) + D(offset) * D("0.25")


def play(ops: Ops) -> tuple[Desk, list[VenueEvent], dict[str, Order]]:
    """Run ``ops`` on a fresh desk with costs; returns it, every event, and the orders by client id."""
    desk = Desk(
        balances={"acct": {"USD": D(2000), "BTC": D(10)}, "poor": {"USD": D(150)}},
        slippage_bps=D(3),
        commission_bps=D(10),
    )
    events = desk.quote()
    sent: dict[str, Order] = {}
    live: list[Order] = []
    for op in ops:
        match op:
            case ("quote", offset, size, with_last):
                mid = _price(offset)
                last = str(mid) if with_last else None
                events += desk.quote(str(mid - D("0.05")), str(mid + D("0.05")), size, last=last)
            case ("submit", account, side, order_type, tif, qty, price, stop, post_only):
                order = desk.order(
                    side,
                    qty,
                    order_type,
                    price=str(_price(price)) if order_type in (LIMIT, STOP_LIMIT) else None,
                    stop=str(_price(stop)) if order_type in (STOP, STOP_LIMIT) else None,
                    tif=tif,
                    account=account,
                    post_only=post_only and order_type == LIMIT,
                )
                sent[order.client_order_id] = order
                live.append(order)
                events += desk.exchange.submit(order, desk.tick())
            case ("cancel", pick) if live:
                events += desk.exchange.cancel(live[pick % len(live)], desk.tick())
            case ("modify", pick, qty, price) if live:
                order = live[pick % len(live)]
                desk.seq += 1
                replacement = msgspec.structs.replace(
                    order,
                    order_id=desk.seq,
                    client_order_id=f"c{desk.seq}",
                    quantity=D(qty),
                    price=_price(price) if order.price is not None else None,
                )
                sent[replacement.client_order_id] = replacement
                produced = desk.exchange.modify(order, replacement, desk.tick())
                if any(isinstance(e, VenueOrderReplaced) for e in produced):
                    live[live.index(order)] = replacement
                events += produced
            case ("next_day",):
                desk.now = (desk.now // DAY_NS + 1) * DAY_NS
                events += desk.quote()
    return desk, events, sent


_settings = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_settings
@given(st.lists(_op, max_size=40))
def test_given_the_same_order_flow_when_replayed_then_the_same_events_byte_for_byte(ops: Ops) -> None:
    _, first, _ = play(ops)
    _, second, _ = play(ops)
    assert msgspec.json.encode(first) == msgspec.json.encode(second)


@_settings
@given(st.lists(_op, max_size=40))
def test_given_any_order_flow_then_venue_seq_is_gapless_per_account(ops: Ops) -> None:
    _, events, _ = play(ops)
    seen: dict[str, int] = {}
    for event in events:
        assert event.venue_seq == seen.get(event.account_id, 0) + 1
        seen[event.account_id] = event.venue_seq


@_settings
@given(st.lists(_op, max_size=40))
def test_given_any_order_flow_then_cash_is_never_overdrawn_and_fills_follow_acks(ops: Ops) -> None:
    desk, events, sent = play(ops)
    for account in ("acct", "poor"):
        for balance in desk.exchange.balances(account, desk.now).balances:
            assert balance.total >= 0, (account, balance)
            assert balance.free is not None and balance.free >= 0, (account, balance)
    known: set[str] = set()
    filled: dict[str, Decimal] = {}
    for event in events:
        if isinstance(event, VenueOrderAccepted | VenueOrderReplaced):
            known.add(event.client_order_id)
        elif isinstance(event, VenueFill):
            assert event.client_order_id in known
            cid = event.client_order_id
            filled[cid] = filled.get(cid, D(0)) + event.quantity
            assert event.commission == event.price * event.quantity * D("0.001")
    for cid, qty in filled.items():
        assert qty <= sent[cid].quantity
        status = desk.exchange.query(sent[cid].account_id, cid, desk.tick())
        assert status.status is None or status.filled_qty is not None


@_settings
@given(st.lists(_op, max_size=40))
def test_given_any_order_flow_then_positions_are_the_fill_sums(ops: Ops) -> None:
    desk, events, _ = play(ops)
    for account in ("acct", "poor"):
        expected = sum(
            (
                e.quantity if e.side is BUY else -e.quantity
                for e in events
                if isinstance(e, VenueFill) and e.account_id == account
            ),
            D(0),
        )
        assert desk.position(account=account) == expected
        open_orders = desk.exchange.open_orders(account, desk.now).orders
        assert all(o.status in (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED) for o in open_orders)
        assert all(o.filled_qty < o.quantity for o in open_orders)
