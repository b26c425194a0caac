"""Configuration of the embedded paper venue; the daemon's TOML embeds it under ``[paper]``."""

from decimal import Decimal

import msgspec

__all__ = ["PaperSymbol", "PaperVenueConfig"]


class PaperSymbol(msgspec.Struct, frozen=True, kw_only=True):
    """One simulated market: where the random walk starts and how it moves."""

    symbol: str
    start_price: Decimal
    volatility_bps: Decimal = Decimal("5")
    spread_bps: Decimal = Decimal("2")
    touch_size: Decimal = Decimal("1")
    tick_size: Decimal = Decimal("0.01")


def _demo_symbols() -> tuple[PaperSymbol, ...]:
    return (
        PaperSymbol(symbol="BTC/USDT", start_price=Decimal("60000"), touch_size=Decimal("0.5")),
        PaperSymbol(
            symbol="ETH/USDT", start_price=Decimal("3000"), volatility_bps=Decimal("8"), touch_size=Decimal("5")
        ),
    )


def _demo_balances() -> dict[str, dict[str, Decimal]]:
    return {"paper-1": {"USDT": Decimal("100000"), "BTC": Decimal("0.5"), "ETH": Decimal("5")}}


class PaperVenueConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Latency, costs, book shape, market data source and starting balances of the paper venue.

    Market data comes from ``quotes_csv`` if set, else ``candles_csv``, else a random walk over
    ``symbols`` seeded by ``seed``; one step every ``quote_interval_ms`` (0: only on
    ``PaperVenue.advance()``). ``balances`` maps account id -> currency -> amount. The simulated book
    has ``book_depth`` levels per side, ``level_step_bps`` apart, each as large as the touch.
    """

    seed: int = 7
    latency_ms: tuple[float, float] = (1.0, 5.0)
    slippage_bps: Decimal = Decimal("1")
    commission_bps: Decimal = Decimal("10")
    quote_interval_ms: float = 200
    quotes_csv: str | None = None
    candles_csv: str | None = None
    candle_spread_bps: Decimal = Decimal("2")
    level_step_bps: Decimal = Decimal("5")
    book_depth: int = 5
    symbols: tuple[PaperSymbol, ...] = msgspec.field(default_factory=_demo_symbols)
    balances: dict[str, dict[str, Decimal]] = msgspec.field(default_factory=_demo_balances)
