"""The one surface every venue adapter implements (paper, ccxt, IB, Oanda, MT5, nautilus).

Adapters never read or change OMS state. Everything a venue says about orders and fills goes
into the daemon's inbox as a ``VenueEvent`` (stamped with ``inbox.now_ns()``); commands return
once the venue call is done, and their outcome arrives through the inbox as well:

- ``submit`` → ``VenueOrderAccepted`` / ``VenueOrderRejected`` / fills; a timeout or broken
  connection whose outcome is unknown → ``SubmitOutcomeUnknown`` (never a blind resend);
- ``cancel`` → ``VenueOrderCanceled`` / ``VenueCancelRejected``;
- ``modify`` → ``VenueOrderReplaced`` / ``VenueReplaceRejected``;
- ``query_order`` → ``VenueOrderStatus`` (status None when the venue does not know the id).

Snapshots are returned to the caller (the reconciliation worker puts them in the inbox). Every
order carries the OMS ``client_order_id``, so any order can be found again by it after a crash.
"""

from typing import Protocol, runtime_checkable

from oms_daemon.core.inputs import BalancesSnapshot, Input, OpenOrdersSnapshot, PositionsSnapshot, VenueFill
from oms_daemon.core.model import Order

__all__ = ["Inbox", "VenueAdapter", "VenueError"]


class VenueError(Exception):
    """A venue adapter failed in a way the caller must handle (root of adapter errors)."""


class Inbox(Protocol):
    """Where adapters put what venues say; the daemon's single ordered queue."""

    def now_ns(self) -> int:
        """Receive time to stamp on an input (UTC ns)."""
        ...

    def put(self, event: Input) -> None:
        """Enqueue an input for the writer task (non-blocking)."""
        ...


@runtime_checkable
class VenueAdapter(Protocol):
    """A venue: connect, trade, stream events into the inbox, answer snapshots."""

    venue: str

    async def connect(self, inbox: Inbox) -> None:
        """Open sessions/streams; from now on venue events go to ``inbox``."""
        ...

    async def disconnect(self) -> None:
        """Close everything; idempotent."""
        ...

    async def submit(self, order: Order) -> None:
        """Send a new order (with its client order id)."""
        ...

    async def cancel(self, order: Order) -> None:
        """Cancel a working order (by client order id, or venue id when known)."""
        ...

    async def modify(self, order: Order, replacement: Order) -> None:
        """Replace ``order`` by ``replacement`` (new client order id, quantity and prices)."""
        ...

    async def query_order(self, account_id: str, client_order_id: str, symbol: str) -> None:
        """Look an order up by client order id; the answer arrives as ``VenueOrderStatus``."""
        ...

    async def open_orders(self, account_id: str) -> OpenOrdersSnapshot:
        """Every open order at the venue for the account."""
        ...

    async def positions(self, account_id: str) -> PositionsSnapshot:
        """Every position at the venue for the account (signed quantities)."""
        ...

    async def balances(self, account_id: str) -> BalancesSnapshot:
        """Every balance at the venue for the account."""
        ...

    async def fills_since(self, account_id: str, since_ns: int) -> list[VenueFill]:
        """Fills executed at or after ``since_ns`` (for backfill and reconciliation)."""
        ...
