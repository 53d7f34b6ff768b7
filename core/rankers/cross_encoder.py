"""Cross-encoder: every (query, document) pair through one transformer, one forward pass per pair.

Cost per query: O(N·(|query| + |doc|)²) for N scored documents, so it normally re-ranks the shortlist
of a cheap first stage ("retrieve and re-rank"); scoring a whole corpus is possible but priced first.
Two implementations share the `PairScorer` interface: the project's `JointCrossEncoder` (the
embedded default) and any sentence-transformers `CrossEncoder` (Hugging Face id or local path).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import torch
from sentence_transformers import CrossEncoder

from core.attention_types import PairAttention
from core.data import Corpus
from core.rankers.base import Progress, Ranker, top_k


class PairScorer(Protocol):
    """Anything that scores (query, document) pairs jointly.

    A scorer may use statistics of the corpus being ranked (the joint cross-encoder's IDF prior):
    `corpus_log_idf` counts them once at indexing (None when it needs none) and `predict` takes them back.
    """

    trained: bool

    def corpus_log_idf(self, corpus: Corpus) -> torch.Tensor | None: ...

    def predict(self, pairs: Sequence[tuple[str, str]], batch_size: int = 32,
                log_idf: torch.Tensor | None = None) -> np.ndarray: ...

    def attention(self, query: str, document: str) -> PairAttention: ...


class SentenceTransformersCrossEncoder:
    """`PairScorer` over a sentence-transformers `CrossEncoder` with one relevance output."""

    trained = True

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


class CrossEncoderRanker(Ranker):
    """Scores pairs with a `PairScorer`; ranks a shortlist, or the whole corpus when asked."""

    kind = "cross"

    def __init__(self, scorer: PairScorer, model_name: str, name: str = "cross", batch_size: int = 32) -> None:
        super().__init__(name, model_name, trained=scorer.trained)
        self.scorer = scorer
        self.batch_size = batch_size
        self.passages: list[str] = []
        self.log_idf: torch.Tensor | None = None

    def _build_index(self, corpus: Corpus, progress: Progress) -> None:
        # Every pair is encoded at query time; at most the scorer's corpus statistics are counted now.
        self.passages = corpus.passages()
        self.log_idf = self.scorer.corpus_log_idf(corpus)

    def score(self, query: str, doc_ids: Sequence[str]) -> np.ndarray:
        pairs = [(query, self.passages[row]) for row in self._positions(doc_ids)]
        return self.scorer.predict(pairs, batch_size=self.batch_size, log_idf=self.log_idf)

    def _rank_corpus(self, query: str, k: int) -> dict[str, float]:
        assert self.corpus is not None
        return top_k(self.corpus.ids, self.score(query, self.corpus.ids), k)
