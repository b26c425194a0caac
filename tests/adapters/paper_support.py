"""Given/when/then vocabulary for PaperExchange tests: a funded exchange, quotes and orders."""

from decimal import Decimal
from typing import Any

from adapters.paper import PaperExchange
from oms_daemon.core.config import AccountConfig, Instrument
from oms_daemon.core.enums import AccountKind, OrderSide, OrderType, TimeInForce
from oms_daemon.core.inputs import VenueEvent, VenueFill
from oms_daemon.core.model import Order

D = Decimal
BUY, SELL = OrderSide.BUY, OrderSide.SELL
MARKET, LIMIT, STOP, STOP_LIMIT = OrderType.MARKET, OrderType.LIMIT, OrderType.STOP, OrderType.STOP_LIMIT
GTC, IOC, FOK, DAY = TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK, TimeInForce.DAY
DAY_NS = 86_400 * 10**9

BTC = Instrument(symbol="BTC/USD", base_currency="BTC", quote_currency="USD", tick_size=D("0.01"))
RAW = Instrument(symbol="RAW/USD", base_currency="RAW", quote_currency="USD")  # no tick: exact arithmetic
EURUSD = Instrument(symbol="EURUSD", base_currency="EUR", quote_currency="USD", margin_rate=D("0.05"))
FX = AccountConfig(account_id="fx", venue="paper", kind=AccountKind.MARGIN)


class Desk:
    """One ``PaperExchange`` with a clock that moves 1 us per call and an order factory."""

    def __init__(self, **options: Any) -> None:
        options.setdefault("balances", {"acct": {"USD": D("100000"), "BTC": D("10")}})
        options.setdefault("level_step_bps", D("10"))
        options.setdefault("book_depth", 3)
        options.setdefault("accounts", (FX,))
        self.exchange = PaperExchange([BTC, RAW, EURUSD], **options)
        self.now = 1_000_000
        self.seq = 0

    def tick(self) -> int:
        self.now += 1_000
        return self.now

    def quote(
        self,
        bid: str | None = "99.90",
        ask: str | None = "100.00",
        size: str | None = "2",
        last: str | None = None,
        symbol: str = "BTC/USD",
    ) -> list[VenueEvent]:
        """A new top of book; sizes are the same on both sides."""
        return self.exchange.on_quote(
            symbol,
            D(bid) if bid else None,
            D(ask) if ask else None,
            D(size) if size else None,
            D(size) if size else None,
            D(last) if last else None,
            self.tick(),
        )

    def order(
        self,
        side: OrderSide = BUY,
        qty: str = "1",
        order_type: OrderType = MARKET,
        price: str | None = None,
        stop: str | None = None,
        tif: TimeInForce = GTC,
        account: str = "acct",
        symbol: str = "BTC/USD",
        **fields: Any,
    ) -> Order:
        self.seq += 1
        return Order(
            order_id=self.seq,
            client_order_id=f"c{self.seq}",
            account_id=account,
            strategy_id="s",
            symbol=symbol,
            side=side,
            order_type=order_type,
            quantity=D(qty),
            time_in_force=tif,
            price=D(price) if price else None,
            stop_price=D(stop) if stop else None,
            **fields,
        )

    def submit(self, *args: Any, **kwargs: Any) -> tuple[Order, list[VenueEvent]]:
        order = self.order(*args, **kwargs)
        return order, self.exchange.submit(order, self.tick())

    def balance(self, currency: str, account: str = "acct") -> Decimal:
        snapshot = self.exchange.balances(account, self.now)
        return next((b.total for b in snapshot.balances if b.currency == currency), D(0))

    def free(self, currency: str, account: str = "acct") -> Decimal:
        snapshot = self.exchange.balances(account, self.now)
        return next((b.free for b in snapshot.balances if b.currency == currency), D(0)) or D(0)

    def position(self, symbol: str = "BTC/USD", account: str = "acct") -> Decimal:
        snapshot = self.exchange.positions(account, self.now)
        return next((p.quantity for p in snapshot.positions if p.symbol == symbol), D(0))

    def open_ids(self, account: str = "acct") -> list[str | None]:
        return [o.client_order_id for o in self.exchange.open_orders(account, self.now).orders]


def kinds(events: list[VenueEvent]) -> list[str]:
    """Event type names, in order."""
    return [type(e).__name__ for e in events]


def fills(events: list[VenueEvent]) -> list[tuple[Decimal, Decimal]]:
    """(price, quantity) of every fill, in order."""
    return [(e.price, e.quantity) for e in events if isinstance(e, VenueFill)]
