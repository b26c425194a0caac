"""``Core``: decide then evolve, one input at a time. The daemon, replay and benches all use it."""

from decimal import ROUND_HALF_EVEN, Context, DivisionByZero, InvalidOperation, Overflow, getcontext, setcontext

from oms_daemon.core.decide import VENUE_EVENTS, decide, failed_input
from oms_daemon.core.events import Event
from oms_daemon.core.evolve import evolve_all
from oms_daemon.core.inputs import Input
from oms_daemon.core.state import OmsState
from oms_daemon.core.streams import observe_venue_event

__all__ = ["DECIMAL_CONTEXT", "Core"]

DECIMAL_CONTEXT = Context(
    prec=28, rounding=ROUND_HALF_EVEN, Emin=-999999, Emax=999999, traps=[InvalidOperation, DivisionByZero, Overflow]
)
"""The decimal arithmetic every step runs under, whatever the thread's context was: replays agree."""


class Core:
    """The pure OMS: feed it inputs in journal order, get back what each one decided."""

    __slots__ = ("_context", "state")

    def __init__(self, state: OmsState | None = None) -> None:
        self.state = state if state is not None else OmsState()
        self._context = DECIMAL_CONTEXT.copy()

    def step(self, inp: Input) -> list[Event]:
        """Decide ``inp`` against the current state, apply the resulting events, return them.

        Afterwards the venue stream bookkeeping (sequence number, last heard) takes in ``inp``.
        """
        state = self.state
        caller = getcontext()
        setcontext(self._context)  # private, and put back after the step: libraries on this thread (ccxt) never see it
        try:
            try:
                events = decide(state, inp)
            except Exception as error:  # a bug for this input: refuse it, alert, and keep going (replay does the same)
                events = failed_input(inp, error)
            evolve_all(state, events)
        finally:
            setcontext(caller)
        if inp.ts_recv > state.last_ts:
            state.last_ts = inp.ts_recv
        if type(inp) in VENUE_EVENTS:
            observe_venue_event(state, inp)
        return events
