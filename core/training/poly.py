"""Recipe for the embedded poly-encoder: backbone initialised from the bi-encoder, m codes, trained
with in-batch negatives plus mined hard negatives and distilled from the trained cross-encoder
(its scores over each list are the soft labels of a listwise KL loss, as Humeau et al. and later
distillation work recommend)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from core.backbone import backbone_path
from core.rankers.cross_encoder import PairScorer
from core.rankers.poly_encoder import PolyEncoder
from core.training.lists import TrainingList
from core.training.loop import TrainConfig, dev_ndcg, list_slices, listwise_kl, train

CODE_INIT_STD = 0.02  # zero codes would get identical gradients forever; a little noise breaks the tie


def add_cross_teacher(lists: Sequence[TrainingList], cross: PairScorer, temperature: float) -> None:
    """Replace each list's teacher scores by the cross-encoder's, divided by `temperature`."""
    for item in lists:
        scores = cross.predict([(item.query, passage) for passage in item.passages])
        item.teacher = (np.asarray(scores) / temperature).tolist()


def train_poly(lists: Sequence[TrainingList], dev_lists: Sequence[TrainingList], config: TrainConfig,
               out: Path, rng, n_codes: int = 16) -> tuple[PolyEncoder, dict]:
    """Train a `PolyEncoder` with `n_codes` codes and save it (fp16 safetensors) to `out`."""
    model = PolyEncoder.from_backbone(backbone_path(), n_codes)
    model.config = replace(model.config, max_length=config.max_document_length, trained=True)
    with torch.no_grad():
        model.codes.normal_(0.0, CODE_INIT_STD)
    groups = [{"params": list(model.backbone.parameters()), "lr": config.backbone_lr},
              {"params": [model.codes], "lr": config.head_lr, "weight_decay": 0.0}]

    def batch_loss(batch: Sequence[TrainingList]) -> tuple[torch.Tensor, dict[str, float]]:
        context = model.encode_context([item.query for item in batch])  # [batch, m, dim]
        passages = [passage for item in batch for passage in item.passages]
        candidates = model.encode_candidates(passages)  # [passages, dim]
        scores = model.score(context, candidates)[0] / config.temperature  # [batch, passages]
        slices = list_slices(batch)
        kl = sum(listwise_kl(scores[row, part], torch.tensor(item.teacher))
                 for row, (item, part) in enumerate(zip(batch, slices)))
        positives = torch.tensor([part.start + int(np.argmax(item.gold)) for item, part in zip(batch, slices)])
        contrastive = F.cross_entropy(scores, positives)  # every other passage in the batch is a negative
        own = torch.cat([scores[row, part] for row, part in enumerate(slices)]) * config.temperature
        anchor = torch.tensor([c for item in batch for c in item.bi_cosine])
        tie = torch.mean((own - anchor) ** 2)
        loss = kl / len(batch) + contrastive + config.tie_weight * tie
        return loss, {"kl": kl.item() / len(batch), "in_batch_ce": contrastive.item(), "tie": tie.item()}

    @torch.inference_mode()
    def dev_score() -> float:
        def score(item: TrainingList) -> np.ndarray:
            return model.score(model.encode_context([item.query]), model.encode_candidates(item.passages))[0][0].numpy()
        return dev_ndcg(score, dev_lists)

    def checkpoint() -> None:
        model.save(out)

    history = train(model, groups, lists, batch_loss, dev_score, config, rng, checkpoint)
    model.save(out, training={"config": asdict(config), "history": history})
    return model, history
