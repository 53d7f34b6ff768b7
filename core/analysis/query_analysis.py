"""Everything the per-query analysis of one comparison says, computed once (`analyse`) and as the tables the page,
the HTML report and `python -m core analyse` show.

Example:
    >>> found = analyse_values({"x": {"q1": 1.0, "q2": 0.8, "q3": 0.9, "q4": 0.7},
    ...                         "y": {"q1": 0.2, "q2": 0.1, "q3": 0.3, "q4": 0.2}})
    >>> found.groups, found.outcomes[("x", "y")].counts
    ({'x': 'a', 'y': 'b'}, '4 / 0 / 0')
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from core.analysis.per_query import TIE_MARGIN, Outcome, win_tie_loss
from core.analysis.statistics import ALPHA, LEVEL, Interval, PairTest, bootstrap_interval, letter_groups, pair_tests
from core.comparison.results import Comparison

EXPLAINED = {
    "interval": f"{LEVEL:.0%} interval: the range the mean would likely fall in on another set of queries like these "
                "(bootstrap: the queries resampled 10,000 times).",
    "p": "p-value: how often a difference this large would appear by chance if the two were equally good "
         "(paired t-test over the same queries).",
    "holm": f"Holm-adjusted: corrected for testing every pair at once, so that 'told apart' (below {ALPHA}) is "
            "wrong at most 5 % of the time across the whole table, not per pair.",
    "groups": "Groups: contestants sharing a letter cannot be told apart by these queries.",
    "needed": "Queries needed: about how many judged queries in all would separate the two 80 % of the time, if "
              "the difference and its spread stayed as measured (a rough guide, not a promise).",
}
"""What each number means, in the words the page, the report and the CLI show beside it."""


@dataclass(frozen=True)
class QueryAnalysis:
    """The per-query analysis of one metric.

    Attributes:
        metric: The metric analysed.
        intervals: Each contestant's mean with its bootstrap interval, by label.
        groups: Compact letter display by label (`core.analysis.statistics.letter_groups`).
        tests: Every pair's paired test, Holm-adjusted.
        outcomes: Win / tie / loss of every ordered pair of labels.
        margin: The tie margin of `outcomes`.
        queries: The judged queries every contestant has a value for (what everything above is computed on).
    """

    metric: str
    intervals: dict[str, Interval]
    groups: dict[str, str]
    tests: list[PairTest]
    outcomes: dict[tuple[str, str], Outcome]
    margin: float
    queries: int


def analyse_values(per_query: Mapping[str, Mapping[str, float]], metric: str = "ndcg@10",
                   margin: float = TIE_MARGIN) -> QueryAnalysis:
    """The analysis of per-query values (label → `{query_id: value}`), paired on the queries all of them have."""
    shared = set.intersection(*(set(values) for values in per_query.values())) if per_query else set()
    values = {label: {q: v for q, v in found.items() if q in shared} for label, found in per_query.items()}
    intervals = {label: bootstrap_interval([found[q] for q in sorted(found)]) for label, found in values.items()}
    tests = pair_tests(values)
    groups = letter_groups({label: interval.mean for label, interval in intervals.items()}, tests)
    return QueryAnalysis(metric, intervals, groups, tests, win_tie_loss(values, margin), margin, len(shared))


def analyse(comparison: Comparison, metric: str = "ndcg@10", margin: float = TIE_MARGIN) -> QueryAnalysis:
    """The analysis of a comparison's contestants, by label."""
    return analyse_values({r.label: r.per_query.get(metric, {}) for r in comparison.results.values()}, metric, margin)


def means_table(found: QueryAnalysis) -> pd.DataFrame:
    """One row per contestant, best first: mean, interval, group letters."""
    rows = [{"contestant": label, "mean": interval.mean, "interval low": interval.low, "interval high": interval.high,
             "group": found.groups.get(label, "")}
            for label, interval in sorted(found.intervals.items(), key=lambda item: -item[1].mean)]
    return pd.DataFrame(rows, columns=["contestant", "mean", "interval low", "interval high", "group"])


def pairs_table(found: QueryAnalysis) -> pd.DataFrame:
    """One row per pair: the difference with its interval, p, Holm's p, the verdict, wins / ties / losses and how many
    more judged queries would separate them."""
    rows = []
    for test in found.tests:
        if test.significant:
            verdict = f"told apart: {test.a if test.difference.mean > 0 else test.b} better"
        elif math.isnan(test.p):
            verdict = "identical on every query"
        else:
            verdict = "cannot be told apart"
        more = test.more_queries
        rows.append({"A": test.a, "B": test.b, "A − B": test.difference.mean, "interval low": test.difference.low,
                     "interval high": test.difference.high, "p": test.p, "p (Holm)": test.p_holm, "verdict": verdict,
                     "A wins / ties / losses": found.outcomes[(test.a, test.b)].counts,
                     "more queries needed": ("–" if test.significant else "no difference seen" if more is None
                                             else f"about {more:,}")})
    return pd.DataFrame(rows, columns=["A", "B", "A − B", "interval low", "interval high", "p", "p (Holm)", "verdict",
                                       "A wins / ties / losses", "more queries needed"])


def matrix_table(found: QueryAnalysis) -> pd.DataFrame:
    """The win / tie / loss matrix as text: row against column, "wins / ties / losses"."""
    labels = list(found.intervals)
    return pd.DataFrame([[found.outcomes[(a, b)].counts if a != b else "–" for b in labels] for a in labels],
                        index=labels, columns=labels)
