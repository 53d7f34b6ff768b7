"""Training on a device: on the CPU (CI and these machines) the recipes run through the same code with
device="cpu", stay on the CPU at the CPU's batch size and precision, train alike whichever way the CPU is asked for,
and measure their pace; a device the machine lacks is a one-line error before any work; the record, the model card
and the Train page say where a run trained and how fast. The tests marked `gpu` train on CUDA and are skipped
without it.

That device="cpu" trains exactly as the code before devices did (same losses, dev scores and loss parts, bfloat16
too) was checked when the device was added, by running both versions side by side on these lists."""

from __future__ import annotations

import json
import math
import random
from dataclasses import asdict, replace

import pytest
import torch

from app_pages.views.train import pace, where_it_trains
from core.cli import main
from core.devices import DeviceError
from core.models.placement import device_of
from core.training.cross import train_cross
from core.training.early_layers import train_early_layers
from core.training.jobs import start_job
from core.training.lists import TrainingList
from core.training.loop import (
    ACCELERATOR_BATCH_SCALE,
    TrainConfig,
    lists_per_step,
    loss_scaler,
    precision,
    seed_everything,
    teacher_lists_per_call,
)
from core.training.model_card import write_model_card
from core.training.poly import train_poly
from tests.conftest import SAMPLE_BEIR

NO_CUDA = not torch.cuda.is_available()
needs_cuda = pytest.mark.skipif(NO_CUDA, reason="needs a CUDA GPU")
without_cuda = pytest.mark.skipif(not NO_CUDA, reason="this machine has CUDA")
SHORT = {"batch_lists": 2, "epochs": 1, "eval_every": 2, "max_query_length": 16, "max_document_length": 32,
         "warmup": 0.25}


@pytest.fixture(scope="module")
def lists(sample_dataset) -> tuple[list[TrainingList], list[TrainingList]]:
    """Eight training and four dev lists of the sample data: a judged document and three others, with teacher
    scores and starting cosines."""
    texts = dict(zip(sample_dataset.corpus.ids, sample_dataset.corpus.passages()))
    draw = random.Random(0)
    made = []
    for query_id, query in zip(sample_dataset.queries.ids, sample_dataset.queries.texts):
        judged = [doc for doc, grade in sample_dataset.qrels.get(query_id, {}).items() if grade > 0]
        if judged:
            passages = [texts[judged[0]], *(texts[doc] for doc in draw.sample(list(texts), 3))]
            made.append(TrainingList(query, passages, [1.0, 0.0, 0.0, 0.0], "sample", teacher=[2.0, 0.1, -0.3, 0.2],
                                     bi_cosine=[0.5, 0.2, 0.1, 0.3]))
    return made[:8], made[8:12]


def _losses(history: dict) -> list[float]:
    return [loss for _, loss in history["loss"]]


def test_on_the_cpu_a_step_takes_the_cpus_lists_at_its_precision():
    assert lists_per_step(4, "cpu") == 4 and lists_per_step(4, "cuda:0") == 4 * ACCELERATOR_BATCH_SCALE
    assert teacher_lists_per_call("cpu") == 1 and teacher_lists_per_call("mps") > 1
    with precision("cpu", bfloat16=False):
        assert not torch.is_autocast_enabled("cpu")
    with precision("cpu", bfloat16=True):  # the CPU flag keeps its meaning there
        assert torch.is_autocast_enabled("cpu") and torch.get_autocast_dtype("cpu") == torch.bfloat16
    assert not loss_scaler("cpu").is_enabled()  # loss scaling is for float16 on an accelerator only


def test_the_cross_encoder_trains_on_the_cpu_alike_however_the_cpu_is_asked_for(lists, tmp_path, monkeypatch):
    train, dev = lists
    model, history = train_cross(train, dev, TrainConfig(**SHORT, device="cpu"), tmp_path / "cpu", seed_everything(13))
    assert history["steps"] == 4 and all(math.isfinite(loss) for loss in _losses(history))  # 8 lists, 2 a step
    assert history["steps_per_minute"] > 0 and len(history["dev_ndcg@10"]) == 3
    assert device_of(model) == "cpu" and {p.device.type for p in model.parameters()} == {"cpu"}
    monkeypatch.setenv("ARENA_DEVICE", "cpu")  # auto, told to keep to the CPU (as a server can be)
    _, again = train_cross(train, dev, TrainConfig(**SHORT), tmp_path / "auto", seed_everything(13))
    assert _losses(again) == _losses(history) and again["dev_ndcg@10"] == history["dev_ndcg@10"]


def test_the_poly_encoder_and_the_early_layer_student_train_on_the_cpu(lists, tmp_path):
    train, dev = lists
    config = TrainConfig(**SHORT, device="cpu", freeze_backbone=True, pool_negatives=4)
    poly, history = train_poly(train, dev, config, tmp_path / "poly", seed_everything(13), n_codes=4)
    assert all(math.isfinite(loss) for loss in _losses(history)) and poly.codes.device.type == "cpu"
    student, history = train_early_layers(train[:4], dev, replace(config, freeze_backbone=False), tmp_path / "early",
                                          seed_everything(13), "embedded", 1)
    assert history["steps"] == 2 and all(math.isfinite(loss) for loss in _losses(history))
    assert {p.device.type for p in student.parameters()} == {"cpu"}


@without_cuda
def test_training_on_a_device_this_machine_lacks_is_a_one_line_error(tmp_path, capsys, sample_dataset):
    out = tmp_path / "never"
    assert main(["train", "cross", "--data", str(SAMPLE_BEIR), "--out", str(out), "--device", "cuda"]) == 2
    error = capsys.readouterr().err
    assert "device 'cuda' is not on this machine; it has cpu" in error and "Traceback" not in error
    assert main(["train", "poly", "--quick", "--out", str(out), "--device", "gpu"]) == 2
    assert "'gpu' is not one of auto, cpu, cuda, cuda:N, mps" in capsys.readouterr().err
    assert not out.exists()
    with pytest.raises(DeviceError, match="not on this machine"):  # the page's job: refused before it starts
        start_job(sample_dataset, ("cross",), 1.0, device="cuda:1")
    assert where_it_trains("cuda").startswith("Cannot train here: device 'cuda' is not on this machine")


def test_the_record_the_card_and_the_page_say_where_it_trained_and_how_fast(tmp_path):
    assert where_it_trains("cpu") == "Trains on the CPU."
    record = _record(device="cpu", device_title="the CPU", threads=2)
    write_model_card(tmp_path / "cpu", record)
    card = (tmp_path / "cpu" / "README.md").read_text()
    assert "on 2 CPU threads; 120 steps (24 steps a minute)" in card and "batch 2 lists" in card
    assert pace(str(tmp_path / "cpu")) == "Trained on the CPU at 24 steps a minute (120 steps; 5 min in all, mining " \
                                          "included)."
    gpu = "NVIDIA H200 (cuda:0), bfloat16"
    write_model_card(tmp_path / "gpu", _record(device="cuda:0", device_title=gpu, threads=16, lists_per_step=8,
                                               steps_per_minute=1234.0))
    card = (tmp_path / "gpu" / "README.md").read_text()
    assert f"on {gpu}; 120 steps (1,234 steps a minute)" in card and "batch 8 lists" in card
    assert pace(str(tmp_path / "gpu")).startswith(f"Trained on {gpu} at 1,234 steps a minute")
    older = _record()  # a record written before devices: on the CPU, no pace
    for key in ("device", "device_title", "steps_per_minute", "lists_per_step"):
        older.pop(key)
    write_model_card(tmp_path / "older", older)
    assert "on 2 CPU threads; 120 steps, stopped" in (tmp_path / "older" / "README.md").read_text()
    assert pace(str(tmp_path / "older")) is None


def _record(**changes) -> dict:
    """A training record as `core.training.in_domain.fine_tune` writes it."""
    record = {"kind": "cross", "data": "sample", "dataset": "sample", "split": "train", "seed": 13,
              "recipe": asdict(TrainConfig(batch_lists=2, teacher_mix="gold=10", device="cpu")), "n_codes": None,
              "teacher": None, "layers": None, "queries": {"training": 40, "dev": 8}, "training_lists": 40,
              "lists_seen": 240, "lists_per_step": 2, "pairs_per_list": 8, "budget_minutes": 5.0, "wall_s": 300.0,
              "threads": 2, "device": "cpu", "device_title": "the CPU", "steps_per_minute": 24.0,
              "history": {"steps": 120, "stopped": "time", "best_step": 60, "dev_ndcg@10": [(0, 0.5), (60, 0.6)]}}
    record.update(changes)
    return record


@pytest.mark.gpu
@needs_cuda
def test_on_the_gpu_each_recipe_trains_there_in_larger_steps(lists, tmp_path):
    train, dev = lists
    config = TrainConfig(**SHORT, device="cuda")
    model, history = train_cross(train, dev, config, tmp_path / "cross", seed_everything(13))
    assert history["steps"] == math.ceil(len(train) / (2 * ACCELERATOR_BATCH_SCALE))
    assert all(math.isfinite(loss) for loss in _losses(history)) and history["steps_per_minute"] > 0
    assert {p.device.type for p in model.parameters()} == {"cuda"} and device_of(model) == "cuda:0"
    assert model.backbone.embeddings.word_embeddings.weight.dtype == torch.float32  # autocast, float32 weights
    poly, history = train_poly(train, dev, replace(config, freeze_backbone=True, pool_negatives=4),
                               tmp_path / "poly", seed_everything(13), n_codes=4)
    assert poly.codes.device.type == "cuda" and all(math.isfinite(loss) for loss in _losses(history))
    student, history = train_early_layers(train, dev, config, tmp_path / "early", seed_everything(13), "embedded", 1)
    assert {p.device.type for p in student.parameters()} == {"cuda"}
    assert all(math.isfinite(loss) for loss in _losses(history))


@pytest.mark.gpu
@needs_cuda
def test_on_the_gpu_the_cli_fine_tunes_and_says_where(tmp_path, sample_dataset):
    from core.data.devsets import export_beir
    from core.data.splits import hold_out

    splits = hold_out(sample_dataset, 50)
    data = tmp_path / "split"
    export_beir(replace(sample_dataset, qrels=splits.test.qrels), data, {"train": splits.training.qrels})
    out = tmp_path / "cross"
    assert main(["train", "cross", "--data", str(data), "--out", str(out), "--minutes", "0.5", "--device", "cuda"]) == 0
    record = json.loads((out / "training.json").read_text())
    assert record["device"] == "cuda:0" and record["recipe"]["device"] == "cuda:0"
    assert record["steps_per_minute"] > 0 and record["device_title"] in (out / "README.md").read_text()
