"""``EventClock``: receive times never go back and keep moving when the wall clock steps back."""

from oms_daemon.clock import SECOND, EventClock


class Clocks:
    """A wall clock to step about, and a monotonic one that only moves on."""

    def __init__(self, wall: int) -> None:
        self.wall = wall
        self.mono = 0

    def tick(self, ns: int) -> None:
        self.wall += ns
        self.mono += ns


def clock_on(clocks: Clocks, floor_ns: int = 0) -> EventClock:
    return EventClock(floor_ns, wall=lambda: clocks.wall, monotonic=lambda: clocks.mono)


def test_given_a_sane_wall_clock_then_event_time_is_the_wall_clock() -> None:
    clocks = Clocks(1000 * SECOND)
    clock = clock_on(clocks)
    clocks.tick(5 * SECOND)
    assert clock.now_ns() == 1005 * SECOND and clock.behind_ns == 0


def test_given_a_step_back_then_event_time_goes_on_at_the_real_rate_until_the_wall_clock_catches_up() -> None:
    clocks = Clocks(1000 * SECOND)
    clock = clock_on(clocks)
    clocks.wall -= 3600 * SECOND  # an NTP step back by an hour
    clocks.tick(2 * SECOND)
    # then time went on two seconds from where it was, and the step is known with its size
    assert clock.now_ns() == 1002 * SECOND and clock.behind_ns == 3600 * SECOND
    clocks.wall += 3600 * SECOND  # fixed
    clocks.tick(1 * SECOND)
    assert clock.now_ns() == 1003 * SECOND and clock.behind_ns == 0


def test_given_a_restart_with_the_clock_a_day_behind_the_journal_then_time_goes_on_from_the_journal() -> None:
    day = 86_400 * SECOND
    clocks = Clocks(10 * day)
    clock = clock_on(clocks)
    clock.resume_after(11 * day)  # the journal's latest stamp
    clocks.tick(SECOND)
    stamp = clock.now_ns()
    assert stamp == 11 * day + 1 + SECOND and clock.behind_ns == day + 1


def test_given_a_small_step_back_then_time_pauses_and_never_repeats() -> None:
    clocks = Clocks(1000 * SECOND)
    clock = clock_on(clocks)
    first = clock.now_ns()
    clocks.wall -= SECOND // 10
    stamps = [clock.now_ns() for _ in range(3)]
    assert stamps == [first + 1, first + 2, first + 3] and clock.behind_ns == 0
