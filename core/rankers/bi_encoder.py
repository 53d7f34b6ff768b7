"""Bi-encoder: query and documents embedded separately, documents indexed once with FAISS.

Cost per query: one query encoding plus a vector search, O(|query|² + N·d) for exact search. On a GPU the model runs
there at its precision, and exact search too while the vectors take at most half its free memory (FAISS on the
CPU otherwise).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from sentence_transformers import SentenceTransformer

from core.attention_types import TokenSimilarity
from core.caches.embeddings import bi_embedding_key, corpus_embeddings
from core.config import Backend
from core.contestants.spec import ContestantSpec, runs_on
from core.devices import is_accelerator, precision_key
from core.index import IndexType, build_index, search_index
from core.models.backbone import token_strings
from core.models.loading import load_bi_encoder
from core.models.onnx_encoder import OnnxSentenceEncoder
from core.models.placement import as_numpy
from core.models.sources import check_model, fine_tuning, fine_tuning_state, model_fingerprint, model_title
from core.rankers.base import Progress, Ranker
from core.rankers.build import BuildContext
from core.types import Corpus

ACCELERATOR_BATCH = 512
"""Texts per encoding batch on an accelerator (64 on the CPU)."""


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
                 name: str = "bi", batch_size: int = 64, backend: Backend = "torch", device: str = "cpu") -> None:
        super().__init__(name, model_name, kept_start=bool((fine_tuning(model_name) or {}).get("kept_start")))
        self.embedding_key = vectors_key(model_name, backend, device)
        self.fingerprint = model_fingerprint(model_name)  # None: cached in memory only
        self.model = model
        self.index_type = index_type
        self.batch_size = batch_size if not is_accelerator(device) else ACCELERATOR_BATCH
        self.device = device
        self.embeddings = np.empty((0, 0), dtype=np.float32)
        self._faiss = None
        self._on_device: torch.Tensor | None = None  # the document vectors for exact search on an accelerator

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised query embeddings, `[len(texts), dim]`, float32 whatever the device computed them in."""
        if not isinstance(self.model, SentenceTransformer):  # ONNX Runtime, an early-layer encoder: float32 arrays
            return self.model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                     convert_to_numpy=True, show_progress_bar=False)
        return as_numpy(self.model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                          convert_to_tensor=True, show_progress_bar=False))

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
        self._on_device = exact_search_on(self.device, self.embeddings) if self.index_type == "flat" else None
        self._faiss = None if self._on_device is not None else build_index(self.embeddings, self.index_type)

    def score(self, query: str, doc_ids: Sequence[str]) -> np.ndarray:
        return self.embeddings[self._positions(doc_ids)] @ self.encode_queries([query])[0]

    def attention(self, query: str, document: str) -> TokenSimilarity:
        """Cosine of each query token output with each document token output (encoded apart, as always)."""
        model = self.model if isinstance(self.model, SentenceTransformer) else load_bi_encoder(self.embedding_key[1])
        query_states, document_states = model.encode([query, document], output_value="token_embeddings",
                                                     convert_to_numpy=False, show_progress_bar=False)
        matrix = F.normalize(query_states.float(), dim=-1) @ F.normalize(document_states.float(), dim=-1).T
        return TokenSimilarity(token_strings(model.tokenizer, query, model.max_seq_length),
                               token_strings(model.tokenizer, document, model.max_seq_length), as_numpy(matrix))

    def _rank_corpus(self, query: str, k: int) -> dict[str, float]:
        assert self.corpus is not None
        if self._on_device is not None:
            scores, rows = search_on_device(self._on_device, self.encode_queries([query]), k)
        else:
            scores, rows = search_index(self._faiss, self.encode_queries([query]), k)
        return {self.corpus.ids[row]: float(score) for score, row in zip(scores[0], rows[0]) if row >= 0}


def exact_search_on(device: str, embeddings: np.ndarray) -> torch.Tensor | None:
    """The document vectors on `device` for exact search there, when it is an accelerator with room for them (at
    most half its free memory); None otherwise (FAISS searches on the CPU)."""
    if not is_accelerator(device) or not device.startswith("cuda"):
        return None
    free, _ = torch.cuda.mem_get_info(device)
    if embeddings.nbytes > free // 2:
        return None
    return torch.from_numpy(embeddings).to(device)


def vectors_key(model_name: str, backend: str = "torch", device: str = "cpu") -> tuple[str, str, str]:
    """The embedding cache's key of this bi-encoder's document vectors (each precision's kept apart), known without
    loading the model."""
    return bi_embedding_key(model_name, precision_key(device, backend))


@torch.inference_mode()
def search_on_device(vectors: torch.Tensor, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact inner-product top `k` of `queries` over `vectors` on their device, as FAISS's flat index returns it
    (scores and rows, best first)."""
    scores = torch.from_numpy(queries).to(vectors.device) @ vectors.T
    top = torch.topk(scores, min(k, vectors.shape[0]), dim=1)
    return as_numpy(top.values), top.indices.cpu().numpy()


def build(spec: ContestantSpec, context: BuildContext) -> BiEncoderRanker:
    check_model(spec.model, context.policy)
    backend = spec.option("backend")
    return BiEncoderRanker(load_bi_encoder(spec.model, backend, context.device), spec.model, spec.option("index"),
                           backend=backend, device=context.device)


def describe_model(spec: ContestantSpec) -> str:
    """Its model's name, with how it was fine-tuned when `core train` wrote it ("wikiqa-bi (fine-tuned on wikiqa)")."""
    state = fine_tuning_state(spec.model)
    return model_title(spec.model) + (f" ({state})" if state else "") + runs_on(spec)
