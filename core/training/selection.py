"""Which checkpoint a fine-tuning run keeps: the dev split's size, and the rule that keeps the start unless a
checkpoint beats it by more than the dev queries' own noise.

A dev split of a few dozen queries moves by several nDCG points between checkpoints that rank a test split
alike (on WikiQA a poly-encoder's 40 dev lists rose ten points while its test nDCG@10 fell four), so the best dev
score alone picks noise. The rule is a paired bootstrap over the dev queries (Sakai's test for IR evaluation):
resample the queries with replacement, and keep the checkpoint only when its mean gain over the start is above
zero in enough of the resamples: `CONFIDENCE` for one checkpoint, and Bonferroni's stricter share when the best of
several evaluations is the one tested (the best of six noisy checkpoints looks like a gain far more often than one).
"""

from __future__ import annotations

import copy
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
        confidence: The share of paired resamples in which the checkpoint's mean is above the start's.
        required: The share needed: `CONFIDENCE`, Bonferroni-corrected for the checkpoints the best was chosen from.
        kept: "checkpoint" when `confidence` reaches `required`, else "start".
    """

    queries: int
    gain: float
    confidence: float
    required: float
    kept: str

    def as_record(self) -> dict:
        return asdict(self) | {"resamples": RESAMPLES}


def select(start: np.ndarray, checkpoint: np.ndarray, compared: int = 1) -> Selection:
    """Keep `checkpoint` over `start` (per-query dev scores of the same queries), the best of `compared` evaluated
    checkpoints, only when a paired bootstrap puts its mean gain above zero with `CONFIDENCE` (Bonferroni-corrected
    for `compared`).

    Example:
        >>> start = np.full(100, 0.5)
        >>> select(start, start + 0.1).kept, select(start, start).kept
        ('checkpoint', 'start')
    """
    differences = np.asarray(checkpoint, dtype=float) - np.asarray(start, dtype=float)
    required = 1 - (1 - CONFIDENCE) / max(1, compared)
    if len(differences) == 0:
        return Selection(0, 0.0, 0.0, required, "start")
    rows = np.random.default_rng(BOOTSTRAP_SEED).integers(0, len(differences), (RESAMPLES, len(differences)))
    confidence = float(np.mean(differences[rows].mean(axis=1) > 0))
    return Selection(len(differences), float(differences.mean()), confidence, required,
                     "checkpoint" if confidence >= required else "start")


def rule_text() -> str:
    """The rule in words, for the model card and the Train page."""
    return (f"the untrained start is kept unless the best checkpoint's dev nDCG@10 beats it in at least {CONFIDENCE:.0%} "
            f"of {RESAMPLES:,} paired bootstrap resamples of the dev queries (Bonferroni-corrected for the number of "
            "checkpoints it was the best of)")


class Keeper:
    """The start and the best checkpoint by mean dev nDCG@10 of a time-budgeted run (weights kept in memory), and at
    the end the rule's choice between them (`finish`)."""

    def __init__(self, model: torch.nn.Module, start_scores: np.ndarray) -> None:
        self.model = model
        self.start = (np.asarray(start_scores), copy.deepcopy(model.state_dict()))
        self.best = self.start
        self.best_step = 0
        self.offers = 0

    def offer(self, step: int, scores: np.ndarray) -> bool:
        """Keep the model's present weights when `scores` (per dev query) beat the best mean so far."""
        self.offers += 1
        if np.mean(scores) <= np.mean(self.best[0]):
            return False
        self.best, self.best_step = (np.asarray(scores), copy.deepcopy(self.model.state_dict())), step
        return True

    def finish(self) -> Selection:
        """Load the weights the rule keeps (`select`: the best checkpoint, or the start) into the model."""
        verdict = select(self.start[0], self.best[0], self.offers)
        if verdict.kept == "start":
            self.best_step = 0
        self.model.load_state_dict((self.start if verdict.kept == "start" else self.best)[1])
        return verdict
