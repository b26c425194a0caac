"""Position arithmetic from fills: average price, realized and unrealized PnL, flips, tickets."""

from decimal import Context, Decimal

import msgspec

from oms_daemon.core.model import ZERO, Fill, Position

__all__ = ["PositionChange", "apply_fill", "open_position", "unrealized_pnl"]

_CTX = Context(prec=34)
"""Fixed precision for divisions so results never depend on the thread's decimal context."""

_replace = msgspec.structs.replace


class PositionChange(msgspec.Struct, frozen=True):
    """Result of applying one fill to one position: what changed and the PnL it realized."""

    updated: tuple[Position, ...]
    realized_pnl: Decimal
    opened_position_id: int | None


def open_position(fill: Fill, position_id: int, quantity: Decimal, order_id: int | None) -> Position:
    """A new position opened by (part of) ``fill`` with signed ``quantity``."""
    return Position(
        position_id=position_id,
        account_id=fill.account_id,
        symbol=fill.symbol,
        entry_side=fill.side,
        quantity=quantity,
        avg_price=fill.price,
        peak_quantity=abs(quantity),
        opened_by_order_id=order_id,
        strategy_id=fill.strategy_id,
        ts_opened=fill.ts_event or fill.ts_recv,
        ts_updated=fill.ts_recv,
    )


def apply_fill(
    position: Position | None, fill: Fill, next_position_id: int, multiplier: Decimal, order_id: int | None
) -> PositionChange:
    """Apply ``fill`` to ``position`` (None or closed: flat); a flip closes it and opens a new one."""
    signed = fill.signed_qty
    if position is None or not position.is_open or position.quantity == 0:
        opened = open_position(fill, next_position_id, signed, order_id)
        opened = _replace(opened, commission=fill.commission)
        return PositionChange((opened,), ZERO, next_position_id)

    held = position.quantity
    if (held > 0) == (signed > 0):
        total = held + signed
        avg = _CTX.divide(abs(held) * position.avg_price + abs(signed) * fill.price, abs(total))
        grown = _replace(
            position,
            quantity=total,
            avg_price=avg,
            commission=position.commission + fill.commission,
            peak_quantity=max(position.peak_quantity, abs(total)),
            ts_updated=fill.ts_recv,
        )
        return PositionChange((grown,), ZERO, None)

    closing = min(abs(signed), abs(held))
    direction = 1 if held > 0 else -1
    realized = (fill.price - position.avg_price) * closing * direction * multiplier
    remaining = held + signed
    reduced = _replace(
        position,
        quantity=remaining if (remaining > 0) == (held > 0) else ZERO,
        realized_pnl=position.realized_pnl + realized,
        commission=position.commission + fill.commission,
        ts_updated=fill.ts_recv,
    )
    if remaining == 0 or (remaining > 0) != (held > 0):
        reduced = _replace(reduced, quantity=ZERO, ts_closed=fill.ts_event or fill.ts_recv)
    if remaining != 0 and (remaining > 0) != (held > 0):
        flipped = open_position(fill, next_position_id, remaining, order_id)
        return PositionChange((reduced, flipped), realized, next_position_id)
    return PositionChange((reduced,), realized, None)


def unrealized_pnl(position: Position, mark: Decimal | None, multiplier: Decimal = Decimal(1)) -> Decimal:
    """PnL of the open quantity against ``mark`` (zero when there is no mark)."""
    if mark is None or position.quantity == 0:
        return ZERO
    return (mark - position.avg_price) * position.quantity * multiplier
