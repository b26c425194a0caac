"""Position arithmetic from fills: average price, realized and unrealized PnL, flips, tickets."""

from decimal import Context, Decimal

import msgspec

from oms_daemon.core.enums import OrderSide
from oms_daemon.core.model import ZERO, Fill, Position

__all__ = ["PositionChange", "apply_fill", "unrealized_pnl"]

_CTX = Context(prec=34)
"""Fixed precision for divisions so results never depend on the thread's decimal context."""

_replace = msgspec.structs.replace
_BUY, _SELL = OrderSide.BUY, OrderSide.SELL
"""Bound once: reading a member off an Enum class goes through ``EnumType.__getattr__`` (slow)."""


class PositionChange(msgspec.Struct, frozen=True, gc=False):
    """Result of applying one fill to one position: the positions it touched and the PnL it realized."""

    updated: tuple[Position, ...]
    realized_pnl: Decimal


def _open(fill: Fill, position_id: int, quantity: Decimal, commission: Decimal) -> Position:
    return Position(
        position_id=position_id,
        account_id=fill.account_id,
        symbol=fill.symbol,
        entry_side=_BUY if quantity > 0 else _SELL,
        quantity=quantity,
        avg_price=fill.price,
        commission=commission,
        peak_quantity=abs(quantity),
        opened_by_order_id=fill.order_id,
        strategy_id=fill.strategy_id,
        ts_opened=fill.ts_event or fill.ts_recv,
        ts_updated=fill.ts_recv,
    )


def apply_fill(position: Position | None, fill: Fill, next_position_id: int, multiplier: Decimal) -> PositionChange:
    """Apply a fill to ``position`` (None or closed: flat); a flip closes it and opens a new one."""
    signed = fill.quantity if fill.side == _BUY else -fill.quantity
    if position is None or position.ts_closed is not None or not position.quantity:
        return PositionChange((_open(fill, next_position_id, signed, fill.commission),), ZERO)
    held = position.quantity
    if (held > 0) == (signed > 0):
        total = held + signed
        size = abs(total)
        avg = _CTX.divide(abs(held) * position.avg_price + abs(signed) * fill.price, size)
        grown = _replace(
            position,
            quantity=total,
            avg_price=avg,
            commission=position.commission + fill.commission,
            peak_quantity=size if size > position.peak_quantity else position.peak_quantity,
            ts_updated=fill.ts_recv,
        )
        return PositionChange((grown,), ZERO)
    closing = min(abs(signed), abs(held))
    realized = (fill.price - position.avg_price) * (closing if held > 0 else -closing) * multiplier
    remaining = held + signed
    same_side = remaining != 0 and (remaining > 0) == (held > 0)
    reduced = _replace(
        position,
        quantity=remaining if same_side else ZERO,
        realized_pnl=position.realized_pnl + realized,
        commission=position.commission + fill.commission,
        ts_updated=fill.ts_recv,
        ts_closed=None if same_side else (fill.ts_event or fill.ts_recv),
    )
    if same_side or remaining == 0:
        return PositionChange((reduced,), realized)
    return PositionChange((reduced, _open(fill, next_position_id, remaining, ZERO)), realized)


def unrealized_pnl(position: Position, mark: Decimal | None, multiplier: Decimal = Decimal(1)) -> Decimal:
    """PnL of the open quantity against ``mark`` (zero when there is no mark)."""
    if mark is None or position.quantity == 0:
        return ZERO
    return (mark - position.avg_price) * position.quantity * multiplier
