"""Which checkpoint a fine-tuning run keeps: the dev split's size, and the rule that keeps the start unless a
checkpoint beats it by more than the dev queries' own noise.

A dev split of a few dozen queries moves by several nDCG points between checkpoints that rank a test split
alike (on WikiQA a poly-encoder's 40 dev lists rose ten points while its test nDCG@10 fell four), so the best dev
score alone picks noise. The rule is a paired bootstrap over the dev queries (Sakai's test for IR evaluation)
that accounts for the choice of the best: resample the queries with replacement, and in each resample take the
largest chance gain any evaluated checkpoint shows (its resampled mean gain minus its observed one: Westfall and
Young's max-T, as in Sakai's randomised Tukey HSD). The best checkpoint is kept only when its gain is above that
maximum in `CONFIDENCE` of the resamples. The best of six noisy checkpoints looks like a gain far more often than
one, and the maximum says by how much for the checkpoints at hand: a run's checkpoints are close relatives, so it
asks less than Bonferroni's correction, which treats them as independent.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch

DEV_SHARE = 0.2
"""The share of the judged training queries held apart as the dev split."""
DEV_MOST = 200
"""The most dev queries: enough to tell a two-point gain from noise on typical splits, and each evaluation scores
them all (200 × 20 pairs for a cross-encoder: 10-60 s on 2 CPU cores, by document length)."""
DEV_LEAST = 30
"""Fewer dev queries than this rarely show a gain beyond their noise; a small training split still gives this many
while two thirds of its queries are left to train on."""
OWN_DEV_SPLIT = "the data's own (`qrels/dev.tsv`)"
CARVED_DEV_SPLIT = "held apart from the training split"
"""Where a job's dev queries come from (`core.training.in_domain.mine`), as its record and model card say."""
DEV_SHORTLIST = 20
"""Documents of a dev query's list: a bi-encoder's top 20 of the corpus, as a comparison's re-ranker sees them."""
EVALUATIONS_PER_BUDGET = 6
"""Dev evaluations spread over a time-budgeted run, besides the start's (each costs a pass over the dev lists)."""
RESAMPLES = 2000
CONFIDENCE = 0.95
BOOTSTRAP_SEED = 13


def dev_query_count(judged: int) -> int:
    """How many of `judged` training queries become the dev split: `DEV_SHARE` of them, at most `DEV_MOST`, and at
    least `DEV_LEAST` where that leaves two thirds to train on.

    Example:
        >>> dev_query_count(873), dev_query_count(100), dev_query_count(60)
        (175, 30, 20)
    """
    return min(DEV_MOST, max(round(DEV_SHARE * judged), min(DEV_LEAST, judged // 3)))


@dataclass(frozen=True)
class Selection:
    """The rule's verdict on the best checkpoint against the start, recorded in the model card.

    Attributes:
        queries: Dev queries compared.
        gain: The checkpoint's mean dev nDCG@10 minus the start's.
        confidence: The share of paired resamples in which the checkpoint's gain is above the largest chance gain
            of the `compared` checkpoints.
        required: The share needed (`CONFIDENCE`).
        kept: "checkpoint" when `confidence` reaches `required`, else "start".
        compared: The evaluated checkpoints the best was chosen from.
    """

    queries: int
    gain: float
    confidence: float
    required: float
    kept: str
    compared: int = 1

    def as_record(self) -> dict:
        return asdict(self) | {"resamples": RESAMPLES}


def select(start: np.ndarray, checkpoints: Sequence[np.ndarray]) -> Selection:
    """Keep the best of `checkpoints` (per-query dev scores, the same queries as `start`'s) over `start` only when
    its mean gain is above the largest chance gain of all of them (resampled mean gain minus observed) in
    `CONFIDENCE` of the paired bootstrap resamples.

    Example:
        >>> start = np.full(100, 0.5)
        >>> select(start, [start + 0.1]).kept, select(start, [start, start + 0.01]).kept, select(start, []).kept
        ('checkpoint', 'checkpoint', 'start')
    """
    if len(checkpoints) == 0 or len(start) == 0:
        return Selection(len(start), 0.0, 0.0, CONFIDENCE, "start", len(checkpoints))
    gains = np.asarray(checkpoints, dtype=float) - np.asarray(start, dtype=float)
    means = gains.mean(axis=1)
    best = float(means.max())
    rows = np.random.default_rng(BOOTSTRAP_SEED).integers(0, gains.shape[1], (RESAMPLES, gains.shape[1]))
    chance = (gains[:, rows].mean(axis=2) - means[:, None]).max(axis=0)
    confidence = float(np.mean(chance < best)) if best > 0 else 0.0
    return Selection(gains.shape[1], best, confidence, CONFIDENCE, "checkpoint" if confidence >= CONFIDENCE else "start",
                     len(gains))


def kept_start(record: dict) -> bool:
    """Whether no checkpoint beat the start on the dev split (a training record's history), so that the start is what
    was saved."""
    return record["history"]["best_step"] == 0


def rule_text() -> str:
    """The rule in words, for the model card and the Train page."""
    return (f"the untrained start is kept unless the best checkpoint's dev nDCG@10 gain over it is above the largest "
            f"chance gain of all the evaluated checkpoints in at least {CONFIDENCE:.0%} of {RESAMPLES:,} paired "
            "bootstrap resamples of the dev queries")


class DevSchedule:
    """When a time-budgeted run evaluates its dev split, and when it stops: `EVALUATIONS_PER_BUDGET` evaluations
    spread over the budget (the start's first), and the end once the time left would not cover one more
    evaluation (as long as the longest so far), so a budget of a few evaluations' length is kept, not overrun by
    each of them.

    Example:
        >>> schedule = DevSchedule(budget_s=60.0)
        >>> start = schedule.evaluate(lambda: np.full(3, 0.5))
        >>> schedule.evaluations, schedule.due(), schedule.out_of_time()
        (1, False, False)
    """

    def __init__(self, budget_s: float) -> None:
        self.budget_s = budget_s
        self.began = time.perf_counter()
        self.evaluations = 0
        self.longest = 0.0

    def restart(self) -> None:
        """Count the budget from now (the evaluations so far still count)."""
        self.began = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.began

    def share(self) -> float:
        """The share of the budget spent."""
        return min(1.0, self.elapsed() / self.budget_s)

    def out_of_time(self) -> bool:
        return self.elapsed() + self.longest >= self.budget_s

    def due(self) -> bool:
        """Whether the next evaluation is due: its share of the budget has passed, or the last one's time has come."""
        return self.out_of_time() or self.elapsed() >= self.budget_s / EVALUATIONS_PER_BUDGET * self.evaluations

    def evaluate(self, dev_score: Callable[[], np.ndarray]) -> np.ndarray:
        """Run `dev_score`, timing it for `out_of_time`."""
        began = time.perf_counter()
        scores = dev_score()
        self.evaluations += 1
        self.longest = max(self.longest, time.perf_counter() - began)
        return scores


class Keeper:
    """The start, every evaluated checkpoint's dev scores, and the best checkpoint's weights (in memory) of a
    time-budgeted run; at the end, the rule's choice between the best and the start (`finish`)."""

    def __init__(self, model: torch.nn.Module, start_scores: np.ndarray) -> None:
        self.model = model
        self.start = (np.asarray(start_scores), copy.deepcopy(model.state_dict()))
        self.best = self.start
        self.best_step = 0
        self.offered: list[np.ndarray] = []

    def offer(self, step: int, scores: np.ndarray) -> bool:
        """Record `scores` (per dev query), and keep the model's present weights when they beat the best mean so far."""
        self.offered.append(np.asarray(scores))
        if np.mean(scores) <= np.mean(self.best[0]):
            return False
        self.best, self.best_step = (np.asarray(scores), copy.deepcopy(self.model.state_dict())), step
        return True

    def finish(self) -> Selection:
        """Load the weights the rule keeps (`select` over every offered checkpoint: the best, or the start)."""
        verdict = select(self.start[0], self.offered)
        if verdict.kept == "start":
            self.best_step = 0
        self.model.load_state_dict((self.start if verdict.kept == "start" else self.best)[1])
        return verdict
