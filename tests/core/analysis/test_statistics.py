"""Small-sample statistics, each checked against an independent computation: scipy's bootstrap, a t-test written
out, Holm's correction and a sample size worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from core.analysis.query_analysis import analyse_values, means_table, pairs_table
from core.analysis.statistics import (
    RESAMPLES,
    Interval,
    PairTest,
    bootstrap_interval,
    holm,
    letter_groups,
    pair_tests,
    queries_needed,
)


def test_the_bootstrap_interval_agrees_with_scipys_percentile_bootstrap():
    values = np.random.default_rng(7).beta(2, 5, size=40)
    ours = bootstrap_interval(values)
    theirs = stats.bootstrap((values,), np.mean, n_resamples=RESAMPLES, method="percentile", confidence_level=0.95,
                             random_state=np.random.default_rng(1)).confidence_interval
    assert ours.mean == pytest.approx(values.mean())
    assert ours.low == pytest.approx(theirs.low, abs=0.006) and ours.high == pytest.approx(theirs.high, abs=0.006)
    assert [*vars(bootstrap_interval([0.4] * 12)).values()] == pytest.approx([0.4] * 3)  # no spread, no width
    assert bootstrap_interval(values) == ours  # seeded: the same comparison shows the same interval
    assert all(math.isnan(x) for x in (bootstrap_interval([]).mean, bootstrap_interval([]).low))


def test_holm_as_worked_by_hand():
    # sorted 0.01, 0.03, 0.04, 0.2 times 4, 3, 2, 1: 0.04, 0.09, 0.08 → 0.09 (never below the one before), 0.2
    assert holm([0.01, 0.04, 0.03, 0.2]) == pytest.approx([0.04, 0.09, 0.09, 0.2])
    assert holm([0.5, 0.6]) == pytest.approx([1.0, 1.0])  # capped at 1
    adjusted = holm([0.01, math.nan, 0.02])  # a pair equal on every query is no test: m = 2
    assert adjusted[0] == pytest.approx(0.02) and math.isnan(adjusted[1]) and adjusted[2] == pytest.approx(0.02)


def test_the_paired_test_is_a_t_test_on_the_differences_written_out():
    a = {"q1": 0.9, "q2": 0.7, "q3": 0.8, "q4": 0.4, "q5": 0.6}
    b = {"q1": 0.5, "q2": 0.6, "q3": 0.9, "q4": 0.2, "q5": 0.3}
    differences = np.array([a[q] - b[q] for q in sorted(a)])
    t = differences.mean() / (differences.std(ddof=1) / math.sqrt(len(differences)))
    expected_p = 2 * stats.t.sf(abs(t), df=len(differences) - 1)
    (test,) = pair_tests({"a": a, "b": b})
    assert (test.a, test.b, test.queries) == ("a", "b", 5)
    assert test.p == pytest.approx(expected_p) and test.p_holm == pytest.approx(expected_p)  # one pair: unchanged
    assert test.difference.mean == pytest.approx(differences.mean())


def test_queries_needed_as_worked_by_hand():
    differences = np.array([0.1, 0.3, -0.1, 0.2, 0.0, 0.1])  # mean 0.1, sd 0.1414
    z = 1.959964 + 0.841621  # z for α/2 = 0.025 and for 80 % power
    assert queries_needed(differences) == math.ceil((z * differences.std(ddof=1) / 0.1) ** 2)  # 15.7 → 16
    assert queries_needed(np.array([0.2, -0.2])) is None  # no difference: no number of queries separates them


def test_letters_group_what_cannot_be_told_apart():
    def test(a, b, significant):
        return PairTest(a, b, Interval(0, 0, 0), 0.01, 0.01 if significant else 0.5, None, 20)

    means = {"a": 0.9, "b": 0.6, "c": 0.55, "d": 0.5}
    tests = [test("a", "b", True), test("a", "c", True), test("a", "d", True), test("b", "c", False),
             test("b", "d", True), test("c", "d", False)]
    assert letter_groups(means, tests) == {"a": "a", "b": "b", "c": "bc", "d": "c"}
    assert letter_groups(means, [test(x, y, False) for x, y in [("a", "b"), ("c", "d")]]) == dict.fromkeys(means, "a")


def test_the_tables_say_what_the_tests_found():
    rng = np.random.default_rng(3)
    queries = [f"q{i}" for i in range(30)]
    base = rng.uniform(0.2, 0.8, size=30)
    per_query = {"strong": dict(zip(queries, base + 0.3 + rng.normal(0, 0.02, size=30))), "weak": dict(zip(queries, base)),
                 "weak too": dict(zip(queries, base + rng.normal(0, 0.01, size=30)))}
    found = analyse_values(per_query)
    means = means_table(found)
    assert means["contestant"].iloc[0] == "strong" and means["group"].iloc[0] == "a"
    assert set(means["group"].iloc[1:]) == {"b"}  # the two weak ones cannot be told apart
    pairs = pairs_table(found).set_index(["A", "B"])
    assert pairs.loc[("strong", "weak"), "verdict"] == "told apart: strong better"
    assert pairs.loc[("strong", "weak"), "A wins / ties / losses"] == "30 / 0 / 0"
    assert pairs.loc[("weak", "weak too"), "verdict"] == "cannot be told apart"
    assert pairs.loc[("weak", "weak too"), "more queries needed"].startswith("about ")
