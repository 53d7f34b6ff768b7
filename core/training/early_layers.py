"""Distil a small dual encoder from a cross-encoder's first ℓ layers (`python -m core train early-layer --data DATA`).

The student starts as the early-layer embedder (`core.models.early_layers`): a copy of the teacher's embeddings and
first ℓ transformer layers, run on each text alone and mean-pooled. It learns to order each training list as the
cross-encoder does (listwise KL over its scores, the soft labels), with the judged positive against every other
passage of the batch, and to embed each text as the teacher's whole transformer does (cosine to its last layer,
mean-pooled: for the embedded cross-encoder, the bi-encoder's vector). It is saved as a sentence-transformers folder, so it competes as a bi-encoder
(`kind=bi,model=DIR`) and costs ℓ/L of a full pass per text.
"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from core.devices import resolve_device
from core.models.early_layers import EarlyLayerEncoder, layer_count, mean_pooled, transformer_of, truncated
from core.models.loading import load_cross_encoder
from core.models.placement import as_numpy
from core.training.lists import TrainingList
from core.training.loop import TrainConfig, dev_ndcg, list_slices, listwise_kl, train


class EarlyLayerStudent(torch.nn.Module):
    """The first `layers` layers of a cross-encoder's transformer (an own copy that trains), mean-pooled and
    normalised: one text in, one vector out."""

    def __init__(self, tokenizer: PreTrainedTokenizerBase, transformer: PreTrainedModel, layers: int) -> None:
        super().__init__()
        self.tokenizer = tokenizer
        self.transformer = copy.deepcopy(truncated(transformer, layers))

    def forward(self, texts: Sequence[str], max_length: int) -> torch.Tensor:
        return mean_pooled(self.tokenizer, self.transformer, texts, max_length)

    def save(self, folder: Path, max_length: int) -> None:
        """Write a sentence-transformers folder (safetensors; transformer, mean pooling, normalisation)."""
        with tempfile.TemporaryDirectory() as parts:
            self.transformer.save_pretrained(parts, safe_serialization=True)
            self.tokenizer.save_pretrained(parts)
            transformer = Transformer(parts, max_seq_length=max_length)
            pooling = Pooling(transformer.get_embedding_dimension(), pooling_mode="mean")
            SentenceTransformer(modules=[transformer, pooling, Normalize()], device="cpu").save(str(folder))


def train_early_layers(lists: Sequence[TrainingList], dev_lists: Sequence[TrainingList], config: TrainConfig,
                       out: Path, rng, teacher: str, layers: int, budget_s: float | None = None,
                       on_step: Callable[[dict], None] | None = None) -> tuple[EarlyLayerStudent, dict]:
    """Train an `EarlyLayerStudent` of `teacher`'s first `layers` layers on `lists` (their `teacher` scores are the
    soft labels) on `config.device` and save the best by `dev_lists` to `out` (`budget_s`, `on_step`: see
    `core.training.loop.train`)."""
    device = resolve_device(config.device)
    tokenizer, transformer, max_length = transformer_of(load_cross_encoder(teacher))  # float32: the student's start
    student = EarlyLayerStudent(tokenizer, transformer, layers).to(device)
    _, on_device, _ = transformer_of(load_cross_encoder(teacher, device=device))  # on the CPU, the same model
    whole = EarlyLayerEncoder(tokenizer, on_device, layer_count(on_device), max_length)
    targets: dict[str, torch.Tensor] = {}  # text -> the whole transformer's vector

    def alignment(texts: list[str], vectors: torch.Tensor) -> torch.Tensor:
        """Mean cosine distance of the student's vectors to the whole transformer's (computed once per text)."""
        missing = [text for text in dict.fromkeys(texts) if text not in targets]
        if missing:
            targets.update(zip(missing, torch.from_numpy(whole.encode(missing)).to(device)))
        return 1 - torch.mean(torch.sum(vectors * torch.stack([targets[text] for text in texts]), dim=-1))

    def batch_loss(batch: Sequence[TrainingList]) -> tuple[torch.Tensor, dict[str, float]]:
        query_texts = [item.query for item in batch]
        passage_texts = [passage for item in batch for passage in item.passages]
        queries = student(query_texts, config.max_query_length)
        passages = student(passage_texts, config.max_document_length)
        align = alignment([*query_texts, *passage_texts], torch.cat([queries, passages]))
        scores = queries @ passages.T / config.temperature  # [batch, every passage of the batch]
        slices = list_slices(batch)
        kl = sum(listwise_kl(scores[row, part], torch.tensor(item.teacher, device=device))
                 for row, (item, part) in enumerate(zip(batch, slices))) / len(batch)
        positives = torch.tensor([part.start + int(np.argmax(item.gold)) for item, part in zip(batch, slices)],
                                 device=device)
        contrastive = F.cross_entropy(scores, positives)
        loss = kl + contrastive + config.tie_weight * align
        return loss, {"kl": kl.item(), "in_batch_ce": contrastive.item(), "alignment": align.item()}

    @torch.inference_mode()
    def dev_score() -> np.ndarray:
        def score(item: TrainingList) -> np.ndarray:
            return as_numpy(student(item.passages, max_length) @ student([item.query], max_length)[0])
        return dev_ndcg(score, dev_lists)

    groups = [{"params": list(student.parameters()), "lr": config.backbone_lr}]
    history = train(student, groups, lists, batch_loss, dev_score, config, rng,
                    lambda: student.save(out, max_length), budget_s, on_step)
    student.save(out, max_length)
    return student, history
