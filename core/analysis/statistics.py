"""Statistics that stay honest with few queries: bootstrap intervals, paired tests across every pair corrected for
multiple comparisons, groups of contestants that cannot be told apart, and how many more queries would separate two.

Everything works on per-query values of one metric (`RankerResult.per_query[metric]`: `{query_id: value}` over
the judged queries), paired by query. Classroom and stakeholder query sets are small (20–60 queries): there a mean
hides most of what happened and adjacent contestants are usually tied, which these numbers say plainly.

- Intervals: percentile bootstrap over queries (Efron & Tibshirani 1993), 10,000 resamples, seeded, so the same
  comparison always shows the same interval; a difference is resampled by query, keeping the pairing.
- Tests: paired two-sided Student's t-test per pair (as ranx's `compare` and TREC practice), p-values adjusted by
  Holm's step-down method (Holm 1979), which controls the chance of any false "better" across all pairs.
- Groups: a compact letter display (Piepho 2004) over contestants sorted by mean: contestants sharing a letter
  differ by no significant adjusted test.
- Queries needed: a normal approximation of the paired t-test's sample size for 80 % power at α = 0.05 (two-sided,
  one pair, no correction), at the observed mean difference and spread of the paired differences.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
from scipy import stats

RESAMPLES = 10_000
LEVEL = 0.95
ALPHA = 0.05
POWER = 0.8
SEED = 0

PerQuery = Mapping[str, float]
"""One contestant's metric per query, `{query_id: value}`."""


@dataclass(frozen=True)
class Interval:
    """A mean and its bootstrap confidence interval."""

    mean: float
    low: float
    high: float


@dataclass(frozen=True)
class PairTest:
    """Contestant `a` against `b` on one metric, paired by query.

    Attributes:
        difference: The mean of a − b with its bootstrap interval.
        p: The paired t-test's two-sided p-value (NaN when every difference is zero; 0 when every query differs by
            the same amount).
        p_holm: `p` adjusted by Holm's method over every pair of the comparison.
        queries_needed: Judged queries that would separate the two at 80 % power if the observed difference and
            spread held (None when no difference was observed).
        queries: How many judged queries the test had.
    """

    a: str
    b: str
    difference: Interval
    p: float
    p_holm: float
    queries_needed: int | None
    queries: int

    @property
    def significant(self) -> bool:
        return self.p_holm < ALPHA

    @property
    def more_queries(self) -> int | None:
        """About how many more judged queries than now would separate the two (0 once they are separated)."""
        if self.significant:
            return 0
        return None if self.queries_needed is None else max(0, self.queries_needed - self.queries)


def paired(per_query: Mapping[str, PerQuery]) -> tuple[list[str], np.ndarray]:
    """The queries every contestant has a value for, and the values as `[contestants, queries]`."""
    names = list(per_query)
    shared = sorted(set.intersection(*(set(values) for values in per_query.values()))) if names else []
    return shared, np.array([[per_query[name][q] for q in shared] for name in names], dtype=float).reshape(len(names),
                                                                                                        len(shared))


def _resampled_means(values: np.ndarray, seed: int) -> np.ndarray:
    """Means of `RESAMPLES` bootstrap resamples over the last axis (queries), the same resamples for every row."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, values.shape[-1], size=(RESAMPLES, values.shape[-1]))
    return values[..., picks].mean(axis=-1)  # [..., resamples]


def bootstrap_interval(values: Sequence[float], seed: int = SEED, level: float = LEVEL) -> Interval:
    """The mean of `values` and its percentile bootstrap interval (NaN for no values).

    Example:
        >>> interval = bootstrap_interval([0.0, 1.0] * 20)
        >>> interval.mean, 0.3 < interval.low < 0.5 < interval.high < 0.7
        (0.5, True)
    """
    array = np.asarray(values, dtype=float)
    if not len(array):
        return Interval(math.nan, math.nan, math.nan)
    means = _resampled_means(array, seed)
    low, high = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return Interval(float(array.mean()), float(low), float(high))


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment: the i-th smallest p (from 0) times (m − i), kept non-decreasing and at most 1;
    NaN p-values (no difference at all) stay NaN and do not count among the m tests."""
    order = sorted((p, i) for i, p in enumerate(p_values) if not math.isnan(p))
    adjusted = [math.nan] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(order):
        running = max(running, min(1.0, (len(order) - rank) * p))
        adjusted[i] = running
    return adjusted


def queries_needed(differences: np.ndarray, alpha: float = ALPHA, power: float = POWER) -> int | None:
    """Judged queries a paired test needs to detect the mean of `differences` at `power` (normal approximation):
    ((z₁₋α/₂ + z_power) · sd / mean)². None when the mean difference is zero, or with fewer than two queries."""
    if len(differences) < 2 or not np.any(differences):
        return None
    mean, spread = float(np.mean(differences)), float(np.std(differences, ddof=1))
    if mean == 0:
        return None
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    needed = (z * spread / abs(mean)) ** 2
    return max(2, math.ceil(needed)) if math.isfinite(needed) else None


def pair_tests(per_query: Mapping[str, PerQuery], seed: int = SEED) -> list[PairTest]:
    """Every pair of contestants (in the given order) tested on the queries they share, Holm-adjusted together."""
    shared, values = paired(per_query)
    names = list(per_query)
    rows = []
    for i, j in combinations(range(len(names)), 2):
        differences = values[i] - values[j]
        if len(shared) < 2 or not np.any(differences):
            p = math.nan  # equal on every query: nothing to test
        elif np.ptp(differences) == 0:
            p = 0.0  # the same difference on every query: a t-test divides by its zero spread
        else:
            p = float(stats.ttest_rel(values[i], values[j]).pvalue)
        rows.append((names[i], names[j], bootstrap_interval(differences, seed), p, queries_needed(differences)))
    adjusted = holm([row[3] for row in rows])
    return [PairTest(a, b, difference, p, p_holm, needed, len(shared))
            for (a, b, difference, p, needed), p_holm in zip(rows, adjusted)]


def letter_groups(means: Mapping[str, float], tests: Sequence[PairTest]) -> dict[str, str]:
    """A compact letter display: contestants sorted by mean (best first) get letters "a", "b", …; two contestants
    share a letter exactly when some run of contestants, adjacent by mean and including both, holds no significant
    pair. Contestants without a letter in common are told apart by the tests.

    Example (a clearly best, b and c tied, c and d tied, b and d apart): "a", "b", "bc", "c".
    """
    order = sorted(means, key=lambda name: -means[name])
    apart = {frozenset((test.a, test.b)) for test in tests if test.significant}
    runs: list[tuple[int, int]] = []
    for start in range(len(order)):
        end = start
        while end + 1 < len(order) and not any(frozenset((order[k], order[end + 1])) in apart
                                               for k in range(start, end + 1)):
            end += 1
        if not runs or end > runs[-1][1]:  # a run inside the previous one adds nothing
            runs.append((start, end))
    letters = {name: "" for name in order}
    for number, (start, end) in enumerate(runs):
        for name in order[start:end + 1]:
            letters[name] += _letter(number)
    return letters


def _letter(number: int) -> str:
    return chr(ord("a") + number) if number < 26 else f"g{number}"
