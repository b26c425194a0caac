"""Risk limits as configured: global, per account, per symbol, per account and symbol.

A rule's limits that are set (not None) override the broader rules: global < symbol < account <
account and symbol. The merged limits of an (account, symbol) are what the pre-trade checks use.
"""

from decimal import Decimal
from typing import Annotated

import msgspec

Count = Annotated[int, msgspec.Meta(ge=1)]
NonNegativeInt = Annotated[int, msgspec.Meta(ge=0)]

__all__ = ["FeedLimits", "RiskLimits", "RiskRule", "merged_limits"]


class RiskLimits(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """Pre-trade limits and throttles; None means no limit."""

    max_order_qty: Decimal | None = None
    max_order_notional: Decimal | None = None
    max_position: Decimal | None = None
    max_open_orders: Count | None = None
    price_band_bps: Decimal | None = None
    max_quote_age_ms: Count | None = None
    orders_per_second: Decimal | None = None
    orders_burst: Count | None = None
    strategy_orders_per_second: Decimal | None = None
    strategy_orders_burst: Count | None = None
    duplicate_window_ms: Count | None = None
    max_replaces_per_order: NonNegativeInt | None = None
    reconcile_tolerance: Decimal | None = None

    def __post_init__(self) -> None:
        for name in ("max_order_qty", "max_order_notional", "orders_per_second", "strategy_orders_per_second"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be positive, got {value}")
        for name in ("max_position", "price_band_bps", "reconcile_tolerance"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} must not be negative, got {value}")

    def over(self, broader: "RiskLimits") -> "RiskLimits":
        """These limits where set, ``broader``'s elsewhere."""
        mine = msgspec.structs.asdict(self)
        return msgspec.structs.replace(broader, **{k: v for k, v in mine.items() if v is not None})


class RiskRule(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """Limits for an account and/or a symbol (both None: every account and symbol)."""

    account_id: str | None = None
    symbol: str | None = None
    limits: RiskLimits = RiskLimits()


class FeedLimits(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """How old a stream may get before it counts as stale (None: never)."""

    market_data_max_age_ms: Count | None = None
    user_stream_max_silence_ms: Count | None = None


def _rank(rule: RiskRule) -> int:
    return (rule.account_id is not None) * 2 + (rule.symbol is not None)


def merged_limits(rules: tuple[RiskRule, ...], account_id: str, symbol: str) -> RiskLimits:
    """The limits that apply to ``symbol`` on ``account_id``."""
    limits = RiskLimits()
    matching = [r for r in rules if r.account_id in (None, account_id) and r.symbol in (None, symbol)]
    for rule in sorted(matching, key=_rank):
        limits = rule.limits.over(limits)
    return limits
