"""Rankings: one query's top-k from every contestant side by side, how ranks shift, and where they disagree."""

from __future__ import annotations

import streamlit as st

from app_pages import _shared as shared
from core import view_models as views
from core.figures import rank_shift_figure

TABLE_COLUMNS = {
    "rank": st.column_config.NumberColumn("rank", width="small"),
    "doc id": st.column_config.TextColumn("doc id", width="small"),
    "snippet": st.column_config.TextColumn("snippet", width="large", help="hover over a cell to read it all"),
    "score": st.column_config.NumberColumn("score", format="%.3f", width="small"),
    "grade": st.column_config.NumberColumn("grade", width="small", help="relevance grade; –: not judged"),
}

st.title("Rankings")
data, stored = shared.require_comparison()
comparison = stored.comparison
shared.no_qrels_note(comparison)

query_id = st.selectbox("Query", data.queries.ids, key="rankings.query",
                        format_func=lambda q: views.query_label(data, q, 110))
shown = st.slider("Documents shown", 1, comparison.spec.k, min(10, comparison.spec.k), key="rankings.shown")
grades = (data.qrels or {}).get(query_id)

results = list(comparison.results.values())
per_row = {1: 1, 2: 2, 4: 2}.get(len(results), 3)
for start in range(0, len(results), per_row):
    for column, result in zip(st.columns(per_row, gap="medium"), results[start:start + per_row]):
        with column:
            shared.contestant_heading(result)
            pipeline = f"{shared.plain(result.pipeline)} · " if result.pipeline != result.label else ""
            st.caption(f"{pipeline}{result.latency_ms['p50']:.1f} ms per query (median)")
            st.dataframe(views.ranking_table(data, result, query_id, shown), hide_index=True,  # narrow: id first
                         column_config=TABLE_COLUMNS, column_order=("rank", "doc id", "score", "grade", "snippet"),
                         placeholder="–")
if grades is None and data.qrels is not None:
    st.caption("This query has no relevance judgements.")

runs = {result.label: result.run.get(query_id, {}) for result in results}
st.plotly_chart(rank_shift_figure(runs, shown, grades))
st.caption("Each line is one document: where each contestant puts it. Documents below a contestant's top "
           f"{shown} sit in the grey band.")

st.subheader("This query's metrics" if comparison.has_qrels else "This query's agreement")
st.dataframe(views.query_metrics_table(comparison, query_id), placeholder="–", column_config={
    name: st.column_config.NumberColumn(format="%.3f") for name in ("ndcg@10", "mrr@10", "recall@100", "map@100")})

st.subheader("Where the contestants disagree")
moved, queries = st.tabs(["Documents that move most for this query", "Queries with the least overlap"])
with moved:
    st.dataframe(views.rank_changes(comparison, data, query_id, shown), hide_index=True, placeholder="–")
    st.caption("Rank in each contestant's list (–: not in its top-k); sorted by the largest rank change.")
with queries:
    table = stored.memo("disagreement", lambda: views.disagreement_table(comparison, data))
    st.dataframe(table, hide_index=True, column_config={
        "lowest overlap@10": st.column_config.ProgressColumn(min_value=0.0, max_value=1.0, format="%.2f")})
    st.caption("Share of the top-10 two contestants have in common, for the pair that agrees least; "
               "pick a query at the top in the Query box to see why.")
