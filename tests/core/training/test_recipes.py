"""The training recipes' --quick mode on the real backbone and real shared data: the loop runs,
the loss falls, and what it saves loads back through the normal model loaders as trained."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.data.devsets import shared_data_root
from core.models.idf import IDF_WEIGHT_INIT
from core.models.loading import load_bi_encoder, load_cross_encoder, load_poly_encoder
from core.training.cross import INITIAL_GATE
from core.training.lists import TrainingList
from core.training.loop import TrainConfig
from core.training.recipes import run_training
from core.training.teacher import TeacherMix, apply_mix

pytestmark = pytest.mark.skipif(not (shared_data_root() / "wikiqa").is_dir(),
                                reason="needs ../shared/data (WikiQA, ArguAna)")


@pytest.mark.parametrize(("idf_prior", "freeze_backbone"), [(False, False), (True, True)],
                         ids=["fine-tuned-backbone", "frozen-backbone-idf-prior"])
def test_quick_cross_encoder_training_lowers_the_loss_and_saves_a_trained_model(tmp_path, idf_prior, freeze_backbone):
    config = TrainConfig(idf_prior=idf_prior, freeze_backbone=freeze_backbone)
    record = run_training("cross", tmp_path / "cross", config, quick=True)
    assert record["quick"] and record["data"]["pairs"] >= 150
    assert record["last_loss"] < record["first_loss"]
    model = load_cross_encoder(str(tmp_path / "cross"))
    assert model.trained and model.cross_bias.item() != pytest.approx(INITIAL_GATE, abs=1e-3)
    assert model.config.idf_prior == idf_prior
    if idf_prior:  # the weight is held where it starts, over IDF counted on the training passages
        assert model.idf_weight.item() == pytest.approx(IDF_WEIGHT_INIT, abs=1e-3)
        assert model.fallback_log_idf.max().item() > 1.0
    saved_mb = (tmp_path / "cross" / "model.safetensors").stat().st_size / 1e6
    if freeze_backbone:  # only the new parameters are saved; the backbone is still the packaged bi-encoder's
        assert saved_mb < 0.1
        bi = load_bi_encoder()
        text = "Paris is the capital of France."
        expected = bi.encode([text], output_value="token_embeddings", convert_to_numpy=False)[0]
        batch = model.tokenizer([text], return_tensors="pt")
        with torch.no_grad():
            states = model.backbone(**batch).last_hidden_state[0]
        assert torch.allclose(states, expected, atol=1e-5)
    else:
        assert saved_mb > 40
    assert (tmp_path / "cross" / "training.json").is_file()


@pytest.mark.parametrize(("freeze_backbone", "query_bitfit", "pool_negatives", "idf_prior", "most_mb"),
                         [(False, False, 0, False, 100), (True, False, 64, False, 0.1), (True, True, 0, False, 0.2),
                          (True, False, 64, True, 0.1)],
                         ids=["fine-tuned-backbone", "frozen-backbone-pool-negatives", "frozen-backbone-query-bitfit",
                              "frozen-backbone-idf-prior"])
def test_quick_poly_encoder_distillation_lowers_the_loss_and_saves_a_trained_model(
        tmp_path, freeze_backbone, query_bitfit, pool_negatives, idf_prior, most_mb):
    config = TrainConfig(freeze_backbone=freeze_backbone, query_bitfit=query_bitfit, pool_negatives=pool_negatives,
                         idf_prior=idf_prior)
    record = run_training("poly", tmp_path / "poly", config, quick=True, n_codes=4)
    assert record["last_loss"] < record["first_loss"]
    model = load_poly_encoder(str(tmp_path / "poly"))
    assert model.config.trained and model.config.n_codes == 4
    assert model.codes.std().item() > 0  # the codes were broken out of their all-equal start
    assert model.config.idf_prior == idf_prior
    if idf_prior:  # the weight learned from its start, over IDF counted on the training passages
        assert model.idf_weight.item() != pytest.approx(IDF_WEIGHT_INIT, abs=1e-4)
        assert model.fallback_log_idf.max().item() > 1.0
    saved_mb = (tmp_path / "poly" / "model.safetensors").stat().st_size / 1e6
    assert saved_mb < most_mb and (freeze_backbone or saved_mb > 40)  # frozen: only what learned is saved
    assert (model.query_backbone is not None) == query_bitfit
    if query_bitfit:  # the query side moved, the documents' side is still the packaged bi-encoder's
        moved = [torch.equal(a, b) for a, b in zip(model.query_backbone.parameters(), model.backbone.parameters())]
        assert not all(moved)
        bi = load_bi_encoder()
        text = ["Paris is the capital of France."]
        assert model.encode_candidates(text).detach().numpy() == pytest.approx(bi.encode(text, normalize_embeddings=True),
                                                                               abs=1e-5)


def test_poly_encoder_options_that_need_a_frozen_backbone_are_refused_without_one(tmp_path):
    with pytest.raises(ValueError, match="--freeze-backbone only"):
        run_training("poly", tmp_path / "poly", TrainConfig(query_bitfit=True), quick=True)
    with pytest.raises(ValueError, match="the poly-encoder takes --idf-prior with --freeze-backbone only"):
        run_training("poly", tmp_path / "poly", TrainConfig(idf_prior=True), quick=True)


def test_a_teacher_mix_parses_prints_and_weighs_z_normalised_signals():
    mix = TeacherMix.parse("gold=2, bi=1,bm25=0.5")
    assert str(mix) == "gold=2,bi=1,bm25=0.5" and mix.signals == ("bi", "bm25")
    item = TrainingList("q", ["a", "b", "c"], [1.0, 0.0, 0.0], "test", bi_cosine=[0.9, 0.5, 0.1],
                        signals={"bi": [0.9, 0.5, 0.1], "bm25": [0.0, 10.0, 20.0]})
    apply_mix([item], mix)
    z = np.array([1.0, 0.0, -1.0]) * np.sqrt(1.5)  # z-scores of an evenly spaced triple
    assert item.teacher == pytest.approx((2 * np.array([1, 0, 0]) + z - 0.5 * z).tolist(), abs=1e-5)


@pytest.mark.parametrize("text", ["bi=1,smell=2", "bi", "bi=x", " , "])
def test_a_bad_teacher_mix_is_refused_with_a_message(text):
    with pytest.raises(ValueError, match="teacher mix"):
        TeacherMix.parse(text)


def test_the_lists_and_each_signal_of_the_mix_are_cached(tmp_path):
    config = TrainConfig(freeze_backbone=True, teacher_mix="gold=1,bi=1,bm25=1")
    record = run_training("poly", tmp_path / "poly", config, quick=True, n_codes=2, lists_cache=tmp_path / "cache")
    assert record["config"]["teacher_mix"] == "gold=1,bi=1,bm25=1" and record["last_loss"] < record["first_loss"]
    stored = sorted(path.name.rsplit("-", 1)[0] for path in (tmp_path / "cache").iterdir())
    assert stored == ["lists", "signal-bi", "signal-bm25"]
