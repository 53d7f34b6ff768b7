"""How well judges agree when they grade the same documents, beyond what chance would give.

- Two judges: Cohen's kappa (Cohen 1960), unweighted, κ = (p_o − p_e) / (1 − p_e), with p_o the share of items
  graded alike and p_e the agreement expected from each judge's own grade proportions.
- Three or more: Fleiss' kappa (Fleiss 1971) in its usual generalisation to items with different numbers of
  judges: per-item agreement P_i = Σ_j n_ij (n_ij − 1) / (n_i (n_i − 1)), P̄ their mean, and chance agreement
  P̄_e = Σ_j p_j² from the category proportions p_j over all ratings; κ = (P̄ − P̄_e) / (1 − P̄_e).
- Words: the bands of Landis & Koch (1977), "poor" below 0 up to "almost perfect" above 0.8.

Kappa is undefined when chance agreement is already 1 (every judge gave the one same grade to everything): then
observed agreement is 1 too and κ = 0/0. Like scikit-learn's `cohen_kappa_score`, these functions return NaN
there rather than a reassuring 1.0: identical constant grades show no ability to tell documents apart. The plain
`percent_agreement` of `judge_agreement` still says that they all agreed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.judging.records import GRADES, Judgement

COHEN = "Cohen's kappa"
FLEISS = "Fleiss' kappa"
BANDS = ((0.0, "poor"), (0.2, "slight"), (0.4, "fair"), (0.6, "moderate"), (0.8, "substantial"))
"""Landis & Koch (1977): a kappa below 0 is "poor", up to 0.2 (inclusive) "slight", and so on; above 0.8 it is
"almost perfect"."""


@dataclass(frozen=True)
class JudgeAgreement:
    """Agreement among the judges of one data set.

    Attributes:
        judges: The judges who graded at least one shared item, sorted by name ("" is the judge with no name).
        items_shared: (query, document) pairs graded by two judges or more.
        kappa: Cohen's kappa when exactly two judges share items, Fleiss' kappa with more (NaN when not computable:
            fewer than two shared items, or everyone gave the same single grade).
        method: `COHEN`, `FLEISS`, or "" when `kappa` is NaN.
        percent_agreement: The share (0–1) of agreeing judge pairs, averaged over the shared items (for two judges,
            the share of shared items they graded alike); NaN without shared items.
    """

    judges: tuple[str, ...]
    items_shared: int
    kappa: float
    method: str
    percent_agreement: float


def cohen_kappa(first: Sequence[int], second: Sequence[int]) -> float:
    """Cohen's unweighted kappa between two judges' grades of the same items, in the same order.

    Returns:
        κ; NaN for fewer than two items, or when both judges gave one same grade to every item (see the module
        docstring).

    Example:
        >>> round(cohen_kappa([1, 1, 0, 0], [1, 0, 0, 0]), 3)  # p_o = 3/4, p_e = (2·1 + 2·3)/16 = 1/2
        0.5
    """
    first, second = list(first), list(second)
    if len(first) != len(second):
        raise ValueError(f"Cohen's kappa needs grades of the same items: {len(first)} and {len(second)} grades")
    if len(first) < 2:
        return math.nan
    observed = sum(x == y for x, y in zip(first, second)) / len(first)
    expected = sum(first.count(c) * second.count(c) for c in set(first) | set(second)) / len(first) ** 2
    if expected >= 1.0:
        return math.nan
    return (observed - expected) / (1.0 - expected)


def fleiss_kappa(ratings: Sequence[Sequence[int]], categories: Sequence[int] = tuple(GRADES)) -> float:
    """Fleiss' kappa over items graded by possibly different numbers of judges.

    Args:
        ratings: Per item, the grades its judges gave; items with fewer than two grades are skipped.
        categories: The grades that may occur.

    Returns:
        κ; NaN with fewer than two usable items, or when every grade is the same.
    """
    column = {category: j for j, category in enumerate(categories)}
    usable = [grades for grades in ratings if len(grades) >= 2]
    if len(usable) < 2:
        return math.nan
    counts = np.zeros((len(usable), len(column)))  # n_ij
    for i, grades in enumerate(usable):
        for grade in grades:
            if grade not in column:
                raise ValueError(f"grade {grade!r} is not one of the categories {tuple(categories)}")
            counts[i, column[grade]] += 1
    raters = counts.sum(axis=1)  # n_i
    per_item = (counts * (counts - 1)).sum(axis=1) / (raters * (raters - 1))  # P_i
    proportions = counts.sum(axis=0) / raters.sum()  # p_j
    expected = float((proportions**2).sum())  # P̄_e
    if expected >= 1.0:
        return math.nan
    return (float(per_item.mean()) - expected) / (1.0 - expected)


def _pairwise_agreement(grades: Sequence[int]) -> float:
    """The share of a single item's judge pairs that gave the same grade (P_i)."""
    n = len(grades)
    return sum(grades.count(g) * (grades.count(g) - 1) for g in set(grades)) / (n * (n - 1))


def judge_agreement(judgements: Sequence[Judgement]) -> JudgeAgreement:
    """Agreement among the judges who graded the same (query, document) pairs.

    A judge who graded an item more than once counts with their latest grade (the largest `at`; of equal times,
    the one later in `judgements`). Cohen's kappa is used when exactly two judges share items, over the items both
    graded; Fleiss' kappa when more do, over every item at least two of them graded.
    """
    latest: dict[tuple[str, str], dict[str, Judgement]] = {}
    for judgement in judgements:
        given = latest.setdefault((judgement.query_id, judgement.doc_id), {})
        before = given.get(judgement.judge)
        if before is None or judgement.at >= before.at:
            given[judgement.judge] = judgement
    shared = [{judge: made.grade for judge, made in given.items()} for given in latest.values() if len(given) >= 2]
    judges = tuple(sorted({judge for grades in shared for judge in grades}))
    if not shared:
        return JudgeAgreement(judges, 0, math.nan, "", math.nan)
    percent = float(np.mean([_pairwise_agreement(list(grades.values())) for grades in shared]))
    if len(judges) == 2:
        kappa, method = cohen_kappa([grades[judges[0]] for grades in shared],
                                    [grades[judges[1]] for grades in shared]), COHEN
    else:
        categories = sorted(set(GRADES) | {grade for grades in shared for grade in grades.values()})
        kappa, method = fleiss_kappa([list(grades.values()) for grades in shared], categories), FLEISS
    return JudgeAgreement(judges, len(shared), kappa, method if not math.isnan(kappa) else "", percent)


def interpretation(kappa: float) -> str:
    """Landis & Koch's (1977) word for a kappa: "poor" (< 0), "slight" (0–0.2), "fair" (–0.4), "moderate" (–0.6),
    "substantial" (–0.8), "almost perfect" (above); "not enough shared judgements" for NaN."""
    if math.isnan(kappa):
        return "not enough shared judgements"
    for bound, word in BANDS:
        if kappa < bound or (bound > 0 and kappa == bound):
            return word
    return "almost perfect"
