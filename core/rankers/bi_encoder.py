"""Bi-encoder: query and documents embedded separately, documents indexed once with FAISS.

Cost per query: one query encoding plus a vector search, O(|query|² + N·d) for exact search.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch.nn.functional as F
from sentence_transformers import SentenceTransformer

from core.attention_types import TokenSimilarity
from core.caches.embeddings import bi_embedding_key, corpus_embeddings
from core.config import Backend
from core.contestants.spec import ContestantSpec, runs_on
from core.index import IndexType, build_index, search_index
from core.models.backbone import token_strings
from core.models.loading import load_bi_encoder
from core.models.onnx_encoder import OnnxSentenceEncoder
from core.models.sources import check_model, model_fingerprint, model_title
from core.rankers.base import Progress, Ranker
from core.rankers.build import BuildContext
from core.types import Corpus


class BiEncoderRanker(Ranker):
    """Cosine similarity of sentence-transformers embeddings, searched with a FAISS index.

    Example:
        >>> ranker = BiEncoderRanker(load_bi_encoder("embedded"), "embedded")
        >>> ranker.index(load_dataset("sample_data/beir").corpus)
        >>> list(ranker.rank("why do my ears pop on a plane", k=3))  # doc ids, best first
    """

    kind = "bi"
    scores_from_an_index = True

    def __init__(self, model: SentenceTransformer | OnnxSentenceEncoder, model_name: str, index_type: IndexType = "flat",
                 name: str = "bi", batch_size: int = 64, backend: Backend = "torch") -> None:
        super().__init__(name, model_name)
        self.embedding_key = bi_embedding_key(model_name, backend)
        self.fingerprint = model_fingerprint(model_name)  # None: cached in memory only
        self.model = model
        self.index_type = index_type
        self.batch_size = batch_size
        self.embeddings = np.empty((0, 0), dtype=np.float32)
        self._faiss = None

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised query embeddings, `[len(texts), dim]`."""
        return self.model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=False)

    def encode_corpus(self, corpus: Corpus, progress: Progress) -> np.ndarray:
        """Normalised document embeddings, `[len(corpus), dim]`, cached per (model, corpus)."""
        def compute() -> np.ndarray:
            passages = corpus.passages()
            chunks = []
            for start in range(0, len(passages), 512):
                chunks.append(self.encode_queries(passages[start:start + 512]))
                progress(f"{self.label}: encoding documents", min(1.0, (start + 512) / len(passages)))
            return np.concatenate(chunks)

        return corpus_embeddings.get_or_compute(self.embedding_key, corpus.content_hash, compute, self.fingerprint)

    def _build_index(self, corpus: Corpus, progress: Progress) -> None:
        self.embeddings = self.encode_corpus(corpus, progress)
        self._faiss = build_index(self.embeddings, self.index_type)

    def score(self, query: str, doc_ids: Sequence[str]) -> np.ndarray:
        return self.embeddings[self._positions(doc_ids)] @ self.encode_queries([query])[0]

    def attention(self, query: str, document: str) -> TokenSimilarity:
        """Cosine of each query token output with each document token output (encoded apart, as always)."""
        model = self.model if isinstance(self.model, SentenceTransformer) else load_bi_encoder(self.embedding_key[1])
        query_states, document_states = model.encode([query, document], output_value="token_embeddings",
                                                     convert_to_numpy=False, show_progress_bar=False)
        matrix = F.normalize(query_states, dim=-1) @ F.normalize(document_states, dim=-1).T
        return TokenSimilarity(token_strings(model.tokenizer, query, model.max_seq_length),
                               token_strings(model.tokenizer, document, model.max_seq_length), matrix.numpy())

    def _rank_corpus(self, query: str, k: int) -> dict[str, float]:
        assert self.corpus is not None
        scores, rows = search_index(self._faiss, self.encode_queries([query]), k)
        return {self.corpus.ids[row]: float(score) for score, row in zip(scores[0], rows[0]) if row >= 0}


def build(spec: ContestantSpec, context: BuildContext) -> BiEncoderRanker:
    check_model(spec.model, context.policy)
    backend = spec.option("backend")
    return BiEncoderRanker(load_bi_encoder(spec.model, backend), spec.model, spec.option("index"), backend=backend)


def describe_model(spec: ContestantSpec) -> str:
    return model_title(spec.model) + runs_on(spec)
