"""Venue adapters for the configured accounts, and the routing of core venue commands to them."""

import asyncio
from collections.abc import Iterable

import structlog

from adapters.contract import Inbox, VenueAdapter
from adapters.paper import PaperVenue
from oms_daemon.config import DaemonConfig
from oms_daemon.core.events import CancelAtVenue, ModifyAtVenue, QueryAtVenue, SnapshotRequested, SubmitToVenue
from oms_daemon.core.events import VenueCommand as VenueCommandEvent
from oms_daemon.core.inputs import SubmitOutcomeUnknown, VenueCancelRejected, VenueReplaceRejected
from oms_daemon.core.state import OmsState
from oms_daemon.core.transitions import WORKING
from oms_daemon.metrics import Metrics

__all__ = ["VenueRouter", "build_venues"]

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
        else:
            raise NotImplementedError(f"venue {name!r} has no adapter in this build")
    return venues


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
    """Sends each venue command to its account's adapter as a tracked task (after the journal append)."""

    def __init__(self, venues: dict[str, VenueAdapter], account_venues: dict[str, str], inbox: Inbox, metrics: Metrics):
        self._venues = venues
        self._account_venues = account_venues
        self._inbox = inbox
        self._metrics = metrics
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def in_flight(self) -> int:
        """Venue calls not finished yet."""
        return len(self._tasks)

    def send(self, commands: Iterable[VenueCommandEvent]) -> None:
        """Start one task per command."""
        for command in commands:
            task = asyncio.ensure_future(self._call(command))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def wait(self, timeout: float) -> bool:
        """Bounded wait for in-flight venue calls; True if all finished."""
        if not self._tasks:
            return True
        _, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
        return not pending

    async def _call(self, command: VenueCommandEvent) -> None:
        name = self._account_venues.get(command.account_id, "")
        venue = self._venues.get(name)
        kind = type(command).__name__
        try:
            if venue is None:
                raise LookupError(f"no venue adapter for account {command.account_id!r}")
            match command:
                case SubmitToVenue(order=order):
                    await venue.submit(order)
                case CancelAtVenue(order=order):
                    await venue.cancel(order)
                case ModifyAtVenue(order=order, replacement=replacement):
                    await venue.modify(order, replacement)
                case QueryAtVenue(client_order_id=cid, symbol=symbol):
                    await venue.query_order(command.account_id, cid, symbol)
                case SnapshotRequested():
                    for snapshot in (
                        await venue.open_orders(command.account_id),
                        await venue.positions(command.account_id),
                        await venue.balances(command.account_id),
                    ):
                        self._inbox.put(snapshot)
        except Exception as error:  # an adapter failure must become an input, never kill the daemon
            self._metrics.observe_venue_command(name, kind, "error")
            log.error("venue command failed", venue=name, command=kind, error=repr(error))
            self._failed(command, error)
        else:
            self._metrics.observe_venue_command(name, kind, "ok")

    def _failed(self, command: VenueCommandEvent, error: Exception) -> None:
        """What a failed call means for the order: unknown outcome for submits (queried, never resent)."""
        now = self._inbox.now_ns()
        reason = f"{type(error).__name__}: {error}"
        match command:
            case SubmitToVenue(order=order):
                self._inbox.put(
                    SubmitOutcomeUnknown(
                        ts_recv=now, account_id=order.account_id, client_order_id=order.client_order_id, reason=reason
                    )
                )
            case CancelAtVenue(order=order):
                self._inbox.put(
                    VenueCancelRejected(
                        ts_recv=now, account_id=order.account_id, client_order_id=order.client_order_id, reason=reason
                    )
                )
            case ModifyAtVenue(order=order, replacement=replacement):
                self._inbox.put(
                    VenueReplaceRejected(
                        ts_recv=now,
                        account_id=order.account_id,
                        client_order_id=replacement.client_order_id,
                        orig_client_order_id=order.client_order_id,
                        reason=reason,
                    )
                )
