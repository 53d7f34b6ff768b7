"""Poly-encoder ranker: cached document vectors scored against the m query vectors of a `PolyEncoder`
(the model itself, and what it computes, is in `core.models.poly_encoder`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from core.attention_types import PolyAttention
from core.caches.embeddings import corpus_embeddings
from core.contestants.spec import ContestantSpec
from core.data.pseudo_queries import QueryShape
from core.devices import precision_key
from core.models.backbone import token_strings
from core.models.loading import load_poly_encoder
from core.models.placement import as_numpy, computing_on, device_of
from core.models.poly_encoder import PolyEncoder
from core.models.sources import (
    EMBEDDED_POLY_DIR,
    check_model,
    checkpoint_name,
    model_fingerprint,
    model_title,
    saved_module,
    training_state,
)
from core.rankers.base import Progress, Ranker, top_k
from core.rankers.build import BuildContext
from core.rankers.prior_check import PriorVerdict, zero_shot_prior
from core.types import Corpus


class PolyEncoderRanker(Ranker):
    """Ranks cached document vectors with a `PolyEncoder`."""

    kind = "poly"
    scores_from_an_index = True

    def __init__(self, model: PolyEncoder, model_name: str, name: str = "poly", batch_size: int = 64,
                 query_shape: QueryShape | None = None) -> None:
        """`query_shape`: what the queries look like, for the zero-shot IDF prior's test (None: unknown). The
        ranker computes where `model` is (`core.models.placement.device_of`)."""
        super().__init__(name, model_name, trained=model.config.trained, kept_start=model.config.kept_start)
        self.device = device_of(model)
        self.precision = precision_key(self.device)  # each precision's document vectors cached apart
        self.cache_key = model_name
        self.fingerprint = model_fingerprint(model_name, EMBEDDED_POLY_DIR)
        self.model = model
        self.batch_size = batch_size
        self.query_shape = query_shape
        self.doc_vectors = torch.empty(0)
        self.log_idf: torch.Tensor | None = None
        self.prior: PriorVerdict | None = None

    def _build_index(self, corpus: Corpus, progress: Progress) -> None:
        def compute() -> np.ndarray:
            passages = corpus.passages()
            chunks = []
            with torch.inference_mode():
                for start in range(0, len(passages), self.batch_size):
                    with computing_on(self.device):
                        chunks.append(as_numpy(self.model.encode_candidates(passages[start:start + self.batch_size])))
                    progress(f"{self.label}: encoding documents", min(1.0, (start + self.batch_size) / len(passages)))
            return np.concatenate(chunks)

        vectors = corpus_embeddings.get_or_compute((self.kind, self.cache_key, self.model.config, self.precision),
                                                   corpus.content_hash, compute, self.fingerprint)
        self.doc_vectors = torch.from_numpy(vectors.copy()).to(self.device)
        self.log_idf = self.model.corpus_log_idf(corpus)  # on the CPU, for the prior's test
        self.prior = zero_shot_prior(self.model, self.log_idf, corpus, progress, self.query_shape)
        self.notes = [self.prior.note(self.label, "so it ranks as its start, the bi-encoder")] if self.prior else []

    @property
    def as_start(self) -> bool:
        """Whether this corpus is ranked as the model's start, the bi-encoder: its zero-shot IDF prior failed the
        corpus's test, and its codes, trained with the prior, ranked below the start without it on Cranfield."""
        return self.prior is not None and not self.prior.keep

    def _attend(self, query: str) -> tuple[torch.Tensor, torch.Tensor]:
        """The query's vectors and the codes' attention, float32 on the model's device."""
        with computing_on(self.device):
            if self.as_start:
                context, weights = self.model.attend_as_start([query])
            else:
                log_idf = None if self.log_idf is None else self.log_idf.to(self.device)
                context, weights = self.model.attend_query([query], log_idf)
        return context.float(), weights.float()

    @torch.inference_mode()
    def _scores(self, query: str, rows: torch.Tensor | None) -> np.ndarray:
        candidates = self.doc_vectors if rows is None else self.doc_vectors[rows.to(self.device)]
        return as_numpy(self.model.score(self._attend(query)[0], candidates)[0][0])

    @torch.inference_mode()
    def attention(self, query: str, document: str) -> PolyAttention:
        """Code → query-token and document → code attention for one pair: its m codes, with this corpus's IDF prior,
        also where it ranks the corpus as its start (then `score` is the start's, what it ranks by)."""
        model = self.model
        log_idf = None if self.log_idf is None else self.log_idf.to(self.device)
        with computing_on(self.device):
            context, code_weights = model.attend_query([query], log_idf)
            document_vector = model.encode_candidates([document]).float()
        scores, document_weights = model.score(context.float(), document_vector)
        score = float(self.model.score(self._attend(query)[0], document_vector)[0][0, 0]) if self.as_start else \
            float(scores[0, 0])
        return PolyAttention(token_strings(model.tokenizer, query, model.config.max_length),
                             as_numpy(code_weights.float()[0]), as_numpy(document_weights[0, 0]), score,
                             float(model.idf_weight.item()) if model.config.idf_prior else None, model.config.trained,
                             self.as_start)

    def score(self, query: str, doc_ids: Sequence[str]) -> np.ndarray:
        return self._scores(query, torch.from_numpy(self._positions(doc_ids)))

    def _rank_corpus(self, query: str, k: int) -> dict[str, float]:
        assert self.corpus is not None
        return top_k(self.corpus.ids, self._scores(query, None), k)


def build(spec: ContestantSpec, context: BuildContext) -> PolyEncoderRanker:
    check_model(spec.model, context.policy)
    return PolyEncoderRanker(load_poly_encoder(spec.model, spec.option("codes"), context.device), spec.model,
                             query_shape=context.query_shape)


def describe_model(spec: ContestantSpec) -> str:
    saved = saved_module(spec.model, EMBEDDED_POLY_DIR)
    if saved is None:
        return f"untrained poly-encoder (m = {spec.option('codes')}) on {model_title(spec.model)}"
    folder, config = saved
    prior = ", IDF prior" if config.get("idf_prior") else ""
    return (f"Arena poly-encoder{checkpoint_name(folder)} (m = {config.get('n_codes')}{prior}, {training_state(folder, config)}) "
            "on all-MiniLM-L6-v2")
