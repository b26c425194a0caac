"""Venue availability (circuit breaker journaled) and the dead-letter queue: given / when / then over the real core."""

from decimal import Decimal as D

import pytest

from oms_daemon.core import Core
from oms_daemon.core.enums import OrderStatus as S
from oms_daemon.core.enums import OrderType
from oms_daemon.core.events import (
    CancelAtVenue,
    DeadLetterAdded,
    DeadLetterRemoved,
    ModifyAtVenue,
    QueryAtVenue,
    SubmitToVenue,
    VenueAvailabilityChanged,
)
from oms_daemon.core.inputs import (
    CancelOrder,
    CommandDeadLettered,
    DropDeadLetter,
    RedriveDeadLetter,
    ReplaceOrder,
    TimerTick,
    VenueAvailability,
)
from oms_daemon.core.model import Order
from oms_daemon.core.reasons import Reason
from tests.core.scenario import Scenario, alerts, of_type, replies


@pytest.fixture
def s() -> Scenario:
    scenario = Scenario()
    scenario.fund("spot", USDT="100000", BTC="1")
    scenario.quote("BTC/USDT", "100", "101")
    return scenario


def dead_letter(s: Scenario, command: object, error: str = "VenueUnavailable: connect refused") -> list:
    return s.apply(CommandDeadLettered, account_id="spot", command=command, error=error, attempts=4)


def operator(s: Scenario, kind: type, entry_id: int) -> list:
    return s.apply(kind, operator="ops", request_id=f"op{entry_id}-{kind.__name__}", entry_id=entry_id)


# --- venue availability -------------------------------------------------------------------------------------


def test_given_breaker_opened_when_journaled_then_alert_and_new_risk_refused(s: Scenario) -> None:
    # when the venue's circuit breaker opens
    events = s.apply(VenueAvailability, account_id="spot", available=False, reason="5 consecutive failures")
    # then the account is marked unavailable, loudly
    (changed,) = of_type(events, VenueAvailabilityChanged)
    assert (changed.account_id, changed.available) == ("spot", False)
    (alert,) = alerts(events, "venue_unavailable")
    assert alert.severity == "CRITICAL" and alert.account_id == "spot"
    assert s.state.venue_down == {"spot": "5 consecutive failures"}
    # and a new buy is refused with a machine-readable reason
    assert replies(s.submit(qty="1"))[0].reason == Reason.VENUE_UNAVAILABLE


def test_given_venue_unavailable_then_cancels_and_reducing_orders_still_go(s: Scenario) -> None:
    # given a long position and a resting buy, then the venue becomes unavailable
    s.fill(s.working(qty="1"), "1", "100")
    resting = s.working(order_type=OrderType.LIMIT, price=D(90), qty="0.5")
    s.apply(VenueAvailability, account_id="spot", available=False, reason="down")
    # when the strategy reduces and cancels / then both are accepted
    assert replies(s.submit(side="SELL", qty="1"))[0].ok
    events = s.request(CancelOrder, account_id="spot", order_id=resting.order_id)
    assert replies(events)[0].ok and of_type(events, CancelAtVenue)


def test_given_venue_unavailable_when_it_comes_back_then_new_orders_accepted_and_operator_told(s: Scenario) -> None:
    s.apply(VenueAvailability, account_id="spot", available=False, reason="down")
    # when the breaker closes
    events = s.apply(VenueAvailability, account_id="spot", available=True, reason="venue answers again")
    # then
    assert of_type(events, VenueAvailabilityChanged)[0].available
    assert alerts(events, "venue_available")[0].severity == "INFO"
    assert s.state.venue_down == {}
    assert replies(s.submit(qty="1"))[0].ok


def test_given_venue_already_unavailable_when_told_again_then_nothing_new(s: Scenario) -> None:
    s.apply(VenueAvailability, account_id="spot", available=False, reason="down")
    assert s.apply(VenueAvailability, account_id="spot", available=False, reason="still down") == []
    assert s.apply(VenueAvailability, account_id="fx", available=True, reason="never was down") == []


# --- dead letters: submit ---------------------------------------------------------------------------------------


def placed(s: Scenario) -> Order:
    return s.placed(qty="1")


def test_given_submit_exhausted_retries_when_dead_lettered_then_queued_with_an_alert(s: Scenario) -> None:
    order = placed(s)
    # when the resiliency layer dead-letters its submit
    events = dead_letter(s, SubmitToVenue(account_id="spot", order=order))
    # then it is entry 1, an operator is alerted, the order waits as PENDING_NEW
    (added,) = of_type(events, DeadLetterAdded)
    assert added.entry.entry_id == 1 and added.entry.attempts == 4
    (alert,) = alerts(events, "dead_letter")
    assert alert.order_id == order.order_id and "omsd dlq redrive 1" in alert.message
    assert list(s.state.dead_letters) == [1]
    assert s.order(order.order_id).status == S.PENDING_NEW


def test_given_dead_lettered_submit_when_redriven_then_sent_again_with_the_current_order(s: Scenario) -> None:
    order = placed(s)
    dead_letter(s, SubmitToVenue(account_id="spot", order=order))
    # when the operator re-drives it
    events = operator(s, RedriveDeadLetter, 1)
    # then it leaves the queue and the submit goes out again
    assert of_type(events, DeadLetterRemoved)[0].action == "redriven"
    (again,) = of_type(events, SubmitToVenue)
    assert again.order == s.order(order.order_id)
    assert replies(events)[0].ok
    assert s.state.dead_letters == {}


def test_given_dead_lettered_submit_when_dropped_then_the_order_is_rejected_as_never_sent(s: Scenario) -> None:
    order = placed(s)
    dead_letter(s, SubmitToVenue(account_id="spot", order=order))
    # when the operator drops it
    events = operator(s, DropDeadLetter, 1)
    # then the order is REJECTED with the drop as its reason, and nothing goes to the venue
    rejected = s.order(order.order_id)
    assert (rejected.status, rejected.reason) == (S.REJECTED, Reason.DEAD_LETTER_DROPPED)
    assert not of_type(events, SubmitToVenue)
    assert of_type(events, DeadLetterRemoved)[0].action == "dropped"
    assert s.state.dead_letters == {}


def test_given_order_no_longer_pending_when_redriven_then_not_sent_again(s: Scenario) -> None:
    order = placed(s)
    dead_letter(s, SubmitToVenue(account_id="spot", order=order))
    s.ack(order)  # the venue had it after all
    # when / then
    events = operator(s, RedriveDeadLetter, 1)
    assert not of_type(events, SubmitToVenue)
    assert "not sent again" in (replies(events)[0].message or "")


def test_given_no_such_entry_when_redriven_or_dropped_then_refused(s: Scenario) -> None:
    assert replies(operator(s, RedriveDeadLetter, 7))[0].reason == Reason.DEAD_LETTER_NOT_FOUND
    assert replies(operator(s, DropDeadLetter, 7))[0].reason == Reason.DEAD_LETTER_NOT_FOUND


# --- dead letters: cancel, replace, query --------------------------------------------------------------------


def test_given_dead_lettered_cancel_when_redriven_then_cancel_sent_again(s: Scenario) -> None:
    order = s.working(qty="1", order_type=OrderType.LIMIT, price=D(90))
    cancel = of_type(s.request(CancelOrder, account_id="spot", order_id=order.order_id), CancelAtVenue)[0]
    dead_letter(s, cancel)
    events = operator(s, RedriveDeadLetter, 1)
    assert of_type(events, CancelAtVenue)[0].order.status == S.PENDING_CANCEL


def test_given_dead_lettered_cancel_when_dropped_then_the_order_works_again(s: Scenario) -> None:
    order = s.working(qty="1", order_type=OrderType.LIMIT, price=D(90))
    cancel = of_type(s.request(CancelOrder, account_id="spot", order_id=order.order_id), CancelAtVenue)[0]
    dead_letter(s, cancel)
    operator(s, DropDeadLetter, 1)
    assert s.order(order.order_id).status == S.NEW


def test_given_dead_lettered_replace_when_dropped_then_replacement_rejected_and_original_restored(s: Scenario) -> None:
    order = s.working(qty="1", order_type=OrderType.LIMIT, price=D(90))
    events = s.request(ReplaceOrder, account_id="spot", order_id=order.order_id, price=D(91))
    (modify,) = of_type(events, ModifyAtVenue)
    dead_letter(s, modify)
    operator(s, DropDeadLetter, 1)
    assert s.order(modify.replacement.order_id).status == S.REJECTED
    assert s.order(order.order_id).status == S.NEW


def test_given_dead_lettered_query_when_redriven_then_queried_again(s: Scenario) -> None:
    query = QueryAtVenue(account_id="spot", client_order_id="t-1", symbol="BTC/USDT")
    dead_letter(s, query)
    assert of_type(operator(s, RedriveDeadLetter, 1), QueryAtVenue) == [query]


# --- journal and hash --------------------------------------------------------------------------------------------


def test_given_the_same_inputs_when_replayed_then_same_dead_letters_and_hash(s: Scenario) -> None:
    order = placed(s)
    dead_letter(s, SubmitToVenue(account_id="spot", order=order))
    dead_letter(s, QueryAtVenue(account_id="spot", client_order_id="x", symbol="BTC/USDT"))
    operator(s, DropDeadLetter, 1)
    s.apply(VenueAvailability, account_id="spot", available=False, reason="down")
    # when the journal's inputs are folded again
    replayed = Core()
    for inp in s.inputs:
        replayed.step(inp)
    # then the queue, the availability and the hash are the same
    assert replayed.state.dead_letters == s.state.dead_letters and list(s.state.dead_letters) == [2]
    assert replayed.state.venue_down == s.state.venue_down
    assert replayed.state.state_hash() == s.state.state_hash()


def test_given_two_states_differing_only_in_the_queue_then_their_hashes_differ() -> None:
    # given two runs with the same inputs except the last: a dead letter in one, a timer tick in the other
    with_letter, without = Scenario(), Scenario()
    dead_letter(with_letter, QueryAtVenue(account_id="spot", client_order_id="x", symbol="BTC/USDT"))
    without.apply(TimerTick)
    # then the state hash tells them apart
    assert with_letter.state.last_ts == without.state.last_ts
    assert with_letter.state.state_hash() != without.state.state_hash()
