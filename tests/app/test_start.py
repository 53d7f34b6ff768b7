"""Start page: the architecture diagrams and the one-click demo on the sample data."""

from __future__ import annotations

from core.config import ArenaConfig
from core.data import DataError
from core.session import DEMO_CONFIG
from tests.app.helpers import SMALL, labels, no_exception, open_page


def test_start_explains_the_architectures_and_offers_the_demo():
    at = open_page("start")
    no_exception(at)
    assert len(at.get("graphviz_chart")) == 3
    assert [h.value for h in at.subheader][:3] == ["Bi-encoder", "Poly-encoder", "Cross-encoder"]
    assert at.button(key="start.demo").label == "Load the sample data and run the demo"
    assert any(f"k = {DEMO_CONFIG.k}" in m.value and "Settings" in m.value for m in at.markdown)


def test_the_demo_uses_shallow_settings_with_every_embedded_model():
    assert DEMO_CONFIG == ArenaConfig(k=20, rerank_depth=20)


def test_demo_loads_the_sample_data_and_runs_a_comparison(demo_app, shared_state):
    data, key = shared_state["shared.dataset"], shared_state["shared.current"]
    assert len(data.corpus) > 100 and data.qrels
    stored = shared_state["shared.comparisons"][key]
    assert key == (shared_state["shared.dataset_key"], SMALL)
    assert list(stored.comparison.results) == ["bm25", "bi", "cross"]
    for result in stored.comparison.results.values():  # an untrained model says so wherever it is named
        assert result.label == (result.kind if result.trained else f"{result.kind} (untrained)")
    assert demo_app.success[0].value.startswith("Done: 3 rankers on")
    assert any(", ".join(labels(shared_state)) in c.value for c in demo_app.sidebar.caption)


def test_a_failing_demo_shows_a_message(monkeypatch):
    def broken():
        raise DataError("corpus.jsonl", "not valid JSON", line=3)

    monkeypatch.setattr("core.session.load_sample", broken)
    at = open_page("start")
    at.button(key="start.demo").click().run()
    no_exception(at)
    assert at.error[0].value == "The demo could not run: corpus.jsonl, line 3: not valid JSON"
    assert "shared.dataset" not in at.session_state
