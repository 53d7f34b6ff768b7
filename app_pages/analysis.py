"""Analysis: where and why the contestants differ, query by query, and whether a lead is real with this few queries:
intervals and corrected tests, the win / tie / loss matrix, the most disputed queries side by side, slices, and what
fine-tuning gained and lost."""

from __future__ import annotations

import streamlit as st

from app_pages import _present as present
from app_pages import _runs as runs
from app_pages import _shared as shared
from app_pages.views import analysis as analysis_views
from core.analysis import per_query
from core.analysis.query_analysis import EXPLAINED, analyse, means_table, pairs_table
from core.evaluate import METRICS
from core.present.analysis_figures import intervals_figure, slice_figure, win_tie_loss_figure
from core.present.figures import metric_name
from core.present.ranked_list import LIST_STYLE, ranked_list_html

LIST_PX = 300  # two side by side on a 1024-pixel screen with the sidebar open
NUMBERS = {name: st.column_config.NumberColumn(format="%.3f")
           for name in ("mean", "interval low", "interval high", "A − B", "p", "p (Holm)")}

st.title("Analysis")
data, stored = shared.require_comparison()
comparison = stored.comparison
if not comparison.has_qrels:
    st.info("This view needs relevance labels: it compares the contestants query by query on a metric. Without them, "
            "Rankings and Trade-offs show how much the contestants agree, and the Judge page makes labels.")
    st.stop()
shared.labels_note(comparison)
results = list(comparison.results.values())
colours = {result.label: result.colour for result in results}

with st.container(horizontal=True, gap="large"):
    metric = st.segmented_control("Metric", METRICS, default="ndcg@10", required=True, format_func=metric_name,
                                  key="analysis.metric")
    margin = st.number_input("Tie margin", 0.0, 0.5, per_query.TIE_MARGIN, 0.01, format="%.2f", key="analysis.margin",
                             help="Two values closer than this on a query count as a tie.")
found = stored.memo(("analysis", metric, margin), lambda: analyse(comparison, metric, margin))

st.subheader("Can they be told apart?")
st.caption(f"On {found.queries:,} judged queries. {EXPLAINED['interval']} {EXPLAINED['groups']}")
present.chart(intervals_figure(found.intervals, colours, found.groups, metric), "analysis_intervals")
st.dataframe(means_table(found), hide_index=True, column_config=NUMBERS)
if found.tests:
    st.dataframe(pairs_table(found), hide_index=True, column_config=NUMBERS)
    st.caption(f"{EXPLAINED['p']} {EXPLAINED['holm']} {EXPLAINED['needed']}")

st.subheader("Wins, ties and losses")
present.chart(win_tie_loss_figure(found.outcomes, list(found.intervals)), "analysis_win_tie_loss")
st.caption(f"Each cell: on how many queries the row's contestant beats the column's by more than {margin:g} "
           f"{metric_name(metric)}, ties with it, or loses. Open a cell to see its queries:")
with st.container(horizontal=True, gap="medium"):
    row = st.selectbox("Row", list(found.intervals), key="analysis.row")
    column = st.selectbox("Column", [label for label in found.intervals if label != row], key="analysis.column")
cell = found.outcomes[(row, column)]
for title, ids in (("wins", cell.wins), ("ties", cell.ties), ("losses", cell.losses)):
    with st.expander(f"{row} {title} against {column}: {len(ids)} quer{'y' if len(ids) == 1 else 'ies'}",
                     expanded=title == "wins"):
        st.dataframe(analysis_views.queries_table(comparison, data, ids, metric, (row, column)), hide_index=True,
                     column_config=NUMBERS)

st.subheader("Where they disagree most")
disputed = stored.memo(("disputed", metric), lambda: per_query.disagreements(comparison, data, metric))
st.dataframe(disputed.head(20), hide_index=True, column_config=NUMBERS)
query_id = st.selectbox("Open a query (the most disputed first)", list(disputed["query id"]), key="analysis.query",
                        format_func=lambda q: f"{q} · {data.queries.text(q)[:100]}")
question, grades = data.queries.text(query_id), (data.qrels or {}).get(query_id)
st.markdown(f"**{shared.plain(question)}**")
st.dataframe(per_query.relevant_positions(comparison, data, query_id), hide_index=True, placeholder="not found")
st.caption("Where each contestant put each relevant document of this query (its rank; not found: not in its list).")
values = {result.label: result.per_query.get(metric, {}).get(query_id, float("nan")) for result in results}
extremes = [max(values, key=values.get), min(values, key=values.get)]
side = st.multiselect("Side by side (the best and the worst on this query first)", list(values),
                      default=list(dict.fromkeys(extremes)), key=f"analysis.side.{query_id}", max_selections=4)
shown = [result for result in results if result.label in side]
rankings = {result.name: dict(list(result.run.get(query_id, {}).items())[:10]) for result in shown}
weighed = (runs.weighed_words(stored, question, rankings)
           if st.toggle("Show the words each model weighs (loads the models once)", key="analysis.explain") else {})
st.html(LIST_STYLE)
with st.container(horizontal=True, gap="medium"):
    for result in shown:
        with st.container(width=LIST_PX):
            shared.contestant_heading(result)
            st.caption(f"{metric_name(metric)} {values[result.label]:.3f} on this query")
            st.html(ranked_list_html(data, rankings[result.name], question, grades, weighed.get(result.name)))

st.subheader("Slices")
for slicing in per_query.slicings(comparison, data):
    table = stored.memo(("slice", slicing.title, metric), lambda slicing=slicing: per_query.slice_table(
        comparison, slicing, metric))
    present.chart(slice_figure(table, colours, slicing.title, metric), f"analysis_slice_{slicing.title.replace(' ', '_')}")
    st.caption(slicing.question)

pairs = per_query.training_pairs(comparison)
if pairs:
    st.subheader("Before and after training")
    for tuned, start in pairs:
        changed = per_query.gains_and_losses(tuned, start, metric, margin)
        st.markdown(f"**{shared.plain(tuned.label)}** against its start **{shared.plain(start.label)}**: gained "
                    f"{len(changed.wins)}, lost {len(changed.losses)}, kept {len(changed.ties)} queries.")
        gained, lost = st.columns(2)
        for column_, title, ids in ((gained, "Gained", changed.wins), (lost, "Lost", changed.losses)):
            column_.caption(title)
            column_.dataframe(analysis_views.queries_table(comparison, data, ids, metric, (tuned.label, start.label)),
                              hide_index=True, column_config=NUMBERS)
