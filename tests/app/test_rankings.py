"""Rankings page: every contestant's list side by side (a query of the data, or a question typed live), the query's
terms and the words the models weigh marked, per-query metrics and disagreements; agreement without qrels."""

from __future__ import annotations

import html
import re

from streamlit.testing.v1 import AppTest

from app_pages._shared import plain
from core.data import Dataset
from tests.app.helpers import APP, RUN_TIMEOUT, SMALL, comparison_of, edit_table, labels, no_exception, open_page


def lists(at) -> list[str]:
    """The HTML of each contestant's ranked list, in page order (the first html element is their stylesheet)."""
    return [element.proto.body for element in at.get("html") if element.proto.body.startswith('<ol class="arena-list"')]


def ranks(listing: str) -> list[int]:
    return [int(rank) for rank in re.findall(r'<span class="rank">(\d+)</span>', listing)]


def test_top_k_side_by_side_with_marks_metrics_and_disagreements(shared_state):
    at = open_page("rankings", shared_state)
    no_exception(at)
    shown = lists(at)
    assert [len(ranks(listing)) for listing in shown] == [10, 10, 10]
    assert [listing.count(">first stage</span>") for listing in shown] == [0, 0, 5]  # it re-ranks MiniLM's top 5
    assert ranks(shown[0]) == list(range(1, 11))
    assert all('<mark class="term">' in listing for listing in shown)  # the query's words, as BM25 matches them
    assert all("relevant</span>" in listing or "not judged</span>" in listing for listing in shown)  # grades
    assert "weighs most in the document" in shown[0] and "weighs most" not in shown[1]  # MiniLM yes, BM25 no
    results = comparison_of(at).results.values()
    headings = [m.value for m in at.markdown if m.value.startswith("<h4")]
    swatch = '<h4 style="margin-bottom:0"><span style="color:{}">■</span> {}</h4>'
    assert headings == [swatch.format(r.colour, html.escape(r.label)) for r in results]  # "BM25 <s>" as text
    captions = [c.value for c in at.caption]
    assert all(plain(r.model) in captions for r in results)  # real model names, markup escaped
    assert any(c.startswith("re-ranks MiniLM's top 5; MiniLM's next 5 follow in its order · ") for c in captions)  # what a pipeline chains
    metrics, moved, queries = (frame.value for frame in at.dataframe)
    assert list(metrics.index) == labels(shared_state) and "ndcg@10" in metrics.columns
    assert moved["largest change"].is_monotonic_decreasing
    assert queries["lowest overlap@10"].is_monotonic_increasing


def test_picking_another_query_and_fewer_documents(shared_state):
    at = open_page("rankings", shared_state)
    second = at.selectbox(key="query").options[1]
    at.selectbox(key="query").select_index(1)
    at.slider(key="rankings.shown").set_value(5).run()
    no_exception(at)
    assert second.startswith(at.session_state["query"])
    assert len(ranks(lists(at)[0])) == 5


def test_a_question_typed_live_is_answered_by_every_contestant(shared_state):
    at = open_page("rankings", shared_state)
    at.text_input(key="q").input("how do stars make their light").run()
    no_exception(at)
    shown = lists(at)
    assert [len(ranks(listing)) for listing in shown] == [10, 10, 10]  # the re-ranker's tail too, as in the runs
    assert all('<mark class="term">star' in listing.lower() for listing in shown[:2])
    assert "relevant</span>" not in "".join(shown)  # a new question has no judgements
    assert sum("ms per question (median of the comparison's" in c.value for c in at.caption) == 3  # not one call
    assert not at.dataframe  # no metrics or disagreements for a question of one's own
    assert "?q=how+do+stars+make+their+light" in at.code[0].value  # the link to this view


def test_presentation_mode_keeps_the_lists_and_drops_the_controls(shared_state):
    at = open_page("rankings", {**shared_state, "present": True})
    no_exception(at)
    assert len(lists(at)) == 3 and not at.slider and not at.dataframe
    assert "present=true" in at.code[0].value
    at.button(key="present.leave").click().run()  # a way out on the page itself, not only in the folded sidebar
    no_exception(at)
    assert not at.session_state["present"] and at.slider and "present=true" not in at.code[0].value


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
    assert list(at.dataframe[0].value.columns) == ["overlap@10 with MiniLM"]
    assert "relevant</span>" not in "".join(lists(at))  # no grades without labels


def test_a_link_naming_the_lesson_data_opens_it_in_a_new_session():
    at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT)
    at.query_params.update({"data": "lesson", "query": "cmp-q05"})
    at.switch_page("app_pages/rankings.py").run()
    no_exception(at)
    assert at.session_state["shared.dataset"].name == "lesson" and at.session_state["query"] == "cmp-q05"
    comparison = comparison_of(at)  # the demo's five: side by side, its four most expensive, in their order
    assert len(comparison.results) == 5 and at.multiselect(key="rankings.side").value == [
        name for name, result in comparison.results.items() if result.kind != "bm25"]
    assert len(lists(at)) == 4
    assert "data=lesson" in at.code[0].value and "query=cmp-q05" in at.code[0].value
