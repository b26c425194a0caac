"""The state the writer task owns: entity tables, derived indexes and an incremental state hash.

Entities (orders, fills, positions, accounts, quotes) are frozen Structs. The container itself is
mutable and changed only by ``evolve`` (one writer); copying whole tables per event would not
reach the daemon's throughput targets. Indexes are derived from the entities and excluded from the
hash; the hash covers every entity and counter, so two states with equal hashes decide alike.
"""

import hashlib
from collections.abc import Callable
from decimal import Decimal

import msgspec

from oms_daemon.core.config import AccountConfig, CoreConfig, Instrument
from oms_daemon.core.events import DeadLetter
from oms_daemon.core.limits import RiskLimits
from oms_daemon.core.model import ZERO, Account, Fill, Order, Position, Quote

__all__ = ["AccountMode", "OmsState", "SymbolKey", "WorkingExposure"]

SymbolKey = tuple[str, str]
"""(account_id, symbol)."""

_MASK = (1 << 64) - 1
_encode = msgspec.msgpack.Encoder(order="deterministic").encode
_encode_plain = msgspec.msgpack.Encoder().encode
"""Same bytes for structs without dicts or sets (orders, fills, positions, quotes), and faster."""


class AccountMode(msgspec.Struct, frozen=True, kw_only=True):
    """Safety mode of one account."""

    safe: bool = False
    armed: bool = False
    killed: bool = False


class WorkingExposure:
    """Leaves of the working orders of one (account, symbol), kept up to date by ``evolve``.

    A derived index (not hashed): it turns open-order exposure, locked funds and reduce-only room
    into O(1) reads instead of scans over every working order.
    """

    __slots__ = ("buy_notional", "buy_qty", "buy_unpriced", "reduce_buy", "reduce_sell", "sell_qty")

    def __init__(self) -> None:
        self.buy_qty = self.sell_qty = Decimal(0)
        self.buy_notional = self.buy_unpriced = Decimal(0)
        self.reduce_buy = self.reduce_sell = Decimal(0)

    def count(self, order: Order, sign: int) -> None:
        """Add (sign 1) or remove (sign -1) a working order's leaves."""
        leaves = order.quantity - order.filled_qty  # order.leaves_qty without the property call
        if leaves <= ZERO:
            return
        if sign < 0:
            leaves = -leaves
        if order.side == "BUY":
            self.buy_qty += leaves
            if order.price is not None:
                self.buy_notional += leaves * order.price
            else:
                self.buy_unpriced += leaves
            if order.reduce_only:
                self.reduce_buy += leaves
        else:
            self.sell_qty += leaves
            if order.reduce_only:
                self.reduce_sell += leaves


_BLAKE2B_8 = hashlib.blake2b(digest_size=8)
"""Copied per entity: ``copy()`` skips the constructor's parameter parsing."""


def _digest(tag: bytes, encoded: bytes) -> int:
    hasher = _BLAKE2B_8.copy()
    hasher.update(tag + encoded)
    return int.from_bytes(hasher.digest(), "little")


class OmsState:
    """Every order, fill, position, account and mode; owned by the single writer."""

    def __init__(self) -> None:
        self.config: CoreConfig | None = None
        self.account_configs: dict[str, AccountConfig] = {}
        self.instruments: dict[str, Instrument] = {}
        # entities (hashed)
        self.orders: dict[int, Order] = {}
        self.fills: dict[int, Fill] = {}
        self.positions: dict[int, Position] = {}
        self.accounts: dict[str, Account] = {}
        self.modes: dict[str, AccountMode] = {}
        self.dirty: dict[SymbolKey, str] = {}
        self.quotes: dict[str, Quote] = {}
        self.dead_letters: dict[int, DeadLetter] = {}
        self.venue_down: dict[str, str] = {}
        self.next_dead_letter_id = 1
        self.next_order_id = 1
        self.next_fill_id = 1
        self.next_position_id = 1
        self.last_ts = 0
        # derived indexes (not hashed)
        self.order_by_client_id: dict[str, int] = {}
        self.order_by_venue_id: dict[tuple[str, str], int] = {}
        self.idempotency: dict[tuple[str, str, str], int] = {}
        self.trade_ids: set[tuple[str, str]] = set()
        self.open_orders: dict[SymbolKey, set[int]] = {}
        self.exposure: dict[SymbolKey, WorkingExposure] = {}
        self.limits_cache: dict[SymbolKey, RiskLimits] = {}
        # stream health, recovery and reconciliation (hashed as scalars)
        self.session_start = 0
        self.stream_seq: dict[str, int] = {}
        self.stream_seen: dict[str, int] = {}
        self.stale_feeds: dict[str, str] = {}
        self.recovering: set[int] = set()
        self.safe_since: dict[str, int] = {}
        self.clean_reconciled: dict[str, int] = {}
        self.journal_low = ""
        """Why the journal's disk is low ("" while it has room): new risk is refused meanwhile."""
        self.fill_gaps: dict[int, Decimal] = {}
        """Orders the venue's user stream skipped fills of: order id -> the venue's cumulative filled."""
        self.buckets: dict[tuple[str, str, str], tuple[Decimal, int]] = {}
        self.recent_intents: dict[tuple, int] = {}
        self.open_positions: dict[SymbolKey, list[int]] = {}
        self.order_tickets: dict[int, int] = {}
        # incremental hash bookkeeping
        self._digests: dict[tuple[str, object], int] = {}
        self._accumulator = 0
        self.touched_orders: set[int] = set()
        self.touched_fills: set[int] = set()
        self.touched_positions: set[int] = set()
        self.touched_accounts: set[str] = set()
        self.touched_quotes: set[str] = set()

    # --- reads used by decide -------------------------------------------------------------------

    def net_quantity(self, key: SymbolKey) -> Decimal:
        """Signed net position of (account, symbol) over all its open positions/tickets."""
        total = ZERO
        for pid in self.open_positions.get(key, ()):
            total += self.positions[pid].quantity
        return total

    def working_orders(self, key: SymbolKey) -> list[Order]:
        """Working orders (UNKNOWN included) of (account, symbol), oldest first."""
        return [self.orders[oid] for oid in sorted(self.open_orders.get(key, ()))]

    def working_leaves(self, key: SymbolKey) -> tuple[Decimal, Decimal]:
        """Open-order exposure: (working buy quantity, working sell quantity)."""
        exposure = self.exposure.get(key)
        return (exposure.buy_qty, exposure.sell_qty) if exposure else (Decimal(0), Decimal(0))

    def mode(self, account_id: str) -> AccountMode:
        """Current mode of an account."""
        return self.modes.get(account_id) or AccountMode()

    # --- writes used by evolve ----------------------------------------------------------------------

    def touched(self) -> int:
        """How many entities changed since their digests were last taken (see ``digest_touched``)."""
        return (
            len(self.touched_orders)
            + len(self.touched_fills)
            + len(self.touched_positions)
            + len(self.touched_accounts)
            + len(self.touched_quotes)
        )

    def digest_touched(self) -> None:
        """Re-hash the entities touched since the last call into the running sum ``state_hash`` ends with.

        ``evolve`` adds the key of every entity it stores to the matching ``touched_*`` set. Calling this
        between checksums (the daemon does after each batch) spreads the hashing out; the sum is the same
        whenever it is taken, so the state hash is too.
        """
        tables: tuple[tuple[str, dict, set, Callable[[object], bytes]], ...] = (
            ("order", self.orders, self.touched_orders, _encode_plain),
            ("fill", self.fills, self.touched_fills, _encode_plain),
            ("position", self.positions, self.touched_positions, _encode_plain),
            ("account", self.accounts, self.touched_accounts, _encode),  # balances: a dict
            ("quote", self.quotes, self.touched_quotes, _encode_plain),
        )
        digests = self._digests
        accumulator = self._accumulator
        for table, entities, touched, encode in tables:
            for key in touched:
                old = digests.pop((table, key), 0)
                entity = entities.get(key)
                new = _digest(f"{table}:{key}:".encode(), encode(entity)) if entity is not None else 0
                if new:
                    digests[(table, key)] = new
                accumulator = (accumulator - old + new) & _MASK
            touched.clear()
        self._accumulator = accumulator

    def state_hash(self) -> str:
        """Hash of every entity, mode and counter; entities are re-hashed only if touched since they last were."""
        self.digest_touched()
        scalars = _encode(
            [
                self.config,
                sorted(self.modes.items()),
                sorted([list(k), v] for k, v in self.dirty.items()),
                self.next_order_id,
                self.next_fill_id,
                self.next_position_id,
                self.last_ts,
                self._accumulator,
                *self._resilience_scalars(),
                self.session_start,
                sorted(self.stream_seq.items()),
                sorted(self.stream_seen.items()),
                sorted(self.stale_feeds.items()),
                sorted(self.recovering),
                sorted(self.safe_since.items()),
                sorted(self.clean_reconciled.items()),
                *([sorted(self.fill_gaps.items())] if self.fill_gaps else []),  # older journals keep their hashes
                *([self.journal_low] if self.journal_low else []),
            ]
        )
        return hashlib.blake2b(scalars, digest_size=16).hexdigest()

    def _resilience_scalars(self) -> list[object]:
        """Dead letters and venue availability; nothing while unused, so older journals keep their hashes."""
        if not self.dead_letters and not self.venue_down and self.next_dead_letter_id == 1:
            return []
        return [sorted(self.dead_letters.items()), sorted(self.venue_down.items()), self.next_dead_letter_id]
