"""What scores (query, document) pairs jointly: the `PairScorer` interface, and its implementation over
any sentence-transformers `CrossEncoder` (the project's own is `core.models.cross_encoder`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import torch
from sentence_transformers import CrossEncoder

from core.attention_types import PairAttention
from core.types import Corpus


class PairScorer(Protocol):
    """Anything that scores (query, document) pairs jointly.

    A scorer may use statistics of the corpus being ranked (the joint cross-encoder's IDF prior):
    `corpus_log_idf` counts them once at indexing (None when it needs none) and `predict` takes them back.
    """

    trained: bool
    kept_start: bool  # fine-tuning found no gain and kept the untrained start

    def corpus_log_idf(self, corpus: Corpus) -> torch.Tensor | None: ...

    def predict(self, pairs: Sequence[tuple[str, str]], batch_size: int = 32,
                log_idf: torch.Tensor | None = None) -> np.ndarray: ...

    def attention(self, query: str, document: str) -> PairAttention: ...


class SentenceTransformersCrossEncoder:
    """`PairScorer` over a sentence-transformers `CrossEncoder` with one relevance output."""

    trained = True
    kept_start = False

    def __init__(self, model: CrossEncoder) -> None:
        self.model = model

    def corpus_log_idf(self, corpus: Corpus) -> None:
        return None  # a sentence-transformers cross-encoder uses no corpus statistics

    def predict(self, pairs: Sequence[tuple[str, str]], batch_size: int = 32, log_idf: None = None) -> np.ndarray:
        if not pairs:
            return np.empty(0, dtype=np.float32)
        scores = self.model.predict(list(pairs), batch_size=batch_size, show_progress_bar=False,
                                    convert_to_numpy=True)
        return np.asarray(scores, dtype=np.float32).reshape(len(pairs), -1)[:, -1]

    @torch.inference_mode()
    def attention(self, query: str, document: str) -> PairAttention:
        """Per-layer, per-head attention over `[CLS] query [SEP] document [SEP]` (eager attention)."""
        transformer = self.model.model
        encoded = self.model.tokenizer(query, document, truncation=True, max_length=self.model.max_seq_length,
                                       return_tensors="pt")
        previous = transformer.config._attn_implementation
        transformer.set_attn_implementation("eager")
        try:
            attentions = transformer(**encoded, output_attentions=True).attentions
        finally:
            transformer.set_attn_implementation(previous)
        ids = encoded["input_ids"][0].tolist()
        boundary = ids.index(self.model.tokenizer.sep_token_id) + 1
        weights = torch.stack([layer[0] for layer in attentions]).numpy()
        return PairAttention(self.model.tokenizer.convert_ids_to_tokens(ids), boundary, weights)
