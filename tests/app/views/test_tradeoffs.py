"""app_pages.views.tradeoffs, the Trade-offs page's view-model: the significance table (no Streamlit needed)."""

from __future__ import annotations

import math

from app_pages.views.tradeoffs import significance_table


def test_significance_rows_mark_identical_runs():
    report = {"model_names": ["a", "b"], "metrics": ["ndcg@10"],
              "a": {"scores": {"ndcg@10": 0.5}, "comparisons": {"b": {"ndcg@10": math.nan}},
                    "win_tie_loss": {"b": {"ndcg@10": {"W": 0, "T": 3, "L": 0}}}},
              "b": {"scores": {"ndcg@10": 0.5}, "comparisons": {"a": {"ndcg@10": math.nan}},
                    "win_tie_loss": {"a": {"ndcg@10": {"W": 0, "T": 3, "L": 0}}}}}
    row = significance_table(report).iloc[0]
    assert row["significant"] == "no (equal on every query)" and row["A wins / ties / losses"] == "0 / 3 / 0"
