"""A cancel of an order the venue has not acknowledged yet (FIX's cancel-on-pending-new) is a first-class case.

"No such order" for it only says the submit has not arrived: it is never a reason to call the order NEW. The
order is settled by client order id: if it turns up at the venue the cancel the strategy asked for is sent
again; if the venue never gets it, it ends CANCELED and stops counting as exposure. An order the venue
acknowledged and then no longer has is closed too, never kept working (and looked up) for ever.
"""

from decimal import Decimal as D

import pytest

from oms_daemon.core.enums import OrderStatus as S
from oms_daemon.core.enums import OrderType
from oms_daemon.core.events import CancelAtVenue, PositionsMarkedDirty, QueryAtVenue, SnapshotRequested
from oms_daemon.core.inputs import (
    CancelOrder,
    ReconciliationSnapshot,
    ReplaceOrder,
    SubmitOutcomeUnknown,
    TimerTick,
    VenueCancelRejected,
    VenueOrderRejected,
    VenueOrderReport,
    VenueOrderStatus,
)
from oms_daemon.core.model import Order
from oms_daemon.core.reasons import Reason
from tests.core.scenario import Scenario, alerts, of_type, replies, statuses

GRACE_NS = 10_000_000_000  # the scenario accounts' lookup_grace_ms


@pytest.fixture
def s() -> Scenario:
    scenario = Scenario()
    scenario.fund("spot", USDT="100000", BTC="10")
    scenario.quote("BTC/USDT", "100", "101")
    return scenario


def canceled_before_ack(s: Scenario) -> Order:
    """An order whose submit is held at the venue, canceled by its strategy, the cancel bounced "not found"."""
    order = s.placed(order_type=OrderType.LIMIT, price=D("99"))
    s.request(CancelOrder, account_id="spot", order_id=order.order_id)
    s.apply(VenueCancelRejected, account_id="spot", client_order_id=order.client_order_id, reason="order_not_found")
    return s.order(order.order_id)


def status_answer(s: Scenario, order: Order, status: S | None, **kw: object) -> list:
    return s.apply(VenueOrderStatus, account_id="spot", client_order_id=order.client_order_id, status=status, **kw)


def test_given_a_cancel_that_overtook_its_submit_when_it_bounces_not_found_then_the_order_is_never_called_new(
    s: Scenario,
) -> None:
    order = canceled_before_ack(s)
    assert order.status is S.PENDING_CANCEL  # still working exposure, and still to be canceled
    assert S.NEW not in statuses(s.ack(order))  # the submit lands after all: its ack does not make it NEW...
    assert s.order(order.order_id).status is S.PENDING_CANCEL


def test_given_the_bounced_cancel_when_the_submit_lands_after_all_then_the_cancel_is_sent_again(s: Scenario) -> None:
    order = canceled_before_ack(s)
    events = s.ack(order, "V1")
    assert [c.order.client_order_id for c in of_type(events, CancelAtVenue)] == [order.client_order_id]
    assert of_type(events, CancelAtVenue)[0].order.venue_order_id == "V1"


def test_given_the_bounced_cancel_when_the_submit_outcome_is_unknown_then_it_is_looked_up_not_forgotten(
    s: Scenario,
) -> None:
    order = canceled_before_ack(s)
    events = s.apply(SubmitOutcomeUnknown, account_id="spot", client_order_id=order.client_order_id, reason="reset")
    assert [q.client_order_id for q in of_type(events, QueryAtVenue)] == [order.client_order_id]
    assert alerts(events, "submit_outcome_unknown")


def test_given_the_bounced_cancel_when_the_venue_never_gets_the_order_then_canceled_after_the_grace(
    s: Scenario,
) -> None:
    order = canceled_before_ack(s)
    assert statuses(status_answer(s, order, None)) == [S.PENDING_CANCEL]  # not yet conclusive
    s.ts += GRACE_NS
    assert [q.client_order_id for q in of_type(s.apply(TimerTick), QueryAtVenue)] == [order.client_order_id]
    assert statuses(status_answer(s, order, None)) == [S.CANCELED]
    assert s.state.working_leaves(("spot", "BTC/USDT")) == (D(0), D(0))  # no longer exposure
    assert not of_type(s.apply(TimerTick), QueryAtVenue)  # and nothing left to look up


def test_given_the_bounced_cancel_when_a_lookup_finds_it_working_then_the_cancel_is_sent_again(s: Scenario) -> None:
    order = canceled_before_ack(s)
    events = status_answer(s, order, S.NEW, venue_order_id="V7", filled_qty=D(0))
    assert statuses(events) == [S.PENDING_CANCEL]
    assert of_type(events, CancelAtVenue)[0].order.venue_order_id == "V7"


def test_given_a_cancel_before_the_ack_when_the_venue_rejects_the_submit_then_rejected(s: Scenario) -> None:
    order = canceled_before_ack(s)
    events = s.apply(VenueOrderRejected, account_id="spot", client_order_id=order.client_order_id, reason="funds")
    assert statuses(events) == [S.REJECTED]


def test_given_an_order_the_venue_acknowledged_when_it_no_longer_has_it_then_closed_once_and_not_looked_up_again(
    s: Scenario,
) -> None:
    # given a working order, and a reconciliation in which the venue does not list it
    order = s.working(order_type=OrderType.LIMIT, price=D("99"))
    s.ts += GRACE_NS
    passed = s.apply(ReconciliationSnapshot, account_id="spot")
    assert [q.client_order_id for q in of_type(passed, QueryAtVenue)] == [order.client_order_id]
    # when the lookup says the venue has no such order
    events = status_answer(s, order, None)
    # then it is closed (not kept NEW), the position distrusted, and one pass asked for
    assert statuses(events) == [S.CANCELED]
    assert alerts(events, "order_missing_at_venue")
    assert len(of_type(events, SnapshotRequested)) == 1 and of_type(events, PositionsMarkedDirty)
    # and the next pass has nothing to look up: no loop
    assert not of_type(s.apply(ReconciliationSnapshot, account_id="spot"), QueryAtVenue)


def test_given_a_working_order_when_the_venue_refuses_the_cancel_explicitly_then_it_works_on_with_an_alert(
    s: Scenario,
) -> None:
    order = s.working()
    s.request(CancelOrder, account_id="spot", order_id=order.order_id)
    events = s.apply(VenueCancelRejected, account_id="spot", client_order_id=order.client_order_id, reason="locked")
    assert statuses(events) == [S.NEW]
    assert alerts(events, "cancel_refused")


def test_given_a_working_order_when_its_cancel_bounces_not_found_then_pending_until_the_venue_settles_it(
    s: Scenario,
) -> None:
    # given a working order whose cancel crossed its fill at the venue ("not found": already done there)
    order = s.working()
    s.request(CancelOrder, account_id="spot", order_id=order.order_id)
    events = s.apply(
        VenueCancelRejected, account_id="spot", client_order_id=order.client_order_id, reason="order_not_found"
    )
    assert statuses(events) == [S.PENDING_CANCEL]
    # when its fill arrives, then it is filled; had it not, the timer looks it up
    assert statuses(s.fill(order, "1", "101")) == [S.FILLED]


def test_given_a_venue_final_status_with_fills_missing_then_the_order_closes_and_the_position_is_distrusted(
    s: Scenario,
) -> None:
    order = s.working(qty="2")
    s.fill(order, "1", "101")
    s.request(CancelOrder, account_id="spot", order_id=order.order_id)
    events = status_answer(s, order, S.FILLED, filled_qty=D(2))
    assert statuses(events) == [S.FILLED]  # not kept working: the venue is done with it
    assert of_type(events, PositionsMarkedDirty) and of_type(events, SnapshotRequested)
    assert statuses(s.fill(order, "1", "101")) == [S.FILLED]  # the missing fill, when found, is booked quietly
    assert not alerts(s.fill(order, "0", "101", trade_id="late"), "illegal_transition")


def test_given_an_order_closed_as_never_placed_when_the_venue_shows_it_after_all_then_it_is_canceled_there(
    s: Scenario,
) -> None:
    order = canceled_before_ack(s)
    s.ts += GRACE_NS
    status_answer(s, order, None)
    assert s.order(order.order_id).status is S.CANCELED
    # when the venue reports it (a late ack, a snapshot, a lookup), then it is canceled at the venue, loudly
    events = s.apply(
        ReconciliationSnapshot,
        account_id="spot",
        orders=(
            VenueOrderReport(
                client_order_id=order.client_order_id,
                venue_order_id="V9",
                symbol="BTC/USDT",
                side=order.side,
                order_type=order.order_type,
                quantity=order.quantity,
                price=order.price,
            ),
        ),
    )
    assert [c.order.client_order_id for c in of_type(events, CancelAtVenue)] == [order.client_order_id]
    assert alerts(events, "order_resurfaced")


def test_given_an_unacknowledged_order_when_replaced_then_refused_not_acknowledged(s: Scenario) -> None:
    order = s.placed(order_type=OrderType.LIMIT, price=D("99"))
    events = s.request(ReplaceOrder, account_id="spot", order_id=order.order_id, price=D("98"))
    assert replies(events)[0].reason == Reason.NOT_ACKNOWLEDGED
