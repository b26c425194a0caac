"""Read views of the dead-letter queue (venue commands that exhausted their retries) for the APIs and the CLI."""

import msgspec

from oms_daemon.core.events import (
    AnyVenueCommand,
    CancelAtVenue,
    DeadLetter,
    ModifyAtVenue,
    QueryAtVenue,
    SubmitToVenue,
)
from oms_daemon.core.state import OmsState

__all__ = ["DeadLetterView", "dead_letter_view", "dead_letters"]


class DeadLetterView(msgspec.Struct, frozen=True, kw_only=True):
    """One dead letter: which command, for which order, why it failed, how many times it was tried."""

    entry_id: int
    account_id: str
    command: str
    order_id: int | None
    client_order_id: str | None
    symbol: str | None
    error: str
    attempts: int
    ts_recv: int


def _describe(command: AnyVenueCommand) -> tuple[str, int | None, str | None, str | None]:
    match command:
        case SubmitToVenue(order=order):
            return "submit", order.order_id, order.client_order_id, order.symbol
        case CancelAtVenue(order=order):
            return "cancel", order.order_id, order.client_order_id, order.symbol
        case ModifyAtVenue(replacement=replacement):
            return "replace", replacement.order_id, replacement.client_order_id, replacement.symbol
        case QueryAtVenue(client_order_id=cid, symbol=symbol):
            return "query", None, cid, symbol
    return "snapshot", None, None, None


def dead_letter_view(entry: DeadLetter) -> DeadLetterView:
    """The view of one entry."""
    command, order_id, client_order_id, symbol = _describe(entry.command)
    return DeadLetterView(
        entry_id=entry.entry_id,
        account_id=entry.account_id,
        command=command,
        order_id=order_id,
        client_order_id=client_order_id,
        symbol=symbol,
        error=entry.error,
        attempts=entry.attempts,
        ts_recv=entry.ts_recv,
    )


def dead_letters(state: OmsState, account: str | None = None) -> list[DeadLetterView]:
    """Every dead letter (of one account), oldest first."""
    return [
        dead_letter_view(entry)
        for _, entry in sorted(state.dead_letters.items())
        if account is None or entry.account_id == account
    ]
