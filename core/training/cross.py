"""Recipe for the embedded cross-encoder: the joint-encoding module, initialised as the bi-encoder
(optionally with the IDF prior on its query pooling), trained listwise on mined lists against the hybrid
teacher, anchored to its starting cosine.

Why not sentence-transformers' `CrossEncoderTrainer`: the embedded model is the project's own
`JointCrossEncoder` (a fresh classification head over MiniLM fell 10–22 nDCG points below the
bi-encoder in trials; see ../shared/REFERENCE.md), which that trainer cannot drive.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import torch

from core.devices import resolve_device
from core.models.backbone import is_bitfit_parameter, load_backbone
from core.models.cross_encoder import JointCrossEncoder
from core.models.loading import load_bi_encoder
from core.models.sources import backbone_path
from core.training.lists import TrainingList
from core.training.loop import TrainConfig, dev_ndcg, list_slices, listwise_kl, start_idf_prior, train
from core.training.selection import kept_start

logger = logging.getLogger(__name__)
INITIAL_GATE = -6.0
"""The gate opened once the start is evaluated (see `open_gate`): a little cross attention, so that it gets gradients."""


def open_gate(model: JointCrossEncoder) -> None:
    """Let a little attention cross the segments. With the gate closed, the untrained start, the model scores exactly
    its bi-encoder's cosine, so a kept start ranks as that bi-encoder; but a closed gate gets no gradient."""
    with torch.no_grad():
        model.cross_bias.fill_(INITIAL_GATE)


def train_cross(lists: Sequence[TrainingList], dev_lists: Sequence[TrainingList], config: TrainConfig,
                out: Path, rng, budget_s: float | None = None, on_step: Callable[[dict], None] | None = None,
                fine_tuned_on: str = "", backbone: Path | None = None,
                start: Path | None = None) -> tuple[JointCrossEncoder, dict]:
    """Train a `JointCrossEncoder` over `backbone` (a bi-encoder's folder; default the packaged MiniLM) on
    `config.device` and save it (fp16 safetensors; float32 where the rule keeps the start) to `out` (`budget_s`,
    `on_step`: see `core.training.loop.train`; `fine_tuned_on`: the dataset, for in-domain runs).

    `start`, a bi-encoder of `backbone`'s architecture (default `backbone` itself), is the run's start: the model
    ranks exactly as it does at the start (the gate closed over its weights), and the checkpoint rule keeps that
    unless a checkpoint beats it. Training itself begins from `backbone`: a bi-encoder fine-tuned on these very lists
    has little left to learn from them (see `learning_start`)."""
    device = resolve_device(config.device)
    model = JointCrossEncoder.from_backbone(backbone or backbone_path(), config.idf_prior).to(device)  # batches follow it
    # It ranks at the config's lengths and trains at shorter ones.
    model.config = replace(model.config, trained=True, fine_tuned_on=fine_tuned_on, bitfit=config.backbone_bitfit)
    head = [model.cross_bias, model.scale, model.shift]
    # With the IDF prior, its weight stays at the start, chosen on held-apart queries: trained on these lists it
    # fell from 0.6 to 0.23 in 150 steps, and Cranfield's held-apart nDCG@10 fell below the untrained start's.
    if config.idf_prior:
        start_idf_prior(model, lists, model.config.max_document_length)
        model.idf_weight.requires_grad_(False)
    if config.freeze_backbone or config.backbone_bitfit:
        model.backbone.requires_grad_(False)
    # The tie's anchor: with the IDF prior, this model with its gate still closed (the IDF-weighted bi-encoder,
    # a frozen copy); otherwise the bi-encoder's cosines, which the lists carry.
    start_model = copy.deepcopy(model).requires_grad_(False).eval() if config.idf_prior else None
    learning = None  # the backbone's own weights, which the steps begin from, while the start is `start`'s
    if start is not None:
        learning = copy.deepcopy(model.backbone.state_dict())
        model.backbone.load_state_dict(load_backbone(start)[1].state_dict())
    groups = [{"params": head, "lr": config.head_lr, "weight_decay": 0.0}]
    if config.backbone_bitfit:
        trained = [p for name, p in model.backbone.named_parameters() if is_bitfit_parameter(name)]
        for parameter in trained:
            parameter.requires_grad_(True)
        groups.append({"params": trained, "lr": config.backbone_lr, "weight_decay": 0.0})
    elif not config.freeze_backbone:
        groups.append({"params": list(model.backbone.parameters()), "lr": config.backbone_lr})

    def batch_loss(batch: Sequence[TrainingList]) -> tuple[torch.Tensor, dict[str, float]]:
        pairs = model.prepare([(item.query, passage) for item in batch for passage in item.passages],
                              config.max_query_length, config.max_document_length)
        cosine = model.cosine(pairs)
        scores = (model.scale * cosine + model.shift) / config.temperature
        kl = sum(listwise_kl(scores[part], torch.tensor(item.teacher, device=device))
                 for item, part in zip(batch, list_slices(batch)))
        if start_model is None:
            anchor = torch.tensor([c for item in batch for c in item.bi_cosine], device=device)
        else:
            with torch.no_grad():
                anchor = start_model.cosine(pairs)
        tie = torch.mean((cosine - anchor) ** 2)
        loss = kl / len(batch) + config.tie_weight * tie
        return loss, {"kl": kl.item() / len(batch), "tie": tie.item(), "gate": model.cross_bias.item()}

    def dev_score() -> np.ndarray:
        return dev_ndcg(lambda item: model.predict([(item.query, p) for p in item.passages]), dev_lists)

    def checkpoint(training: dict | None = None) -> None:
        model.save(out, training, include_backbone=not (config.freeze_backbone or config.backbone_bitfit),
                   full_precision=training is not None and kept_start(training))

    def leave_start() -> None:
        if learning is not None:
            model.backbone.load_state_dict(learning)
        open_gate(model)

    history = train(model, groups, lists, batch_loss, dev_score, config, rng, checkpoint, budget_s, on_step,
                    leave_start=leave_start)
    checkpoint({"config": asdict(config), "history": history})
    return model, history


def bi_dev_score(dev_lists: Sequence[TrainingList]) -> float:
    """The starting bi-encoder's nDCG@10 on the dev lists, for comparison."""
    bi = load_bi_encoder()

    def score(item: TrainingList) -> np.ndarray:
        vectors = bi.encode([item.query, *item.passages], normalize_embeddings=True, show_progress_bar=False)
        return vectors[1:] @ vectors[0]

    return float(dev_ndcg(score, dev_lists).mean())
