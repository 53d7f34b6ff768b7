"""Joint-encoding cross-encoder that starts as the bi-encoder.

Query and document tokens go through one transformer together, but each segment keeps its own
position ids (both start at 0) and token type, and an additive attention bias gates attention across
the segments. With the bias at -10⁴ (no cross attention) the token outputs equal the bi-encoder's and
the score, `scale · cos(mean(query tokens), mean(document tokens)) + shift`, is the bi-encoder's
cosine. Training opens the gate (the bias is learnable) and lets query and document tokens interact
at every layer, which is what makes it a cross-encoder, while it starts from everything the
bi-encoder learned instead of from a random classification head (see the training notes in the
model card).

IDF prior (`JointCrossEncoderConfig.idf_prior`, as the poly-encoder's): the query segment is pooled with
weights `softmax(idf_weight · log idf(token))` instead of a plain mean, using the IDF of the corpus being
ranked (`core.models.idf`), so rare, specific query words weigh more. With the gate closed the model then scores
exactly like an untrained poly-encoder with the same prior (zero codes, same `idf_weight`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from core.attention_types import PairAttention
from core.devices import batch_tokens as budget
from core.models.backbone import (
    is_backbone_tensor,
    is_bitfit_parameter,
    load_backbone,
    load_weights,
    masked_mean,
    open_checkpoint,
    save_checkpoint,
)
from core.models.idf import corpus_log_idf, idf_logits, idf_pool
from core.models.placement import as_numpy, computing_on, device_of
from core.models.worker_threads import for_each_on_threads
from core.types import Corpus

ARCHITECTURE = "joint-cross-encoder"
CLOSED_GATE = -1e4  # exp(-1e4) is exactly 0 in float32: no attention crosses the segments
BY_DEVICE = -1
"""`predict`'s default batching: the padded tokens per batch of the model's device (`core.devices.batch_tokens`)."""


@dataclass(frozen=True)
class JointCrossEncoderConfig:
    """Hyper-parameters saved beside the weights.

    Attributes:
        max_query_length: Token limit of the query segment.
        max_document_length: Token limit of the document segment.
        trained: Whether the weights were trained for ranking (False: the bi-encoder initialisation).
        idf_prior: Pool the query segment by the learned IDF prior (see the module docstring).
        fine_tuned_on: The dataset whose training split the weights were fine-tuned on ("" for none).
        bitfit: Only the backbone's biases and LayerNorm weights were trained (BitFit); saved over the packaged
            backbone, they are a compact delta (a few hundred kilobytes).
        kept_start: Fine-tuning on `fine_tuned_on` found no checkpoint better than the start on its dev split, so
            these are the start's weights (labelled "no gain: kept the untrained start", never as fine-tuned).
    """

    max_query_length: int = 128
    max_document_length: int = 256
    trained: bool = False
    idf_prior: bool = False
    fine_tuned_on: str = ""
    bitfit: bool = False
    kept_start: bool = False


def run_backbone(backbone: nn.Module, input_ids: torch.Tensor, position_ids: torch.Tensor,
                 attention_bias: torch.Tensor, output_attentions: bool = False):
    """The transformer as the joint cross-encoder runs it (also on its faster backends): positions restarting at each
    segment, one token type, and the additive cross-segment bias as its attention mask."""
    return backbone(input_ids=input_ids, position_ids=position_ids, token_type_ids=torch.zeros_like(input_ids),
                    attention_mask=attention_bias, output_attentions=output_attentions)


@dataclass(frozen=True)
class PairBatch:
    """Model inputs for a batch of pairs.

    Attributes:
        input_ids / position_ids: `[batch, tokens]`, query segment then document segment, padded.
        segments: `[batch, tokens]`, 0 query, 1 document, -1 padding.
        boundaries: Length of each pair's query segment.
    """

    input_ids: torch.Tensor
    position_ids: torch.Tensor
    segments: torch.Tensor
    boundaries: list[int]

    def to(self, device: str) -> PairBatch:
        """The batch with its tensors on `device`."""
        return PairBatch(self.input_ids.to(device, non_blocking=True), self.position_ids.to(device, non_blocking=True),
                         self.segments.to(device, non_blocking=True), self.boundaries)


class JointCrossEncoder(nn.Module):
    """One relevance score per (query, document) pair from a jointly encoded input."""

    def __init__(self, backbone: PreTrainedModel, tokenizer: PreTrainedTokenizerBase,
                 config: JointCrossEncoderConfig, cross_bias: float = CLOSED_GATE) -> None:
        super().__init__()
        self.backbone = backbone
        self.tokenizer = tokenizer
        self.config = config
        self.cross_bias = nn.Parameter(torch.tensor(float(cross_bias)))
        self.scale = nn.Parameter(torch.tensor(1.0))
        self.shift = nn.Parameter(torch.tensor(0.0))
        # What computes the backbone's token outputs at inference instead of PyTorch (`core.models.onnx_pairs`).
        self.runtime: Callable[[PairBatch, torch.Tensor], torch.Tensor] | None = None
        if config.idf_prior:
            self.idf_weight = nn.Parameter(torch.tensor(0.0))
            self.register_buffer("fallback_log_idf", torch.zeros(len(tokenizer)))

    @classmethod
    def from_backbone(cls, path: str | Path, idf_prior: bool = False) -> JointCrossEncoder:
        """An untrained joint cross-encoder over a pretrained (bi-encoder) backbone."""
        tokenizer, backbone = load_backbone(path)
        return cls(backbone, tokenizer, JointCrossEncoderConfig(idf_prior=idf_prior))

    @classmethod
    def load(cls, folder: str | Path) -> JointCrossEncoder:
        """Load a model saved with `save` (safetensors weights + JSON config)."""
        folder = Path(folder)
        tokenizer, backbone, config = open_checkpoint(folder, ARCHITECTURE)
        model = cls(backbone, tokenizer, JointCrossEncoderConfig(**config))
        load_weights(folder, model, model.packaged_tensor)
        return model.eval()

    def save(self, folder: str | Path, training: dict | None = None, include_backbone: bool = True,
             full_precision: bool = False) -> None:
        """Save weights as fp16 safetensors (float32 with `full_precision`: a kept start, stored exactly as it ranks)
        with the config (and optional training record).

        `include_backbone=False` writes only what differs from the packaged backbone: the gate, scale and
        shift, the IDF prior's weight and fallback table, and with `config.bitfit` the backbone's biases and
        LayerNorm weights.
        """
        save_checkpoint(Path(folder), self, self.backbone, self.tokenizer,
                        {"architecture": ARCHITECTURE, "config": asdict(self.config), "training": training or {}},
                        include_backbone, self.packaged_tensor, full_precision)

    def packaged_tensor(self, name: str) -> bool:
        """Whether tensor `name` is the packaged backbone's own in a checkpoint saved over it."""
        return is_backbone_tensor(name) and not (self.config.bitfit and is_bitfit_parameter(name))

    @property
    def trained(self) -> bool:
        return self.config.trained

    @property
    def kept_start(self) -> bool:
        return self.config.kept_start

    def prepare(self, pairs: Sequence[tuple[str, str]], max_query_length: int | None = None,
                max_document_length: int | None = None) -> PairBatch:
        """Tokenise each segment on its own (to the config's lengths unless given shorter ones, as training
        does for speed) and concatenate them with restarting positions, on the model's device."""
        return self.pair_batch(*self.tokenise(pairs, max_query_length, max_document_length)).to(device_of(self))

    def tokenise(self, pairs: Sequence[tuple[str, str]], max_query_length: int | None = None,
                 max_document_length: int | None = None) -> tuple[list[list[int]], list[list[int]]]:
        """The token ids of each pair's query and of its document, each truncated to its segment's limit."""
        queries = self.tokenizer([q for q, _ in pairs], truncation=True,
                                 max_length=max_query_length or self.config.max_query_length)
        documents = self.tokenizer([d for _, d in pairs], truncation=True,
                                   max_length=max_document_length or self.config.max_document_length)
        return queries["input_ids"], documents["input_ids"]

    def pair_batch(self, queries: Sequence[list[int]], documents: Sequence[list[int]]) -> PairBatch:
        """Tokenised pairs as one padded batch: query segment then document segment, positions restarting."""
        length = max(len(q) + len(d) for q, d in zip(queries, documents))
        input_ids = torch.full((len(queries), length), self.tokenizer.pad_token_id, dtype=torch.long)
        position_ids = torch.zeros((len(queries), length), dtype=torch.long)
        segments = torch.full((len(queries), length), -1, dtype=torch.long)
        for i, (q, d) in enumerate(zip(queries, documents)):
            input_ids[i, : len(q) + len(d)] = torch.tensor(q + d)
            position_ids[i, : len(q)] = torch.arange(len(q))
            position_ids[i, len(q): len(q) + len(d)] = torch.arange(len(d))
            segments[i, : len(q)] = 0
            segments[i, len(q): len(q) + len(d)] = 1
        return PairBatch(input_ids, position_ids, segments, [len(q) for q in queries])

    def attention_bias(self, segments: torch.Tensor) -> torch.Tensor:
        """Additive mask `[batch, 1, tokens, tokens]`: 0 within a segment, the learnable gate across
        segments, and the dtype minimum towards padding."""
        same = segments[:, :, None] == segments[:, None, :]
        bias = torch.where(same, torch.zeros((), dtype=self.cross_bias.dtype), self.cross_bias)
        padding = (segments == -1)[:, None, :].expand_as(bias)
        return bias.masked_fill(padding, torch.finfo(bias.dtype).min).unsqueeze(1)

    def encode_pairs(self, batch: PairBatch, output_attentions: bool = False):
        return run_backbone(self.backbone, batch.input_ids, batch.position_ids, self.attention_bias(batch.segments),
                            output_attentions)

    def corpus_log_idf(self, corpus: Corpus) -> torch.Tensor | None:
        """`corpus`'s log IDF for the prior (counted once per corpus), or None without `config.idf_prior`."""
        if not self.config.idf_prior:
            return None
        return corpus_log_idf(self.tokenizer, corpus, self.config.max_document_length)

    def pool_query(self, states: torch.Tensor, batch: PairBatch, log_idf: torch.Tensor | None = None) -> torch.Tensor:
        """The query segment's vector `[batch, dim]`: its mean, or with the IDF prior its IDF-weighted mean
        under a corpus's `log_idf` (default: the training passages')."""
        query = batch.segments == 0
        if not self.config.idf_prior:
            return masked_mean(states, query)
        return idf_pool(states, idf_logits(self.idf_weight, self.fallback_log_idf, batch.input_ids, log_idf), query)

    def hidden_states(self, batch: PairBatch) -> torch.Tensor:
        """The backbone's token outputs `[batch, tokens, dim]` for prepared pairs, by `runtime` when one is set
        and no gradient is wanted."""
        if self.runtime is not None and not torch.is_grad_enabled():
            return self.runtime(batch, self.attention_bias(batch.segments))
        return self.encode_pairs(batch).last_hidden_state

    def cosine(self, batch: PairBatch, log_idf: torch.Tensor | None = None) -> torch.Tensor:
        """Cosine `[batch]` of the pooled query and document segments after joint encoding."""
        states = self.hidden_states(batch)
        document = masked_mean(states, batch.segments == 1)
        return F.cosine_similarity(self.pool_query(states, batch, log_idf), document, dim=-1)

    def forward(self, batch: PairBatch, log_idf: torch.Tensor | None = None) -> torch.Tensor:
        """Scores `[batch]` for prepared pairs: `scale · cosine + shift`."""
        return self.scale * self.cosine(batch, log_idf) + self.shift

    @torch.inference_mode()
    def predict(self, pairs: Sequence[tuple[str, str]], batch_size: int = 32,
                log_idf: torch.Tensor | None = None, batch_tokens: int | None = BY_DEVICE) -> np.ndarray:
        """One score per (query, document) pair, `[len(pairs)]`; `log_idf` is the ranked corpus's (see
        `corpus_log_idf`) for the IDF prior.

        Pairs are sorted by length and batched under `batch_tokens` padded tokens (by default the model's device's
        budget, `core.devices.batch_tokens`; at most `batch_size` pairs), and the batches are shared by worker
        threads of one PyTorch thread each (`core.models.worker_threads`): on a GPU they build the next batches
        while it computes. `batch_tokens=None` batches `batch_size` pairs in the given order. Scores do not depend
        on the batching.
        """
        if not pairs:
            return np.empty(0, dtype=np.float32)
        device = device_of(self)
        batch_tokens = budget(device) if batch_tokens == BY_DEVICE else batch_tokens
        log_idf = None if log_idf is None else log_idf.to(device)
        queries, documents = self.tokenise(pairs)
        lengths = [len(q) + len(d) for q, d in zip(queries, documents)]
        order = np.argsort(lengths, kind="stable")[::-1] if batch_tokens else np.arange(len(pairs))
        batches, start = [], 0
        while start < len(order):
            size = batch_size if not batch_tokens else max(1, min(batch_size, batch_tokens // lengths[order[start]]))
            batches.append(order[start:start + size])
            start += size
        scores = np.empty(len(pairs), dtype=np.float32)

        def score(rows: np.ndarray) -> None:
            batch = self.pair_batch([queries[i] for i in rows], [documents[i] for i in rows]).to(device)
            with computing_on(device):
                scores[rows] = as_numpy(self(batch, log_idf))

        for_each_on_threads(score, batches)
        return scores

    @torch.inference_mode()
    def attention(self, query: str, document: str) -> PairAttention:
        """Per-layer, per-head attention over the concatenated pair (eager attention)."""
        batch = self.prepare([(query, document)])
        previous = self.backbone.config._attn_implementation
        self.backbone.set_attn_implementation("eager")
        try:
            attentions = self.encode_pairs(batch, output_attentions=True).attentions
        finally:
            self.backbone.set_attn_implementation(previous)
        weights = as_numpy(torch.stack([layer[0] for layer in attentions]))
        tokens = self.tokenizer.convert_ids_to_tokens(batch.input_ids[0].tolist())
        idf_weight = float(self.idf_weight.item()) if self.config.idf_prior else None
        return PairAttention(tokens=tokens, boundary=batch.boundaries[0], weights=weights, idf_weight=idf_weight,
                             trained=self.trained)
