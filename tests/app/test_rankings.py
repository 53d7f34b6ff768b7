"""Rankings page: top-k side by side, per-query metrics, disagreements; agreement views without qrels."""

from __future__ import annotations

import html

from app_pages._shared import plain
from core.data import Dataset
from tests.app.helpers import SMALL, comparison_of, edit_table, labels, no_exception, open_page

TOP_K_COLUMNS = ["rank", "doc id", "snippet", "score", "grade"]


def test_top_k_side_by_side_with_metrics_and_disagreements(shared_state):
    at = open_page("rankings", shared_state)
    no_exception(at)
    tables = [frame.value for frame in at.dataframe]
    top_k, metrics, moved, queries = tables[:3], tables[3], tables[4], tables[5]
    assert all(list(t.columns) == TOP_K_COLUMNS for t in top_k)
    assert [len(t) for t in top_k] == [10, 10, 5]  # the cross-encoder re-ranks the bi-encoder's top 5
    assert list(top_k[0]["rank"]) == list(range(1, 11))
    assert top_k[0]["score"].is_monotonic_decreasing
    results = comparison_of(at).results.values()
    headings = [m.value for m in at.markdown if m.value.startswith("<h4")]
    swatch = '<h4 style="margin-bottom:0"><span style="color:{}">■</span> {}</h4>'
    assert headings == [swatch.format(r.colour, html.escape(r.label)) for r in results]  # "BM25 <s>" as text
    captions = [c.value for c in at.caption]
    assert all(plain(r.model) in captions for r in results)  # real model names, markup escaped
    assert any(c.startswith("MiniLM top-5 → MiniLM → cross · ") for c in captions)  # what a pipeline chains
    assert list(metrics.index) == labels(shared_state) and "ndcg@10" in metrics.columns
    assert moved["largest change"].is_monotonic_decreasing
    assert queries["lowest overlap@10"].is_monotonic_increasing


def test_picking_another_query_and_fewer_documents(shared_state):
    at = open_page("rankings", shared_state)
    second = at.selectbox(key="rankings.query").options[1]
    at.selectbox(key="rankings.query").select_index(1)
    at.slider(key="rankings.shown").set_value(5).run()
    no_exception(at)
    assert second.startswith(at.session_state["rankings.query"])
    assert len(at.dataframe[0].value) == 5


def test_without_qrels_the_page_shows_agreement(shared_state):
    data = shared_state["shared.dataset"]
    unlabelled = Dataset(data.corpus, data.queries, None, "unlabelled")
    at = open_page("settings", {"shared.dataset": unlabelled, "shared.dataset_key": unlabelled.content_hash,
                                "shared.spec": SMALL})
    edit_table(at, deleted=[2])  # MiniLM and BM25 only
    at.button(key="settings.run").click().run(timeout=300)
    no_exception(at)
    at.switch_page("app_pages/rankings.py").run()
    no_exception(at)
    assert "no relevance labels" in at.info[0].value and "agreement" in at.info[0].value
    metrics = at.dataframe[2].value
    assert list(metrics.columns) == ["overlap@10 with MiniLM"]
    assert at.dataframe[0].value["grade"].isna().all()
