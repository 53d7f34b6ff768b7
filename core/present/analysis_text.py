"""The per-query analysis of a comparison as plain text, for `python -m core analyse`: the same tables as the
Analysis page and the HTML report, each with what its numbers mean."""

from __future__ import annotations

import pandas as pd

from core.analysis import per_query
from core.analysis.query_analysis import EXPLAINED, analyse, matrix_table, means_table, pairs_table
from core.comparison.results import Comparison
from core.present.figures import metric_name
from core.types import Dataset

DISPUTED = 10
"""How many of the most disputed queries are listed."""


def _table(frame: pd.DataFrame, index: bool = False) -> str:
    return frame.to_string(index=index, float_format=lambda value: f"{value:.3f}", na_rep="-")


def analysis_text(comparison: Comparison, dataset: Dataset | None, metric: str = "ndcg@10",
                  margin: float = per_query.TIE_MARGIN) -> str:
    """The analysis of `metric`; with `dataset` (the data it was computed on) also the most disputed queries, the
    slices, and what fine-tuning gained and lost."""
    name = metric_name(metric)
    found = analyse(comparison, metric, margin)
    parts = [f"Can they be told apart? {name} on {found.queries:,} judged queries", _table(means_table(found)),
             EXPLAINED["interval"], EXPLAINED["groups"], "", _table(pairs_table(found)), EXPLAINED["p"],
             EXPLAINED["holm"], EXPLAINED["needed"], "",
             f"Wins / ties / losses of the row against the column (ties: within {margin:g})",
             _table(matrix_table(found), index=True)]
    if dataset is not None:
        disputed = per_query.disagreements(comparison, dataset, metric).head(DISPUTED)
        parts += ["", f"The {len(disputed)} queries they disagree on most", _table(disputed)]
        for slicing in per_query.slicings(comparison, dataset):
            parts += ["", f"{name} by {slicing.title}: {slicing.question}",
                      _table(per_query.slice_table(comparison, slicing, metric))]
    for tuned, start in per_query.training_pairs(comparison):
        changed = per_query.gains_and_losses(tuned, start, metric, margin)
        parts += ["", (f"{tuned.label} against its start {start.label}: gained {len(changed.wins)} queries "
                      f"({', '.join(changed.wins) or 'none'}), lost {len(changed.losses)} "
                      f"({', '.join(changed.losses) or 'none'}), kept {len(changed.ties)}")]
    return "\n".join(parts)
