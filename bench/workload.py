"""A deterministic mixed OMS workload: quotes, submits, acks, partial fills, fills and cancels."""

from collections.abc import Iterator
from decimal import Decimal

from oms_daemon.core.config import AccountConfig, CoreConfig, Instrument
from oms_daemon.core.enums import OrderSide, OrderType
from oms_daemon.core.inputs import (
    BalancesSnapshot,
    CancelOrder,
    Input,
    MarketQuote,
    SessionStarted,
    SubmitOrder,
    VenueBalance,
    VenueFill,
    VenueOrderAccepted,
    VenueOrderCanceled,
)

__all__ = ["BENCH_CONFIG", "mixed_inputs"]

BENCH_CONFIG = CoreConfig(
    instance_id="bench",
    accounts=(AccountConfig(account_id="acct", venue="paper", armed_on_start=True),),
    instruments=(
        Instrument(symbol="BTC/USDT", base_currency="BTC", quote_currency="USDT", tick_size=Decimal("0.01")),
        Instrument(symbol="ETH/USDT", base_currency="ETH", quote_currency="USDT", tick_size=Decimal("0.01")),
    ),
)


def mixed_inputs(count: int, start_ns: int = 1_767_225_600_000_000_000) -> Iterator[Input]:
    """``count`` inputs; every order is acknowledged, then partially filled and filled or canceled."""
    ts = start_ns
    yield SessionStarted(ts_recv=ts, config=BENCH_CONFIG)
    yield BalancesSnapshot(
        ts_recv=ts,
        account_id="acct",
        balances=(
            VenueBalance(currency="USDT", total=Decimal(10**12)),
            VenueBalance(currency="BTC", total=Decimal(10**9)),
        ),
    )
    emitted = 2
    order_id = 0
    trade = 0
    symbols = ("BTC/USDT", "ETH/USDT")
    half, one = Decimal("0.5"), Decimal(1)
    while emitted < count:
        order_id += 1
        ts += 1_000
        symbol = symbols[order_id & 1]
        price = Decimal(100 + order_id % 7)
        side = OrderSide.BUY if order_id % 3 else OrderSide.SELL
        cid = f"bench-{order_id}"
        cycle: list[Input] = [
            MarketQuote(ts_recv=ts, symbol=symbol, bid=price - 1, ask=price + 1, last=price),
            SubmitOrder(
                ts_recv=ts + 1,
                request_id=f"r{order_id}",
                account_id="acct",
                strategy_id="bench",
                symbol=symbol,
                side=side,
                quantity=one,
                order_type=OrderType.LIMIT,
                price=price,
            ),
            VenueOrderAccepted(ts_recv=ts + 2, account_id="acct", client_order_id=cid, venue_order_id=f"v{order_id}"),
        ]
        trade += 1
        cycle.append(_fill(ts + 3, cid, f"T{trade}", symbol, side, price, half))
        if order_id % 4:
            trade += 1
            cycle.append(_fill(ts + 4, cid, f"T{trade}", symbol, side, price, half))
        else:
            cycle.append(
                CancelOrder(
                    ts_recv=ts + 4, request_id=f"c{order_id}", account_id="acct", strategy_id="bench", order_id=order_id
                )
            )
            cycle.append(VenueOrderCanceled(ts_recv=ts + 5, account_id="acct", client_order_id=cid))
        yield from cycle[: count - emitted]
        emitted += len(cycle)


def _fill(
    ts: int, cid: str, trade_id: str, symbol: str, side: OrderSide, price: Decimal, quantity: Decimal
) -> VenueFill:
    return VenueFill(
        ts_recv=ts,
        account_id="acct",
        client_order_id=cid,
        trade_id=trade_id,
        symbol=symbol,
        side=side,
        price=price,
        quantity=quantity,
    )
