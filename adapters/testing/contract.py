"""The venue contract: given/when/then tests every ``VenueAdapter`` must pass (paper included).

Use it by subclassing ``VenueContract`` in a test module as ``class TestMyVenueContract(VenueContract)``
and providing the fixtures it cannot know:

- ``venue``: an adapter connected to the ``inbox`` fixture (disconnect it on teardown);
- ``instrument``: the ``Instrument`` traded (symbol, base and quote currencies);
- ``account_id``: an account that can afford ``order_quantity`` at market;
- ``order_quantity``: a small quantity that fills at market;
- ``resting_price``: ``side -> price`` for a limit order that will rest and not fill during a test;
- ``refused_order``: an order the venue refuses (e.g. beyond the account's funds).

The suite waits with ``eventually`` (never a bare sleep) and only reads what the adapter puts into
the inbox or returns from its snapshot calls.
"""

import itertools
import time
from collections.abc import Callable
from decimal import Decimal

import pytest

from adapters.contract import VenueAdapter
from adapters.testing.inbox import RecordingInbox
from oms_daemon.core.config import Instrument
from oms_daemon.core.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from oms_daemon.core.inputs import (
    VenueCancelRejected,
    VenueEvent,
    VenueFill,
    VenueOrderAccepted,
    VenueOrderCanceled,
    VenueOrderRejected,
    VenueOrderReplaced,
    VenueOrderStatus,
)
from oms_daemon.core.model import Order

__all__ = ["OrderFactory", "VenueContract"]

ZERO = Decimal(0)
_OPEN_STATUSES = (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED)


class OrderFactory:
    """Builds OMS orders for one account and instrument, each with a fresh client order id."""

    def __init__(self, account_id: str, symbol: str, prefix: str | None = None) -> None:
        self.account_id = account_id
        self.symbol = symbol
        self.prefix = prefix if prefix is not None else f"ct{time.time_ns() % 10**12:x}"
        self._ids = itertools.count(1)

    def __call__(
        self,
        side: OrderSide = OrderSide.BUY,
        quantity: Decimal = Decimal(1),
        order_type: OrderType = OrderType.MARKET,
        *,
        price: Decimal | None = None,
        stop_price: Decimal | None = None,
        time_in_force: TimeInForce = TimeInForce.GTC,
        post_only: bool = False,
        symbol: str | None = None,
    ) -> Order:
        """A PENDING_NEW order as the OMS would send it."""
        n = next(self._ids)
        return Order(
            order_id=n,
            client_order_id=f"{self.prefix}-{n}",
            account_id=self.account_id,
            strategy_id="contract",
            symbol=symbol or self.symbol,
            side=side,
            order_type=order_type,
            quantity=quantity,
            time_in_force=time_in_force,
            price=price,
            stop_price=stop_price,
            post_only=post_only,
        )

    def replacement(self, order: Order, **changes: object) -> Order:
        """The order that replaces ``order`` (new order id and client order id, as the OMS builds it)."""
        n = next(self._ids)
        fields = {f: getattr(order, f) for f in order.__struct_fields__}
        fields.update(order_id=n, client_order_id=f"{self.prefix}-{n}", replaces_id=order.order_id)
        fields.update(changes)
        return Order(**fields)  # type: ignore[arg-type]


class VenueContract:
    """Behaviour every venue adapter shows; subclass it and provide the fixtures listed above."""

    # --- fixtures the adapter's test module provides ----------------------------------------------

    @pytest.fixture
    def venue(self, inbox: RecordingInbox) -> VenueAdapter:
        """A connected adapter putting its events into ``inbox``."""
        raise NotImplementedError("provide a `venue` fixture")

    @pytest.fixture
    def instrument(self) -> Instrument:
        """The instrument the contract trades."""
        raise NotImplementedError("provide an `instrument` fixture")

    @pytest.fixture
    def account_id(self) -> str:
        """An account with funds for ``order_quantity`` at market."""
        raise NotImplementedError("provide an `account_id` fixture")

    @pytest.fixture
    def order_quantity(self) -> Decimal:
        """A small quantity that fills at market."""
        raise NotImplementedError("provide an `order_quantity` fixture")

    @pytest.fixture
    def resting_price(self) -> Callable[[OrderSide], Decimal]:
        """``side -> limit price`` that rests without filling for the length of a test."""
        raise NotImplementedError("provide a `resting_price` fixture")

    @pytest.fixture
    def refused_order(self, make_order: OrderFactory) -> Order:
        """An order the venue refuses."""
        raise NotImplementedError("provide a `refused_order` fixture")

    # --- fixtures the suite provides --------------------------------------------------------------

    @pytest.fixture
    def inbox(self) -> RecordingInbox:
        """Where the adapter under test puts its events."""
        return RecordingInbox()

    @pytest.fixture
    def make_order(self, account_id: str, instrument: Instrument) -> OrderFactory:
        """Fresh orders for the contract's account and instrument."""
        return OrderFactory(account_id, instrument.symbol)

    # --- helpers ----------------------------------------------------------------------------------

    @staticmethod
    def filled(inbox: RecordingInbox, client_order_id: str) -> Decimal:
        """Quantity filled so far on ``client_order_id`` according to the inbox."""
        return sum((f.quantity for f in inbox.of(VenueFill, client_order_id=client_order_id)), ZERO)

    async def rest(self, venue: VenueAdapter, inbox: RecordingInbox, order: Order) -> VenueOrderAccepted:
        """Submit ``order`` and wait for its acceptance."""
        await venue.submit(order)
        accepted = await inbox.eventually(
            lambda: inbox.of(VenueOrderAccepted, client_order_id=order.client_order_id),
            what=f"{order.client_order_id} accepted",
        )
        return accepted[0]

    async def fill(self, venue: VenueAdapter, inbox: RecordingInbox, order: Order) -> None:
        """Submit ``order`` (one that fills at market) and wait until all of it has filled."""
        await venue.submit(order)
        cid = order.client_order_id
        await inbox.eventually(lambda: self.filled(inbox, cid) >= order.quantity, what=f"{cid} filled")

    async def cancel(self, venue: VenueAdapter, inbox: RecordingInbox, order: Order) -> None:
        """Cancel ``order`` and wait until the venue says it is canceled."""
        await venue.cancel(order)
        cid = order.client_order_id
        await inbox.eventually(lambda: inbox.of(VenueOrderCanceled, client_order_id=cid), what=f"{cid} canceled")

    # --- submit and fill --------------------------------------------------------------------------

    async def test_adapter_implements_the_venue_protocol(self, venue: VenueAdapter) -> None:
        # given a connected adapter / then it has the VenueAdapter surface and a venue name
        assert isinstance(venue, VenueAdapter)
        assert venue.venue

    async def test_market_order_is_acknowledged_and_filled(
        self,
        venue: VenueAdapter,
        inbox: RecordingInbox,
        make_order: OrderFactory,
        order_quantity: Decimal,
        account_id: str,
        instrument: Instrument,
    ) -> None:
        # given a market buy
        order = make_order(OrderSide.BUY, order_quantity)
        # when it is submitted
        await venue.submit(order)
        # then the venue acknowledges it under our client order id and fills all of it
        cid = order.client_order_id
        await inbox.eventually(lambda: self.filled(inbox, cid) >= order_quantity, what=f"{cid} filled")
        (accepted,) = inbox.of(VenueOrderAccepted, client_order_id=cid)
        assert accepted.venue_order_id
        assert accepted.account_id == account_id
        fills = inbox.of(VenueFill, client_order_id=cid)
        assert self.filled(inbox, cid) == order_quantity
        assert all(f.trade_id for f in fills)
        assert len({f.trade_id for f in fills}) == len(fills)
        for fill in fills:
            assert (fill.account_id, fill.symbol, fill.side) == (account_id, instrument.symbol, OrderSide.BUY)
            assert fill.price > 0 and fill.quantity > 0
            assert fill.venue_order_id in (None, accepted.venue_order_id)

    async def test_refused_order_is_rejected_with_a_reason(
        self, venue: VenueAdapter, inbox: RecordingInbox, refused_order: Order
    ) -> None:
        # given an order the venue will not take / when it is submitted
        await venue.submit(refused_order)
        # then a rejection with a machine-readable reason echoes its client order id, and no fill
        cid = refused_order.client_order_id
        (rejected,) = await inbox.eventually(
            lambda: inbox.of(VenueOrderRejected, client_order_id=cid), what=f"{cid} rejected"
        )
        assert rejected.reason
        assert rejected.account_id == refused_order.account_id
        assert not inbox.of(VenueFill, client_order_id=cid)
        assert not inbox.of(VenueOrderAccepted, client_order_id=cid)

    # --- resting orders: list, cancel, modify -----------------------------------------------------

    async def test_resting_limit_order_is_listed_then_canceled(
        self,
        venue: VenueAdapter,
        inbox: RecordingInbox,
        make_order: OrderFactory,
        order_quantity: Decimal,
        resting_price: Callable[[OrderSide], Decimal],
        account_id: str,
    ) -> None:
        # given a buy limit far below the market, accepted
        order = make_order(OrderSide.BUY, order_quantity, OrderType.LIMIT, price=resting_price(OrderSide.BUY))
        accepted = await self.rest(venue, inbox, order)
        # then the open orders snapshot lists it by client order id
        snapshot = await venue.open_orders(account_id)
        assert snapshot.account_id == account_id
        (report,) = [o for o in snapshot.orders if o.client_order_id == order.client_order_id]
        assert report.venue_order_id == accepted.venue_order_id
        assert (report.side, report.order_type, report.quantity, report.price) == (
            OrderSide.BUY,
            OrderType.LIMIT,
            order_quantity,
            order.price,
        )
        assert report.filled_qty == 0 and report.status in _OPEN_STATUSES
        # when it is canceled / then the venue says so and it leaves the open orders
        await self.cancel(venue, inbox, order)
        cid = order.client_order_id
        after = await venue.open_orders(account_id)
        assert cid not in {o.client_order_id for o in after.orders}
        assert not inbox.of(VenueFill, client_order_id=cid)

    async def test_sell_limit_above_the_market_rests(
        self,
        venue: VenueAdapter,
        inbox: RecordingInbox,
        make_order: OrderFactory,
        order_quantity: Decimal,
        resting_price: Callable[[OrderSide], Decimal],
        account_id: str,
    ) -> None:
        # given a market buy has filled (so there is something to sell)
        await self.fill(venue, inbox, make_order(OrderSide.BUY, order_quantity))
        # when a sell limit far above the market is placed
        sell = make_order(OrderSide.SELL, order_quantity, OrderType.LIMIT, price=resting_price(OrderSide.SELL))
        await self.rest(venue, inbox, sell)
        # then it rests unfilled until canceled
        snapshot = await venue.open_orders(account_id)
        assert sell.client_order_id in {o.client_order_id for o in snapshot.orders}
        await self.cancel(venue, inbox, sell)
        assert not inbox.of(VenueFill, client_order_id=sell.client_order_id)

    async def test_cancel_of_an_unknown_order_is_rejected(
        self, venue: VenueAdapter, inbox: RecordingInbox, make_order: OrderFactory, resting_price: Callable
    ) -> None:
        # given an order the venue never saw / when it is canceled
        ghost = make_order(OrderSide.BUY, Decimal(1), OrderType.LIMIT, price=resting_price(OrderSide.BUY))
        await venue.cancel(ghost)
        # then the cancel is refused with a reason
        (refused,) = await inbox.eventually(
            lambda: inbox.of(VenueCancelRejected, client_order_id=ghost.client_order_id), what="cancel rejected"
        )
        assert refused.reason

    async def test_modify_replaces_the_order_under_a_new_client_order_id(
        self,
        venue: VenueAdapter,
        inbox: RecordingInbox,
        make_order: OrderFactory,
        order_quantity: Decimal,
        resting_price: Callable[[OrderSide], Decimal],
        account_id: str,
    ) -> None:
        # given a resting buy limit
        price = resting_price(OrderSide.BUY)
        order = make_order(OrderSide.BUY, order_quantity, OrderType.LIMIT, price=price)
        await self.rest(venue, inbox, order)
        # when it is replaced by a larger order at a lower price
        replacement = make_order.replacement(order, quantity=order_quantity * 2, price=price * Decimal("0.99"))
        await venue.modify(order, replacement)
        # then the venue reports the replace and lists only the replacement
        (replaced,) = await inbox.eventually(
            lambda: inbox.of(VenueOrderReplaced, client_order_id=replacement.client_order_id), what="replaced"
        )
        assert replaced.orig_client_order_id == order.client_order_id
        snapshot = await venue.open_orders(account_id)
        listed = {o.client_order_id: o for o in snapshot.orders}
        assert order.client_order_id not in listed
        assert listed[replacement.client_order_id].quantity == order_quantity * 2
        assert listed[replacement.client_order_id].price == replacement.price
        # and the replacement cancels like any order
        await self.cancel(venue, inbox, replacement)

    # --- queries ----------------------------------------------------------------------------------

    async def test_query_of_a_known_order_returns_its_status(
        self,
        venue: VenueAdapter,
        inbox: RecordingInbox,
        make_order: OrderFactory,
        order_quantity: Decimal,
        resting_price: Callable[[OrderSide], Decimal],
        account_id: str,
        instrument: Instrument,
    ) -> None:
        # given a resting order
        order = make_order(OrderSide.BUY, order_quantity, OrderType.LIMIT, price=resting_price(OrderSide.BUY))
        accepted = await self.rest(venue, inbox, order)
        # when it is queried by client order id
        await venue.query_order(account_id, order.client_order_id, instrument.symbol)
        # then its status arrives
        (status,) = await inbox.eventually(
            lambda: inbox.of(VenueOrderStatus, client_order_id=order.client_order_id), what="status"
        )
        assert status.status in _OPEN_STATUSES
        assert status.venue_order_id in (None, accepted.venue_order_id)
        await self.cancel(venue, inbox, order)

    async def test_query_of_a_filled_order_says_filled(
        self,
        venue: VenueAdapter,
        inbox: RecordingInbox,
        make_order: OrderFactory,
        order_quantity: Decimal,
        account_id: str,
        instrument: Instrument,
    ) -> None:
        # given a filled market order
        order = make_order(OrderSide.BUY, order_quantity)
        await self.fill(venue, inbox, order)
        # when it is queried / then its status is FILLED
        await venue.query_order(account_id, order.client_order_id, instrument.symbol)
        (status,) = await inbox.eventually(lambda: inbox.of(VenueOrderStatus, client_order_id=order.client_order_id))
        assert status.status is OrderStatus.FILLED

    async def test_query_of_an_unknown_order_returns_no_status(
        self, venue: VenueAdapter, inbox: RecordingInbox, account_id: str, instrument: Instrument
    ) -> None:
        # given a client order id the venue never saw / when it is queried
        await venue.query_order(account_id, "never-sent-1", instrument.symbol)
        # then the answer says the venue does not know it
        (status,) = await inbox.eventually(lambda: inbox.of(VenueOrderStatus, client_order_id="never-sent-1"))
        assert status.status is None
        assert status.account_id == account_id

    # --- snapshots and history --------------------------------------------------------------------

    async def test_positions_and_balances_reflect_fills(
        self,
        venue: VenueAdapter,
        inbox: RecordingInbox,
        make_order: OrderFactory,
        order_quantity: Decimal,
        account_id: str,
        instrument: Instrument,
    ) -> None:
        # given the snapshots before a trade
        positions_before = await venue.positions(account_id)
        balances_before = await venue.balances(account_id)
        # when a market buy fills
        await self.fill(venue, inbox, make_order(OrderSide.BUY, order_quantity))
        # then the position grows by the fill and the balances moved
        positions_after = await venue.positions(account_id)
        balances_after = await venue.balances(account_id)
        assert positions_after.account_id == balances_after.account_id == account_id

        def held(snapshot: object) -> Decimal:
            return sum((p.quantity for p in snapshot.positions if p.symbol == instrument.symbol), ZERO)  # type: ignore[attr-defined]

        assert held(positions_after) - held(positions_before) == order_quantity

        def total(snapshot: object, currency: str) -> Decimal:
            return sum((b.total for b in snapshot.balances if b.currency == currency), ZERO)  # type: ignore[attr-defined]

        quote, base = instrument.quote_currency, instrument.base_currency
        assert total(balances_after, quote) < total(balances_before, quote) or total(balances_after, base) > total(
            balances_before, base
        )

    async def test_fills_since_returns_the_fills(
        self,
        venue: VenueAdapter,
        inbox: RecordingInbox,
        make_order: OrderFactory,
        order_quantity: Decimal,
        account_id: str,
    ) -> None:
        # given a market order filled after `since`
        since = inbox.now_ns()
        order = make_order(OrderSide.BUY, order_quantity)
        await self.fill(venue, inbox, order)
        # when the venue is asked for fills since then
        fills = await venue.fills_since(account_id, since)
        # then they include every fill the inbox saw for the order, with the same ids and quantities
        seen = {(f.trade_id, f.quantity, f.price) for f in inbox.of(VenueFill, client_order_id=order.client_order_id)}
        assert seen <= {(f.trade_id, f.quantity, f.price) for f in fills}
        assert all(f.account_id == account_id for f in fills)
        # and none of them when asked from a later time
        later = await venue.fills_since(account_id, inbox.now_ns() + 60 * 10**9)
        assert not {f.trade_id for f in later} & {t for t, _, _ in seen}

    # --- the event stream -------------------------------------------------------------------------

    async def test_venue_seq_never_goes_backwards_and_events_are_stamped(
        self,
        venue: VenueAdapter,
        inbox: RecordingInbox,
        make_order: OrderFactory,
        order_quantity: Decimal,
        resting_price: Callable[[OrderSide], Decimal],
        account_id: str,
    ) -> None:
        # given a mix of traffic: a market fill, a resting order, a cancel, a query
        start = inbox.now_ns()
        market = make_order(OrderSide.BUY, order_quantity)
        limit = make_order(OrderSide.BUY, order_quantity, OrderType.LIMIT, price=resting_price(OrderSide.BUY))
        await venue.submit(market)
        await self.rest(venue, inbox, limit)
        await venue.cancel(limit)
        await inbox.eventually(lambda: self.filled(inbox, market.client_order_id) >= order_quantity, what="filled")
        await inbox.eventually(lambda: inbox.of(VenueOrderCanceled, client_order_id=limit.client_order_id))
        # then per account the venue sequence numbers never decrease, and every event is stamped
        events = [e for e in inbox.events if isinstance(e, VenueEvent)]
        last: dict[str, int] = {}
        for event in events:
            assert event.ts_recv > 0
            if event.venue_seq is None:
                continue
            assert event.venue_seq >= last.get(event.account_id, event.venue_seq), event
            last[event.account_id] = event.venue_seq
        ours = [
            e for e in events if getattr(e, "client_order_id", None) in (market.client_order_id, limit.client_order_id)
        ]
        assert ours and all(e.account_id == account_id and e.ts_recv >= start for e in ours)

    async def test_disconnect_is_idempotent(self, venue: VenueAdapter) -> None:
        # given a connected adapter / when it disconnects twice / then nothing fails
        await venue.disconnect()
        await venue.disconnect()
