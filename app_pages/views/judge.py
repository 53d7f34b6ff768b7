"""The Judge page's view-model: a judge's progress through the pools, the vote leaderboard beside the metric one,
who judged how much, and the conflicts with uploaded labels."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from core.judging.labels import Merged, judged_counts
from core.judging.pool import pooled
from core.judging.records import Judgement, Vote
from core.judging.votes import bradley_terry, vote_metric_agreement

if TYPE_CHECKING:
    from core.comparison.results import Comparison
    from core.judging.store import Judged

LEADERBOARD_METRIC = "ndcg@10"
RECORD = "won/lost/tied/bad"


def graded_by(judged: Judged, judge: str) -> dict[tuple[str, str], int]:
    """`judge`'s grades, by (query, document)."""
    return {(j.query_id, j.doc_id): j.grade for j in judged.judgements if j.judge == judge}


def pools(comparison: Comparison, query_ids: Sequence[str], depth: int, seed: str) -> dict[str, list[str]]:
    """Each query's pool, in the order `seed` shuffles it."""
    return {query_id: pooled(comparison, query_id, depth, seed) for query_id in query_ids}


def seconds_per_document(judgements: Sequence[Judgement], judge: str) -> float:
    """The median time between `judge`'s consecutive grades under two minutes (a pause is not judging); NaN with
    fewer than two."""
    times = sorted(j.at for j in judgements if j.judge == judge)
    gaps = [later - earlier for earlier, later in pairwise(times) if later - earlier < 120]
    return float(np.median(gaps)) if gaps else float("nan")


def vote_leaderboard(comparison: Comparison, votes: Sequence[Vote]) -> pd.DataFrame:
    """One row per contestant, best first by the votes: its Bradley–Terry rating on the Elo scale with a 95 %
    bootstrap interval, its mean metric beside (when there are labels), and its record."""
    labels = {name: result.label for name, result in comparison.results.items()}
    rows = []
    for standing in bradley_terry(votes, list(comparison.results)):
        metric = comparison.results[standing.name].metrics.get(LEADERBOARD_METRIC, math.nan)
        interval = "–" if math.isnan(standing.low) else f"{standing.low:.0f}–{standing.high:.0f}"
        rows.append({"contestant": labels[standing.name], "rating": standing.rating, "95 % interval": interval,
                     LEADERBOARD_METRIC: metric if comparison.has_qrels else math.nan,
                     RECORD: f"{standing.wins} / {standing.losses} / {standing.ties} / {standing.both_bad}"})
    return pd.DataFrame(rows)


def agreement_text(comparison: Comparison, votes: Sequence[Vote]) -> str:
    """How often the votes and the per-query metric pick the same winner ("" without labels or decided votes)."""
    if not comparison.has_qrels:
        return ""
    per_query = {name: result.per_query.get(LEADERBOARD_METRIC, {}) for name, result in comparison.results.items()}
    found = vote_metric_agreement(votes, per_query)
    decided = found.agree + found.disagree
    if not decided:
        return ""
    return (f"The votes and {LEADERBOARD_METRIC} per query pick the same winner in {found.agree} of {decided} "
            f"votes ({found.share:.0%}); the metric tied on {found.metric_ties}, and {found.not_comparable} votes "
            "were ties, both bad, or on queries without labels.")


def judges_table(judged: Judged) -> pd.DataFrame:
    """One row per judge: documents graded and votes cast."""
    graded, voted = judged_counts(judged.judgements), Counter(vote.judge for vote in judged.votes)
    return pd.DataFrame([{"judge": judge or "(unnamed)", "documents graded": graded.get(judge, 0),
                          "votes": voted[judge]} for judge in judged.judges])


def conflicts_table(merged: Merged) -> pd.DataFrame:
    """The judged documents whose grade differs from the uploaded label (which counts)."""
    return pd.DataFrame([{"query": c.query_id, "document": c.doc_id, "uploaded grade (counts)": c.uploaded,
                          "judged grade": c.judged} for c in merged.conflicts])
