"""Attention page: a contestant picker (neural ones only), the bi-encoder's token similarities, and the
cross-encoder's heatmap with layer and head selectors."""

from __future__ import annotations

import html

from app_pages._shared import Stored
from core.models.errors import ModelError
from tests.app.helpers import comparison_of, no_exception, open_page


def test_neural_contestants_in_their_colours_with_layer_and_head_selectors(shared_state):
    at = open_page("attention", shared_state)
    no_exception(at)
    assert "not an explanation" in at.caption[0].value
    picker = at.selectbox(key="attention.contestant")
    assert picker.options == ["MiniLM", "MiniLM → cross"] and picker.value == "MiniLM"  # BM25 has no encoder
    results = comparison_of(at).results
    assert html.escape("■</span> MiniLM</h4>") in html.escape(at.markdown[0].value)
    assert f"color:{results['MiniLM'].colour}" in at.markdown[0].value
    assert any(c.value == r"No attention view for BM25 \<s\>: without an encoder, nothing attends." for c in at.caption)
    assert any("no attention between query and document" in c.value for c in at.caption)  # the bi-encoder's view
    picker.set_value("MiniLM → cross").run()
    no_exception(at)
    assert f"color:{results['MiniLM → cross'].colour}" in at.markdown[0].value
    assert at.slider(key="attention.layer").value == at.slider(key="attention.layer").max == 6
    assert at.selectbox(key="attention.head").value == "mean over heads"
    assert not at.error
    cross = results["MiniLM → cross"]
    assert any("closed gate" in i.value for i in at.info) == (not cross.trained)  # untrained: said why it is empty
    at.slider(key="attention.layer").set_value(1)
    at.selectbox(key="attention.head").set_value(3).run()
    no_exception(at)
    at.selectbox(key="attention.doc").select_index(1).run()
    no_exception(at)


def test_a_view_that_cannot_be_computed_is_a_message(shared_state, monkeypatch):
    def broken(self, query, document):
        raise ModelError("cannot load cross-encoder './no/such/model': model path './no/such/model' does not exist")

    monkeypatch.setattr("core.rankers.cross_encoder.CrossEncoderRanker.attention", broken)
    stored = shared_state["shared.comparisons"][shared_state["shared.current"]]
    fresh = Stored(stored.comparison, stored.rankers, stored.seconds)  # nothing computed yet
    at = open_page("attention", {**shared_state, "shared.comparisons": {shared_state["shared.current"]: fresh}})
    at.selectbox(key="attention.contestant").set_value("MiniLM → cross").run()
    no_exception(at)
    assert len(at.error) == 1 and "model path './no/such/model' does not exist" in at.error[0].value
