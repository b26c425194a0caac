"""What the core decides: state changes (applied by ``evolve``) and outputs for the shell.

State-change events carry the new version of the entity, so ``evolve`` only stores it and
publishers can forward it as is. Output events (venue commands, replies, alerts) leave state alone
except where noted.
"""

from decimal import Decimal
from typing import Any

import msgspec

from oms_daemon.core.config import CoreConfig
from oms_daemon.core.enums import AlertSeverity
from oms_daemon.core.model import Account, Fill, Order, Position, Quote

__all__ = [
    "AccountUpdated",
    "AlertRaised",
    "AnyEvent",
    "AnyVenueCommand",
    "CancelAtVenue",
    "DeadLetter",
    "DeadLetterAdded",
    "DeadLetterRemoved",
    "Event",
    "FeedStatusChanged",
    "FillBooked",
    "FillGapOpened",
    "JournalSpaceChanged",
    "ModeChanged",
    "ModifyAtVenue",
    "OrderUpdated",
    "PositionUpdated",
    "PositionsMarkedDirty",
    "QueryAtVenue",
    "QuoteUpdated",
    "ReconciliationDone",
    "RecoveryStarted",
    "Replied",
    "SessionConfigured",
    "SnapshotRequested",
    "SubmitToVenue",
    "VenueAvailabilityChanged",
    "VenueCommand",
]


class Event(msgspec.Struct, frozen=True, kw_only=True, gc=False, tag=True, omit_defaults=True):
    """Base of every event the core emits."""


# --- state changes -------------------------------------------------------------------------------


class SessionConfigured(Event, kw_only=True):
    """A new session's configuration took effect."""

    config: CoreConfig
    ts: int = 0


class OrderUpdated(Event, kw_only=True):
    """An order was created or changed; ``order`` is its new version."""

    order: Order
    previous_status: str | None = None


class FillBooked(Event, kw_only=True):
    """A fill was booked (it moves a position and an account)."""

    fill: Fill


class PositionUpdated(Event, kw_only=True):
    """A position opened, changed or closed; ``position`` is its new version."""

    position: Position


class AccountUpdated(Event, kw_only=True):
    """An account's balances changed."""

    account: Account


class QuoteUpdated(Event, kw_only=True):
    """The last quote of a symbol changed."""

    quote: Quote


class ModeChanged(Event, kw_only=True):
    """An account's safety mode changed (SAFE, armed, killed); ``operator`` is who asked."""

    account_id: str
    safe: bool
    armed: bool
    killed: bool
    operator: str
    reason: str = ""
    ts: int = 0


class FeedStatusChanged(Event, kw_only=True):
    """A stream (``market:<symbol>`` or ``user:<account>``) went stale or came back."""

    stream: str
    stale: bool
    reason: str


class RecoveryStarted(Event, kw_only=True):
    """After a restart: these orders' outcomes are open; new orders wait until each is resolved."""

    order_ids: tuple[int, ...]


class ReconciliationDone(Event, kw_only=True):
    """A reconciliation pass compared the venue's snapshot with omsd's state."""

    account_id: str
    clean: bool
    mismatches: tuple[str, ...] = ()
    ts: int = 0


class FillGapOpened(Event, kw_only=True):
    """The venue has filled ``venue_filled`` of an order while omsd booked less: its position stays dirty until
    the missing fills are booked (or a clean reconciliation vouches for it)."""

    account_id: str
    symbol: str
    order_id: int
    venue_filled: Decimal


class JournalSpaceChanged(Event, kw_only=True):
    """The journal's disk became low (new risk refused, ``reason`` why) or has room again."""

    low: bool
    reason: str = ""


class PositionsMarkedDirty(Event, kw_only=True):
    """Positions of (account, symbol) can no longer be trusted until reconciled."""

    account_id: str
    symbol: str
    dirty: bool
    reason: str


# --- outputs ------------------------------------------------------------------------------------------


class VenueCommand(Event, kw_only=True):
    """Base of commands the shell must send to a venue adapter (after the journal append)."""

    account_id: str


class SubmitToVenue(VenueCommand, kw_only=True):
    """Send a new order."""

    order: Order


class CancelAtVenue(VenueCommand, kw_only=True):
    """Cancel a working order."""

    order: Order


class ModifyAtVenue(VenueCommand, kw_only=True):
    """Replace ``order`` by ``replacement`` (new client order id, new qty/prices)."""

    order: Order
    replacement: Order


class QueryAtVenue(VenueCommand, kw_only=True):
    """Look an order up at the venue by client order id (to resolve UNKNOWN or missing orders)."""

    client_order_id: str
    symbol: str


class SnapshotRequested(VenueCommand, kw_only=True):
    """Fetch venue snapshots (orders, positions, balances) for reconciliation."""

    reason: str


AnyVenueCommand = SubmitToVenue | CancelAtVenue | ModifyAtVenue | QueryAtVenue | SnapshotRequested
"""Every concrete venue command (what a dead letter holds)."""


# --- venue health and dead letters (decided in core/dlq.py) -----------------------------------------------


class DeadLetter(msgspec.Struct, frozen=True, kw_only=True, gc=False, omit_defaults=True):
    """A venue command that exhausted its retries, waiting for an operator to re-drive or drop it."""

    entry_id: int
    account_id: str
    command: AnyVenueCommand
    error: str
    attempts: int = 0
    ts_recv: int = 0


class DeadLetterAdded(Event, kw_only=True):
    """A command went into the dead-letter queue."""

    entry: DeadLetter


class DeadLetterRemoved(Event, kw_only=True):
    """An operator re-drove (``redriven``) or dropped (``dropped``) a dead letter."""

    entry_id: int
    account_id: str
    action: str
    operator: str


class VenueAvailabilityChanged(Event, kw_only=True):
    """An account's venue became unavailable (new risk refused) or available again."""

    account_id: str
    available: bool
    reason: str = ""


class Replied(Event, kw_only=True):
    """The one answer to an intent or operator request."""

    request_id: str
    ok: bool
    order_id: int | None = None
    order_ids: tuple[int, ...] = ()
    reason: str | None = None
    message: str | None = None
    data: Any = None


class AlertRaised(Event, kw_only=True):
    """Something an operator should see."""

    code: str
    severity: AlertSeverity
    message: str
    account_id: str | None = None
    symbol: str | None = None
    order_id: int | None = None
    amount: Decimal | None = None


AnyEvent = (
    SessionConfigured
    | OrderUpdated
    | FillBooked
    | PositionUpdated
    | AccountUpdated
    | QuoteUpdated
    | ModeChanged
    | PositionsMarkedDirty
    | FillGapOpened
    | JournalSpaceChanged
    | SubmitToVenue
    | CancelAtVenue
    | ModifyAtVenue
    | QueryAtVenue
    | SnapshotRequested
    | Replied
    | AlertRaised
    | FeedStatusChanged
    | RecoveryStarted
    | ReconciliationDone
    | DeadLetterAdded
    | DeadLetterRemoved
    | VenueAvailabilityChanged
)
"""Every concrete event."""
