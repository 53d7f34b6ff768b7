"""Start page: the architecture diagrams and the one-click demo on the lesson data."""

from __future__ import annotations

from app_pages._shared import plain
from core.contestants.presets import demo_spec
from core.data import DataError
from tests.app.helpers import SMALL, labels, no_exception, open_page


def test_start_explains_the_architectures_and_offers_the_demo():
    at = open_page("start")
    no_exception(at)
    assert len(at.get("graphviz_chart")) == 5
    assert [h.value for h in at.subheader][:7] == ["Try it in one click", "How they work", "Bi-encoder", "Poly-encoder",
                                                   "Cross-encoder", "Early-layer embedder", "ANNCUR"]  # the demo first
    assert any("the index costs anchors × N calls" in m.value for m in at.markdown)  # what ANNCUR caches, and its price
    assert at.button(key="start.demo").label == "Load the lesson data and run the demo"
    demo = demo_spec()
    assert any(f"k = {demo.k}" in m.value and "Settings" in m.value and all(f"**{name}**" in m.value for name in
               demo.names) for m in at.markdown)


def test_demo_loads_the_sample_data_and_runs_a_comparison(demo_app, shared_state):
    data, key = shared_state["shared.dataset"], shared_state["shared.current"]
    assert len(data.corpus) > 100 and data.qrels
    stored = shared_state["shared.comparisons"][key]
    assert key == (shared_state["shared.dataset_key"], SMALL)
    assert list(stored.comparison.results) == list(SMALL.names)  # in the spec's order, whatever ran first
    for name, result in stored.comparison.results.items():  # an untrained model says so wherever it is named
        assert result.label == (name if result.trained else f"{name} (untrained)")
    assert [result.model for result in stored.comparison.results.values()][:2] == [
        "all-MiniLM-L6-v2, run by ONNX Runtime", "bm25s (k1 = 1.5, b = 0.75)"]  # real model names, never "embedded"
    assert len({result.colour for result in stored.comparison.results.values()}) == 3
    assert demo_app.success[0].value.startswith("Done: 3 contestants on")
    assert list(demo_app.dataframe[0].value["contestant"]) == labels(shared_state)  # the result stays on Start
    assert any(m.value.startswith("Best by nDCG@10") for m in demo_app.markdown)
    assert any(", ".join(map(plain, labels(shared_state))) in c.value for c in demo_app.sidebar.caption)


def test_a_failing_demo_shows_a_message(monkeypatch):
    def broken():
        raise DataError("corpus.jsonl", "not valid JSON", line=3)

    monkeypatch.setattr("core.data.samples.load_lesson", broken)
    at = open_page("start")
    at.button(key="start.demo").click().run()
    no_exception(at)
    assert at.error[0].value == "The demo could not run: corpus.jsonl, line 3: not valid JSON"
    assert "shared.dataset" not in at.session_state
