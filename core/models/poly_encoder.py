"""Poly-encoder (Humeau et al., "Poly-encoders: Architectures and Pre-training Strategies for Fast and
Accurate Multi-sentence Scoring", ICLR 2020), with its ranker.

The query ("context") is encoded to token outputs; m learned codes attend over them to give m query
vectors. Each document ("candidate") is one cached vector, which attends over the m query vectors;
the score is the dot product of the attended query vector and the document vector.

Cost per query: one query encoding, then O(N·m·d) for N cached documents.

Initialisation: the backbone is the bi-encoder's and the codes are all zero, so code attention is
uniform over the query's real tokens and every query vector is the masked mean, the bi-encoder's own
pooling. With `normalize=True` the score is then exactly the bi-encoder's cosine: an untrained
poly-encoder ranks like the bi-encoder, and training moves it away from there.

IDF prior (`PolyEncoderConfig.idf_prior`, our addition to the paper's model): each code's attention logit
over a query token gets `idf_weight · log idf(token)`, the token's inverse document frequency in the
corpus being ranked (counted once at indexing, like BM25's), so rare, specific query words weigh more
than "what" or "the" in every query vector; `idf_weight` is learned with the codes. Without a corpus the
model uses the IDF it was trained with (`fallback_log_idf`).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from core.models.backbone import (
    BACKBONE_PREFIX,
    is_bitfit_parameter,
    load_backbone,
    load_weights,
    masked_mean,
    open_checkpoint,
    save_checkpoint,
)
from core.models.idf import corpus_log_idf, idf_logits
from core.models.placement import device_of, to_device
from core.types import Corpus

ARCHITECTURE = "poly-encoder"
QUERY_BACKBONE_PREFIX = "query_backbone."


@dataclass(frozen=True)
class PolyEncoderConfig:
    """Hyper-parameters saved beside the weights.

    Attributes:
        n_codes: m, the number of learned codes (query vectors).
        code_attention: "basic" dot product or "sqrt" (scaled by sqrt(dim)), as in ParlAI.
        normalize: L2-normalise the final query and document vectors, so that scores are cosines.
        max_length: Token limit for queries and documents.
        trained: Whether the weights were trained for ranking (False: the bi-encoder initialisation).
        query_encoder: "shared": queries and documents go through one backbone. "bitfit": queries go
            through their own copy of it, of which only the biases and LayerNorm weights differ (BitFit,
            Ben Zaken et al., 2022), so the documents keep the bi-encoder's vectors while the query
            side learns; ParlAI's poly-encoder also encodes the two sides separately.
        idf_prior: Add the learned `idf_weight` times each query token's log IDF to the code attention
            logits (see the module docstring).
        fine_tuned_on: The dataset whose training split the weights were fine-tuned on ("" for none).
        kept_start: Fine-tuning on `fine_tuned_on` found no checkpoint better than the start on its dev split, so
            these are the start's weights (labelled "no gain: kept the untrained start", never as fine-tuned).
    """

    n_codes: int = 16
    code_attention: Literal["basic", "sqrt"] = "basic"
    normalize: bool = True
    max_length: int = 256
    trained: bool = False
    query_encoder: Literal["shared", "bitfit"] = "shared"
    idf_prior: bool = False
    fine_tuned_on: str = ""
    kept_start: bool = False


class PolyEncoder(nn.Module):
    """The poly-encoder maths over a shared transformer backbone."""

    def __init__(self, backbone: PreTrainedModel, tokenizer: PreTrainedTokenizerBase,
                 config: PolyEncoderConfig) -> None:
        super().__init__()
        self.backbone = backbone
        self.query_backbone = copy.deepcopy(backbone) if config.query_encoder == "bitfit" else None
        self.tokenizer = tokenizer
        self.config = config
        dim = backbone.config.hidden_size
        # Zero codes give uniform attention, i.e. the bi-encoder's mean pooling (see module docstring).
        self.codes = nn.Parameter(torch.zeros(config.n_codes, dim))
        if config.idf_prior:
            self.idf_weight = nn.Parameter(torch.tensor(0.0))
            self.register_buffer("fallback_log_idf", torch.zeros(len(tokenizer)))

    @classmethod
    def from_backbone(cls, path: str | Path, n_codes: int = 16, query_encoder: str = "shared",
                      idf_prior: bool = False) -> PolyEncoder:
        """An untrained poly-encoder over a pretrained (bi-encoder) backbone."""
        tokenizer, backbone = load_backbone(path)
        return cls(backbone, tokenizer, PolyEncoderConfig(n_codes=n_codes, query_encoder=query_encoder,
                                                          idf_prior=idf_prior))

    @classmethod
    def load(cls, folder: str | Path) -> PolyEncoder:
        """Load a poly-encoder saved with `save` (safetensors weights + JSON config)."""
        folder = Path(folder)
        tokenizer, backbone, config = open_checkpoint(folder, ARCHITECTURE)
        model = cls(backbone, tokenizer, PolyEncoderConfig(**config))
        load_weights(folder, model, model.packaged_tensor)
        return model.eval()

    def save(self, folder: str | Path, training: dict | None = None, include_backbone: bool = True,
             full_precision: bool = False) -> None:
        """Save weights as fp16 safetensors (float32 with `full_precision`: a kept start, stored exactly as it ranks)
        with the config (and optional training record).

        `include_backbone=False` writes only what differs from the frozen packaged backbone: the codes,
        and the query side's biases and LayerNorm weights with `query_encoder="bitfit"`.
        """
        save_checkpoint(Path(folder), self, self.backbone, self.tokenizer,
                        {"architecture": ARCHITECTURE, "config": asdict(self.config), "training": training or {}},
                        include_backbone, self.packaged_tensor, full_precision)

    @staticmethod
    def packaged_tensor(name: str) -> bool:
        """Whether tensor `name` is the packaged backbone's own when trained over it frozen."""
        if name.startswith(QUERY_BACKBONE_PREFIX):
            return not is_bitfit_parameter(name)
        return name.startswith(BACKBONE_PREFIX)

    def tokenize(self, texts: Sequence[str]) -> dict[str, torch.Tensor]:
        return self.tokenizer(list(texts), padding=True, truncation=True, max_length=self.config.max_length,
                              return_tensors="pt")

    def encode_tokens(self, texts: Sequence[str], query: bool = False) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Backbone outputs `[batch, tokens, dim]` with the tokenised batch (`input_ids`, `attention_mask`);
        `query` picks the query side's backbone where it has its own."""
        backbone = self.query_backbone if query and self.query_backbone is not None else self.backbone
        batch = to_device(self.tokenize(texts), device_of(self))
        states = backbone(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
        return states, batch

    def encode_candidates(self, texts: Sequence[str]) -> torch.Tensor:
        """Document vectors `[batch, dim]` (mean-pooled, normalised if configured)."""
        states, batch = self.encode_tokens(texts)
        vectors = masked_mean(states, batch["attention_mask"])
        return F.normalize(vectors, dim=-1) if self.config.normalize else vectors

    def corpus_log_idf(self, corpus: Corpus) -> torch.Tensor | None:
        """`corpus`'s log IDF for the prior (counted once per corpus), or None without `config.idf_prior`."""
        return corpus_log_idf(self.tokenizer, corpus, self.config.max_length) if self.config.idf_prior else None

    def token_prior(self, input_ids: torch.Tensor, log_idf: torch.Tensor | None = None) -> torch.Tensor | None:
        """The IDF prior's attention logits `[batch, tokens]` for query `input_ids` under a corpus's
        `log_idf` (default: the training corpus's), or None without `config.idf_prior`."""
        if not self.config.idf_prior:
            return None
        return idf_logits(self.idf_weight, self.fallback_log_idf, input_ids, log_idf)

    def attend_codes(self, states: torch.Tensor, mask: torch.Tensor,
                     prior: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Codes attend over query tokens.

        Args:
            states: Query token outputs `[batch, tokens, dim]`.
            mask: `[batch, tokens]` padding mask.
            prior: Logits `[batch, tokens]` added for every code (see `token_prior`), or None.

        Returns:
            Query vectors `[batch, m, dim]` and attention weights `[batch, m, tokens]`.
        """
        logits = torch.einsum("md,btd->bmt", self.codes, states)
        if self.config.code_attention == "sqrt":
            logits = logits / states.shape[-1] ** 0.5
        if prior is not None:
            logits = logits + prior[:, None, :]
        logits = logits.masked_fill(mask[:, None, :] == 0, torch.finfo(logits.dtype).min)
        weights = logits.softmax(-1)
        return weights @ states, weights

    def attend_query(self, texts: Sequence[str], log_idf: torch.Tensor | None = None
                     ) -> tuple[torch.Tensor, torch.Tensor]:
        """The m query vectors `[batch, m, dim]` and the codes' attention `[batch, m, tokens]`; `log_idf`
        is the indexed corpus's (see `core.models.idf.token_log_idf`) for the IDF prior."""
        states, batch = self.encode_tokens(texts, query=True)
        return self.attend_codes(states, batch["attention_mask"], self.token_prior(batch["input_ids"], log_idf))

    def attend_as_start(self, texts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """What the untrained start computes instead of `attend_query`: one query vector `[batch, 1, dim]`, the
        masked mean of the query's tokens (the bi-encoder's pooling), and its uniform weights `[batch, 1, tokens]`."""
        states, batch = self.encode_tokens(texts, query=True)
        mask = batch["attention_mask"].to(states.dtype)
        weights = (mask / mask.sum(-1, keepdim=True))[:, None, :]
        return weights @ states, weights

    def encode_context(self, texts: Sequence[str], log_idf: torch.Tensor | None = None) -> torch.Tensor:
        """The m query vectors `[batch, m, dim]` (see `attend_query`)."""
        return self.attend_query(texts, log_idf)[0]

    def score(self, context: torch.Tensor, candidates: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Candidates attend over the query vectors; score = dot product.

        Args:
            context: Query vectors `[batch, m, dim]`.
            candidates: Document vectors `[batch, n, dim]`, or `[n, dim]` shared by the batch.

        Returns:
            Scores `[batch, n]` and document→code attention `[batch, n, m]`.
        """
        if candidates.dim() == 2:
            candidates = candidates.unsqueeze(0).expand(context.shape[0], -1, -1)
        weights = (candidates @ context.transpose(1, 2)).softmax(-1)  # [batch, n, m]
        attended = weights @ context  # [batch, n, dim]
        if self.config.normalize:
            attended = F.normalize(attended, dim=-1)
        return (attended * candidates).sum(-1), weights
