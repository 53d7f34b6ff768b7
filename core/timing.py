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
