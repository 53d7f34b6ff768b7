"""Export: what the comparison shows, results as CSV and JSON, TREC run files, a self-contained HTML report for
presentations, and the comparison saved to a file with the judgements made on its data (and opened again)."""

from __future__ import annotations

import json

import streamlit as st

from app_pages import _shared as shared
from app_pages.views.tradeoffs import results_table
from core.comparison.saved import SUFFIX, read_saved, saved_json, saved_judging_log
from core.data.trec_runs import run_file_names, trec_lines, trec_tag
from core.present.figures import score_frame
from core.present.report import html_report, standard_figures
from core.present.summary import findings

st.title("Export")
data, stored = shared.require_comparison()
comparison = stored.comparison
name = data.name or "dataset"

st.subheader("What this shows")
st.markdown("\n".join(f"- {shared.plain(line)}" for line in findings(comparison)))

st.subheader("Results")
with st.container(horizontal=True):  # as many to a row as fit
    st.download_button("Results table (CSV)", results_table(comparison).to_csv(index=False),
                       f"{name}_results.csv", "text/csv", on_click="ignore", key="export.results_csv")
    st.download_button("Every ranked document (CSV)", stored.memo(("scores", "raw"), lambda: score_frame(
        comparison, "raw", data.qrels)).to_csv(index=False), f"{name}_rankings.csv", "text/csv", on_click="ignore",
        key="export.rankings_csv")
    st.download_button("metrics.json (as the CLI writes it)", json.dumps(comparison.to_dict(), indent=2),
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

st.subheader("Save this comparison, or open a saved one")
st.markdown("A saved comparison holds the contestants and every result (rankings, metrics, latencies as measured), "
            "tied to the data it ran on: open it later, or send it with the data, and every page shows it again "
            "without running a model. `python -m core compare` writes one too (`results.arena.json`), and "
            "`python -m core show FILE --data DATA` prints it.")
left, right = st.columns(2)
loaded, store = shared.dataset(), shared.judging_store(shared.dataset())  # the data as loaded: what it is tied to
left.download_button("Save this comparison", saved_json(comparison, loaded, store.log()), f"{name}{SUFFIX}",
                     "application/json", icon=":material/save:", on_click="ignore", key="export.save")
upload = right.file_uploader("Open a saved comparison of the loaded data", type=["json"], key="export.open",
                             max_upload_size=max(1, shared.GUARDS.limits.max_file_bytes // 2**20))
if upload is not None and st.session_state.get("export.opened") != upload.file_id:
    try:
        opened, splits = read_saved(upload.getvalue(), upload.name, loaded)
    except shared.PAGE_ERRORS as error:
        st.error(f"Could not open it: {shared.plain(error)}. The comparison shown is unchanged.")
    else:
        st.session_state["export.opened"] = upload.file_id
        if splits is not None:  # computed on a hold-out of the loaded data: the same cut again
            shared.set_dataset(splits.test, splits.training, splits.how)
            loaded = splits.test
        shared.store_comparison((loaded.content_hash, opened.spec), opened, None, 0.0)
        shared.set_spec(opened.spec)
        judged = shared.judging_store(loaded).merge_log(saved_judging_log(upload.getvalue()))
        shared.rerun_with(f"Opened {shared.plain(upload.name)}: {len(opened.results)} contestants, shown on every "
                          "page" + (f"; {judged:,} judgements and votes it carried were added" if judged else "") + ".")
shared.show_flash()
