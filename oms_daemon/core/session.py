"""A daemon run starts: take its configuration, re-arm as configured, and recover open outcomes.

Venue availability starts afresh too: a circuit breaker lives in the process that opened it.

After a restart (or a crash) every order whose outcome the last run left open — PENDING_NEW,
PENDING_CANCEL, PENDING_REPLACE, UNKNOWN — is looked up at its venue by client order id. Until each
is resolved, new orders on its account are refused (``recovery_in_progress``); nothing is re-sent
blindly.
"""

import msgspec

from oms_daemon.core.enums import AlertSeverity, OrderStatus
from oms_daemon.core.events import (
    AlertRaised,
    Event,
    ModeChanged,
    QueryAtVenue,
    RecoveryStarted,
    SessionConfigured,
    VenueAvailabilityChanged,
)
from oms_daemon.core.inputs import SessionStarted
from oms_daemon.core.state import OmsState

__all__ = ["OPEN_OUTCOMES", "on_session", "recovering_orders"]

OPEN_OUTCOMES = frozenset(
    {OrderStatus.PENDING_NEW, OrderStatus.PENDING_CANCEL, OrderStatus.PENDING_REPLACE, OrderStatus.UNKNOWN}
)
"""Statuses whose outcome is not known until the venue answers."""


def on_session(state: OmsState, inp: SessionStarted) -> list[Event]:
    """Configure the session, arm accounts as configured, query every order left open by the last run."""
    events: list[Event] = [SessionConfigured(config=inp.config, ts=inp.ts_recv)]
    for account in inp.config.accounts:
        mode = state.mode(account.account_id)
        if mode.armed != account.armed_on_start:
            new = msgspec.structs.replace(mode, armed=account.armed_on_start)
            events.append(
                ModeChanged(
                    account_id=account.account_id,
                    operator="session",
                    reason="session start",
                    ts=inp.ts_recv,
                    **msgspec.structs.asdict(new),
                )
            )
    for account_id in sorted(state.venue_down):
        # venue connections (and their circuit breakers) start afresh with the process
        events.append(
            VenueAvailabilityChanged(
                account_id=account_id, available=True, reason="new session: connections start fresh"
            )
        )
    open_orders = sorted((o for o in state.orders.values() if o.status in OPEN_OUTCOMES), key=lambda o: o.order_id)
    if open_orders:
        events.append(RecoveryStarted(order_ids=tuple(o.order_id for o in open_orders)))
        events.extend(
            QueryAtVenue(account_id=o.account_id, client_order_id=o.client_order_id, symbol=o.symbol)
            for o in open_orders
        )
        events.append(
            AlertRaised(
                code="recovery_started",
                severity=AlertSeverity.WARNING,
                message=f"{len(open_orders)} order(s) left open by the last run: querying the venue before new orders",
            )
        )
    return events


def recovering_orders(state: OmsState, account_id: str) -> list[int]:
    """Orders of ``account_id`` still waiting for the venue after a restart."""
    if not state.recovering:
        return []
    return sorted(oid for oid in state.recovering if state.orders[oid].account_id == account_id)
