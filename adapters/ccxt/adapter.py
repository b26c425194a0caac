"""``CcxtVenue``: crypto exchanges through ccxt (REST) and ccxt.pro (streams) behind the ``VenueAdapter`` surface.

Generic over ccxt exchange ids; one ``AccountSession`` per account (its own API key, clients, streams).
Every order carries the OMS client order id (ccxt's ``clientOrderId``), so it can always be found again.
The venue's market rules (tick size, step, min quantity, min notional) are exposed by ``instruments()``
once the markets are loaded; configured instruments that disagree are logged at connect.
"""

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from adapters.ccxt.config import CcxtVenueConfig, Credentials
from adapters.ccxt.session import AccountSession
from adapters.contract import Inbox, VenueError
from adapters.resilience import Guard, ResiliencePolicy
from oms_daemon.core.config import Instrument
from oms_daemon.core.inputs import BalancesSnapshot, OpenOrdersSnapshot, PositionsSnapshot, VenueFill
from oms_daemon.core.model import Order

__all__ = ["CcxtVenue"]


def _host(urls: Any) -> str | None:
    """The host of the first http(s) URL in a ccxt ``urls`` override, if any."""
    if isinstance(urls, str) and urls.startswith("http"):
        return urlsplit(urls).netloc
    if isinstance(urls, dict):
        for value in urls.values():
            found = _host(value)
            if found:
                return found
    return None


class CcxtVenue:
    """Venue ``"ccxt"``: the accounts given, each at its own ccxt exchange."""

    venue = "ccxt"

    def __init__(
        self,
        accounts: Iterable[tuple[CcxtVenueConfig, Credentials]],
        *,
        policy: ResiliencePolicy | None = None,
        instruments: Iterable[Instrument] = (),
    ) -> None:
        configured = {i.symbol: i for i in instruments}
        policy = policy or ResiliencePolicy()
        self._sessions = {
            config.account_id: AccountSession(config, credentials, policy, configured)
            for config, credentials in accounts
        }
        self._connected = False
        self._endpoints: dict[str, str] = {}

    # --- wiring with the resiliency layer -----------------------------------------------------------------

    def endpoint(self, account_id: str) -> str:
        """The venue connection an account uses (accounts on one endpoint share rate limits and breaker)."""
        endpoint = self._endpoints.get(account_id)
        if endpoint is None:
            config = self._session(account_id).config
            host = _host(config.urls) or ("sandbox" if config.sandbox else "live")
            endpoint = self._endpoints[account_id] = f"{config.exchange}@{host}"
        return endpoint

    def bind_guards(self, guard_for: Callable[[str], Guard]) -> None:
        """Use the resiliency layer's guard of each account for streams, backfills and sweeps."""
        for account_id, session in self._sessions.items():
            session.guard = guard_for(account_id)

    def session(self, account_id: str) -> AccountSession:
        """The session of one account (tests and benches look inside)."""
        return self._session(account_id)

    def _session(self, account_id: str) -> AccountSession:
        session = self._sessions.get(account_id)
        if session is None:
            raise VenueError(f"no ccxt account {account_id!r}")
        return session

    def instruments(self) -> dict[str, Instrument]:
        """The venue's rules for every traded symbol (empty until the markets are loaded)."""
        found: dict[str, Instrument] = {}
        for session in self._sessions.values():
            found.update(session.instruments)
        return found

    # --- VenueAdapter -------------------------------------------------------------------------------------

    async def connect(self, inbox: Inbox) -> None:
        """Load markets and start every account's streams (a venue that is down is retried in the background)."""
        if self._connected:
            return
        self._connected = True
        for session in self._sessions.values():
            await session.open(inbox)

    async def disconnect(self) -> None:
        """Stop streams and sweeps, close every client; idempotent."""
        self._connected = False
        for session in self._sessions.values():
            await session.close()

    async def submit(self, order: Order) -> None:
        """Place ``order`` under its client order id."""
        await self._session(order.account_id).submit(order)

    async def cancel(self, order: Order) -> None:
        """Cancel ``order`` (venue id when known, else client order id)."""
        await self._session(order.account_id).cancel(order)

    async def modify(self, order: Order, replacement: Order) -> None:
        """Replace ``order`` by ``replacement`` (new client order id)."""
        await self._session(order.account_id).modify(order, replacement)

    async def query_order(self, account_id: str, client_order_id: str, symbol: str) -> None:
        """Look an order up by client order id; ``VenueOrderStatus`` follows."""
        await self._session(account_id).query(client_order_id, symbol)

    async def open_orders(self, account_id: str) -> OpenOrdersSnapshot:
        """Every open order of the account."""
        return await self._session(account_id).open_orders()

    async def positions(self, account_id: str) -> PositionsSnapshot:
        """Net positions from the venue's trades."""
        return await self._session(account_id).positions()

    async def balances(self, account_id: str) -> BalancesSnapshot:
        """Every non-zero balance."""
        return await self._session(account_id).balances()

    async def fills_since(self, account_id: str, since_ns: int) -> list[VenueFill]:
        """Fills executed at or after ``since_ns``."""
        return await self._session(account_id).fills_since(since_ns)

    async def probe(self, account_id: str) -> None:
        """A cheap call that only works when the account's venue is up (for the circuit breaker's half-open)."""
        await self._session(account_id).probe()
