"""The self-contained HTML report: escaping, one embedded plotly.js, no external URLs."""

from __future__ import annotations

import html
import json
import re

import pytest

from core.config import FAST_PAIR_BACKEND
from core.contestants.registry import comparison_from_dict
from core.data import Corpus, Dataset, Queries
from core.present.figures import code_weights_figure, latency_figure
from core.present.report import html_report, standard_figures, write_report
from tests.core.present.test_figures import QRELS, make_comparison

ATTACK = "<script>alert(1)</script>"


def _dataset(name: str = "tiny", qrels=QRELS) -> Dataset:
    corpus = Corpus(tuple(f"d{i}" for i in range(1, 6)), (ATTACK, "b", "c", "d", "e"), ("",) * 5)
    return Dataset(corpus, Queries(("q1", "q2", "q3"), (f"find {ATTACK}", "two", "three")), qrels, name)


NAMED = f"dense {ATTACK} & co"
"""A contestant name holding markup (names may hold anything but "," "=" "+")."""


def _attacked():
    comparison = make_comparison(name=ATTACK, names={"bi": NAMED})
    comparison.results[NAMED].model = ATTACK
    comparison.notes.append(ATTACK)
    return comparison


@pytest.fixture(scope="module")
def report() -> str:
    comparison = _attacked()
    return html_report(comparison, standard_figures(comparison, _dataset(ATTACK)), title=f"Report {ATTACK}")


def _table(report: str, heading: str) -> list[list[str]]:
    """The cells (tags stripped, entities kept) of each row of the first table after the `heading` (h2 or h3)."""
    section = re.split(rf"<h[23]>{re.escape(heading)}</h[23]>", report, maxsplit=1)[1]
    table = section[: section.index("</table>")]
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.DOTALL)
    return [[re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row)] for row in rows]


def test_user_text_is_escaped_everywhere(report):
    assert "alert(1)</script>" not in report and "<script>alert" not in report
    assert html.escape(ATTACK) in report  # in the title, table, notes and config
    assert "<td>dense &lt;script&gt;" in report and "&amp; co" in report  # the contestant's name, in both tables


def test_plotly_js_is_embedded_once_and_nothing_is_fetched(report):
    assert report.count("window.PlotlyConfig") == 1
    assert report.count("Plotly.newPlot") == 7  # one per standard figure
    assert not re.search(r"<script[^>]*\bsrc\s*=", report, re.IGNORECASE)
    assert not re.search(r"<link[^>]*\bhref\s*=\s*[\"']?https?:", report, re.IGNORECASE)


def test_report_holds_the_table_pipelines_notes_and_machine_readable_config(report):
    headings = re.findall(r"<h2>(.*?)</h2>", report)
    assert headings == ["What this shows", "Results", "Can they be told apart? (nDCG@10, per query)",
                        "Retrieval quality", "Quality vs latency", "Latency per query", "Score distributions",
                        "Can they be told apart?", "Wins / ties / losses", "Rank shift (first query)",
                        "Appendix: how it was run"]  # the story first, how it was run last
    assert re.findall(r"<h3>(.*?)</h3>", report.split("Appendix: how it was run")[1]) == [
        "The contestants", "How each ranking was made", "Technical notes", "Settings"]
    assert "<th>nDCG@10</th>" in report and '<td class="number">0.600</td>' in report  # bi's nDCG@10
    assert f"dense → cross (untrained): re-ranks {html.escape(NAMED)}&#x27;s top 3" in report
    assert "a comparison note" in report and "a dataset note" in report
    config = re.search(r'<pre id="arena-config">(.*?)</pre>', report, re.DOTALL).group(1)
    spec = _attacked().spec
    assert json.loads(html.unescape(config)) == spec.to_dict()
    assert comparison_from_dict(json.loads(html.unescape(config))) == spec  # it runs again as it is
    everything = re.search(r'<pre id="arena-metrics">(.*?)</pre>', report, re.DOTALL).group(1)
    assert json.loads(html.unescape(everything))["dataset"]["name"] == ATTACK


def test_the_contestants_table_has_one_row_per_contestant_and_the_settings_one_each(report):
    rows = _table(report, "The contestants")
    assert rows[0] == ["contestant", "kind", "model", "options", "ran on"]
    assert {row[4] for row in rows[1:]} == {"the CPU"}
    assert [row[:3] for row in rows[1:]] == [["lexical", "BM25", "model-bm25"],
                                              [html.escape(NAMED), "bi-encoder", html.escape(ATTACK)],
                                              ["poly", "poly-encoder", "model-poly"],
                                              ["dense → cross", "cross-encoder", "model-cross"]]
    assert rows[4][3] == f"backend = {FAST_PAIR_BACKEND}, depth = 3, first = {html.escape(NAMED)}, tail = true"
    assert rows[1][3] == "b = 0.75, k1 = 1.5"  # no first stage: neither it nor a depth is shown
    assert rows[2][3] == "backend = onnx, index = flat"
    settings = _table(report, "Settings")
    assert settings[:2] == [["k: documents kept per query in every run", "3"],
                            [("exclude_self: drop a hit whose doc id equals the query id (BEIR/MTEB, e.g. ArguAna)"),
                             "no"]]
    assert settings[2][0].startswith("device: where the models run: auto") and settings[2][1] == "auto"


def test_the_per_query_analysis_says_which_contestants_can_be_told_apart(report):
    means = _table(report, "Can they be told apart? (nDCG@10, per query)")
    assert means[0] == ["contestant", "mean", "interval low", "interval high", "group"]
    assert [row[0] for row in means[1:]] == ["dense → cross (untrained)", "poly (untrained)", html.escape(NAMED),
                                             "lexical"]  # best first
    assert all(row[4] for row in means[1:])  # every contestant has a group letter
    assert "Holm-adjusted" in report and "wins / ties / losses" in report.lower()
    assert "<h3>Wins / ties / losses, row against column</h3>" in report


def test_no_notes_no_notes_section():
    comparison = make_comparison()
    comparison.notes.clear()
    comparison.dataset["notes"] = []
    assert "<h2>Notes</h2>" not in html_report(comparison, {}) and ">none<" not in html_report(comparison, {})


def test_the_results_table_paints_each_contestant_in_its_colour(report):
    comparison = _attacked()
    for result in comparison.results.values():
        assert f'<span class="swatch" style="background:{result.colour}"></span>{html.escape(result.label)}' in report
    labels = [html.escape(result.label) for result in comparison.results.values()]
    assert [row[0] for row in _table(report, "Results")[1:]] == labels


def test_agreement_report_without_qrels():
    comparison = make_comparison(has_qrels=False)
    figures = standard_figures(comparison, _dataset(qrels=None))
    assert list(figures) == ["Agreement", "Quality vs latency", "Latency per query", "Score distributions",
                             "Rank shift (first query)"]
    text = html_report(comparison, {"Latency": latency_figure(comparison)})
    assert "<th>overlap@10</th>" in text and ">reference<" in text and "agreement with dense → cross" in text


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
