"""Wall-clock cost of a call, measured so that a shared machine's noise does not decide it."""

from __future__ import annotations

import time
from collections.abc import Callable

REPEAT_S = 1.0
"""A cost measurement repeats a call (up to its `repeats`) only while the calls total less than this."""


def wall_ms(call: Callable[[], object]) -> float:
    """Milliseconds `call()` takes."""
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def fastest_ms(measure: Callable[[], float], repeats: int = 3, budget_s: float = REPEAT_S) -> float:
    """The fastest of up to `repeats` measurements in ms (fewer once they total `budget_s`): `measure` is
    `partial(wall_ms, call)`, or for a ranker's scoring `partial(ranker.score_ms, query, doc_ids)` (which counts
    what cached scores cost when computed).

    The minimum, as `timeit` advises: on a shared machine other work only ever adds time.
    """
    times: list[float] = []
    while len(times) < repeats and sum(times) < budget_s * 1000:
        times.append(measure())
    return min(times)


class Countdown:
    """Fraction done and time left of work in phases of expected lengths (seconds), each phase's length revised
    from its own pace once a tenth of it is done: a phase that runs long says so, instead of the whole estimate
    drifting with whichever phase happens to be running.

    Example:
        >>> countdown = Countdown([10.0, 60.0], clock=iter([0.0, 5.0, 10.0, 40.0]).__next__)
        >>> countdown.update(0, 0.5)  # 5 s into the first phase, half of it done
        (0.0714..., 65.0)
        >>> countdown.update(1, 0.0)  # the second phase begins at 10 s
        (0.1428..., 60.0)
        >>> countdown.update(1, 0.5)  # 30 s into it, half done
        (0.5714..., 30.0)
    """

    def __init__(self, expected: list[float], clock: Callable[[], float] = time.monotonic) -> None:
        self.expected, self.clock = list(expected), clock
        self.start = self.phase_start = clock()
        self.phase = 0

    def update(self, phase: int, fraction: float) -> tuple[float, float]:
        """(Fraction of all the work done, seconds left) with `phase` (0-based) `fraction` done."""
        now = self.clock()
        if phase != self.phase:
            self.phase, self.phase_start = phase, now
        spent = now - self.phase_start
        length = spent / fraction if fraction >= 0.1 else max(self.expected[phase], spent)
        left = max(0.0, length - spent) + sum(self.expected[phase + 1:])
        elapsed = now - self.start
        return (elapsed / (elapsed + left) if elapsed + left > 0 else 1.0), left


class Pace:
    """Time left of work that reports a growing fraction done, extrapolated from the time it spent advancing.

    A step that begins (a model loading, a corpus read) reports its start without advancing; the wait until its
    first advance is one-off, so it is left out of the pace, and while it lasts the time left stays as it was
    instead of counting up.

    Example:
        >>> pace = Pace(clock=iter([0.0, 10.0, 12.0, 30.0, 31.0]).__next__)
        >>> pace.update(0.5), pace.update(0.5)  # half done in 10 s; a step starts (a model loads)
        (10.0, 10.0)
        >>> pace.update(0.55), pace.update(0.6)  # its first advance comes 18 s later: the load is not the pace
        (8.18..., 7.33...)
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.last = clock()
        self.fraction = 0.0
        self.advancing = 0.0  # seconds spent between updates that advanced, each after one that advanced
        self.previous_advanced = True
        self.left: float | None = None

    def update(self, fraction: float) -> float | None:
        """Record `fraction` done now; returns the seconds left (None until a twentieth is done, and once done)."""
        now = self.clock()
        advanced = fraction > self.fraction
        if advanced and self.previous_advanced:
            self.advancing += now - self.last
        self.last, self.previous_advanced = now, advanced
        self.fraction = max(self.fraction, fraction)
        if advanced and self.advancing > 0 and 0.05 <= self.fraction < 1:
            self.left = self.advancing * (1 - self.fraction) / self.fraction
        elif self.fraction >= 1:
            self.left = None
        return self.left
