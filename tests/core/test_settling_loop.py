"""Closed loop: the core's venue commands answered by a model venue until nothing is left to ask.

Whatever happened to each order (the submit never arrived, arrived late or was filled; its ack, fills and
cancel answers lost or crossed), the loop comes to rest: every order the core still calls working works at
the venue and the other way round, every venue trade is booked once, and periodic reconciliation passes then
ask nothing more and journal no fill again. No input sequence keeps lookups, cancels or reconciliation passes
going without a new venue fact behind them.
"""

from decimal import Decimal as D

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oms_daemon.core.enums import OrderType
from oms_daemon.core.events import Event, SnapshotRequested, VenueCommand
from oms_daemon.core.inputs import (
    CancelOrder,
    Input,
    SessionStarted,
    SubmitOutcomeUnknown,
    TimerTick,
    VenueOrderAccepted,
    VenueOrderRejected,
)
from oms_daemon.core.model import Order
from oms_daemon.core.transitions import WORKING
from tests.core.scenario import CONFIG, Scenario, replies
from tests.core.venue_model import ModelVenue, admitted

SECOND = 1_000_000_000
GRACE = 10 * SECOND
FATES = ("never", "working", "partial", "filled", "late")
"""What the venue does with a submit: never gets it, keeps it working, fills part or all of it at once, or gets it
only after the lookup grace (a venue outside its own receive window: the case omsd must still survive)."""

story = st.fixed_dictionaries(
    {
        "fate": st.sampled_from(FATES),
        "cancel": st.sampled_from(["none", "before_arrival", "after_outcome"]),
        "outcome": st.sampled_from(["ack", "unknown", "lost", "rejected"]),  # what the submit's caller hears
        "fills_heard": st.booleans(),
    }
)


class Loop:
    """A scenario core and a model venue wired back to back; counts what each round asked of the venue."""

    def __init__(self) -> None:
        self.s = Scenario()
        self.s.fund("spot", USDT="1000000", BTC="100")
        self.s.quote("BTC/USDT", "99", "101")
        self.venue = ModelVenue("spot")
        self.journaled = 0

    def feed(self, inputs: list[Input]) -> list[Event]:
        events: list[Event] = []
        for inp in admitted(self.s.state, inputs):
            self.journaled += 1
            self.s.inputs.append(inp)
            events += self.s.core.step(inp)
        return events

    def now(self) -> int:
        self.s.ts += 1_000
        return self.s.ts

    def settle(self, events: list[Event]) -> list[VenueCommand]:
        """Answer every venue command, and the commands the answers cause, until none is left."""
        asked: list[VenueCommand] = []
        pending = [e for e in events if isinstance(e, VenueCommand)]
        while pending:
            command = pending.pop(0)
            asked.append(command)
            assert len(asked) < 500, f"the venue is asked without end: {asked[-5:]}"
            pending += [e for e in self.feed(self.venue.answer(command, self.now())) if isinstance(e, VenueCommand)]
        return asked

    def round(self, seconds: float, reconcile: bool) -> list[VenueCommand]:
        """Time passes: a timer tick (and a periodic reconciliation pass), all answered."""
        self.s.ts += int(seconds * SECOND)
        events = self.feed([TimerTick(ts_recv=self.now())])
        if reconcile:
            events.append(SnapshotRequested(account_id="spot", reason="periodic"))
        return self.settle(events)

    def tell(self, inp: Input) -> None:
        self.settle(self.feed([inp]))


def play(loop: Loop, story: dict) -> tuple[Order, bool]:
    """Place one order and let its story happen; True if it may still arrive late."""
    s, venue = loop.s, loop.venue
    reply = replies(s.submit(order_type=OrderType.LIMIT, price=D("99"), qty="2"))[0]
    order = s.order(reply.order_id)
    cid, fate = order.client_order_id, story["fate"]
    fill = {"partial": D(1), "filled": D(2)}.get(fate, D(0))

    def cancel() -> None:
        loop.settle(s.request(CancelOrder, account_id="spot", order_id=order.order_id))

    if story["cancel"] == "before_arrival":
        cancel()  # the cancel overtakes the submit
    arrived = venue.arrive(order, fill) if fate in ("working", "partial", "filled") else None
    outcome = story["outcome"]
    if arrived is not None and outcome == "ack":
        loop.tell(
            VenueOrderAccepted(
                ts_recv=loop.now(), account_id="spot", client_order_id=cid, venue_order_id=arrived.venue_order_id
            )
        )
    elif arrived is None and outcome == "rejected" and fate == "never":
        loop.tell(VenueOrderRejected(ts_recv=loop.now(), account_id="spot", client_order_id=cid, reason="funds"))
    elif outcome in ("unknown", "ack", "rejected"):
        loop.tell(SubmitOutcomeUnknown(ts_recv=loop.now(), account_id="spot", client_order_id=cid, reason="timeout"))
    if arrived is not None and story["fills_heard"]:
        for fill_input in venue.fills(arrived, loop.now()):
            loop.tell(fill_input)
    if story["cancel"] == "after_outcome":
        cancel()
    return order, fate == "late"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stories=st.lists(story, min_size=1, max_size=4))
def test_given_any_order_stories_when_the_loop_runs_then_it_comes_to_rest_in_agreement_with_the_venue(
    stories: list[dict],
) -> None:
    loop = Loop()
    played = [play(loop, story) for story in stories]
    if any(story["outcome"] == "lost" for story in stories):  # no outcome heard: the daemon died and restarts
        loop.settle(loop.feed([SessionStarted(ts_recv=loop.now(), config=CONFIG)]))
    for second in range(40):  # 40 s: the lookup grace (10 s) and more
        if second == 12:
            for order, late in played:
                if late:  # outside the grace: the venue gets it after all
                    loop.venue.arrive(loop.s.order(order.order_id))
        loop.round(1.0, reconcile=second % 5 == 0)
    # then periodic passes come and go without asking anything else, or journaling any fill again
    journaled = loop.journaled
    for _ in range(3):
        asked = loop.round(5.0, reconcile=True)
        assert [type(c).__name__ for c in asked] == ["SnapshotRequested"], asked
    assert loop.journaled - journaled == 6  # each pass: a timer tick and a snapshot
    # and every order agrees with the venue: working in both or in neither, the same fills
    state = loop.s.state
    for order, _ in played:
        ours = state.orders[order.order_id]
        theirs = loop.venue.orders.get(order.client_order_id)
        assert (ours.status in WORKING) == (theirs is not None and theirs.working), (ours, theirs)
        assert ours.filled_qty == (theirs.filled if theirs else D(0)), (ours, theirs)
    booked = sorted(f.trade_id for f in state.fills.values())
    assert booked == sorted(t for got in loop.venue.orders.values() for t, _ in got.trades)
    assert not [o for o in state.orders.values() if o.status in WORKING and not o.acknowledged]
