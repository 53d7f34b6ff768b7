"""Attention page: cross-encoder heatmap with layer/head selectors, poly-encoder codes, bi-encoder tokens."""

from __future__ import annotations

import dataclasses

from app_pages._shared import Stored
from core.session import dataset_key
from tests.app.helpers import no_exception, open_page


def test_all_three_views_with_layer_and_head_selectors(shared_state):
    at = open_page("attention", shared_state)
    no_exception(at)
    assert "not an explanation" in at.caption[0].value
    assert at.slider(key="attention.layer").value == at.slider(key="attention.layer").max == 6
    assert at.selectbox(key="attention.head").value == "mean over heads"
    assert not at.error
    cross = shared_state["shared.comparisons"][shared_state["shared.current"]].comparison.results["cross"]
    assert any("closed gate" in i.value for i in at.info) == (not cross.trained)  # untrained: said why it is empty
    at.slider(key="attention.layer").set_value(1)
    at.selectbox(key="attention.head").set_value(3).run()
    no_exception(at)
    at.selectbox(key="attention.doc").select_index(1).run()
    no_exception(at)


def test_a_model_that_cannot_load_is_a_message_in_its_tab(shared_state):
    stored = shared_state["shared.comparisons"][shared_state["shared.current"]]
    config = dataclasses.replace(stored.comparison.config, cross_model="./no/such/model")
    broken = Stored(dataclasses.replace(stored.comparison, config=config), stored.rankers, stored.seconds)
    key = (dataset_key(shared_state["shared.dataset"]), config)
    at = open_page("attention", {**shared_state, "shared.comparisons": {key: broken}, "shared.current": key})
    no_exception(at)
    assert len(at.error) == 1 and "model path './no/such/model' does not exist" in at.error[0].value
