"""Judge agreement, checked against scikit-learn's Cohen's kappa, the worked Fleiss' kappa example on Wikipedia,
Scott's pi written out, an example with varying numbers of judges worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from core.judging.agreement import (
    COHEN,
    FLEISS,
    JudgeAgreement,
    cohen_kappa,
    fleiss_kappa,
    interpretation,
    judge_agreement,
)
from core.judging.records import Judgement

WIKIPEDIA = np.array([  # "Fleiss' kappa", worked example: 10 items, 14 raters, how many put each item in category 1–5
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
])


def grades_of(counts: np.ndarray) -> list[list[int]]:
    """Per item, the grades its raters gave (category k + 1 repeated as often as counted)."""
    return [[k + 1 for k, n in enumerate(row) for _ in range(n)] for row in counts]


def test_cohens_kappa_agrees_with_scikit_learn():
    rng = np.random.default_rng(5)
    first = rng.integers(0, 3, size=60)
    second = np.where(rng.random(60) < 0.6, first, rng.integers(0, 3, size=60))  # agrees more often than chance
    assert cohen_kappa(first.tolist(), second.tolist()) == pytest.approx(cohen_kappa_score(first, second))
    assert cohen_kappa([0, 1, 2, 2], [2, 1, 0, 0]) == pytest.approx(cohen_kappa_score([0, 1, 2, 2], [2, 1, 0, 0]))
    assert cohen_kappa([1, 1, 0, 0], [1, 0, 0, 0]) == pytest.approx(0.5)  # p_o = 3/4, p_e = 1/2, by hand
    assert cohen_kappa([2, 0, 1], [2, 0, 1]) == 1.0
    assert math.isnan(cohen_kappa([2], [2]))  # one item: nothing to measure
    assert math.isnan(cohen_kappa([1, 1, 1], [1, 1, 1]))  # 0/0, NaN as scikit-learn says
    with pytest.raises(ValueError):
        cohen_kappa([0, 1], [0])


def test_fleiss_kappa_reproduces_the_wikipedia_example():
    assert fleiss_kappa(grades_of(WIKIPEDIA), categories=(1, 2, 3, 4, 5)) == pytest.approx(0.210, abs=0.0005)


def test_fleiss_kappa_with_two_judges_is_scotts_pi_written_out():
    rng = np.random.default_rng(8)
    first = rng.integers(0, 3, size=40)
    second = np.where(rng.random(40) < 0.5, first, rng.integers(0, 3, size=40))
    observed = np.mean(first == second)
    pooled = np.bincount(np.concatenate([first, second]), minlength=3) / 80
    pi = (observed - np.sum(pooled**2)) / (1 - np.sum(pooled**2))
    assert fleiss_kappa(np.column_stack([first, second]).tolist()) == pytest.approx(pi)


def test_fleiss_kappa_with_varying_judges_as_worked_by_hand():
    ratings = [[0, 0, 0], [0, 1], [1, 1], [2, 2, 1, 2], [2]]  # the last item has one judge: skipped
    # P_i = 1, 0, 1, 3·2/(4·3) = 1/2 → P̄ = 0.625; grades 0: 4, 1: 4, 2: 3 of 11 → P̄_e = 41/121
    assert fleiss_kappa(ratings) == pytest.approx((0.625 - 41 / 121) / (1 - 41 / 121))  # 0.4328
    assert math.isnan(fleiss_kappa([[0, 1, 1], [2]]))  # one usable item
    assert math.isnan(fleiss_kappa([[2, 2], [2, 2, 2]]))  # everyone gave one grade: 0/0
    with pytest.raises(ValueError):
        fleiss_kappa([[0, 3], [1, 1]])


def judged(query_id: str, doc_id: str, grade: int, judge: str, at: float = 0.0) -> Judgement:
    return Judgement(query_id, doc_id, grade, judge, at)


def test_two_judges_get_cohens_kappa_on_their_latest_grades():
    made = [judged("q1", "d1", 2, "ann"), judged("q1", "d1", 2, "bo"),
            judged("q1", "d2", 0, "ann"), judged("q1", "d2", 0, "bo"),
            judged("q2", "d1", 1, "ann"), judged("q2", "d1", 2, "bo"),
            judged("q2", "d2", 0, "ann", at=1.0), judged("q2", "d2", 1, "ann", at=5.0), judged("q2", "d2", 1, "bo"),
            judged("q3", "d9", 2, "ann")]  # only ann: not shared
    # ann's latest grade of (q2, d2) is 1, not 0: she agrees on 3 of the 4 shared items
    expected = cohen_kappa_score([2, 0, 1, 1], [2, 0, 2, 1])
    assert judge_agreement(made) == JudgeAgreement(("ann", "bo"), 4, pytest.approx(expected), COHEN, 0.75)
    reordered = judge_agreement(made[::-1])  # the latest grade counts, not the last one listed
    assert reordered.kappa == pytest.approx(expected)


def test_three_judges_get_fleiss_kappa():
    made = [judged("q", "d1", 2, "ann"), judged("q", "d1", 2, "bo"), judged("q", "d1", 2, "cy"),
            judged("q", "d2", 0, "ann"), judged("q", "d2", 1, "bo"),
            judged("q", "d3", 1, "bo"), judged("q", "d3", 1, "cy"), judged("q", "d3", 0, "ann", at=2.0),
            judged("q", "d3", 1, "ann", at=1.0)]  # ann's (q, d3) is the 0 made later
    found = judge_agreement(made)
    assert (found.judges, found.items_shared, found.method) == (("ann", "bo", "cy"), 3, FLEISS)
    assert found.kappa == pytest.approx(fleiss_kappa([[2, 2, 2], [0, 1], [0, 1, 1]]))
    assert found.percent_agreement == pytest.approx((1 + 0 + 1 / 3) / 3)  # agreeing pairs per item, averaged


def test_nothing_shared_or_all_alike_is_not_computable():
    alone = judge_agreement([judged("q", "d1", 2, "ann"), judged("q", "d2", 1, "bo")])
    assert (alone.judges, alone.items_shared, alone.method) == ((), 0, "")
    assert math.isnan(alone.kappa) and math.isnan(alone.percent_agreement)
    alike = judge_agreement([judged("q", d, 2, judge) for d in ("d1", "d2") for judge in ("ann", "bo")])
    assert (alike.items_shared, alike.method, alike.percent_agreement) == (2, "", 1.0) and math.isnan(alike.kappa)


def test_landis_and_koch_bands():
    words = [interpretation(k) for k in (-0.1, 0.0, 0.2, 0.21, 0.4, 0.5, 0.6, 0.75, 0.8, 0.81, 1.0)]
    assert words == ["poor", "slight", "slight", "fair", "fair", "moderate", "moderate", "substantial",
                     "substantial", "almost perfect", "almost perfect"]
    assert interpretation(math.nan) == "not enough shared judgements"
