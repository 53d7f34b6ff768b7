"""Cross-encoder: every (query, document) pair through one transformer, one forward pass per pair.

Cost per query: O(N·(|query| + |doc|)²) for N scored documents, so it normally re-ranks the shortlist
of a cheap first stage ("retrieve and re-rank"); scoring a whole corpus is possible but priced first.
Two implementations share the `PairScorer` interface: the project's `JointCrossEncoder` (the
embedded default) and any sentence-transformers `CrossEncoder` (Hugging Face id or local path).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import torch

from core.attention_types import PairAttention
from core.caches.pair_scores import pair_scores
from core.contestants.spec import ContestantSpec, runs_on
from core.data.pseudo_queries import QueryShape
from core.devices import is_accelerator, precision_key
from core.models.loading import load_cross_encoder
from core.models.pair_scorer import PairScorer
from core.models.sources import (
    EMBEDDED_CROSS_DIR,
    check_model,
    checkpoint_name,
    model_fingerprint,
    model_title,
    saved_module,
    training_state,
)
from core.rankers.base import Progress, Ranker, top_k
from core.rankers.build import BuildContext
from core.rankers.prior_check import zero_shot_prior
from core.types import Corpus

ACCELERATOR_BATCH = 1024
"""Most pairs per batch on an accelerator (32 on the CPU); the device's token budget bounds them too."""


class CrossEncoderRanker(Ranker):
    """Scores pairs with a `PairScorer`; ranks a shortlist, or the whole corpus when asked."""

    kind = "cross"

    def __init__(self, scorer: PairScorer, model_name: str, name: str = "cross", batch_size: int = 32,
                 fingerprint: str | None = None, query_shape: QueryShape | None = None) -> None:
        """`fingerprint` identifies the scorer's weights (`core.models.loading.model_fingerprint`); with it, scores
        are kept in and read from the disk cache `core.caches.pair_scores.pair_scores`. `query_shape`: what the
        queries look like, for the zero-shot IDF prior's test (None: unknown)."""
        super().__init__(name, model_name, trained=scorer.trained, kept_start=scorer.kept_start)
        self.scorer = scorer
        self.batch_size = batch_size
        self.fingerprint = fingerprint
        self.query_shape = query_shape
        self.cache_namespace: str | None = None
        self.passages: list[str] = []
        self.log_idf: torch.Tensor | None = None
        self.prior_off = False

    def _build_index(self, corpus: Corpus, progress: Progress) -> None:
        # Every pair is encoded at query time; at most the scorer's corpus statistics are counted now.
        self.passages = corpus.passages()
        self.log_idf = self.scorer.corpus_log_idf(corpus)
        prior = zero_shot_prior(self.scorer, self.log_idf, corpus, progress, self.query_shape)
        self.notes = [prior.note(self.label, "so it pools the query segment by its plain mean")] if prior else []
        self.prior_off = prior is not None and not prior.keep
        if self.prior_off:  # every token then weighs the same: the plain mean of the query segment
            self.log_idf = torch.zeros_like(self.log_idf)
        # A document's text is known by its id within this corpus, whose statistics the IDF prior also uses.
        self.cache_namespace = (f"{self.fingerprint}|{corpus.content_hash}{'|prior off' if self.prior_off else ''}"
                                if self.fingerprint else None)

    def prepare(self, corpus: Corpus) -> None:
        """Make `corpus` scorable (its passages and IDF) for a cost probe, in seconds: without the zero-shot IDF
        prior's test, which indexing runs (a corpus's worth of pseudo-queries), and without the score cache."""
        self.passages = corpus.passages()
        self.log_idf = self.scorer.corpus_log_idf(corpus)
        self.cache_namespace = None
        self.corpus = corpus

    def score(self, query: str, doc_ids: Sequence[str]) -> np.ndarray:
        scores, replayed_ms = pair_scores.scores(self.cache_namespace, query, doc_ids,
                                                 lambda missing: self._predict(query, missing))
        self.timings.replayed_ms += replayed_ms
        return scores

    def _predict(self, query: str, doc_ids: Sequence[str]) -> np.ndarray:
        pairs = [(query, self.passages[row]) for row in self._positions(doc_ids)]
        return self.scorer.predict(pairs, batch_size=self.batch_size, log_idf=self.log_idf)

    def warm_up(self, query: str, candidates: list[str] | None, k: int) -> None:
        """Score one batch of the first query's candidates past the cache (so that no cached score carries a cold
        cost), unless the cache holds them all: then the timed query computes nothing."""
        assert self.corpus is not None
        batch = list((candidates if candidates is not None else self.corpus.ids)[:self.batch_size])
        if self.cache_namespace is None or len(pair_scores.lookup(self.cache_namespace, query, batch)) < len(batch):
            self._predict(query, batch)

    def attention(self, query: str, document: str) -> PairAttention:
        attention = self.scorer.attention(query, document)
        return replace(attention, idf_weight=None) if self.prior_off else attention

    def _rank_corpus(self, query: str, k: int) -> dict[str, float]:
        assert self.corpus is not None
        return top_k(self.corpus.ids, self.score(query, self.corpus.ids), k)


def build(spec: ContestantSpec, context: BuildContext) -> CrossEncoderRanker:
    check_model(spec.model, context.policy)
    backend = spec.option("backend")
    weights = model_fingerprint(spec.model, EMBEDDED_CROSS_DIR)
    return CrossEncoderRanker(load_cross_encoder(spec.model, backend, context.device), spec.model,
                              batch_size=ACCELERATOR_BATCH if is_accelerator(context.device) else 32,
                              fingerprint=f"{weights}|{precision_key(context.device, backend)}" if weights else None,
                              query_shape=context.query_shape)


def pair_calls(spec: ContestantSpec, documents: int) -> tuple[int, int]:
    """None at indexing; per query, its shortlist (or the whole corpus without a first stage)."""
    return 0, min(spec.option("depth"), documents) if spec.option("first") else documents


def describe_cross_encoder(spec: ContestantSpec) -> str:
    """The real name of a cross-encoder spec's model, saying whether it was trained."""
    saved = saved_module(spec.model, EMBEDDED_CROSS_DIR)
    if saved is None:
        return model_title(spec.model) + runs_on(spec)
    folder, config = saved
    prior = " with IDF prior" if config.get("idf_prior") else ""
    return (f"Arena joint cross-encoder{checkpoint_name(folder)}{prior} ({training_state(folder, config)}) "
            f"on all-MiniLM-L6-v2{runs_on(spec)}")


describe_model = describe_cross_encoder
