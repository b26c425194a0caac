"""Properties of the core over generated input sequences (hypothesis)."""

from collections import defaultdict
from decimal import Decimal as D

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oms_daemon.core import Core
from oms_daemon.core.codec import decode_input, encode_input
from oms_daemon.core.enums import OrderSide, OrderStatus, OrderType
from oms_daemon.core.events import AlertRaised
from oms_daemon.core.inputs import (
    BalancesSnapshot,
    CancelOrder,
    CloseAll,
    ClosePosition,
    KillSwitch,
    MarketQuote,
    OpenOrdersSnapshot,
    PositionsSnapshot,
    ReplaceOrder,
    SessionStarted,
    SetArmed,
    SetSafeMode,
    SubmitOrder,
    SubmitOutcomeUnknown,
    TimerTick,
    VenueBalance,
    VenueCancelRejected,
    VenueFill,
    VenueOrderAccepted,
    VenueOrderCanceled,
    VenueOrderExpired,
    VenueOrderRejected,
    VenueOrderReplaced,
    VenueOrderReport,
    VenueOrderStatus,
    VenuePosition,
)
from tests.core.scenario import CONFIG

ACCOUNTS = {"spot": ("BTC/USDT", "ETH/USDT"), "fx": ("EURUSD",), "mt5": ("EURUSD",)}
QTYS = st.sampled_from([D("0.5"), D(1), D("1.5"), D(2), D(3)])
PRICES = st.sampled_from([D(9), D(10), D(11), D(100), D(101)])

actions = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "submit",
                "submit",
                "submit",
                "cancel",
                "replace",
                "close",
                "close_all",
                "quote",
                "ack",
                "ack",
                "reject",
                "fill",
                "fill",
                "fill",
                "fill_dup",
                "venue_cancel",
                "expire",
                "replaced",
                "cancel_rejected",
                "unknown",
                "status",
                "balances",
                "positions",
                "open_orders",
                "safe",
                "arm",
                "kill",
                "timer",
            ]
        ),
        st.integers(0, 50),
        st.integers(0, 50),
        QTYS,
        PRICES,
        st.booleans(),
    ),
    max_size=60,
)


def build_inputs(draws: list[tuple]) -> list:
    """Turn abstract draws into concrete inputs, feeding a live core so indexes resolve to real orders."""
    core = Core()
    ts = 0
    inputs = []
    trades = 0

    def push(inp):
        inputs.append(inp)
        core.step(inp)

    push(SessionStarted(ts_recv=1, config=CONFIG))
    for account in ACCOUNTS:
        push(
            BalancesSnapshot(
                ts_recv=2,
                account_id=account,
                balances=(VenueBalance(currency="USDT", total=D(10**6)), VenueBalance(currency="USD", total=D(10**6))),
            )
        )
    for kind, a, b, qty, price, flag in draws:
        ts += 10
        orders = list(core.state.orders.values())
        order = orders[a % len(orders)] if orders else None
        account = list(ACCOUNTS)[a % 3]
        symbol = ACCOUNTS[account][b % len(ACCOUNTS[account])]
        common = {"ts_recv": ts}
        intent = {**common, "request_id": f"r{ts}", "account_id": account, "strategy_id": f"s{1 + b % 2}"}
        venue = {**common, "account_id": order.account_id} if order else None
        match kind:
            case "submit":
                limit = flag
                push(
                    SubmitOrder(
                        **intent,
                        symbol=symbol,
                        side=OrderSide.BUY if b % 2 else OrderSide.SELL,
                        quantity=qty,
                        order_type=OrderType.LIMIT if limit else OrderType.MARKET,
                        price=price if limit else None,
                        idempotency_key=f"k{b % 4}" if a % 3 == 0 else None,
                    )
                )
            case "cancel" if order:
                push(
                    CancelOrder(
                        **{**intent, "account_id": order.account_id, "strategy_id": order.strategy_id},
                        order_id=order.order_id,
                    )
                )
            case "replace" if order:
                push(
                    ReplaceOrder(
                        **{**intent, "account_id": order.account_id, "strategy_id": order.strategy_id},
                        order_id=order.order_id,
                        quantity=order.quantity + qty,
                    )
                )
            case "close":
                push(ClosePosition(**intent, symbol=symbol, quantity=qty if flag else None))
            case "close_all":
                push(CloseAll(**intent))
            case "quote":
                push(MarketQuote(**common, symbol=symbol, bid=price, ask=price + 1, last=price))
            case "ack" if order:
                push(
                    VenueOrderAccepted(
                        **venue, client_order_id=order.client_order_id, venue_order_id=f"v{order.order_id}"
                    )
                )
            case "reject" if order:
                push(VenueOrderRejected(**venue, client_order_id=order.client_order_id, reason="no"))
            case "fill" | "fill_dup" if order:
                if kind == "fill":
                    trades += 1
                push(
                    VenueFill(
                        **venue,
                        client_order_id=order.client_order_id,
                        trade_id=f"T{max(trades, 1)}",
                        symbol=order.symbol,
                        side=order.side,
                        price=price,
                        quantity=qty,
                        commission=D("0.01") if flag else D(0),
                    )
                )
            case "venue_cancel" if order:
                push(VenueOrderCanceled(**venue, client_order_id=order.client_order_id))
            case "expire" if order:
                push(VenueOrderExpired(**venue, client_order_id=order.client_order_id))
            case "replaced" if order and order.replaces_id is not None:
                original = core.state.orders[order.replaces_id]
                push(
                    VenueOrderReplaced(
                        **venue, client_order_id=order.client_order_id, orig_client_order_id=original.client_order_id
                    )
                )
            case "cancel_rejected" if order:
                push(VenueCancelRejected(**venue, client_order_id=order.client_order_id, reason="late"))
            case "unknown" if order:
                push(SubmitOutcomeUnknown(**venue, client_order_id=order.client_order_id, reason="timeout"))
            case "status" if order:
                status = None if flag else OrderStatus.NEW
                push(VenueOrderStatus(**venue, client_order_id=order.client_order_id, status=status))
            case "balances":
                push(
                    BalancesSnapshot(
                        **common, account_id=account, balances=(VenueBalance(currency="USD", total=price),)
                    )
                )
            case "positions":
                push(
                    PositionsSnapshot(
                        **common, account_id=account, positions=(VenuePosition(symbol=symbol, quantity=qty),)
                    )
                )
            case "open_orders":
                report = VenueOrderReport(
                    client_order_id=None if flag else (order.client_order_id if order else None),
                    venue_order_id=f"ext{b}",
                    symbol=symbol,
                    side=OrderSide.BUY,
                    order_type=OrderType.LIMIT,
                    quantity=qty,
                    price=price,
                )
                push(OpenOrdersSnapshot(**common, account_id=account, orders=(report,)))
            case "safe":
                push(SetSafeMode(**common, operator="op", account_id=account, enabled=flag))
            case "arm":
                push(SetArmed(**common, operator="op", account_id=account, armed=flag))
            case "kill":
                push(KillSwitch(**common, operator="op", account_id=account, flatten=flag))
            case _:
                push(TimerTick(**common))
    return inputs


def run(inputs: list) -> tuple[Core, list]:
    core = Core()
    events = [e for inp in inputs for e in core.step(inp)]
    return core, events


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(actions, st.integers(min_value=1, max_value=7))
def test_digesting_touched_entities_along_the_way_leaves_the_state_hash_alone(draws: list, every: int) -> None:
    # given the same inputs stepped twice, one run taking the entity digests every few inputs (as the daemon
    # does once many entities are touched) and the other only at the end
    inputs = build_inputs(draws)
    once, _ = run(inputs)
    along = Core()
    for n, inp in enumerate(inputs, 1):
        along.step(inp)
        if n % every == 0:
            along.state.digest_touched()
            assert along.state.touched() == 0
    # then the state hashes agree
    assert along.state.state_hash() == once.state.state_hash()


@PROPERTY
@given(actions)
def test_replaying_the_journal_payloads_rebuilds_the_same_state(draws: list) -> None:
    inputs = build_inputs(draws)
    live, _ = run(inputs)
    replayed, _ = run([decode_input(encode_input(i)) for i in inputs])
    assert replayed.state.state_hash() == live.state.state_hash()
    assert replayed.state.orders == live.state.orders
    assert replayed.state.positions == live.state.positions
    assert replayed.state.accounts == live.state.accounts


@PROPERTY
@given(actions)
def test_position_quantity_equals_the_signed_fill_sum(draws: list) -> None:
    core, _ = run(build_inputs(draws))
    fill_sum: dict[tuple[str, str], D] = defaultdict(D)
    for fill in core.state.fills.values():
        fill_sum[(fill.account_id, fill.symbol)] += fill.signed_qty
    for key, total in fill_sum.items():
        assert core.state.net_quantity(key) == total


@PROPERTY
@given(actions)
def test_no_order_is_filled_beyond_its_quantity_without_an_overfill_alert(draws: list) -> None:
    core, events = run(build_inputs(draws))
    alerted = {e.order_id for e in events if isinstance(e, AlertRaised) and e.code == "overfill"}
    for order in core.state.orders.values():
        if order.filled_qty > order.quantity:
            assert order.order_id in alerted


@PROPERTY
@given(actions)
def test_an_idempotency_key_never_creates_a_second_order(draws: list) -> None:
    core, _ = run(build_inputs(draws))
    keys = [(o.account_id, o.strategy_id, o.idempotency_key) for o in core.state.orders.values() if o.idempotency_key]
    assert len(keys) == len(set(keys))


# --- duplicated and reordered venue events ---------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(QTYS, min_size=1, max_size=3), min_size=1, max_size=4),
    st.randoms(use_true_random=False),
    st.integers(0, 5),
)
def test_duplicated_and_reordered_venue_events_change_nothing_beyond_the_first_delivery(
    fills_per_order: list[list[D]], rnd, duplicates: int
) -> None:
    given = [SessionStarted(ts_recv=1, config=CONFIG)]
    given.append(
        BalancesSnapshot(ts_recv=2, account_id="spot", balances=(VenueBalance(currency="USDT", total=D(10**7)),))
    )
    given.append(MarketQuote(ts_recv=3, symbol="BTC/USDT", bid=D(100), ask=D(101)))
    venue_events = []
    for n, fills in enumerate(fills_per_order, start=1):
        given.append(
            SubmitOrder(
                ts_recv=10 + n,
                request_id=f"r{n}",
                account_id="spot",
                strategy_id="s1",
                symbol="BTC/USDT",
                side=OrderSide.BUY if n % 2 else OrderSide.SELL,
                quantity=sum(fills, D(0)),
            )
        )
        venue_events.append(
            VenueOrderAccepted(ts_recv=0, account_id="spot", client_order_id=f"t-{n}", venue_order_id=f"v{n}")
        )
        for k, qty in enumerate(fills):
            venue_events.append(
                VenueFill(
                    ts_recv=0,
                    account_id="spot",
                    client_order_id=f"t-{n}",
                    trade_id=f"T{n}-{k}",
                    symbol="BTC/USDT",
                    side=OrderSide.BUY if n % 2 else OrderSide.SELL,
                    price=D(100 + k),
                    quantity=qty,
                )
            )
    shuffled = list(venue_events)
    rnd.shuffle(shuffled)
    shuffled += [rnd.choice(venue_events) for _ in range(duplicates)]

    def outcome(stream):
        core, _ = run(given + [msgspec.structs.replace(e, ts_recv=100 + i) for i, e in enumerate(stream)])
        state = core.state
        fills = sorted((f.trade_id, f.quantity, f.price) for f in state.fills.values())
        orders = {o.order_id: (o.status, o.filled_qty, o.avg_fill_price) for o in state.orders.values()}
        return fills, orders, state.net_quantity(("spot", "BTC/USDT")), state.accounts["spot"].balances

    assert outcome(shuffled) == outcome(venue_events)


def test_a_foreign_decimal_context_on_the_thread_does_not_change_decisions() -> None:
    """ccxt sets ROUND_HALF_UP (and traps Underflow) on the thread's context; replay must still agree."""
    import decimal

    from tests.core.scenario import Scenario

    def trade() -> str:
        s = Scenario()
        s.fund("spot", USDT="1000000.123456789", BTC="10")
        s.quote("BTC/USDT", "60000.12", "60000.13")
        for n in range(5):
            s.fill(s.working(qty="0.123"), "0.123", f"60000.{13 + n}", commission=D("0.0073800159"))
        return s.state.state_hash()

    clean = trade()
    saved = decimal.getcontext().copy()
    try:
        decimal.getcontext().rounding, decimal.getcontext().prec = decimal.ROUND_UP, 6
        dirty = trade()
    finally:
        decimal.setcontext(saved)
    assert dirty == clean
