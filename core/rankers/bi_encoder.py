"""Bi-encoder: query and documents embedded separately, documents indexed once with FAISS.

Cost per query: one query encoding plus a vector search, O(|query|² + N·d) for exact search.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sentence_transformers import SentenceTransformer

from core.config import Backend
from core.data import Corpus
from core.embeddings import corpus_embeddings
from core.index import IndexType, build_index, search_index
from core.onnx_encoder import OnnxSentenceEncoder
from core.rankers.base import Progress, Ranker


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
        # The backend is part of the model name, so each backend's embeddings are cached apart.
        super().__init__(name, model_name if backend == "torch" else f"{model_name} ({backend})")
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

        return corpus_embeddings.get_or_compute(("bi", self.model_name), corpus.content_hash, compute)

    def _build_index(self, corpus: Corpus, progress: Progress) -> None:
        self.embeddings = self.encode_corpus(corpus, progress)
        self._faiss = build_index(self.embeddings, self.index_type)

    def score(self, query: str, doc_ids: Sequence[str]) -> np.ndarray:
        return self.embeddings[self._positions(doc_ids)] @ self.encode_queries([query])[0]

    def _rank_corpus(self, query: str, k: int) -> dict[str, float]:
        assert self.corpus is not None
        scores, rows = search_index(self._faiss, self.encode_queries([query]), k)
        return {self.corpus.ids[row]: float(score) for score, row in zip(scores[0], rows[0]) if row >= 0}
