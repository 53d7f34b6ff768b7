"""The self-contained HTML report: escaping, one embedded plotly.js, no external URLs."""

from __future__ import annotations

import html
import json
import re

import pytest

from core.data import Corpus, Dataset, Queries
from core.figures import code_weights_figure, latency_figure
from core.report import html_report, standard_figures, write_report
from tests.core.test_figures import QRELS, make_comparison

ATTACK = "<script>alert(1)</script>"


def _dataset(name: str = "tiny", qrels=QRELS) -> Dataset:
    corpus = Corpus(tuple(f"d{i}" for i in range(1, 6)), (ATTACK, "b", "c", "d", "e"), ("",) * 5)
    return Dataset(corpus, Queries(("q1", "q2", "q3"), (f"find {ATTACK}", "two", "three")), qrels, name)


@pytest.fixture(scope="module")
def report() -> str:
    comparison = make_comparison(name=ATTACK)
    comparison.results["bi"].label = f"bi {ATTACK}"
    comparison.results["bi"].model = ATTACK
    comparison.notes.append(ATTACK)
    return html_report(comparison, standard_figures(comparison, _dataset(ATTACK)), title=f"Report {ATTACK}")


def test_user_text_is_escaped_everywhere(report):
    assert "alert(1)</script>" not in report and "<script>alert" not in report
    assert html.escape(ATTACK) in report  # in the title, table, notes and config


def test_plotly_js_is_embedded_once_and_nothing_is_fetched(report):
    assert report.count("window.PlotlyConfig") == 1
    assert report.count("Plotly.newPlot") == 5  # one per standard figure
    assert not re.search(r"<script[^>]*\bsrc\s*=", report, re.IGNORECASE)
    assert not re.search(r"<link[^>]*\bhref\s*=\s*[\"']?https?:", report, re.IGNORECASE)


def test_report_holds_the_table_pipelines_notes_and_machine_readable_config(report):
    for heading in ("Results", "Pipelines", "Notes", "Configuration", "Retrieval quality", "Quality vs latency",
                    "Latency per query", "Score distributions", "Rank shift (first query)"):
        assert f"<h2>{heading}</h2>" in report
    assert "<th>nDCG@10</th>" in report and '<td class="number">0.600</td>' in report  # bi's nDCG@10
    assert "bi top-3 → cross (untrained)" in report and "a comparison note" in report and "a dataset note" in report
    config = re.search(r'<pre id="arena-config">(.*?)</pre>', report, re.DOTALL).group(1)
    assert json.loads(html.unescape(config)) == make_comparison().config.to_dict()
    everything = re.search(r'<pre id="arena-metrics">(.*?)</pre>', report, re.DOTALL).group(1)
    assert json.loads(html.unescape(everything))["dataset"]["name"] == ATTACK


def test_agreement_report_without_qrels():
    comparison = make_comparison(has_qrels=False)
    figures = standard_figures(comparison, _dataset(qrels=None))
    assert list(figures) == ["Agreement", "Quality vs latency", "Latency per query", "Score distributions",
                             "Rank shift (first query)"]
    text = html_report(comparison, {"Latency": latency_figure(comparison)})
    assert "<th>overlap@10</th>" in text and ">reference<" in text and "agreement with cross" in text


def test_rank_shift_of_the_first_query_is_titled_with_its_escaped_text():
    figures = standard_figures(make_comparison(), _dataset())
    title = figures["Rank shift (first query)"].layout.title.text
    assert "q1" in title and "&lt;script&gt;" in title


def test_write_report_writes_utf8_html(tmp_path):
    path = tmp_path / "report.html"
    write_report(make_comparison(), _dataset("τiny"), path)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "Encoder Arena report: τiny" in text


def test_figures_can_be_passed_without_the_standard_set():
    text = html_report(make_comparison(), {"Codes & weights": code_weights_figure([0.5, 0.5])})
    assert "<h2>Codes &amp; weights</h2>" in text and text.count("window.PlotlyConfig") == 1
