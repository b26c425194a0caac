"""What the core needs to know about accounts and instruments.

The daemon journals this inside ``SessionStarted`` so that replay uses exactly the configuration the
live run used, whatever the config file says today.
"""

from decimal import Decimal

import msgspec

from oms_daemon.core.enums import AccountKind, PositionMode
from oms_daemon.core.limits import FeedLimits, RiskRule

__all__ = ["AccountConfig", "CoreConfig", "Instrument"]


class Instrument(msgspec.Struct, frozen=True, kw_only=True, gc=False, omit_defaults=True):
    """A tradable symbol with its currencies and trading rules."""

    symbol: str
    base_currency: str
    quote_currency: str
    multiplier: Decimal = Decimal(1)
    tick_size: Decimal | None = None
    step_size: Decimal | None = None
    min_qty: Decimal | None = None
    min_notional: Decimal | None = None
    margin_rate: Decimal = Decimal(1)
    fee_bps: Decimal = Decimal(0)


class AccountConfig(msgspec.Struct, frozen=True, kw_only=True, gc=False, omit_defaults=True):
    """One trading account at one venue and who may trade it."""

    account_id: str
    venue: str
    kind: AccountKind = AccountKind.CASH
    position_mode: PositionMode = PositionMode.NETTING
    settlement_currency: str = "USD"
    symbols: tuple[str, ...] = ()
    strategies: tuple[str, ...] = ()
    armed_on_start: bool = False
    lookup_grace_ms: int = 10_000
    """For this long after a submit, "the venue does not know it" is not conclusive (a request may still be
    in flight, as Binance's recvWindow allows): the order stays UNKNOWN and is looked up again."""


class CoreConfig(msgspec.Struct, frozen=True, kw_only=True, gc=False, omit_defaults=True):
    """Everything the pure core reads; immutable for a session."""

    instance_id: str = "omsd"
    accounts: tuple[AccountConfig, ...] = ()
    instruments: tuple[Instrument, ...] = ()
    risk: tuple[RiskRule, ...] = ()
    feeds: FeedLimits = FeedLimits()
    requery_interval_ms: int = 1_000
    """How often an UNKNOWN order is looked up again (on timer ticks)."""
