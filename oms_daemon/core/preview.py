"""The answer to a preview intent: what an order would cost and do, and what would refuse it."""

from decimal import Decimal

import msgspec

from oms_daemon.core.checks import Refusal
from oms_daemon.core.enums import OrderSide

__all__ = ["Preview"]


class Preview(msgspec.Struct, frozen=True, kw_only=True, gc=False, omit_defaults=True):
    """Estimated effect of an order, computed without placing it."""

    symbol: str
    side: OrderSide
    quantity: Decimal
    reference_price: Decimal | None = None
    notional: Decimal | None = None
    estimated_fee: Decimal | None = None
    slippage_estimate: Decimal | None = None
    margin_impact: Decimal | None = None
    margin_used: Decimal | None = None
    position_before: Decimal = Decimal(0)
    position_after: Decimal = Decimal(0)
    exposure_long_after: Decimal = Decimal(0)
    exposure_short_after: Decimal = Decimal(0)
    reducing: bool = False
    refusals: tuple[Refusal, ...] = ()
