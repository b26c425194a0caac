"""Order intents: submit, refusals, idempotency, cancel, replace, and the UNKNOWN outcome."""

from decimal import Decimal as D

import pytest

from oms_daemon.core.enums import OrderStatus as S
from oms_daemon.core.enums import OrderType
from oms_daemon.core.events import CancelAtVenue, ModifyAtVenue, QueryAtVenue, SubmitToVenue
from oms_daemon.core.inputs import (
    CancelOrder,
    ReplaceOrder,
    SubmitOrder,
    SubmitOutcomeUnknown,
    TimerTick,
    VenueCancelRejected,
    VenueOrderCanceled,
    VenueOrderExpired,
    VenueOrderRejected,
    VenueOrderReplaced,
    VenueOrderStatus,
    VenueReplaceRejected,
)
from oms_daemon.core.reasons import Reason
from tests.core.scenario import Scenario, alerts, of_type, replies, statuses


@pytest.fixture
def s() -> Scenario:
    scenario = Scenario()
    scenario.fund("spot", USDT="100000", BTC="10", ETH="10")
    scenario.quote("BTC/USDT", "100", "101")
    scenario.quote("ETH/USDT", "10", "11")
    return scenario


def test_given_funded_account_when_submit_then_pending_new_order_is_sent_and_acknowledged(s: Scenario) -> None:
    events = s.submit(qty="2")
    reply = replies(events)[0]
    assert reply.ok and reply.order_id == 1
    order = s.order(1)
    assert order.status is S.PENDING_NEW
    assert order.client_order_id == "t-1"
    assert of_type(events, SubmitToVenue)[0].order == order


def test_given_order_ids_when_several_submits_then_ids_are_monotonic_and_client_ids_derived(s: Scenario) -> None:
    ids = [s.placed().order_id for _ in range(3)]
    assert ids == [1, 2, 3]
    assert [s.order(i).client_order_id for i in ids] == ["t-1", "t-2", "t-3"]


def test_given_pending_order_when_venue_accepts_then_new_with_venue_id(s: Scenario) -> None:
    order = s.placed()
    events = s.ack(order, "V9")
    assert statuses(events) == [S.NEW]
    assert s.order(order.order_id).venue_order_id == "V9"


def test_given_new_order_when_ack_repeats_then_nothing_changes(s: Scenario) -> None:
    order = s.working()
    assert s.ack(order) == []


def test_given_pending_order_when_venue_rejects_then_rejected_with_reason(s: Scenario) -> None:
    order = s.placed()
    events = s.apply(VenueOrderRejected, account_id="spot", client_order_id=order.client_order_id, reason="px")
    assert statuses(events) == [S.REJECTED]
    assert s.order(order.order_id).reason == "px"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"account": "nope"}, Reason.UNKNOWN_ACCOUNT),
        ({"account": "fx", "symbol": "EURUSD", "strategy_id": "intruder"}, Reason.STRATEGY_NOT_PERMITTED),
        ({"symbol": "DOGE/USDT"}, Reason.UNKNOWN_SYMBOL),
        ({"account": "spot", "symbol": "EURUSD"}, Reason.SYMBOL_NOT_ALLOWED),
        ({"qty": "0"}, Reason.INVALID_QUANTITY),
        ({"qty": "-1"}, Reason.INVALID_QUANTITY),
        ({"order_type": OrderType.LIMIT}, Reason.MISSING_PRICE),
        ({"order_type": OrderType.LIMIT, "price": D("-1")}, Reason.INVALID_PRICE),
        ({"order_type": OrderType.STOP}, Reason.MISSING_STOP_PRICE),
        ({"order_type": OrderType.STOP_LIMIT, "price": D(1)}, Reason.MISSING_STOP_PRICE),
        ({"post_only": True}, Reason.POST_ONLY_NOT_LIMIT),
        ({"qty": "0.0001"}, Reason.QUANTITY_STEP),
        ({"order_type": OrderType.LIMIT, "price": D("100.001")}, Reason.PRICE_TICK),
        ({"symbol": "ETH/USDT", "qty": "0.5"}, Reason.MIN_NOTIONAL),
        ({"qty": "2000"}, Reason.INSUFFICIENT_FUNDS),
        ({"side": "SELL", "qty": "11"}, Reason.INSUFFICIENT_FUNDS),
        ({"reduce_only": True}, Reason.REDUCE_ONLY),
        ({"account": "live"}, Reason.NOT_ARMED),
    ],
)
def test_given_bad_request_when_submit_then_refused_with_stable_reason(
    s: Scenario, fields: dict, reason: Reason
) -> None:
    kwargs = dict(fields)
    if "account" in kwargs:
        kwargs["account"] = kwargs.pop("account")
    events = s.submit(**kwargs)
    reply = replies(events)[0]
    assert not reply.ok
    assert reply.reason == reason
    assert reply.message
    assert not of_type(events, SubmitToVenue)
    if reply.order_id is not None:  # recorded as a rejected order, for the audit trail
        assert s.order(reply.order_id).status is S.REJECTED
        assert s.order(reply.order_id).reason == reason


def test_given_seen_idempotency_key_when_submitted_again_then_the_existing_order_is_returned(s: Scenario) -> None:
    first = replies(s.submit(idempotency_key="k1"))[0]
    again = s.submit(idempotency_key="k1", qty="5")
    assert replies(again)[0].order_id == first.order_id
    assert not of_type(again, SubmitToVenue)
    assert len(s.state.orders) == 1


def test_given_key_of_another_strategy_when_submitted_then_it_is_a_new_order(s: Scenario) -> None:
    first = replies(s.submit(idempotency_key="k1"))[0]
    other = replies(s.submit(idempotency_key="k1", strategy_id="s2"))[0]
    assert other.order_id != first.order_id


def test_given_working_order_when_cancel_then_pending_cancel_and_venue_cancel(s: Scenario) -> None:
    order = s.working()
    events = s.request(CancelOrder, account_id="spot", order_id=order.order_id)
    assert statuses(events) == [S.PENDING_CANCEL]
    assert of_type(events, CancelAtVenue)
    done = s.apply(VenueOrderCanceled, account_id="spot", client_order_id=order.client_order_id)
    assert statuses(done) == [S.CANCELED]


def test_given_pending_cancel_when_cancel_again_then_ok_without_second_venue_cancel(s: Scenario) -> None:
    order = s.working()
    s.request(CancelOrder, account_id="spot", order_id=order.order_id)
    events = s.request(CancelOrder, account_id="spot", order_id=order.order_id)
    assert replies(events)[0].ok
    assert not of_type(events, CancelAtVenue)


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        ("missing", Reason.ORDER_NOT_FOUND),
        ("other_strategy", Reason.ORDER_NOT_FOUND),
        ("filled", Reason.ORDER_NOT_OPEN),
    ],
)
def test_given_uncancelable_order_when_cancel_then_refused(s: Scenario, setup: str, reason: Reason) -> None:
    order = s.working()
    if setup == "filled":
        s.fill(order, "1", "101")
    order_id = 999 if setup == "missing" else order.order_id
    strategy = "s2" if setup == "other_strategy" else "s1"
    events = s.request(CancelOrder, account_id="spot", order_id=order_id, strategy_id=strategy)
    assert replies(events)[0].reason == reason


def test_given_venue_refuses_cancel_then_order_works_again(s: Scenario) -> None:
    order = s.working()
    s.request(CancelOrder, account_id="spot", order_id=order.order_id)
    events = s.apply(VenueCancelRejected, account_id="spot", client_order_id=order.client_order_id, reason="too late")
    assert statuses(events) == [S.NEW]


def test_given_working_limit_when_replace_then_linked_replacement_and_venue_modify(s: Scenario) -> None:
    order = s.working(order_type=OrderType.LIMIT, price=D("99"), qty="2")
    events = s.request(ReplaceOrder, account_id="spot", order_id=order.order_id, price=D("98"))
    reply = replies(events)[0]
    new = s.order(reply.order_id)
    assert s.order(order.order_id).status is S.PENDING_REPLACE
    assert s.order(order.order_id).replaced_by_id == new.order_id
    assert new.replaces_id == order.order_id and new.status is S.PENDING_NEW and new.price == D("98")
    modify = of_type(events, ModifyAtVenue)[0]
    assert modify.replacement.client_order_id == new.client_order_id
    done = s.apply(
        VenueOrderReplaced,
        account_id="spot",
        client_order_id=new.client_order_id,
        orig_client_order_id=order.client_order_id,
        venue_order_id="V2",
    )
    assert statuses(done) == [S.REPLACED, S.NEW]
    assert s.order(new.order_id).venue_order_id == "V2"


def test_given_partially_filled_order_when_replaced_then_fills_carry_to_the_replacement(s: Scenario) -> None:
    order = s.working(order_type=OrderType.LIMIT, price=D("99"), qty="2")
    s.fill(order, "0.5", "99")
    reply = replies(s.request(ReplaceOrder, account_id="spot", order_id=order.order_id, quantity=D("3")))[0]
    new = s.order(reply.order_id)
    s.apply(
        VenueOrderReplaced,
        account_id="spot",
        client_order_id=new.client_order_id,
        orig_client_order_id=order.client_order_id,
    )
    replaced = s.order(new.order_id)
    assert replaced.status is S.PARTIALLY_FILLED
    assert replaced.filled_qty == D("0.5") and replaced.leaves_qty == D("2.5")


def test_given_replace_rejected_then_original_restored_and_replacement_rejected(s: Scenario) -> None:
    order = s.working(order_type=OrderType.LIMIT, price=D("99"))
    new_id = replies(s.request(ReplaceOrder, account_id="spot", order_id=order.order_id, price=D("97")))[0].order_id
    new = s.order(new_id)
    events = s.apply(
        VenueReplaceRejected,
        account_id="spot",
        client_order_id=new.client_order_id,
        orig_client_order_id=order.client_order_id,
        reason="no",
    )
    assert statuses(events) == [S.REJECTED, S.NEW]
    assert s.order(order.order_id).replaced_by_id is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [({}, Reason.NOTHING_TO_CHANGE), ({"quantity": D("0.5")}, Reason.QUANTITY_BELOW_FILLED)],
)
def test_given_bad_replace_then_refused(s: Scenario, change: dict, reason: Reason) -> None:
    order = s.working(order_type=OrderType.LIMIT, price=D("99"), qty="2")
    s.fill(order, "1", "99")
    events = s.request(ReplaceOrder, account_id="spot", order_id=order.order_id, **change)
    assert replies(events)[0].reason == reason


def test_given_pending_replace_when_cancel_or_replace_again_then_refused(s: Scenario) -> None:
    order = s.working(order_type=OrderType.LIMIT, price=D("99"))
    s.request(ReplaceOrder, account_id="spot", order_id=order.order_id, price=D("98"))
    cancel = s.request(CancelOrder, account_id="spot", order_id=order.order_id)
    again = s.request(ReplaceOrder, account_id="spot", order_id=order.order_id, price=D("97"))
    assert replies(cancel)[0].reason == Reason.REPLACE_PENDING
    assert replies(again)[0].reason == Reason.REPLACE_PENDING


def test_given_submit_timed_out_then_unknown_is_queried_and_counts_as_exposure(s: Scenario) -> None:
    order = s.placed(qty="2")
    events = s.apply(SubmitOutcomeUnknown, account_id="spot", client_order_id=order.client_order_id, reason="timeout")
    assert statuses(events) == [S.UNKNOWN]
    assert of_type(events, QueryAtVenue)[0].client_order_id == order.client_order_id
    assert alerts(events, "submit_outcome_unknown")
    assert s.state.working_leaves(("spot", "BTC/USDT")) == (D(2), D(0))


def test_given_unknown_order_when_venue_has_it_then_new(s: Scenario) -> None:
    order = s.placed()
    s.apply(SubmitOutcomeUnknown, account_id="spot", client_order_id=order.client_order_id, reason="timeout")
    events = s.apply(
        VenueOrderStatus, account_id="spot", client_order_id=order.client_order_id, status=S.NEW, venue_order_id="V"
    )
    assert statuses(events) == [S.NEW]


def test_given_unknown_order_when_venue_still_does_not_know_it_after_the_grace_then_rejected(s: Scenario) -> None:
    order = s.placed()
    s.apply(SubmitOutcomeUnknown, account_id="spot", client_order_id=order.client_order_id, reason="timeout")
    s.ts += 11_000_000_000  # past lookup_grace_ms (10 s): the request can no longer reach the venue
    events = s.apply(VenueOrderStatus, account_id="spot", client_order_id=order.client_order_id, status=None)
    assert statuses(events) == [S.REJECTED]
    assert s.order(order.order_id).reason == Reason.VENUE_NOT_FOUND


def test_given_unknown_order_when_cancel_then_pending_cancel_sent_by_client_id_and_still_looked_up(s: Scenario) -> None:
    order = s.placed()
    s.apply(SubmitOutcomeUnknown, account_id="spot", client_order_id=order.client_order_id, reason="timeout")
    events = s.request(CancelOrder, account_id="spot", order_id=order.order_id)
    assert of_type(events, CancelAtVenue)
    assert s.order(order.order_id).status is S.PENDING_CANCEL
    # the venue has not settled it: it is looked up again by client order id until it does
    s.ts += 1_500_000_000
    assert [q.client_order_id for q in of_type(s.apply(TimerTick), QueryAtVenue)] == [order.client_order_id]


def test_given_working_order_when_venue_expires_it_then_expired(s: Scenario) -> None:
    order = s.working()
    events = s.apply(VenueOrderExpired, account_id="spot", client_order_id=order.client_order_id)
    assert statuses(events) == [S.EXPIRED]


def test_given_filled_order_when_venue_says_canceled_then_illegal_transition_alerted_and_status_kept(
    s: Scenario,
) -> None:
    order = s.working()
    s.fill(order, "1", "101")
    events = s.apply(VenueOrderCanceled, account_id="spot", client_order_id=order.client_order_id)
    assert alerts(events, "illegal_transition")
    assert s.order(order.order_id).status is S.FILLED


def test_given_venue_event_for_unknown_client_id_then_alerted_not_crashed(s: Scenario) -> None:
    events = s.apply(VenueOrderCanceled, account_id="spot", client_order_id="zzz")
    assert alerts(events, "unknown_order")


def test_given_no_session_when_intent_then_refused_not_configured() -> None:
    from oms_daemon.core import Core

    core = Core()
    events = core.step(
        SubmitOrder(
            ts_recv=1, request_id="r", account_id="spot", strategy_id="s", symbol="X", side="BUY", quantity=D(1)
        )
    )
    assert replies(events)[0].reason == Reason.NOT_CONFIGURED


@pytest.mark.parametrize(
    "field", [{"qty": "1E+30"}, {"qty": "1E-30"}, {"order_type": OrderType.LIMIT, "price": D("1E+25")}]
)
def test_given_absurd_numbers_when_submit_then_refused_out_of_range(s: Scenario, field: dict) -> None:
    events = s.submit(**field)
    assert replies(events)[0].reason == Reason.OUT_OF_RANGE


def test_given_an_input_the_core_cannot_decide_then_refused_with_an_alert_and_the_core_goes_on(s: Scenario) -> None:
    from oms_daemon.core.inputs import Intent

    class Unheard(Intent, kw_only=True):
        """An input type no handler knows (a bug)."""

    events = s.request(Unheard, account_id="spot")
    assert replies(events)[0].reason == Reason.INTERNAL_ERROR
    assert alerts(events, "input_failed")
    assert replies(s.submit())[0].ok


def test_given_replace_outcome_unknown_when_venue_has_the_replacement_then_original_replaced(s: Scenario) -> None:
    order = s.working(order_type=OrderType.LIMIT, price=D("99"))
    new = s.order(
        replies(s.request(ReplaceOrder, account_id="spot", order_id=order.order_id, price=D("98")))[0].order_id
    )
    s.apply(SubmitOutcomeUnknown, account_id="spot", client_order_id=new.client_order_id, reason="timeout")
    events = s.apply(VenueOrderStatus, account_id="spot", client_order_id=new.client_order_id, status=S.NEW)
    assert statuses(events) == [S.NEW, S.REPLACED]
    assert s.order(order.order_id).status is S.REPLACED


def test_given_a_fresh_order_when_venue_does_not_know_it_yet_then_unknown_and_looked_up_again(s: Scenario) -> None:
    order = s.placed()
    events = s.apply(VenueOrderStatus, account_id="spot", client_order_id=order.client_order_id, status=None)
    assert statuses(events) == [S.UNKNOWN]  # the request may still be on its way to the venue
    s.ts += 1_500_000_000
    requery = s.apply(TimerTick)
    assert [q.client_order_id for q in of_type(requery, QueryAtVenue)] == [order.client_order_id]
    found = s.apply(VenueOrderStatus, account_id="spot", client_order_id=order.client_order_id, status=S.NEW)
    assert statuses(found) == [S.NEW]


def test_given_a_cancel_before_the_ack_when_the_venue_never_got_the_order_then_canceled_after_the_grace(
    s: Scenario,
) -> None:
    order = s.placed()
    s.request(CancelOrder, account_id="spot", order_id=order.order_id)  # before any ack: PENDING_CANCEL
    early = s.apply(VenueOrderStatus, account_id="spot", client_order_id=order.client_order_id, status=None)
    assert statuses(early) == [S.PENDING_CANCEL]  # the submit may still reach the venue
    s.ts += 11_000_000_000
    late = s.apply(VenueOrderStatus, account_id="spot", client_order_id=order.client_order_id, status=None)
    assert statuses(late) == [S.CANCELED]
