"""The daemon's own health, as journaled facts: the journal's disk running low, the wall clock stepping back.
Both raise an alert, so an operator hears of them before anything stops.

While the journal's disk is low (below the configured low-water mark, or its space reserve spent) new risk
is refused (``journal_space_low``): cancels, reducing orders and venue events still go, into the room that
is left. A wall clock behind event time is only reported: event time itself never goes back (the shell's
``EventClock``), so nothing refuses because of it.
"""

from decimal import Decimal

from oms_daemon.core.enums import AlertSeverity
from oms_daemon.core.events import AlertRaised, Event, JournalSpaceChanged
from oms_daemon.core.inputs import ClockStep, JournalSpace
from oms_daemon.core.state import OmsState

__all__ = ["APPLY", "HANDLERS"]

_MB = 1024 * 1024


def _on_journal_space(state: OmsState, inp: JournalSpace) -> list[Event]:
    if inp.low == bool(state.journal_low):
        return []
    free = f"{inp.free_bytes / _MB:.1f} MB free"
    if inp.low:
        message = f"journal disk low ({inp.reason}, {free}): new risk refused, cancels and venue events still go"
        alert = AlertRaised(code="journal_disk_low", severity=AlertSeverity.CRITICAL, message=message)
    else:
        message = f"journal disk has room again ({free}): new orders accepted"
        alert = AlertRaised(code="journal_disk_ok", severity=AlertSeverity.INFO, message=message)
    return [JournalSpaceChanged(low=inp.low, reason=inp.reason if inp.low else ""), alert]


def _on_clock_step(state: OmsState, inp: ClockStep) -> list[Event]:
    if not inp.behind_ns:
        message = "the wall clock agrees with event time again"
        return [AlertRaised(code="clock_recovered", severity=AlertSeverity.INFO, message=message)]
    seconds = Decimal(inp.behind_ns).scaleb(-9).quantize(Decimal("0.001"))
    message = (
        f"the wall clock stepped back {seconds} s behind event time: event time goes on at the monotonic rate; "
        "venues that check request timestamps may refuse requests (clock_skew) until the clock is fixed"
    )
    return [AlertRaised(code="clock_step_back", severity=AlertSeverity.WARNING, message=message, amount=seconds)]


def _space_changed(state: OmsState, event: JournalSpaceChanged) -> None:
    state.journal_low = event.reason if event.low else ""


HANDLERS = {JournalSpace: _on_journal_space, ClockStep: _on_clock_step}
"""Decision per input type, registered in ``decide``."""

APPLY = {JournalSpaceChanged: _space_changed}
"""State change per event type, registered in ``evolve``."""
