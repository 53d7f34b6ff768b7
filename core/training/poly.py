"""Recipe for the embedded poly-encoder: backbone initialised from the bi-encoder, m codes, trained
with in-batch negatives plus mined hard negatives and distilled from the trained cross-encoder
(its scores over each list are the soft labels of a listwise KL loss, as Humeau et al. and later
distillation work recommend)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from core.backbone import backbone_path
from core.rankers.cross_encoder import PairScorer
from core.rankers.poly_encoder import PolyEncoder
from core.training.lists import TrainingList
from core.training.loop import TrainConfig, dev_ndcg, list_slices, listwise_kl, train

logger = logging.getLogger(__name__)
CODE_INIT_STD = 0.02  # zero codes would get identical gradients forever; a little noise breaks the tie


def add_cross_teacher(lists: Sequence[TrainingList], cross: PairScorer, temperature: float) -> None:
    """Replace each list's teacher scores by the cross-encoder's, divided by `temperature`."""
    for done, item in enumerate(lists, start=1):
        scores = cross.predict([(item.query, passage) for passage in item.passages])
        item.teacher = (np.asarray(scores) / temperature).tolist()
        if done % 200 == 0:
            logger.info("cross-encoder teacher: scored %d/%d lists", done, len(lists))


class PolyInputs:
    """Query token states and document vectors for the student.

    With a trainable backbone they are computed live (with gradients). With a frozen backbone they
    are computed once, up front, and looked up: the documents' vectors are then exactly the
    bi-encoder's (same backbone, same pooling), so only the codes learn and each step is a few
    small matrix products.
    """

    def __init__(self, model: PolyEncoder, frozen: bool) -> None:
        self.model = model
        self.frozen = frozen
        self._states: dict[str, torch.Tensor] = {}
        self._vectors: dict[str, torch.Tensor] = {}

    def precompute(self, lists: Sequence[TrainingList], batch_size: int = 64) -> None:
        """Encode every query and passage of `lists` once (frozen backbone only)."""
        if not self.frozen:
            return
        queries = [q for q in dict.fromkeys(item.query for item in lists) if q not in self._states]
        passages = [p for p in dict.fromkeys(p for item in lists for p in item.passages) if p not in self._vectors]
        with torch.no_grad():
            for start in range(0, len(queries), batch_size):
                chunk = queries[start:start + batch_size]
                states, mask = self.model.token_states(chunk)
                self._states.update((q, s[m.bool()]) for q, s, m in zip(chunk, states, mask))
            for start in range(0, len(passages), batch_size):
                chunk = passages[start:start + batch_size]
                self._vectors.update(zip(chunk, self.model.encode_candidates(chunk)))
                if start // batch_size % 20 == 0:
                    logger.info("encoded %d/%d passages for the frozen backbone", start + len(chunk), len(passages))

    def context(self, queries: Sequence[str]) -> torch.Tensor:
        """The m query vectors `[batch, m, dim]`."""
        if not self.frozen:
            return self.model.encode_context(queries)
        states = nn.utils.rnn.pad_sequence([self._states[q] for q in queries], batch_first=True)
        lengths = torch.tensor([len(self._states[q]) for q in queries])
        mask = (torch.arange(states.shape[1])[None, :] < lengths[:, None]).long()
        return self.model.attend_codes(states, mask)[0]

    def candidates(self, passages: Sequence[str]) -> torch.Tensor:
        """Document vectors `[passages, dim]`."""
        if not self.frozen:
            return self.model.encode_candidates(passages)
        return torch.stack([self._vectors[p] for p in passages])


def train_poly(lists: Sequence[TrainingList], dev_lists: Sequence[TrainingList], config: TrainConfig,
               out: Path, rng, n_codes: int = 16) -> tuple[PolyEncoder, dict]:
    """Train a `PolyEncoder` with `n_codes` codes and save it (fp16 safetensors) to `out`.

    With `config.freeze_backbone` only the codes learn and only they are saved (the packaged
    MiniLM is the backbone); otherwise the backbone is fine-tuned too and saved with them.
    """
    model = PolyEncoder.from_backbone(backbone_path(), n_codes)
    if config.freeze_backbone:
        model.config = replace(model.config, trained=True)
        model.backbone.requires_grad_(False)
    else:
        model.config = replace(model.config, max_length=config.max_document_length, trained=True)
    with torch.no_grad():
        model.codes.normal_(0.0, CODE_INIT_STD)
    groups = [{"params": [model.codes], "lr": config.head_lr, "weight_decay": 0.0}]
    if not config.freeze_backbone:
        groups.append({"params": list(model.backbone.parameters()), "lr": config.backbone_lr})
    inputs = PolyInputs(model, config.freeze_backbone)
    inputs.precompute([*lists, *dev_lists])

    def batch_loss(batch: Sequence[TrainingList]) -> tuple[torch.Tensor, dict[str, float]]:
        context = inputs.context([item.query for item in batch])  # [batch, m, dim]
        candidates = inputs.candidates([passage for item in batch for passage in item.passages])  # [passages, dim]
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
            return model.score(inputs.context([item.query]), inputs.candidates(item.passages))[0][0].numpy()
        return dev_ndcg(score, dev_lists)

    def checkpoint(training: dict | None = None) -> None:
        model.save(out, training, include_backbone=not config.freeze_backbone)

    history = train(model, groups, lists, batch_loss, dev_score, config, rng, checkpoint)
    checkpoint({"config": asdict(config), "history": history})
    return model, history
