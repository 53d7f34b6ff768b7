"""Export page: CSV and JSON results, TREC runs, and the self-contained HTML report."""

from __future__ import annotations

from tests.app.helpers import labels, no_exception, open_page


def test_downloads_and_the_html_report(shared_state):
    at = open_page("export", shared_state)
    no_exception(at)
    bm25, bi, cross = labels(shared_state)
    assert [button.label for button in at.get("download_button")] == [
        "Results table (CSV)", "Every ranked document (CSV)", "metrics.json (as the CLI writes it)",
        f"{bm25}: run_bm25.trec", f"{bi}: run_bi.trec", f"{cross}: run_cross.trec"]
    at.button(key="export.build").click().run(timeout=300)
    no_exception(at)
    stored = at.session_state["shared.comparisons"][at.session_state["shared.current"]]
    report = stored.derived["report"]
    assert report.startswith("<!DOCTYPE html>") and cross in report
    assert at.get("download_button")[-1].label == "Download the HTML report"
