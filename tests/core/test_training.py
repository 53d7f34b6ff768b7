"""The training recipes' --quick mode on the real backbone and real shared data: the loop runs,
the loss falls, and what it saves loads back through the normal model loaders as trained."""

from __future__ import annotations

import pytest

from core.devsets import shared_data_root
from core.models import load_cross_encoder, load_poly_encoder
from core.training.cross import INITIAL_GATE
from core.training.loop import TrainConfig
from core.training.recipes import run_training

pytestmark = pytest.mark.skipif(not (shared_data_root() / "wikiqa").is_dir(),
                                reason="needs ../shared/data (WikiQA, ArguAna)")


def test_quick_cross_encoder_training_lowers_the_loss_and_saves_a_trained_model(tmp_path):
    record = run_training("cross", tmp_path / "cross", TrainConfig(), quick=True)
    assert record["quick"] and record["data"]["pairs"] >= 150
    assert record["last_loss"] < record["first_loss"]
    model = load_cross_encoder(str(tmp_path / "cross"))
    assert model.trained and model.cross_bias.item() != pytest.approx(INITIAL_GATE, abs=1e-3)
    assert (tmp_path / "cross" / "training.json").is_file()


@pytest.mark.parametrize("freeze_backbone", [False, True], ids=["fine-tuned-backbone", "frozen-backbone"])
def test_quick_poly_encoder_distillation_lowers_the_loss_and_saves_a_trained_model(tmp_path, freeze_backbone):
    record = run_training("poly", tmp_path / "poly", TrainConfig(freeze_backbone=freeze_backbone), quick=True,
                          n_codes=4)
    assert record["last_loss"] < record["first_loss"]
    model = load_poly_encoder(str(tmp_path / "poly"))
    assert model.config.trained and model.config.n_codes == 4
    assert model.codes.std().item() > 0  # the codes were broken out of their all-equal start
    saved_mb = (tmp_path / "poly" / "model.safetensors").stat().st_size / 1e6
    assert saved_mb < 0.1 if freeze_backbone else saved_mb > 40  # frozen: only the codes are saved


def test_only_the_poly_encoder_trains_over_a_frozen_backbone(tmp_path):
    with pytest.raises(ValueError, match="poly-encoder only"):
        run_training("cross", tmp_path / "cross", TrainConfig(freeze_backbone=True), quick=True)
