"""Recipe for the embedded poly-encoder: backbone initialised from the bi-encoder, m codes, trained
with in-batch negatives plus mined hard negatives and distilled from the trained cross-encoder
(its scores over each list are the soft labels of a listwise KL loss, as Humeau et al. and later
distillation work recommend)."""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from core.devices import is_accelerator, resolve_device
from core.models.backbone import is_bitfit_parameter
from core.models.placement import as_numpy, device_of
from core.models.poly_encoder import PolyEncoder
from core.models.sources import backbone_path
from core.training.lists import TrainingList
from core.training.loop import (
    ACCELERATOR_BATCH_SCALE,
    POOLED_DEV,
    TrainConfig,
    list_slices,
    listwise_kl,
    pooled_dev_ndcg,
    start_idf_prior,
    train,
)
from core.training.selection import kept_start

logger = logging.getLogger(__name__)
DEV_BATCH = 64
"""Dev passages encoded, or dev queries scored against the whole dev pool, at once."""
CODE_INIT_STD = 0.02
"""The spread of the codes drawn once the start is evaluated (see `break_code_symmetry`)."""


# The packaged backbone's outputs, by text, shared by every run in the process (the backbone is frozen); kept on the
# CPU, whatever device computed them, and moved to a run's device as each batch looks them up.
_PACKAGED_STATES: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}  # query -> (token states, token ids)
_PACKAGED_VECTORS: dict[str, torch.Tensor] = {}


class PolyInputs:
    """Query token states and document vectors for the student.

    A side whose backbone trains is encoded live (with gradients). A frozen side is the packaged
    backbone's, encoded once per process and looked up: frozen documents' vectors are exactly the
    bi-encoder's (same backbone, same pooling), and with frozen queries too only the codes learn and
    each step is a few small matrix products. What it returns is on the model's device.
    """

    def __init__(self, model: PolyEncoder, frozen_queries: bool, frozen_documents: bool) -> None:
        self.model = model
        self.frozen_queries = frozen_queries
        self.frozen_documents = frozen_documents
        self.device = device_of(model)
        self._states = _PACKAGED_STATES
        self._vectors = _PACKAGED_VECTORS
        self._pool = torch.empty(0)

    def precompute(self, lists: Sequence[TrainingList], batch_size: int = 64) -> None:
        """Encode every query (its token states, and its bi-encoder vector) and passage of `lists` once,
        for the frozen sides (`batch_size` texts at a time on the CPU, `ACCELERATOR_BATCH_SCALE` times as many on
        an accelerator)."""
        if is_accelerator(self.device):
            batch_size *= ACCELERATOR_BATCH_SCALE
        queries = [q for q in dict.fromkeys(item.query for item in lists) if q not in self._states]
        passages = [p for p in dict.fromkeys(p for item in lists for p in item.passages) if p not in self._vectors]
        if self.frozen_documents:
            passages += [q for q in dict.fromkeys(item.query for item in lists) if q not in self._vectors]
        with torch.no_grad():
            for start in range(0, len(queries) if self.frozen_queries else 0, batch_size):
                chunk = queries[start:start + batch_size]
                states, batch = self.model.encode_tokens(chunk)
                self._states.update((q, (s[m.bool()].cpu(), i[m.bool()].cpu()))
                                    for q, s, i, m in zip(chunk, states, batch["input_ids"], batch["attention_mask"]))
            for start in range(0, len(passages) if self.frozen_documents else 0, batch_size):
                chunk = passages[start:start + batch_size]
                self._vectors.update(zip(chunk, self.model.encode_candidates(chunk).cpu()))
                if start // batch_size % 20 == 0:
                    logger.info("encoded %d/%d passages for the frozen backbone", start + len(chunk), len(passages))

    def draw_negatives_from(self, lists: Sequence[TrainingList]) -> None:
        """Make the passages of `lists` (precomputed) the pool that `random_passages` draws from."""
        self._pool = torch.stack([self._vectors[p] for p in dict.fromkeys(p for item in lists for p in item.passages)]
                                 ).to(self.device)

    def bi_query(self, queries: Sequence[str]) -> torch.Tensor:
        """The bi-encoder's query vectors `[batch, dim]` (frozen documents only)."""
        return torch.stack([self._vectors[q] for q in queries]).to(self.device)

    def random_passages(self, count: int) -> torch.Tensor:
        """`count` vectors drawn from every training passage `[count, dim]` (frozen documents only)."""
        return self._pool[torch.randint(len(self._pool), (count,)).to(self.device)]  # drawn by the CPU's generator

    def context(self, queries: Sequence[str]) -> torch.Tensor:
        """The m query vectors `[batch, m, dim]`."""
        if not self.frozen_queries:
            return self.model.encode_context(queries)
        states = nn.utils.rnn.pad_sequence([self._states[q][0] for q in queries], batch_first=True)
        input_ids = nn.utils.rnn.pad_sequence([self._states[q][1] for q in queries], batch_first=True)
        lengths = torch.tensor([len(self._states[q][0]) for q in queries])
        mask = (torch.arange(states.shape[1])[None, :] < lengths[:, None]).long()
        states, input_ids, mask = states.to(self.device), input_ids.to(self.device), mask.to(self.device)
        return self.model.attend_codes(states, mask, self.model.token_prior(input_ids))[0]

    def candidates(self, passages: Sequence[str]) -> torch.Tensor:
        """Document vectors `[passages, dim]`."""
        if not self.frozen_documents:
            return self.model.encode_candidates(passages)
        return torch.stack([self._vectors[p] for p in passages]).to(self.device)


def break_code_symmetry(model: PolyEncoder) -> None:
    """Draw `model`'s codes around zero (on the CPU, so that every device starts alike). Zero codes, the untrained
    start, make every query vector the bi-encoder's mean pooling, so the start ranks exactly as its bi-encoder; but
    identical codes would get identical gradients forever."""
    with torch.no_grad():
        model.codes.copy_(torch.randn(model.codes.shape) * CODE_INIT_STD)


def train_poly(lists: Sequence[TrainingList], dev_lists: Sequence[TrainingList], config: TrainConfig,
               out: Path, rng, n_codes: int = 16, budget_s: float | None = None,
               on_step: Callable[[dict], None] | None = None, fine_tuned_on: str = "",
               backbone: str | Path | None = None) -> tuple[PolyEncoder, dict]:
    """Train a `PolyEncoder` with `n_codes` codes over `backbone` (a bi-encoder's transformer folder; the packaged
    MiniLM by default) on `config.device` and save it (fp16 safetensors; float32 where the rule keeps the start) to
    `out` (`budget_s`, `on_step`: see `core.training.loop.train`; `fine_tuned_on`: the dataset, for in-domain runs).

    With `config.freeze_backbone` the packaged MiniLM stays as it is and only the codes learn (plus, with
    `config.query_bitfit`, the biases and LayerNorm weights of the query side's own copy); only what
    learned is saved. Otherwise the shared backbone is fine-tuned too and saved with the codes.
    """
    bitfit = config.freeze_backbone and config.query_bitfit
    model = PolyEncoder.from_backbone(backbone or backbone_path(), n_codes, "bitfit" if bitfit else "shared", config.idf_prior)
    ranking_length = model.config.max_length  # it trains on shorter texts and ranks, as its start did, at this length
    if config.freeze_backbone:
        model.config = replace(model.config, trained=True, fine_tuned_on=fine_tuned_on)
        model.backbone.requires_grad_(False)
    else:
        model.config = replace(model.config, max_length=min(ranking_length, config.max_document_length), trained=True,
                               fine_tuned_on=fine_tuned_on)
    device = resolve_device(config.device)
    model.to(device)  # tokenised batches follow it (`PolyEncoder.encode_tokens`)
    heads = [model.codes]
    if config.idf_prior:
        start_idf_prior(model, lists, model.config.max_length)
        heads.append(model.idf_weight)
    groups = [{"params": heads, "lr": config.head_lr, "weight_decay": 0.0}]
    if not config.freeze_backbone:
        groups.append({"params": list(model.backbone.parameters()), "lr": config.backbone_lr})
    if bitfit:
        trained = [p for name, p in model.query_backbone.named_parameters() if is_bitfit_parameter(name)]
        model.query_backbone.requires_grad_(False)
        for parameter in trained:
            parameter.requires_grad_(True)
        groups.append({"params": trained, "lr": config.backbone_lr, "weight_decay": 0.0})
    inputs = PolyInputs(model, frozen_queries=config.freeze_backbone and not bitfit,
                        frozen_documents=config.freeze_backbone)
    inputs.precompute([*lists, *dev_lists])
    pool_negatives = config.pool_negatives if config.freeze_backbone else 0
    if pool_negatives:
        inputs.draw_negatives_from(lists)
    # The tie's anchor: with the IDF prior, the untrained IDF-weighted model this run starts from (a frozen
    # copy); otherwise the bi-encoder's cosines, which the lists carry.
    start = copy.deepcopy(model).requires_grad_(False) if config.idf_prior else None
    start_inputs = PolyInputs(start, inputs.frozen_queries, inputs.frozen_documents) if start else None

    def anchors(queries: list[str], batch: Sequence[TrainingList], slices: list[slice],
                candidates: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The starting point's scores of each list's own passages (flat) and of the pool `[batch, pool]`."""
        if start is None:
            own = torch.tensor([c for item in batch for c in item.bi_cosine], device=device)
            pool = inputs.bi_query(queries) @ candidates[-pool_negatives:].T if pool_negatives else None
            return own, pool
        with torch.no_grad():
            scores = start.score(start_inputs.context(queries), candidates)[0]
        own = torch.cat([scores[row, part] for row, part in enumerate(slices)])
        return own, scores[:, -pool_negatives:] if pool_negatives else None

    def batch_loss(batch: Sequence[TrainingList]) -> tuple[torch.Tensor, dict[str, float]]:
        queries = [item.query for item in batch]
        context = inputs.context(queries)  # [batch, m, dim]
        candidates = inputs.candidates([passage for item in batch for passage in item.passages])  # [passages, dim]
        if pool_negatives:
            candidates = torch.cat([candidates, inputs.random_passages(pool_negatives)])
        scores = model.score(context, candidates)[0] / config.temperature  # [batch, passages (+ pool)]
        slices = list_slices(batch)
        kl = sum(listwise_kl(scores[row, part], torch.tensor(item.teacher, device=device))
                 for row, (item, part) in enumerate(zip(batch, slices)))
        positives = torch.tensor([part.start + int(np.argmax(item.gold)) for item, part in zip(batch, slices)],
                                 device=device)
        contrastive = F.cross_entropy(scores, positives)  # every other passage in the batch is a negative
        own = torch.cat([scores[row, part] for row, part in enumerate(slices)]) * config.temperature
        own_anchor, pool_anchor = anchors(queries, batch, slices, candidates)
        tie = torch.mean((own - own_anchor) ** 2)
        if pool_negatives:  # random passages keep their starting score too, so the corpus as a whole stays in order
            tie = tie + torch.mean((scores[:, -pool_negatives:] * config.temperature - pool_anchor) ** 2)
        loss = kl / len(batch) + contrastive + config.tie_weight * tie
        return loss, {"kl": kl.item() / len(batch), "in_batch_ce": contrastive.item(), "tie": tie.item()}

    @torch.inference_mode()
    def dev_score() -> np.ndarray:
        def score_pool(queries: Sequence[str], pool: Sequence[str]) -> np.ndarray:
            vectors = torch.cat([inputs.candidates(pool[i:i + DEV_BATCH]) for i in range(0, len(pool), DEV_BATCH)])
            return np.concatenate([as_numpy(model.score(inputs.context(queries[i:i + DEV_BATCH]), vectors)[0])
                                   for i in range(0, len(queries), DEV_BATCH)])
        return pooled_dev_ndcg(score_pool, dev_lists)

    def checkpoint(training: dict | None = None) -> None:
        model.save(out, training, include_backbone=not config.freeze_backbone,
                   full_precision=training is not None and kept_start(training))

    history = train(model, groups, lists, batch_loss, dev_score, config, rng, checkpoint, budget_s, on_step,
                    dev_measure=POOLED_DEV, leave_start=lambda: break_code_symmetry(model))
    model.config = replace(model.config, max_length=ranking_length)  # a kept start is the start itself
    checkpoint({"config": asdict(config), "history": history})
    return model, history
