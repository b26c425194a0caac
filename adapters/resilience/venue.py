"""``ResilientVenue``: every core venue command to one adapter, run under the ``ResiliencePolicy``.

- **submit / modify**: resent only while the adapter says the call did not take effect
  (``VenueUnavailable``, ``RateLimited``); an unknown outcome is never resent: ``SubmitOutcomeUnknown``
  goes into the inbox and the core looks the order up by client order id. While the venue's breaker is
  open, new orders are not sent at all (rejected as ``venue_unavailable``).
- **cancel / query / snapshots**: idempotent, so resent on any transport failure.
- A command still failing after ``max_retries`` resends is dead-lettered (``CommandDeadLettered``).
- One ``Guard`` per venue connection (adapter ``endpoint``, else the venue name): its gate pauses every
  call after a rate limit; its breaker, after ``circuit_breaker_threshold`` failures in a row, journals
  ``VenueAvailability(available=False)`` for the connection's accounts, probes the venue every
  ``breaker_cooldown_s`` and journals ``available=True`` at the first success. Adapters that expose
  ``bind_guards`` share the guards with their streams and backfills.

``execute`` never raises: every outcome becomes an input, and the returned label feeds the metrics.
"""

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from adapters.contract import Inbox, VenueAdapter
from adapters.reconciliation import reconciliation_inputs
from adapters.resilience.backoff import Backoff
from adapters.resilience.errors import OutcomeUnknown, VenueUnavailable
from adapters.resilience.guard import Guard
from adapters.resilience.policy import ResiliencePolicy
from oms_daemon.core.events import (
    AnyVenueCommand,
    CancelAtVenue,
    ModifyAtVenue,
    QueryAtVenue,
    SnapshotRequested,
    SubmitToVenue,
)
from oms_daemon.core.inputs import (
    CommandDeadLettered,
    SubmitOutcomeUnknown,
    VenueAvailability,
    VenueOrderRejected,
    VenueReplaceRejected,
)

__all__ = ["ResilientVenue"]

log = logging.getLogger("omsd.resilience")
UNAVAILABLE = "venue_unavailable"
RECONCILE_LOOKBACK_NS = 600 * 1_000_000_000
"""Reconciliation passes ask for the venue's fills of the last ten minutes (known ones are dropped)."""


class ResilientVenue:
    """One adapter behind retries, rate-limit pauses, circuit breakers and the dead-letter queue."""

    def __init__(
        self,
        adapter: VenueAdapter,
        inbox: Inbox,
        policy: ResiliencePolicy,
        accounts: Iterable[str],
        *,
        rng: random.Random | None = None,
    ) -> None:
        self.adapter = adapter
        self.policy = policy
        self._inbox = inbox
        self._accounts = list(accounts)
        self._backoff = Backoff(
            policy.initial_backoff_s, policy.backoff_multiplier, policy.max_backoff_s, policy.jitter, rng
        )
        self._guards: dict[str, Guard] = {}
        self._probes: dict[str, asyncio.Task[None]] = {}
        bind = getattr(adapter, "bind_guards", None)
        if bind is not None:
            bind(self.guard)

    # --- guards and availability ---------------------------------------------------------------------------

    def _endpoint(self, account_id: str) -> str:
        endpoint = getattr(self.adapter, "endpoint", None)
        return str(endpoint(account_id)) if endpoint is not None else self.adapter.venue

    def guard(self, account_id: str) -> Guard:
        """The guard of the venue connection ``account_id`` trades through."""
        key = self._endpoint(account_id)
        guard = self._guards.get(key)
        if guard is None:
            guard = Guard(self.policy, on_change=lambda available, reason: self._availability(key, available, reason))
            self._guards[key] = guard
        return guard

    def _availability(self, key: str, available: bool, reason: str) -> None:
        """The breaker of ``key`` opened or closed: journal it for each of its accounts; probe while open."""
        log.warning("venue %s %s: %s", key, "available again" if available else "UNAVAILABLE", reason)
        accounts = [a for a in self._accounts if self._endpoint(a) == key]
        for account_id in accounts:
            self._inbox.put(
                VenueAvailability(
                    ts_recv=self._inbox.now_ns(), account_id=account_id, available=available, reason=reason
                )
            )
        if not available and accounts and key not in self._probes:
            task = asyncio.ensure_future(self._probe(key, accounts[0]))
            self._probes[key] = task
            task.add_done_callback(lambda _: self._probes.pop(key, None))

    async def _probe(self, key: str, account_id: str) -> None:
        """While the breaker is open: after each cool-down, one cheap call; the first success closes it."""
        guard = self._guards[key]
        probe: Callable[[str], Awaitable[Any]] = getattr(self.adapter, "probe", None) or self.adapter.balances
        while not guard.breaker.closed:
            await asyncio.sleep(self.policy.breaker_cooldown_s)
            if guard.breaker.closed:
                return
            with contextlib.suppress(Exception):
                await guard.call(lambda: probe(account_id))

    async def close(self) -> None:
        """Stop the probes."""
        probes = list(self._probes.values())
        for task in probes:
            task.cancel()
        for task in probes:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # --- commands ------------------------------------------------------------------------------------------

    async def execute(self, command: AnyVenueCommand) -> str:
        """Run one command to its end; returns ``ok``, ``retried``, ``unknown``, ``gated`` or ``dead_lettered``."""
        guard = self.guard(command.account_id)
        adapter = self.adapter
        match command:
            case SubmitToVenue(order=order):
                if not guard.breaker.closed:
                    self._put(
                        VenueOrderRejected,
                        order.account_id,
                        client_order_id=order.client_order_id,
                        reason=UNAVAILABLE,
                        message="circuit breaker open: not sent",
                    )
                    return "gated"
                return await self._run(command, guard, lambda: adapter.submit(order), resend_unknown=False)
            case ModifyAtVenue(order=order, replacement=replacement):
                if not guard.breaker.closed:
                    self._put(
                        VenueReplaceRejected,
                        order.account_id,
                        client_order_id=replacement.client_order_id,
                        orig_client_order_id=order.client_order_id,
                        reason=UNAVAILABLE,
                    )
                    return "gated"
                return await self._run(command, guard, lambda: adapter.modify(order, replacement), resend_unknown=False)
            case CancelAtVenue(order=order):
                return await self._run(command, guard, lambda: adapter.cancel(order), resend_unknown=True)
            case QueryAtVenue(account_id=account_id, client_order_id=cid, symbol=symbol):
                return await self._run(
                    command, guard, lambda: adapter.query_order(account_id, cid, symbol), resend_unknown=True
                )
            case SnapshotRequested(account_id=account_id, reason=reason):
                return await self._run(command, guard, lambda: self._snapshots(account_id, reason), resend_unknown=True)
        raise TypeError(f"not a venue command: {type(command).__name__}")

    async def _snapshots(self, account_id: str, reason: str) -> None:
        now = self._inbox.now_ns()
        for inp in await reconciliation_inputs(self.adapter, account_id, now, RECONCILE_LOOKBACK_NS, reason):
            self._inbox.put(inp)

    async def _run(
        self, command: AnyVenueCommand, guard: Guard, call: Callable[[], Awaitable[None]], resend_unknown: bool
    ) -> str:
        attempts = 0
        while True:
            attempts += 1
            wait = 0.0
            try:
                await guard.call(call)
                return "ok" if attempts == 1 else "retried"
            except OutcomeUnknown as error:
                if not resend_unknown:
                    self._unknown(command, error)
                    return "unknown"
                failure: Exception = error
            except VenueUnavailable as error:
                failure, wait = error, error.retry_after or 0.0
            except Exception as error:  # unclassified: never resend a submit, never lose anything else
                log.exception("venue command %s failed unexpectedly", type(command).__name__)
                if not resend_unknown:
                    self._unknown(command, error)
                    return "unknown"
                self._dead_letter(command, error, attempts)
                return "dead_lettered"
            if attempts > self.policy.max_retries:
                self._dead_letter(command, failure, attempts)
                return "dead_lettered"
            delay = max(self._backoff.delay(attempts - 1), wait)
            log.info("%s failed (%s); attempt %d in %.2fs", type(command).__name__, failure, attempts + 1, delay)
            await asyncio.sleep(delay)

    def _put(self, kind: type, account_id: str, **fields: Any) -> None:
        self._inbox.put(kind(ts_recv=self._inbox.now_ns(), account_id=account_id, **fields))

    def _unknown(self, command: AnyVenueCommand, error: Exception) -> None:
        """The order's fate is unknown: the core marks it UNKNOWN and queries it by client order id."""
        reason = f"{type(error).__name__}: {error}"
        match command:
            case SubmitToVenue(order=order):
                self._put(SubmitOutcomeUnknown, order.account_id, client_order_id=order.client_order_id, reason=reason)
            case ModifyAtVenue(replacement=replacement):
                self._put(
                    SubmitOutcomeUnknown,
                    replacement.account_id,
                    client_order_id=replacement.client_order_id,
                    reason=reason,
                )

    def _dead_letter(self, command: AnyVenueCommand, error: Exception, attempts: int) -> None:
        log.error("%s dead-lettered after %d attempt(s): %s", type(command).__name__, attempts, error)
        self._put(
            CommandDeadLettered,
            command.account_id,
            command=command,
            error=f"{type(error).__name__}: {error}"[:500],
            attempts=attempts,
        )
