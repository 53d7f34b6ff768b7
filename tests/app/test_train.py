"""Train page: it needs judged data; holding queries out splits the session's data so comparisons rank only
the rest; finished fine-tuned models join the comparison as contestants named after their data."""

from __future__ import annotations

from core.contestants.registry import DEFAULT_PRESET, presets
from core.view_models import load_sample, with_fine_tuned
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
    assert "about 10 min" in at.caption[0].value  # two models, five minutes each


def test_fine_tuned_models_join_the_comparison_beside_the_zero_shot_ones(tmp_path):
    textbook = presets()[DEFAULT_PRESET]
    spec, added = with_fine_tuned(textbook, {"cross": str(tmp_path / "c"), "poly": str(tmp_path / "p")}, "my=data")
    assert added == ["cross-encoder · fine-tuned on my data", "poly-encoder · fine-tuned on my data"]
    cross = spec.contestants[-2]
    zero_shot = next(entry for entry in textbook.contestants if entry.kind == "cross")
    assert cross.option("first") == zero_shot.option("first") and cross.model == str(tmp_path / "c")
    assert len(spec.contestants) == len(textbook.contestants) + 2
    again = with_fine_tuned(spec, {"cross": str(tmp_path / "c")}, "my=data")[0]  # a second run replaces the first
    assert sorted(again.names) == sorted(spec.names)


def test_a_distilled_early_layer_student_joins_as_a_bi_encoder_with_the_zero_shot_ones_options(tmp_path):
    textbook = presets()[DEFAULT_PRESET]
    spec, added = with_fine_tuned(textbook, {"early-layer": str(tmp_path / "e")}, "my data")
    assert added == ["early-layer embedder · fine-tuned on my data"]
    student, zero_shot = spec.contestants[-1], next(entry for entry in textbook.contestants if entry.kind == "bi")
    assert (student.kind, student.model) == ("bi", str(tmp_path / "e"))
    assert student.options == zero_shot.options  # the same backend and index as the bi-encoder it sits beside
