"""Export: results as CSV and JSON, TREC run files, and a self-contained HTML report for presentations."""

from __future__ import annotations

import json

import streamlit as st

from app_pages import _shared as shared
from core import view_models as views
from core.figures import score_frame
from core.report import html_report, standard_figures
from core.runs import run_file_names, trec_lines, trec_tag

st.title("Export")
data, stored = shared.require_comparison()
comparison = stored.comparison
name = data.name or "dataset"

st.subheader("Results")
left, middle, right = st.columns(3)
left.download_button("Results table (CSV)", views.results_table(comparison).to_csv(index=False),
                     f"{name}_results.csv", "text/csv", on_click="ignore", key="export.results_csv")
middle.download_button("Every ranked document (CSV)", stored.memo(("scores", "raw"), lambda: score_frame(
    comparison, "raw", data.qrels)).to_csv(index=False), f"{name}_rankings.csv", "text/csv", on_click="ignore",
    key="export.rankings_csv")
right.download_button("metrics.json (as the CLI writes it)", json.dumps(comparison.to_dict(), indent=2),
                      f"{name}_metrics.json", "application/json", on_click="ignore", key="export.json")
st.caption("The results table has one row per contestant (metrics or agreement, latency, index time); the "
           "rankings CSV has one row per (contestant, query, document) with rank, score and relevance grade.")

st.subheader("TREC run files")
st.caption("`query_id Q0 doc_id rank score tag`, readable by trec_eval and ranx.")
files = run_file_names(comparison.results)
with st.container(horizontal=True):  # as many to a row as fit
    for contestant, result in comparison.results.items():
        file = files[contestant]
        st.download_button(f"{shared.plain(result.label)}: {file}",
                           "\n".join(trec_lines(result.run, trec_tag(contestant))) + "\n", file, "text/plain",
                           on_click="ignore", key=f"export.trec_{file}")

st.subheader("HTML report")
st.markdown("One self-contained file with the metrics table, the contestants and the main figures: it opens "
            "offline in any browser, ready to project.")
if st.button("Build the report", key="export.build"):
    with st.spinner("Drawing the figures…"):
        title = f"Encoder Arena report: {name}"
        stored.derived["report"] = html_report(comparison, standard_figures(comparison, data), title)
if "report" in stored.derived:
    st.download_button("Download the HTML report", stored.derived["report"], f"{name}_report.html", "text/html",
                       type="primary", on_click="ignore", key="export.report")
