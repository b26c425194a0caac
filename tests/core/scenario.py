"""A small given/when/then vocabulary over the real core for tests."""

from decimal import Decimal
from typing import Any

from oms_daemon.core import Core
from oms_daemon.core.config import AccountConfig, CoreConfig, Instrument
from oms_daemon.core.enums import AccountKind, OrderSide, PositionMode
from oms_daemon.core.events import AlertRaised, Event, OrderUpdated, Replied
from oms_daemon.core.inputs import (
    BalancesSnapshot,
    Input,
    MarketQuote,
    SessionStarted,
    SubmitOrder,
    VenueBalance,
    VenueFill,
    VenueOrderAccepted,
)
from oms_daemon.core.model import Order

D = Decimal

BTC = Instrument(
    symbol="BTC/USDT", base_currency="BTC", quote_currency="USDT", step_size=D("0.001"), tick_size=D("0.01")
)
ETH = Instrument(symbol="ETH/USDT", base_currency="ETH", quote_currency="USDT", min_notional=D("10"))
EURUSD = Instrument(
    symbol="EURUSD", base_currency="EUR", quote_currency="USD", multiplier=D(1), margin_rate=D("0.05"), fee_bps=D(1)
)

CONFIG = CoreConfig(
    instance_id="t",
    accounts=(
        AccountConfig(account_id="spot", venue="paper", armed_on_start=True, symbols=("BTC/USDT", "ETH/USDT")),
        AccountConfig(
            account_id="fx",
            venue="paper",
            kind=AccountKind.MARGIN,
            settlement_currency="USD",
            armed_on_start=True,
            strategies=("s1", "s2"),
        ),
        AccountConfig(
            account_id="mt5",
            venue="mt5",
            kind=AccountKind.MARGIN,
            position_mode=PositionMode.HEDGING,
            settlement_currency="USD",
            armed_on_start=True,
        ),
        AccountConfig(account_id="live", venue="ccxt"),
    ),
    instruments=(BTC, ETH, EURUSD),
)


class Scenario:
    """Drives a real ``Core`` with auto-incrementing receive times and remembers every event."""

    def __init__(self, config: CoreConfig = CONFIG) -> None:
        self.core = Core()
        self.ts = 0
        self.trade_seq = 0
        self.request_seq = 0
        self.inputs: list[Input] = []
        self.apply(SessionStarted, config=config)

    @property
    def state(self) -> Any:
        return self.core.state

    def apply(self, kind: type[Input], **fields: Any) -> list[Event]:
        self.ts += 1_000
        inp = kind(ts_recv=self.ts, **fields)
        self.inputs.append(inp)
        return self.core.step(inp)

    def request(self, kind: type[Input], **fields: Any) -> list[Event]:
        self.request_seq += 1
        fields.setdefault("request_id", f"r{self.request_seq}")
        fields.setdefault("strategy_id", "s1")
        return self.apply(kind, **fields)

    # --- givens -----------------------------------------------------------------------------------

    def fund(self, account: str, **balances: str) -> None:
        self.apply(
            BalancesSnapshot,
            account_id=account,
            balances=tuple(VenueBalance(currency=c, total=D(v)) for c, v in balances.items()),
        )

    def quote(self, symbol: str, bid: str, ask: str, last: str | None = None) -> None:
        self.apply(MarketQuote, symbol=symbol, bid=D(bid), ask=D(ask), last=D(last) if last else None)

    def submit(self, account: str = "spot", symbol: str = "BTC/USDT", side: str = "BUY", qty: str = "1", **kw: Any):
        return self.request(SubmitOrder, account_id=account, symbol=symbol, side=OrderSide(side), quantity=D(qty), **kw)

    def placed(self, **kw: Any) -> Order:
        """Submit and return the created order (asserting it was accepted)."""
        events = self.submit(**kw)
        reply = replies(events)[0]
        assert reply.ok, reply
        return self.order(reply.order_id)

    def ack(self, order: Order, venue_id: str | None = None) -> list[Event]:
        return self.apply(
            VenueOrderAccepted,
            account_id=order.account_id,
            client_order_id=order.client_order_id,
            venue_order_id=venue_id or f"v{order.order_id}",
        )

    def fill(self, order: Order, qty: str, price: str, trade_id: str | None = None, **kw: Any) -> list[Event]:
        if trade_id is None:
            self.trade_seq += 1
            trade_id = f"x{self.trade_seq}"
        return self.apply(
            VenueFill,
            account_id=order.account_id,
            client_order_id=order.client_order_id,
            trade_id=trade_id,
            symbol=order.symbol,
            side=order.side,
            price=D(price),
            quantity=D(qty),
            **kw,
        )

    def working(self, **kw: Any) -> Order:
        """An order placed and acknowledged."""
        order = self.placed(**kw)
        self.ack(order)
        return self.order(order.order_id)

    def order(self, order_id: int | None) -> Order:
        assert order_id is not None
        return self.state.orders[order_id]

    def net(self, account: str, symbol: str) -> Decimal:
        return self.state.net_quantity((account, symbol))


def replies(events: list[Event]) -> list[Replied]:
    return [e for e in events if isinstance(e, Replied)]


def alerts(events: list[Event], code: str | None = None) -> list[AlertRaised]:
    return [e for e in events if isinstance(e, AlertRaised) and (code is None or e.code == code)]


def of_type(events: list[Event], kind: type) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


def statuses(events: list[Event]) -> list[str]:
    return [e.order.status for e in events if isinstance(e, OrderUpdated)]
