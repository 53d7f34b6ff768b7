"""Export page: CSV and JSON results, TREC runs, and the self-contained HTML report."""

from __future__ import annotations

import html

from app_pages._shared import plain
from tests.app.helpers import labels, no_exception, open_page


def test_downloads_and_the_html_report(shared_state):
    at = open_page("export", shared_state)
    no_exception(at)
    minilm, bm25, cross = map(plain, labels(shared_state))
    assert [button.label for button in at.get("download_button")] == [
        "Results table (CSV)", "Every ranked document (CSV)", "metrics.json (as the CLI writes it)",
        f"{minilm}: run_MiniLM.trec", f"{bm25}: run_BM25_s.trec", f"{cross}: run_MiniLM_cross.trec",
        "Save this comparison"]
    assert at.markdown[0].value.startswith("- Best by nDCG@10: ")  # what this shows, first
    at.button(key="export.build").click().run(timeout=300)
    no_exception(at)
    stored = at.session_state["shared.comparisons"][at.session_state["shared.current"]]
    report = stored.derived["report"]
    assert report.startswith("<!DOCTYPE html>") and "Encoder Arena report: sample" in report
    assert all(html.escape(label) in report for label in labels(shared_state))
    assert at.get("download_button")[-2].label == "Download the HTML report"
