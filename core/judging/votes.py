"""A leaderboard from blind head-to-head votes, and how often the votes agree with a metric.

- Strengths: the Bradley-Terry model (Bradley & Terry 1952), P(i beats j) = p_i / (p_i + p_j), fitted by Hunter's
  minorization-maximization (MM) algorithm (Hunter 2004, "MM algorithms for generalized Bradley-Terry models").
  A "tie" counts as half a win to each side (no separate tie parameter as in Rao & Kupper 1967); "both bad" says
  nothing about which list is better and counts as a tie too, but is reported separately.
- Prior: one virtual tie (half a win each way) between every two voted contestants, `PRIOR_TIES`, so that a
  contestant that never lost or never won still gets a finite rating, and contestants in separate groups that
  never met are pulled towards each other rather than drifting apart. It weighs as one vote per pair, which a few
  dozen real votes outweigh.
- Scale: ratings on the Elo scale as Chatbot Arena reports them, rating = 1000 + 400 · log10(p), with strengths
  normalised to a geometric mean of 1 (mean rating 1000 over the voted contestants); a 400-point gap is 10:1 odds.
- Intervals: 95 % percentile bootstrap over votes (Efron & Tibshirani 1993): the votes are resampled with
  replacement and refitted, seeded, so the same votes always show the same intervals. Votes of the same pair with
  the same outcome are interchangeable, so a resample is drawn as multinomial counts over those kinds of vote,
  which is the same distribution as drawing the votes one by one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from core.judging.records import Vote

RESAMPLES = 1000
LEVEL = 0.95
SEED = 0
PRIOR_TIES = 1.0
"""Virtual ties between every two voted contestants (each worth half a win to either side)."""
BASE = 1000.0
SCALE = 400.0
TOLERANCE = 1e-10
"""The MM iteration stops when no log-strength moves by more than this."""
MAX_ITERATIONS = 100_000


@dataclass(frozen=True)
class Standing:
    """One contestant on the vote leaderboard.

    Attributes:
        name: The contestant.
        rating: Elo-scale rating (1000 is the voted contestants' mean; 1000 for a contestant without votes).
        low / high: Its 95 % bootstrap interval (NaN for a contestant without votes, or with no resamples).
        wins / losses / ties / both_bad: Votes the contestant won, lost, tied, or in which both lists were bad.
        votes: Votes the contestant took part in (the sum of the four).
    """

    name: str
    rating: float
    low: float
    high: float
    wins: int
    losses: int
    ties: int
    both_bad: int
    votes: int


@dataclass(frozen=True)
class Agreement:
    """How often votes with a winner agree with a metric on the same query.

    Attributes:
        agree: Votes whose winner the metric ranks strictly higher on that query.
        disagree: Votes whose winner the metric ranks strictly lower.
        metric_ties: Votes with a winner whose two contestants the metric scores the same.
        not_comparable: Votes without a winner (tie, both bad), or whose query lacks a metric value for either side.
    """

    agree: int
    disagree: int
    metric_ties: int
    not_comparable: int

    @property
    def share(self) -> float:
        """agree / (agree + disagree): how often the metric picks the voted winner when it picks one (NaN if never)."""
        decided = self.agree + self.disagree
        return self.agree / decided if decided else math.nan


def win_probability(rating_a: float, rating_b: float) -> float:
    """The chance that a contestant rated `rating_a` beats one rated `rating_b` (the Elo / Bradley-Terry expectation).

    Example:
        >>> win_probability(1000, 1000), round(win_probability(1400, 1000), 4)
        (0.5, 0.9091)
    """
    return 1.0 / (1.0 + 10.0 ** ((rating_b - rating_a) / SCALE))


def _strengths_to_ratings(log_strengths: np.ndarray) -> np.ndarray:
    centred = log_strengths - log_strengths.mean(axis=-1, keepdims=True)
    return BASE + SCALE * centred / math.log(10)


def fit_ratings(wins: np.ndarray) -> np.ndarray:
    """Bradley-Terry ratings by Hunter's MM algorithm, on the Elo scale.

    Args:
        wins: `[..., K, K]` (half-)wins, `wins[..., i, j]` what i won against j, prior included; every contestant must
            have won something and every pair be connected (the prior sees to both).

    Returns:
        `[..., K]` ratings with mean 1000 over the last axis.
    """
    wins = np.asarray(wins, dtype=float)
    games = wins + np.swapaxes(wins, -1, -2)  # zero on the diagonal
    won = wins.sum(axis=-1)
    log_p = np.zeros(wins.shape[:-1])
    for _ in range(MAX_ITERATIONS):
        p = np.exp(log_p)
        # Hunter (2004), eq. 3: p_i ← W_i / Σ_j n_ij / (p_i + p_j)
        new = np.log(won / (games / (p[..., :, None] + p[..., None, :])).sum(axis=-1))
        new -= new.mean(axis=-1, keepdims=True)  # geometric mean 1
        moved = np.max(np.abs(new - log_p)) if new.size else 0.0
        log_p = new
        if moved < TOLERANCE:
            break
    return _strengths_to_ratings(log_p)


def _vote_kinds(votes: Sequence[Vote], index: Mapping[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """The distinct kinds of vote as `[kinds, K, K]` (half-)win contributions, and how many votes each kind has."""
    counts: dict[tuple[int, int, str], int] = {}
    for vote in votes:
        i, j, outcome = index[vote.a], index[vote.b], vote.outcome
        if i > j:  # the same pair shown the other way round
            i, j, outcome = j, i, {"a": "b", "b": "a"}.get(outcome, outcome)
        kind = (i, j, "a" if outcome == "a" else "b" if outcome == "b" else "half")
        counts[kind] = counts.get(kind, 0) + 1
    contributions = np.zeros((len(counts), len(index), len(index)))
    for row, (i, j, kind) in enumerate(counts):
        first = {"a": 1.0, "b": 0.0, "half": 0.5}[kind]
        contributions[row, i, j], contributions[row, j, i] = first, 1.0 - first
    return contributions, np.array(list(counts.values()), dtype=float)


def _prior(size: int) -> np.ndarray:
    return (PRIOR_TIES / 2) * (1.0 - np.eye(size))


def bradley_terry(votes: Sequence[Vote], contestants: Sequence[str] | None = None, resamples: int = RESAMPLES,
                  seed: int = SEED) -> list[Standing]:
    """The vote leaderboard: Bradley-Terry ratings on the Elo scale with bootstrap intervals, best first.

    A tie counts as half a win to each side, and so does "both bad" (counted apart in `both_bad`); a prior of one
    virtual tie between every two voted contestants keeps every rating finite (see the module docstring). Votes of
    a contestant against itself are left out.

    Args:
        votes: The votes.
        contestants: Contestants to show even without votes (at 1000 with NaN intervals); contestants that appear
            in votes are shown whether named here or not.
        resamples: Bootstrap resamples for the intervals (0: NaN intervals).
        seed: The bootstrap's seed.

    Returns:
        One `Standing` per contestant, sorted by rating (best first), then by name.
    """
    votes = [vote for vote in votes if vote.a != vote.b]
    voted = sorted({name for vote in votes for name in (vote.a, vote.b)})
    names = list(dict.fromkeys([*voted, *(contestants or ())]))
    tally = {name: dict.fromkeys(("wins", "losses", "ties", "both_bad"), 0) for name in names}
    for vote in votes:
        if vote.winner is not None:
            tally[vote.winner]["wins"] += 1
            tally[vote.b if vote.winner == vote.a else vote.a]["losses"] += 1
        else:
            for name in (vote.a, vote.b):
                tally[name]["ties" if vote.outcome == "tie" else "both_bad"] += 1

    ratings = {name: BASE for name in names}
    intervals = {name: (math.nan, math.nan) for name in names}
    if voted:
        index = {name: i for i, name in enumerate(voted)}
        contributions, counts = _vote_kinds(votes, index)
        prior = _prior(len(voted))
        fitted = fit_ratings(prior + np.tensordot(counts, contributions, axes=1))
        ratings.update(zip(voted, fitted.tolist()))
        if resamples > 0:
            rng = np.random.default_rng(seed)
            drawn = rng.multinomial(len(votes), counts / counts.sum(), size=resamples)  # [resamples, kinds]
            refitted = fit_ratings(prior + np.tensordot(drawn, contributions, axes=1))  # [resamples, K]
            lows, highs = np.quantile(refitted, [(1 - LEVEL) / 2, (1 + LEVEL) / 2], axis=0)
            intervals.update(zip(voted, zip(lows.tolist(), highs.tolist())))

    standings = [Standing(name, ratings[name], *intervals[name], **tally[name], votes=sum(tally[name].values()))
                 for name in names]
    return sorted(standings, key=lambda standing: (-standing.rating, standing.name))


def vote_metric_agreement(votes: Sequence[Vote], per_query: Mapping[str, Mapping[str, float]]) -> Agreement:
    """How often the votes' winners are the contestants a metric scores higher on the same query.

    Args:
        votes: The votes.
        per_query: Contestant name → {query_id: metric value} (e.g. nDCG@10 per query); NaN counts as missing.

    Returns:
        The counts; a vote without a winner, or whose query lacks a value for either contestant, is not comparable.
    """
    agree = disagree = metric_ties = not_comparable = 0
    for vote in votes:
        winner = vote.winner
        loser = vote.b if winner == vote.a else vote.a
        won = per_query.get(winner, {}).get(vote.query_id, math.nan) if winner is not None else math.nan
        lost = per_query.get(loser, {}).get(vote.query_id, math.nan)
        if math.isnan(won) or math.isnan(lost):
            not_comparable += 1
        elif won > lost:
            agree += 1
        elif won < lost:
            disagree += 1
        else:
            metric_ties += 1
    return Agreement(agree, disagree, metric_ties, not_comparable)
