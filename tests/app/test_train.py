"""Train page: it needs judged data; holding queries out splits the session's data so comparisons rank only
the rest. How finished fine-tuned models join the comparison: tests/core/contestants/test_presets.py."""

from __future__ import annotations

from core.data.samples import load_sample
from tests.app.helpers import no_exception, open_page


def test_train_needs_data_first():
    at = open_page("train")
    no_exception(at)
    assert at.info[0].value == "Load data with relevance judgements first."


def test_holding_queries_out_splits_the_sessions_data():
    sample = load_sample()
    at = open_page("train", {"shared.dataset": sample})
    at.slider(key="train.percent").set_value(40)
    at.button(key="train.split").click().run()
    no_exception(at)
    data, (training, how) = at.session_state["shared.dataset"], at.session_state["shared.training"]
    assert not set(data.queries.ids) & set(training.queries.ids)
    assert len(training.qrels) == round(0.4 * len(sample.qrels)) and "40 %" in how
    assert data.split.startswith("test") and "Held out" in at.success[0].value
    assert at.button(key="train.start").disabled is False
    assert "about 15 min" in at.caption[0].value  # three models (bi, cross, poly), five minutes each
