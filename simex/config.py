"""What the simulated exchange trades: symbols with Binance filters and a book, accounts with keys and balances.

``SimexConfig`` is read from a JSON file (``python -m simex --config FILE``) or built in code; every
field has a demo default so ``python -m simex`` alone serves BTCUSDT and ETHUSDT to one funded account.
"""

from decimal import Decimal
from pathlib import Path

import msgspec

__all__ = ["SimAccount", "SimSymbol", "SimexConfig", "load_config"]

Level = tuple[Decimal, Decimal]
"""(price, quantity) of one book level."""


class SimSymbol(msgspec.Struct, frozen=True, kw_only=True):
    """One spot market: Binance's symbol id, assets, filters and the book the engine matches against.

    With ``replenish`` the book is not depleted by our orders (each order sees the configured levels
    again); without it, fills consume liquidity until the book is set anew through the control API.
    """

    symbol: str
    base: str
    quote: str
    tick_size: Decimal = Decimal("0.01")
    step_size: Decimal = Decimal("0.00001")
    min_qty: Decimal = Decimal("0.00001")
    max_qty: Decimal = Decimal("9000")
    min_price: Decimal = Decimal("0.01")
    max_price: Decimal = Decimal("1000000")
    min_notional: Decimal = Decimal("5")
    bids: tuple[Level, ...] = ()
    asks: tuple[Level, ...] = ()
    replenish: bool = True


class SimAccount(msgspec.Struct, frozen=True, kw_only=True):
    """An API key pair and the balances (asset -> free amount) the account starts with."""

    api_key: str
    secret: str
    balances: dict[str, Decimal] = {}


def _demo_symbols() -> tuple[SimSymbol, ...]:
    def ladder(start: str, step: str, size: str, up: bool) -> tuple[Level, ...]:
        sign = 1 if up else -1
        return tuple((Decimal(start) + sign * i * Decimal(step), Decimal(size)) for i in range(5))

    return (
        SimSymbol(
            symbol="BTCUSDT",
            base="BTC",
            quote="USDT",
            bids=ladder("59999.00", "1.00", "0.5", up=False),
            asks=ladder("60001.00", "1.00", "0.5", up=True),
        ),
        SimSymbol(
            symbol="ETHUSDT",
            base="ETH",
            quote="USDT",
            step_size=Decimal("0.0001"),
            min_qty=Decimal("0.0001"),
            bids=ladder("2999.90", "0.10", "5", up=False),
            asks=ladder("3000.10", "0.10", "5", up=True),
        ),
    )


def _demo_accounts() -> tuple[SimAccount, ...]:
    balances = {"USDT": Decimal("1000000"), "BTC": Decimal("10"), "ETH": Decimal("100")}
    return (SimAccount(api_key="simex-key", secret="simex-secret", balances=balances),)


class SimexConfig(msgspec.Struct, frozen=True, kw_only=True):
    """The whole simulated exchange: markets, accounts, fees and request checks.

    ``unique_client_ids`` refuses any reuse of a ``newClientOrderId`` (Binance only refuses ids of
    open orders); ``max_recv_window_ms`` and the clock skew bound mirror Binance's timestamp checks.
    """

    symbols: tuple[SimSymbol, ...] = msgspec.field(default_factory=_demo_symbols)
    accounts: tuple[SimAccount, ...] = msgspec.field(default_factory=_demo_accounts)
    taker_fee_bps: Decimal = Decimal("10")
    maker_fee_bps: Decimal = Decimal("10")
    unique_client_ids: bool = False
    max_recv_window_ms: int = 60_000
    default_recv_window_ms: int = 5_000
    future_skew_ms: int = 1_000
    first_order_id: int = 1
    first_trade_id: int = 1


def load_config(path: Path) -> SimexConfig:
    """Read a ``SimexConfig`` from a JSON file (decimals as strings)."""
    return msgspec.json.decode(Path(path).read_bytes(), type=SimexConfig)
