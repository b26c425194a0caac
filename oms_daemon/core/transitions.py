"""The order status transition table: the only way an order's status may move."""

from enum import Enum

from oms_daemon.core.enums import OrderStatus as S

__all__ = ["TERMINAL", "TRANSITIONS", "WORKING", "Move", "classify"]

TRANSITIONS: dict[S, frozenset[S]] = {
    S.PENDING_NEW: frozenset(
        {S.NEW, S.PARTIALLY_FILLED, S.FILLED, S.REJECTED, S.CANCELED, S.EXPIRED, S.UNKNOWN, S.PENDING_CANCEL}
    ),
    S.NEW: frozenset({S.PARTIALLY_FILLED, S.FILLED, S.PENDING_CANCEL, S.PENDING_REPLACE, S.CANCELED, S.EXPIRED}),
    S.PARTIALLY_FILLED: frozenset(
        {S.PARTIALLY_FILLED, S.FILLED, S.PENDING_CANCEL, S.PENDING_REPLACE, S.CANCELED, S.EXPIRED}
    ),
    S.PENDING_CANCEL: frozenset({S.CANCELED, S.FILLED, S.NEW, S.PARTIALLY_FILLED, S.EXPIRED, S.REJECTED}),
    S.PENDING_REPLACE: frozenset({S.REPLACED, S.NEW, S.PARTIALLY_FILLED, S.FILLED, S.CANCELED, S.EXPIRED}),
    S.UNKNOWN: frozenset({S.NEW, S.PARTIALLY_FILLED, S.FILLED, S.CANCELED, S.REJECTED, S.EXPIRED, S.PENDING_CANCEL}),
    S.FILLED: frozenset(),
    S.CANCELED: frozenset(),
    S.REPLACED: frozenset(),
    S.REJECTED: frozenset(),
    S.EXPIRED: frozenset(),
}
"""Allowed moves: ``TRANSITIONS[from]`` holds every status ``from`` may move to."""

TERMINAL = frozenset(s for s, moves in TRANSITIONS.items() if not moves)
"""Statuses an order never leaves."""

WORKING = frozenset(TRANSITIONS) - TERMINAL
"""Statuses that count toward open-order exposure (UNKNOWN included: worst case)."""


class Move(Enum):
    """How a requested status change relates to the table."""

    SAME = "same"
    ALLOWED = "allowed"
    ILLEGAL = "illegal"


_SAME, _ALLOWED, _ILLEGAL = Move.SAME, Move.ALLOWED, Move.ILLEGAL
"""Bound once: reading a member off an Enum class goes through ``EnumType.__getattr__`` (slow)."""


def classify(current: S, target: S) -> Move:
    """Classify moving from ``current`` to ``target``."""
    if current == target:
        return _SAME
    return _ALLOWED if target in TRANSITIONS[current] else _ILLEGAL
