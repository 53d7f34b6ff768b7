"""app_pages.views.rankings, the Rankings page's view-model: one contestant's top-k and the rank changes between
contestants (no Streamlit needed)."""

from __future__ import annotations

import pandas as pd

from app_pages.views.rankings import rank_changes, ranking_table


def test_ranking_and_rank_change_tables(shared_state):
    data = shared_state["shared.dataset"]
    comparison = shared_state["shared.comparisons"][shared_state["shared.current"]].comparison
    query_id = data.queries.ids[0]
    table = ranking_table(data, comparison.results["MiniLM"], query_id, 5)
    judged = data.qrels[query_id]
    assert list(table["doc id"]) == list(comparison.results["MiniLM"].run[query_id])[:5]
    assert [None if pd.isna(g) else int(g) for g in table["grade"]] == [judged.get(d) for d in table["doc id"]]
    changes = rank_changes(comparison, data, query_id, 10)
    assert changes["largest change"].is_monotonic_decreasing and changes["doc id"].is_unique
