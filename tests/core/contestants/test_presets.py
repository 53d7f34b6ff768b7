"""core.contestants.presets: the Start page's demo, and fine-tuned models joining a comparison beside the zero-shot
ones, named after their data."""

from __future__ import annotations

from core.contestants.presets import DEFAULT_PRESET, LESSON_MODELS, as_typed, demo_spec, presets, with_fine_tuned


def test_the_demo_is_the_textbook_preset_made_shallow_beside_the_heads_fine_tuned_on_the_lesson():
    demo, textbook = demo_spec(), presets()[DEFAULT_PRESET]
    fine_tuned = ["cross-encoder · fine-tuned on lesson"]
    zero_shot = [f"{entry.name} · zero-shot" if entry.kind == "cross" else entry.name for entry in textbook.contestants]
    assert demo.names == (*zero_shot, *fine_tuned) and demo.k == 20
    assert {entry.model for entry in demo.contestants} == {"embedded", "", *map(as_typed, LESSON_MODELS.values())}
    assert as_typed(LESSON_MODELS["cross"]) == "core/weights/lesson-cross"  # no absolute path on Settings
    assert [entry.option("depth") for entry in demo.contestants if entry.option("first")] == [20, 20]
    assert all(folder.is_dir() for folder in LESSON_MODELS.values())  # shipped, so the demo never trains


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
