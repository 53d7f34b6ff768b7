"""Rankings: every contestant's answer to one query side by side (a query of the data, or a question typed live),
why they differ (marked query terms, the words the models weigh), how ranks shift, and where they disagree."""

from __future__ import annotations

import streamlit as st

from app_pages import _present as present
from app_pages import _runs as runs
from app_pages import _shared as shared
from app_pages.views import rankings as ranking_views
from core.data import samples
from core.present.figures import rank_shift_figure
from core.present.ranked_list import LIST_STYLE, ranked_list_html

st.title("Rankings")
data, stored = shared.require_comparison()
comparison = stored.comparison
st.html(LIST_STYLE)
names = list(comparison.results)
side = st.multiselect("Side by side: two to four contestants, in the order you pick them", names,
                      default=ranking_views.side_by_side(comparison), max_selections=4, key="rankings.side",
                      format_func=lambda name: comparison.results[name].label)
results = [comparison.results[name] for name in side] or list(comparison.results.values())[:1]

question = st.text_input("Ask your own question", key="q", bind="query-params", icon=":material/search:",
                         placeholder="Type a question and press Enter: every contestant answers it on this corpus")
if question.strip():
    answers = runs.answers(stored, question)
    rankings = {result.name: answers[result.name].ranking for result in results}
    grades, shown = None, 10
    costs = {result.name: answers[result.name].note or f"typically {result.latency_ms['p50']:.1f} ms per question "
             f"(median of the comparison's {len(result.query_ms)})" for result in results}
else:
    shared.labels_note(comparison)
    query_id = st.selectbox("…or pick a query of the data", data.queries.ids, key="query", bind="query-params",
                            format_func=lambda q: ranking_views.query_label(data, q, 110))
    question, grades = data.queries.text(query_id), (data.qrels or {}).get(query_id)
    shown = 10 if present.presenting() else st.slider("Documents shown", 1, comparison.spec.k,
                                                      min(10, comparison.spec.k), key="rankings.shown")
    rankings = {result.name: dict(list(result.run.get(query_id, {}).items())[:shown]) for result in results}
    costs = {result.name: f"{result.latency_ms['p50']:.1f} ms per query (median)" for result in results}

explain = st.toggle("Show the words each model weighs (its top 3)", value=True, key="rankings.explain",
                    help="Yellow: the question's words, as BM25 matches them. Blue: the words a neural contestant "
                         "weighs most for the pair, from its attention (what it looked at, not an explanation).")
weighed = runs.weighed_words(stored, question, rankings) if explain else {}

for result, column in zip(results, st.columns(len(results), gap="medium")):  # the page's whole width
    with column:
        shared.contestant_heading(result)
        pipeline = f"{shared.plain(result.pipeline)} · " if result.pipeline != result.label else ""
        st.caption(f"{pipeline}{costs[result.name]}")
        st.html(ranked_list_html(data, rankings[result.name], question, grades, weighed.get(result.name),
                                 scored=result.scored_depth))
if grades is None and data.qrels is not None and not st.session_state.get("q"):
    st.caption("This query has no relevance judgements.")

labels = {result.name: result.label for result in results}
present.chart(rank_shift_figure({labels[name]: ranking for name, ranking in rankings.items()}, shown, grades),
              "rank_shift")
st.caption("Each line is one document: where each contestant puts it. Documents below a contestant's top "
           f"{shown} sit in the grey band.")
present.share_link(data="lesson" if samples.is_lesson(data) else "", q=st.session_state.get("q") or "",
                   query="" if st.session_state.get("q") else query_id)

if present.presenting() or st.session_state.get("q"):
    st.stop()  # a room needs the lists; a live question has no judgements and no other queries to compare
st.subheader("This query's metrics" if comparison.has_qrels else "This query's agreement")
st.dataframe(ranking_views.query_metrics_table(comparison, query_id), placeholder="–", column_config={
    name: st.column_config.NumberColumn(format="%.3f") for name in ("ndcg@10", "mrr@10", "recall@100", "map@100")})

st.subheader("Where the contestants disagree")
moved, queries = st.tabs(["Documents that move most for this query", "Queries with the least overlap"])
with moved:
    changes = ranking_views.rank_changes(comparison, data, query_id, shown)
    st.dataframe(changes, hide_index=True, placeholder="–", column_config={  # every column in view: ranks are short
        label: st.column_config.NumberColumn(label, width="small", help=label) for label in changes.columns[2:]})
    st.caption("Rank in each contestant's list (–: not in its top-k); sorted by the largest rank change.")
with queries:
    table = stored.memo("disagreement", lambda: ranking_views.disagreement_table(comparison, data))
    st.dataframe(table, hide_index=True, column_config={
        "lowest overlap@10": st.column_config.ProgressColumn(min_value=0.0, max_value=1.0, format="%.2f")})
    st.caption("Share of the top-10 two contestants have in common, for the pair that agrees least; "
               "pick a query at the top in the Query box to see why.")
