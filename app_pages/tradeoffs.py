"""Trade-offs: quality against latency, re-ranking depth, poly-encoder m, and cost against corpus size."""

from __future__ import annotations

import streamlit as st

from app_pages import _present as present
from app_pages import _runs as runs
from app_pages import _shared as shared
from app_pages.views import tradeoffs as tradeoff_views
from core.analysis.cross_encoder_sweeps import SWEEP_METRICS, calls_sweep, layer_sweep
from core.analysis.sweeps import (
    CODES,
    DEPTHS,
    SIZES,
    cost_vs_candidates,
    load_note,
    poly_codes_cost,
    rerank_depth_sweep,
)
from core.analysis.tradeoff_points import benchmark_tables, tradeoff_points
from core.comparison.compare import estimate_seconds
from core.data import first_queries
from core.evaluate import significance_report
from core.present.figures import (
    calls_figure,
    cost_curve_figure,
    depth_sweep_figure,
    layer_sweep_figure,
    tradeoff_figure,
)
from core.text import duration_text

NUMBER = st.column_config.NumberColumn(format="%.3f")

st.title("Trade-offs")
data, stored = shared.require_comparison()
comparison, rankers = stored.comparison, runs.rankers(stored)
shared.labels_note(comparison)

present.chart(tradeoff_figure(tradeoff_points(comparison)), "quality_vs_latency")
st.caption("Each point is one contestant (median latency per query, log scale). The dashed line is the Pareto "
           "frontier: contestants that no other beats on both speed and quality. A re-ranker's latency "
           "includes its first stage.")
table = tradeoff_views.results_table(comparison)
numbers = list(table.select_dtypes("float").columns)  # quality and cost first, narrow: the descriptions are wide
st.dataframe(table, hide_index=True, placeholder="–",
             column_order=["contestant", *numbers, "training", "kind", "model", "pipeline"],
             column_config={name: st.column_config.NumberColumn(short, format="%.3f", width="small", help=name)
                            for name, short in tradeoff_views.short_names(numbers).items()})

st.subheader("Are the differences significant?")
if comparison.has_qrels and len(comparison.results) > 1:
    report = stored.memo("significance", lambda: significance_report(
        data.qrels, {r.label: r.run for r in comparison.results.values()}))
    st.dataframe(tradeoff_views.significance_table(report), hide_index=True,
                 placeholder="–",  # no p when always equal
                 column_config={"mean A": NUMBER, "mean B": NUMBER, "p-value": NUMBER})
    st.caption(f"Paired two-sided Student's t-test over the {comparison.dataset['judged_queries']} judged queries "
               "(ranx compare), significant at p < 0.05, not corrected for the many comparisons.")
else:
    st.caption("Significance tests need relevance labels and at least two contestants.")

st.subheader("Re-ranking depth: how many candidates should a re-ranker see?")
pipelines = tradeoff_views.pipelines(comparison.spec, rankers)
if not pipelines:
    st.info("Run a comparison with a re-ranker (a contestant with a `first` stage) to sweep its depth.")
else:
    reranker = st.selectbox("Re-ranker", list(pipelines), key="tradeoffs.reranker",
                            format_func=lambda n: f"{comparison.results[n].label}: re-ranks {pipelines[n]}")
    first, entry = pipelines[reranker], comparison.spec.contestant(reranker)
    left, right = st.columns(2)
    depths = left.multiselect("Depths", DEPTHS, default=[10, 20, 50], key="tradeoffs.depths")
    queries = right.slider("Queries used", 1, len(data.queries), min(10, len(data.queries)), key="tradeoffs.queries")
    subset = first_queries(data, queries)
    deepest = entry.with_options(depth=max(depths or [1]))
    pairs, seconds = stored.memo(("estimate", reranker, deepest.option("depth"), queries),
                                 lambda: estimate_seconds(rankers[reranker], subset, deepest))
    st.caption(f"{pairs:,} (query, document) pairs for {shared.plain(reranker)}: about {duration_text(seconds)}.")
    confirmed = seconds <= shared.GUARDS.confirm_above_s or st.checkbox("Yes, run this long sweep", key="tradeoffs.confirm")
    if st.button("Run the depth sweep", disabled=not (depths and confirmed), key="tradeoffs.sweep_run"):
        try:
            stored.derived[("sweep", reranker)] = rerank_depth_sweep(subset, rankers[first], rankers[reranker], depths,
                                                                     shared.RunProgress())
        except shared.PAGE_ERRORS as error:
            st.error(f"The sweep could not run: {shared.plain(error)}")
    if ("sweep", reranker) in stored.derived:
        result = comparison.results[reranker]
        present.chart(depth_sweep_figure(stored.derived[("sweep", reranker)], result.label, result.colour),
                      "depth_sweep")
        st.caption("Depths above the corpus size are dropped. Latency = first stage + measured cost per pair × depth.")

st.subheader("A cross-encoder's cheaper uses: early layers, and ANNCUR")
crosses = tradeoff_views.cross_encoders(comparison, rankers)
if not crosses or not data.qrels:
    st.info("Run a comparison with a cross-encoder (or ANNCUR) contestant, on data with relevance labels, to sweep "
            "its early layers and compare ANNCUR with re-ranking.")
else:
    cross_name = st.selectbox("Cross-encoder", list(crosses), key="tradeoffs.cross",
                              format_func=lambda n: f"{comparison.results[n].label} ({comparison.results[n].model})")
    cross, cross_model = crosses[cross_name], comparison.spec.contestant(cross_name).model
    sweep_queries = st.slider("Queries used", 1, len(data.queries), min(20, len(data.queries)),
                              key="tradeoffs.cross_queries")
    sweep_data = first_queries(data, sweep_queries)
    per_pair = stored.memo(("pair_ms", cross_name), lambda: tradeoff_views.pair_ms(cross, data))
    layers_tab, anncur_tab = st.tabs(["Early layers as an embedder", "ANNCUR vs re-ranking"])
    with layers_tab:
        st.caption("Embeds every document and query with the first ℓ layers for each ℓ (cached per ℓ), about half "
                   "a full encoding of the corpus per layer on average.")
        if st.button("Sweep the layers", key="tradeoffs.layers_run"):
            try:
                stored.derived[("layers", cross_name, sweep_queries)] = layer_sweep(
                    sweep_data, cross.scorer, cross_model, progress=shared.RunProgress())
            except shared.PAGE_ERRORS as error:
                st.error(f"The sweep could not run: {shared.plain(error)}")
        if ("layers", cross_name, sweep_queries) in stored.derived:
            present.chart(layer_sweep_figure(stored.derived[("layers", cross_name, sweep_queries)]), "layer_sweep")
            st.caption("The embedded cross-encoder keeps its MiniLM backbone frozen, so its six layers embed exactly as "
                       "the bi-encoder does; fewer layers cost less.")
    with anncur_tab:
        stages = tradeoff_views.first_stages(comparison, rankers)
        left, right = st.columns(2)
        budgets = left.multiselect("Cross-encoder calls per query", (10, 20, 50, 100), default=[10, 20, 50],
                                   key="tradeoffs.budgets")
        anchors = right.slider("ANNCUR anchor queries (index: anchors × documents calls)", 2, 100, 10,
                               key="tradeoffs.anchors")
        calls = anchors * len(data.corpus) + sweep_queries * sum(budgets) * (1 + len(stages))
        seconds = calls * per_pair / 1000
        st.caption(f"At most {calls:,} cross-encoder calls: about {duration_text(seconds)} "
                   f"({per_pair:.0f} ms per pair here); re-ranking compares {', '.join(map(shared.plain, stages)) or 'no'} "
                   "first stages.")
        confirmed = seconds <= shared.GUARDS.confirm_above_s or st.checkbox("Yes, run this long sweep",
                                                                            key="tradeoffs.anncur_confirm")
        key = ("calls", cross_name, sweep_queries, anchors, tuple(sorted(budgets)))
        if st.button("Compare at equal calls", disabled=not (budgets and confirmed), key="tradeoffs.calls_run"):
            try:
                stored.derived[key] = calls_sweep(sweep_data, cross.scorer, cross_model, stages, budgets, anchors,
                                                  shared.RunProgress())
            except shared.PAGE_ERRORS as error:
                st.error(f"The sweep could not run: {shared.plain(error)}")
        if key in stored.derived:
            for metric in SWEEP_METRICS:
                present.chart(calls_figure(stored.derived[key], metric), f"calls_{metric}")

st.subheader("Poly-encoder: what do more codes (m) cost?")
codes = st.multiselect("m", CODES, default=list(CODES), key="tradeoffs.codes")
if st.button("Time the poly-encoder's scoring step", disabled=not codes, key="tradeoffs.codes_run"):
    with st.spinner("Timing…"):
        stored.derived["codes_load"] = load_note()  # before timing: the load of other work
        stored.derived["codes"] = poly_codes_cost(codes=codes)
if "codes" in stored.derived:
    timings = stored.derived["codes"].assign(m=lambda frame: frame["codes"].map("m = {}".format))
    st.bar_chart(timings, x="m", y="ms", horizontal=True, sort=False, height=60 * len(timings) + 80,
                 x_label="", y_label="ms to score 1,000 documents (median)")  # horizontal: labels follow the columns
    st.caption("Scoring only (each document attends over m query vectors), on random vectors; query encoding "
               "costs the same for any m. Quality at each m needs a poly-encoder trained with that m.")
    if stored.derived["codes_load"]:
        st.warning(stored.derived["codes_load"], icon=":material/speed:")

st.subheader("Cost against the number of candidates")
left, right = st.columns(2)
sizes = left.multiselect("Candidates", SIZES, default=list(SIZES), key="tradeoffs.sizes")
budget = right.slider("Longest measured call (s); longer ones are extrapolated", 0.5, 10.0, 2.0,
                      key="tradeoffs.budget")
if st.button("Measure", disabled=not sizes, key="tradeoffs.cost_run"):
    try:
        with st.spinner("Scoring one query against growing candidate lists…"):
            stored.derived["cost_load"] = load_note()
            stored.derived["cost"] = cost_vs_candidates(tradeoff_views.scoring_rankers(comparison, rankers),
                                                        data.queries.texts[0], sizes, budget)
    except shared.PAGE_ERRORS as error:
        st.error(f"The measurement could not run: {shared.plain(error)}")
if "cost" in stored.derived:
    present.chart(cost_curve_figure(stored.derived["cost"], {n: r.colour for n, r in comparison.results.items()}),
                  "cost_vs_candidates")
    if stored.derived["cost_load"]:
        st.warning(stored.derived["cost_load"], icon=":material/speed:")
    st.caption("One query scored against N candidates by each contestant with a model (log–log). Cached-vector "
               "contestants grow slowly; a cross-encoder pays a full forward pass per candidate.")

measured = benchmark_tables("scoring_cost")
if measured is not None:
    tables, machine = measured
    with st.expander("What these costs look like at scale, beside the Poly-encoder paper"):
        for title, table in tables.items():
            st.markdown(f"**{title}**\n\n{table}")
        st.caption(f"Measured by the project's benchmarks on {machine}: milliseconds to score the candidates of one "
                   "query on a CPU, encoding the query included. “paper”: Humeau et al. (ICLR 2020), on their "
                   "hardware; “cross/x”: how many times cheaper than the cross-encoder; “e”: extrapolated from "
                   "smaller sizes. Ratios matter more than absolute times, which depend on the machine.")
