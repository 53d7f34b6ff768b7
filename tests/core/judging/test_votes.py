"""The vote leaderboard, checked against known strengths, symmetry, a direct maximum-likelihood fit with scipy, and
vote/metric agreement counted by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize, special

from core.judging.records import Vote
from core.judging.votes import PRIOR_TIES, Agreement, bradley_terry, vote_metric_agreement, win_probability


def vote(a: str, b: str, outcome: str, query_id: str = "q") -> Vote:
    return Vote(query_id, a, b, outcome, "judge", 0.0)


def simulated(true: dict[str, float], count: int, seed: int) -> list[Vote]:
    """`count` votes between random pairs, won as the Bradley-Terry model with Elo ratings `true` says."""
    rng = np.random.default_rng(seed)
    names = list(true)
    votes = []
    for _ in range(count):
        i, j = rng.choice(len(names), size=2, replace=False)
        a, b = names[i], names[j]
        chance = 1 / (1 + 10 ** ((true[b] - true[a]) / 400))  # written out, not `win_probability`
        votes.append(vote(a, b, "a" if rng.random() < chance else "b"))
    return votes


def test_win_probability_is_the_elo_expectation():
    assert win_probability(1000, 1000) == 0.5
    assert win_probability(1200, 1000) == pytest.approx(1 / (1 + 10**-0.5))  # 0.7597
    assert win_probability(1400, 1000) == pytest.approx(10 / 11)  # 400 points: 10:1 odds
    assert win_probability(900, 1150) + win_probability(1150, 900) == pytest.approx(1)


def test_known_strengths_are_recovered():
    true = {"strong": 1200.0, "middle": 1000.0, "weak": 800.0}
    standings = bradley_terry(simulated(true, 3000, seed=11))
    assert [s.name for s in standings] == ["strong", "middle", "weak"]
    fitted = {s.name: s.rating for s in standings}
    assert np.mean(list(fitted.values())) == pytest.approx(1000)  # geometric mean strength 1
    assert fitted["strong"] - fitted["middle"] == pytest.approx(200, abs=40)
    assert fitted["middle"] - fitted["weak"] == pytest.approx(200, abs=40)
    for s in standings:
        assert s.low <= s.rating <= s.high
        assert s.wins + s.losses == s.votes and s.ties == s.both_bad == 0
    assert sum(s.votes for s in standings) == 2 * 3000


def test_symmetric_votes_give_equal_ratings():
    even = [vote("x", "y", "a"), vote("y", "x", "a"), vote("x", "y", "b"), vote("y", "x", "b")] * 5
    assert [s.rating for s in bradley_terry(even)] == pytest.approx([1000, 1000])
    ties = [vote("x", "y", "tie"), vote("y", "z", "both bad"), vote("z", "x", "tie")] * 4
    standings = bradley_terry(ties)
    assert [s.rating for s in standings] == pytest.approx([1000] * 3)
    counted = {s.name: (s.wins, s.losses, s.ties, s.both_bad, s.votes) for s in standings}
    assert counted == {"x": (0, 0, 8, 0, 8), "y": (0, 0, 4, 4, 8), "z": (0, 0, 4, 4, 8)}


def test_the_mm_fit_maximises_the_bradley_terry_likelihood():
    names = ["a", "b", "c", "d"]
    votes = ([vote("a", "b", "a")] * 3 + [vote("b", "a", "a")] + [vote("b", "c", "a")] * 2 + [vote("c", "b", "tie")]
             + [vote("c", "d", "a")] * 4 + [vote("d", "a", "both bad")] + [vote("a", "c", "a")] * 2)  # d never wins
    # (half-)wins worked out by hand: wins[i][j] is what i won against j; ties and "both bad" give half to each
    wins = np.array([[0, 3, 2, 0.5],
                     [1, 0, 2.5, 0],
                     [0, 0.5, 0, 4],
                     [0.5, 0, 0, 0]]) + PRIOR_TIES / 2 * (1 - np.eye(4))

    def negative_log_likelihood(theta: np.ndarray) -> float:
        return -float(np.sum(wins * special.log_expit(theta[:, None] - theta[None, :])))

    theta = optimize.minimize(negative_log_likelihood, np.zeros(4), method="BFGS", options={"gtol": 1e-10}).x
    expected = 1000 + 400 / math.log(10) * (theta - theta.mean())
    fitted = {s.name: s.rating for s in bradley_terry(votes, resamples=0)}
    assert [fitted[name] for name in names] == pytest.approx(expected, abs=1e-3)
    assert all(math.isfinite(r) for r in fitted.values())  # an undefeated or winless contestant stays finite


def test_intervals_contain_the_estimate_shrink_with_more_votes_and_are_seeded():
    true = {"p": 1100.0, "q": 1000.0, "r": 950.0}
    few, many = simulated(true, 150, seed=3), simulated(true, 3000, seed=4)

    def widths(votes: list[Vote]) -> dict[str, float]:
        return {s.name: s.high - s.low for s in bradley_terry(votes, resamples=400)}

    for s in bradley_terry(few, resamples=400):
        assert s.low <= s.rating <= s.high
    narrow, wide = widths(many), widths(few)
    assert all(narrow[name] < wide[name] / 2 for name in true)  # 20× the votes: about 1/√20 of the width
    assert bradley_terry(few, resamples=400, seed=5) == bradley_terry(few, resamples=400, seed=5)
    assert bradley_terry(few, resamples=400, seed=5) != bradley_terry(few, resamples=400, seed=6)


def test_contestants_without_votes_still_appear():
    standings = bradley_terry([vote("x", "y", "a")] * 3, contestants=["x", "y", "unvoted"], resamples=50)
    assert [s.name for s in standings] == ["x", "unvoted", "y"]
    unvoted = standings[1]
    assert unvoted.rating == 1000 and math.isnan(unvoted.low) and math.isnan(unvoted.high) and unvoted.votes == 0
    assert standings[0].rating + standings[2].rating == pytest.approx(2000)  # the mean is over voted contestants
    empty = bradley_terry([], contestants=["m", "n"])
    assert [(s.name, s.rating, s.votes) for s in empty] == [("m", 1000, 0), ("n", 1000, 0)]
    assert all(math.isnan(s.low) and math.isnan(s.high) for s in empty)
    assert bradley_terry([]) == []


def test_vote_metric_agreement_as_counted_by_hand():
    ndcg = {"x": {"q1": 0.8, "q2": 0.3, "q3": 0.5, "q4": 0.9},
            "y": {"q1": 0.4, "q2": 0.6, "q3": 0.5}}
    votes = [vote("x", "y", "a", "q1"),  # x won, x higher: agree
             vote("y", "x", "b", "q1"),  # x won again: agree
             vote("x", "y", "b", "q1"),  # y won, x higher: disagree
             vote("x", "y", "b", "q2"),  # y won, y higher: agree
             vote("x", "y", "a", "q3"),  # equal nDCG: a metric tie
             vote("x", "y", "a", "q4"),  # y has no value for q4: not comparable
             vote("x", "y", "tie", "q1"),  # no winner: not comparable
             vote("x", "y", "both bad", "q2"),  # no winner: not comparable
             vote("x", "z", "a", "q1")]  # z has no values at all: not comparable
    found = vote_metric_agreement(votes, ndcg)
    assert found == Agreement(agree=3, disagree=1, metric_ties=1, not_comparable=4)
    assert found.share == pytest.approx(3 / 4)
    assert math.isnan(vote_metric_agreement(votes[4:], ndcg).share)  # no vote the metric decides
