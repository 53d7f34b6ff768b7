"""Scores: each contestant's score distribution, split into relevant and not relevant when labels exist."""

from __future__ import annotations

import streamlit as st

from app_pages import _present as present
from app_pages import _shared as shared
from app_pages.views import scores as score_views
from core.present.figures import DISTRIBUTION_STYLES, NORMALISATIONS, score_distribution_figure, score_frame

STYLE_NAMES = {"histogram": "Histogram", "violin": "Violin", "ecdf": "ECDF (cumulative)"}
SCALE_NAMES = {"raw": "Raw scores", "minmax": "Min–max per query", "zscore": "z-score per query"}

st.title("Scores")
data, stored = shared.require_comparison()
comparison = stored.comparison

st.markdown("Raw scores live on **different scales**: a bi- or poly-encoder gives cosine similarities "
            "(at most 1), a cross-encoder gives unbounded logits (or a scaled cosine), BM25 gives word-overlap "
            "weights that grow with the query. Compare shapes on the raw scale, or normalise each contestant's "
            "scores per query to put them on one axis.")
with st.container(horizontal=True, gap="large"):  # side by side where they fit, else one under the other
    style = st.segmented_control("Chart", DISTRIBUTION_STYLES, default="histogram", required=True,
                                 format_func=STYLE_NAMES.get, key="scores.style")
    normalisation = st.segmented_control("Scale", NORMALISATIONS, default="raw", required=True,
                                         format_func=SCALE_NAMES.get, key="scores.normalisation")

frame = stored.memo(("scores", normalisation), lambda: score_frame(comparison, normalisation, data.qrels))
present.chart(score_distribution_figure(frame, style), "score_distributions")
if comparison.has_qrels:
    shared.labels_note(comparison)
    st.caption("Scores of every document in each contestant's top-k. Relevant: judged grade above 0; "
               "not relevant: judged 0 or not judged, in a query that has judgements.")
else:
    st.info("No relevance labels: the distributions cannot be split into relevant and not relevant.")

st.subheader("Summary")
st.dataframe(score_views.score_summary(frame), hide_index=True, placeholder="–",
             column_config={name: st.column_config.NumberColumn(format="%.3f") for name in ("mean", "std", "min", "max")})
