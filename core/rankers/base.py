"""The one interface every ranking architecture implements.

A ranker indexes a corpus once, scores a query against given documents, and ranks either the whole
corpus or a candidate shortlist. Results use ranx's run shape, `{query_id: {doc_id: score}}`, and
every call records its own timings so that the comparison can report them side by side.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

import numpy as np

from core.attention_types import Attention
from core.caches.embeddings import replayed_seconds
from core.types import Corpus, Queries, Run

Progress = Callable[[str, float], None]
T = TypeVar("T")


def no_progress(_message: str, _fraction: float) -> None:
    """Progress callback that reports nothing."""


@dataclass
class Timings:
    """Wall-clock costs a ranker recorded: index build and one latency per searched query.

    A query's latency is its wall time plus `replayed_ms`, what the scores it took from a cache cost when they
    were computed (see `core.caches.pair_scores`), so that caching makes runs faster but never timings smaller.
    """

    index_s: float = 0.0
    query_ms: list[float] = field(default_factory=list)
    replayed_ms: float = 0.0


def top_k(doc_ids: Sequence[str], scores: np.ndarray, k: int) -> dict[str, float]:
    """The `k` best-scored documents, best first, as `{doc_id: score}` (ties keep input order)."""
    order = np.argsort(-scores, kind="stable")[:k]
    return {doc_ids[i]: float(scores[i]) for i in order}


class Ranker(ABC):
    """Base class of every kind's ranker (one module per kind under `core/rankers/`; `RunRanker` below for kinds
    whose whole run is made at once, a run file or a fusion).

    Subclasses implement `_build_index`, `score` and `_rank_corpus`; the base class handles timing,
    candidate shortlists and batch search.

    Example:
        >>> from core.data import load_dataset
        >>> from core.rankers.bm25 import BM25Ranker
        >>> ranker = BM25Ranker()
        >>> ranker.index(load_dataset("sample_data/beir").corpus)
        >>> top = ranker.rank("why does bread go stale", 3)
        >>> len(top), list(top.values()) == sorted(top.values(), reverse=True)
        (3, True)
    """

    kind: str = ""
    scores_from_an_index: bool = False
    """True when scoring one more candidate is only a vector product or a posting lookup over what
    `index` prepared (bi, poly, BM25): such costs are always measured, never extrapolated."""

    def __init__(self, name: str, model_name: str, trained: bool = True, kept_start: bool = False) -> None:
        self.name = name
        self.model_name = model_name
        self.trained = trained
        self.kept_start = kept_start  # fine-tuned without gain: the untrained start was kept
        self.notes: list[str] = []  # what people should know about this run, e.g. a choice made for the corpus
        self.timings = Timings()
        self.corpus: Corpus | None = None
        self.device = "cpu"  # where its model runs (`core.devices`); set by `core.rankers.build.build_ranker`

    @property
    def label(self) -> str:
        """Display name, marked when the model has not been trained for ranking (or its fine-tuning kept the start)."""
        if self.kept_start:
            return f"{self.name} (no gain: kept the untrained start)"
        return self.name if self.trained else f"{self.name} (untrained)"

    def index(self, corpus: Corpus, progress: Progress = no_progress) -> None:
        """Prepare `corpus` for search (embeddings, FAISS or BM25 index) and time it: vectors from the cache count
        what they cost when they were computed (`core.caches.embeddings.replayed_seconds`)."""
        start, replayed = time.perf_counter(), replayed_seconds()
        self._build_index(corpus, progress)
        self.corpus = corpus
        self.timings.index_s = time.perf_counter() - start + replayed_seconds() - replayed

    def prepare(self, corpus: Corpus) -> None:
        """Make `corpus` scorable by `score`, for a quick cost probe; by default that is `index`, untimed."""
        self._build_index(corpus, no_progress)
        self.corpus = corpus

    @abstractmethod
    def _build_index(self, corpus: Corpus, progress: Progress) -> None:
        """Build whatever the architecture caches for `corpus`."""

    @abstractmethod
    def score(self, query: str, doc_ids: Sequence[str]) -> np.ndarray:
        """Relevance scores of `query` against indexed documents.

        Args:
            query: Query text.
            doc_ids: Ids of indexed documents.

        Returns:
            `[len(doc_ids)]` float scores, higher is more relevant.
        """

    @abstractmethod
    def _rank_corpus(self, query: str, k: int) -> dict[str, float]:
        """The `k` best documents of the whole indexed corpus for `query`."""

    def rank(self, query: str, k: int = 10, candidates: Sequence[str] | None = None) -> dict[str, float]:
        """Rank the corpus, or only `candidates`, for `query`.

        Returns:
            `{doc_id: score}` of at most `k` documents, best first.
        """
        self._require_index()
        if candidates is None:
            return self._rank_corpus(query, k)
        if not candidates:
            return {}
        return top_k(list(candidates), self.score(query, candidates), k)

    def search(self, queries: Queries, k: int = 100, candidates: Run | None = None,
               exclude_self: bool = False, progress: Progress = no_progress) -> Run:
        """Rank for every query, one at a time so that each query's latency is recorded, after one untimed
        warm-up query (the first, through `warm_up`) so that no latency includes one-off costs.

        Args:
            queries: The queries.
            k: Documents kept per query.
            candidates: Optional shortlist per query id (a first-stage run); only those are scored.
            exclude_self: Drop a hit whose doc id equals its query id (BEIR/MTEB ArguAna convention).
            progress: Called with a message and the fraction done.

        Returns:
            The run `{query_id: {doc_id: score}}`.
        """
        self._require_index()
        self.timings.query_ms = []
        run: Run = {}
        if len(queries):
            self.warm_up(queries.texts[0], None if candidates is None else list(candidates.get(queries.ids[0], {})), k)
        for i, (query_id, text) in enumerate(zip(queries.ids, queries.texts)):
            shortlist = None if candidates is None else list(candidates.get(query_id, {}))
            ranked, ms = self.costed(partial(self.rank, text, k + exclude_self, shortlist))
            self.timings.query_ms.append(ms)
            if exclude_self:
                ranked.pop(query_id, None)
            run[query_id] = dict(list(ranked.items())[:k])
            if i % 10 == 0 or i == len(queries) - 1:
                progress(f"{self.label}: query {i + 1}/{len(queries)}", (i + 1) / len(queries))
        return run

    def costed(self, call: Callable[[], T]) -> tuple[T, float]:
        """`call()` (a call into this ranker) and the milliseconds it cost: its wall time plus what the cached
        scores it used cost when they were computed (see `Timings`)."""
        self.timings.replayed_ms = 0.0
        start = time.perf_counter()
        result = call()
        return result, (time.perf_counter() - start) * 1000 + self.timings.replayed_ms

    def score_ms(self, query: str, doc_ids: Sequence[str]) -> float:
        """Milliseconds `score(query, doc_ids)` costs, as `costed` counts them (for timing sweeps and estimates)."""
        return self.costed(partial(self.score, query, doc_ids))[1]

    def warm_up(self, query: str, candidates: list[str] | None, k: int) -> None:
        """Rank `query` once, untimed, so that lazy initialisation and cold caches are not timed."""
        self.rank(query, k, candidates)

    def score_query(self, query_id: str, query: str, doc_ids: Sequence[str]) -> np.ndarray:
        """Scores of indexed documents for one query of the searched set (by default `score(query, doc_ids)`)."""
        return self.score(query, doc_ids)

    def attention(self, query: str, document: str) -> Attention | None:
        """What this architecture lets the query and document see of each other, for the Attention page
        (None for rankers without a neural view)."""
        return None

    def rank_new(self, query: str, k: int, candidates: Sequence[str] | None,
                 upstream: Mapping[str, dict[str, float]]) -> dict[str, float] | None:
        """Rank a question that was not in the searched queries (the live query), or None when this ranker cannot.

        Args:
            candidates: The first stage's shortlist for a re-ranker, else None.
            upstream: The rankings this ranker's inputs gave the same question, by contestant name.
        """
        return self.rank(query, k, candidates)

    def _require_index(self) -> None:
        if self.corpus is None:
            raise RuntimeError(f"{self.name}: call index(corpus) before ranking")

    def _positions(self, doc_ids: Sequence[str]) -> np.ndarray:
        """Row numbers of `doc_ids` in the indexed corpus."""
        assert self.corpus is not None
        return np.fromiter((self.corpus.position(d) for d in doc_ids), dtype=np.int64, count=len(doc_ids))


class RunRanker(Ranker):
    """A ranker whose whole run is known before any query is asked (a run file, a fusion of other runs).

    Subclasses implement `_make_run`; `search` cuts it per query and `score_query` looks scores up in it
    (documents it did not rank score below all it did).
    """

    def __init__(self, name: str, model_name: str) -> None:
        super().__init__(name, model_name)
        self.run: Run = {}

    def _build_index(self, corpus: Corpus, progress: Progress) -> None:
        """Nothing to index: the documents are only named by the run."""

    @abstractmethod
    def _make_run(self, queries: Queries, progress: Progress) -> Run:
        """The whole run for `queries`, best first per query; sets `timings.query_ms` when it can measure them."""

    def search(self, queries: Queries, k: int = 100, candidates: Run | None = None,
               exclude_self: bool = False, progress: Progress = no_progress) -> Run:
        self._require_index()
        self.run = self._make_run(queries, progress)
        return {query_id: dict([(d, s) for d, s in self.run.get(query_id, {}).items()
                                if not (exclude_self and d == query_id)][:k])
                for query_id in queries.ids}

    def rank_new(self, query: str, k: int, candidates: Sequence[str] | None,
                 upstream: Mapping[str, dict[str, float]]) -> dict[str, float] | None:
        """None: a run known in advance has nothing for a new question (a fusion overrides this)."""
        return None

    def score_query(self, query_id: str, query: str, doc_ids: Sequence[str]) -> np.ndarray:
        scores = self.run.get(query_id, {})
        floor = min(scores.values(), default=0.0) - 1.0
        return np.array([scores.get(d, floor) for d in doc_ids], dtype=np.float64)

    def score(self, query: str, doc_ids: Sequence[str]) -> np.ndarray:
        raise NotImplementedError(f"{self.name} has no model: it scores only the queries of its run")

    def _rank_corpus(self, query: str, k: int) -> dict[str, float]:
        raise NotImplementedError(f"{self.name} has no model: it ranks only the queries of its run")
