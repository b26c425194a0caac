"""One reconciliation pass against a venue: its snapshots and recent fills, as journaled inputs.

The snapshots are taken first and the recent fills last, so the fills cover at least everything
the snapshots reflect; the core books fills it has not seen (as reconciliation fills), then
compares. The snapshot's ``venue_seq`` is the lowest any of the three carried, so the core can tell
when newer stream events were already applied and the comparison would not be fair.
"""

import msgspec

from adapters.contract import VenueAdapter
from oms_daemon.core.inputs import Input, ReconciliationSnapshot

__all__ = ["reconciliation_inputs"]


async def reconciliation_inputs(
    adapter: VenueAdapter, account_id: str, now_ns: int, lookback_ns: int, reason: str
) -> list[Input]:
    """Fetch the venue's view of ``account_id``: recent fills, then one combined snapshot."""
    orders = await adapter.open_orders(account_id)
    positions = await adapter.positions(account_id)
    balances = await adapter.balances(account_id)
    fills = await adapter.fills_since(account_id, now_ns - lookback_ns)
    seqs = [s.venue_seq for s in (orders, positions, balances) if s.venue_seq is not None]
    inputs: list[Input] = [
        msgspec.structs.replace(f, reconciliation=True, ts_recv=now_ns, venue_seq=None) for f in fills
    ]
    inputs.append(
        ReconciliationSnapshot(
            ts_recv=now_ns,
            account_id=account_id,
            venue_seq=min(seqs) if seqs else None,
            orders=orders.orders,
            positions=positions.positions,
            balances=balances.balances,
            reason=reason,
        )
    )
    return inputs
