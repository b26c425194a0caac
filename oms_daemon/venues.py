"""Venue adapters for the configured accounts, and the routing of core venue commands to them."""

import asyncio
from collections.abc import Iterable

import structlog

from adapters.ccxt import CcxtVenue, CcxtVenueConfig, Credentials
from adapters.contract import Inbox, VenueAdapter
from adapters.paper import PaperVenue
from adapters.resilience import ResiliencePolicy, ResilientVenue
from oms_daemon.config import CcxtAccount, DaemonConfig, Secret
from oms_daemon.core.events import AnyVenueCommand, QueryAtVenue, SnapshotRequested
from oms_daemon.core.state import OmsState
from oms_daemon.core.transitions import WORKING
from oms_daemon.metrics import Metrics
from oms_daemon.reconciliation import PassScheduler

__all__ = ["VenueRouter", "build_venues", "ccxt_account"]

log = structlog.get_logger("omsd.venues")


def build_venues(config: DaemonConfig) -> dict[str, VenueAdapter]:
    """One adapter per venue named by the configured accounts."""
    venues: dict[str, VenueAdapter] = {}
    names = {account.venue for account in config.accounts}
    for name in sorted(names):
        if name == "paper":
            venues[name] = PaperVenue(
                config.paper,
                instruments=config.instruments,
                accounts=[a.core_config() for a in config.accounts if a.venue == "paper"],
            )
        elif name == "ccxt":
            venues[name] = CcxtVenue(
                [ccxt_account(a, config) for a in config.accounts if isinstance(a, CcxtAccount)],
                policy=config.resiliency,
                instruments=config.instruments,
            )
        else:
            raise NotImplementedError(f"venue {name!r} has no adapter in this build")
    return venues


def _reveal(secret: Secret | None) -> str | None:
    return secret.reveal() if secret else None


def ccxt_account(account: CcxtAccount, config: DaemonConfig) -> tuple[CcxtVenueConfig, Credentials]:
    """The ccxt adapter's settings and credentials for one ``[[accounts]]`` entry with ``venue = "ccxt"``."""
    settings = CcxtVenueConfig(
        account_id=account.account_id,
        exchange=account.exchange,
        sandbox=account.sandbox,
        urls=account.urls,
        options=account.options,
        symbols=account.symbols or tuple(i.symbol for i in config.instruments),
        timeout_ms=account.timeout_ms,
        enable_rate_limit=account.enable_rate_limit,
        poll_interval_s=account.poll_interval_s,
        stream_balances=account.stream_balances,
        stream_quotes=account.stream_quotes,
        stream_process=account.stream_process,
    )
    credentials = Credentials(
        _reveal(account.api_key), _reveal(account.secret), _reveal(account.password), _reveal(account.uid)
    )
    return settings, credentials


def restore_paper(venue: PaperVenue, state: OmsState, venue_seqs: dict[str, int]) -> None:
    """Rebuild the embedded paper venue from the OMS state recovered from the journal."""
    accounts = {a for a, cfg in state.account_configs.items() if cfg.venue == "paper"}
    venue.restore(
        [o for o in state.orders.values() if o.account_id in accounts and o.status in WORKING],
        {a: dict(state.accounts[a].balances) for a in accounts if a in state.accounts},
        fills=[f for f in state.fills.values() if f.account_id in accounts],
        venue_seqs={a: s for a, s in venue_seqs.items() if a in accounts},
    )


class VenueRouter:
    """Sends each venue command to its account's adapter, through the resiliency layer, as a tracked task.

    The policy for failures (retries, unknown outcomes, circuit breakers, dead letters) lives in
    ``adapters.resilience.ResilientVenue``; this class only routes, tracks and counts, and keeps the asks that
    are idempotent from piling up: one lookup of an order in flight at a time (a repeat while it runs is
    folded into it), and reconciliation passes through a ``PassScheduler``.
    """

    def __init__(
        self,
        venues: dict[str, VenueAdapter],
        account_venues: dict[str, str],
        inbox: Inbox,
        metrics: Metrics,
        policy: ResiliencePolicy | None = None,
        reconcile_min_interval_s: float = 2.0,
    ):
        self._account_venues = account_venues
        self._metrics = metrics
        self._resilient = {
            name: ResilientVenue(
                adapter, inbox, policy or ResiliencePolicy(), [a for a, v in account_venues.items() if v == name]
            )
            for name, adapter in venues.items()
        }
        self._tasks: set[asyncio.Task[None]] = set()
        self._lookups: set[tuple[str, str]] = set()
        self.passes = PassScheduler(self._call, reconcile_min_interval_s)

    @property
    def in_flight(self) -> int:
        """Venue calls not finished yet (reconciliation passes running or due included)."""
        return len(self._tasks) + self.passes.busy

    def send(self, commands: Iterable[AnyVenueCommand]) -> None:
        """Start one task per command (a pass or a repeated lookup may be folded into one already under way)."""
        for command in commands:
            kind = type(command)
            if kind is SnapshotRequested:
                self.passes.request(command)
                continue
            if kind is QueryAtVenue:
                lookup = (command.account_id, command.client_order_id)
                if lookup in self._lookups:
                    self._metrics.observe_venue_command(
                        self._account_venues.get(command.account_id, ""), kind.__name__, "folded"
                    )
                    continue
                self._lookups.add(lookup)
            task = asyncio.ensure_future(self._call(command))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            if kind is QueryAtVenue:
                task.add_done_callback(lambda _, key=lookup: self._lookups.discard(key))

    async def wait(self, timeout: float) -> bool:
        """Bounded wait for in-flight venue calls; True if all finished."""
        passes = asyncio.ensure_future(self.passes.wait(timeout))
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)
        return await passes and not self._tasks

    async def close(self) -> None:
        """Cancel what is still in flight (retries waiting out a back-off, passes due) and stop the breaker probes."""
        await self.passes.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for resilient in self._resilient.values():
            await resilient.close()

    async def _call(self, command: AnyVenueCommand) -> None:
        name = self._account_venues.get(command.account_id, "")
        kind = type(command).__name__
        resilient = self._resilient.get(name)
        if resilient is None:  # the config cross-checks accounts against venues: a bug if it happens
            log.error("no venue adapter for account", account=command.account_id, command=kind)
            self._metrics.observe_venue_command(name, kind, "no_venue")
            return
        outcome = await resilient.execute(command)
        self._metrics.observe_venue_command(name, kind, outcome)
        if outcome not in ("ok", "retried"):
            log.warning("venue command not done", venue=name, command=kind, outcome=outcome)
