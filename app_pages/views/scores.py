"""The Scores page's view-model: a summary of each contestant's score distribution, and a metric per query."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from core.comparison.results import Comparison


def score_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """count, mean, std, min and max of a `core.present.figures.score_frame` per contestant, and per relevance when known."""
    frame = frame.assign(relevance=frame["relevant"].map({True: "relevant", False: "not relevant"}))
    by = ["label", "relevance"] if frame["relevant"].notna().any() else ["label"]
    summary = frame.groupby(by, dropna=False, sort=False)["score"].describe()[["count", "mean", "std", "min", "max"]]
    return summary.reset_index().rename(columns={"label": "contestant"}).astype({"count": int})


def per_query_table(comparison: Comparison, metric: str = "ndcg@10") -> pd.DataFrame:
    """`metric` per query (rows) and contestant label (columns); empty without qrels."""
    columns = {r.label: r.per_query.get(metric, {}) for r in comparison.results.values() if r.per_query}
    return pd.DataFrame(columns)
