"""Hard-negative mining and the teachers the students learn from.

A teacher is a `TeacherMix`: weights over signals, each z-normalised within a list (gold labels are
added as they are). The cross-encoder's default is `gold=2,bi=0.7,bm25=0.3`: the bi-encoder the students
start from, plus BM25's exact-match signal that MiniLM misses on technical text and that a cross-encoder
can see through its query–document attention. The poly-encoder can also learn from the trained
cross-encoder ("cross") and from a bigger bi-encoder ("dense", e.g. all-mpnet-base-v2, fetched by
`scripts/fetch_teacher.sh`). Teachers run only at training time and are never shipped.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sentence_transformers import SentenceTransformer

from core.models.pair_scorer import PairScorer
from core.models.placement import as_numpy
from core.rankers.bm25 import BM25Ranker
from core.training.lists import TrainingList
from core.types import Corpus

logger = logging.getLogger(__name__)


class LexicalScorer:
    """BM25 (the app's own `BM25Ranker`) over a pool of passages, scoring a query against any pooled passage."""

    def __init__(self, pool: Sequence[str]) -> None:
        self._row = {passage: i for i, passage in enumerate(pool)}
        self._bm25 = BM25Ranker()
        self._bm25.index(Corpus(tuple(str(i) for i in range(len(pool))), tuple(pool), ("",) * len(pool)))

    def all_scores(self, query: str) -> np.ndarray:
        return self._bm25.all_scores(query)

    def scores(self, query: str, passages: Sequence[str]) -> np.ndarray:
        return self.all_scores(query)[[self._row[p] for p in passages]]


ACCELERATOR_ENCODE_BATCH = 512
"""Texts per batch when a teacher or miner bi-encoder runs on an accelerator (64 on the CPU)."""


def encode(model: SentenceTransformer, texts: Sequence[str]) -> np.ndarray:
    """Normalised float32 embeddings of `texts`, on whichever device `model` was loaded."""
    batch_size = 64 if str(model.device) == "cpu" else ACCELERATOR_ENCODE_BATCH
    return as_numpy(model.encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                                 convert_to_tensor=True, show_progress_bar=False))


def mine_lists(pairs: Sequence[tuple[str, str]], corpus: Sequence[str], bi: SentenceTransformer,
               rng: random.Random, source: str, pool_size: int = 2000, per_ranker: int = 3) -> list[TrainingList]:
    """Lists of one positive plus the bi-encoder's and BM25's best-ranked other passages.

    The pool is the pairs' own passages plus `pool_size` random corpus passages, so that mining costs
    minutes on a CPU rather than encoding a whole corpus.
    """
    positives = list(dict.fromkeys(p for _, p in pairs))
    taken = set(positives)
    others = [p for p in corpus if p not in taken]
    extra = rng.sample(others, min(pool_size, len(others)))
    pool = positives + extra
    vectors = encode(bi, pool)
    queries = encode(bi, [q for q, _ in pairs])
    lexical = LexicalScorer(pool)
    lists = []
    row = {passage: i for i, passage in enumerate(pool)}
    for (query, positive), query_vector in zip(pairs, queries):
        cosine = vectors @ query_vector
        lexical_order = np.argsort(-lexical.all_scores(query))
        negatives: list[str] = []
        for order in (np.argsort(-cosine), lexical_order):
            picked = [pool[i] for i in order[: 4 * per_ranker] if pool[i] != positive and pool[i] not in negatives]
            negatives += picked[:per_ranker]
        passages = [positive, *negatives]
        lists.append(TrainingList(query, passages, [1.0] + [0.0] * len(negatives), source,
                                  bi_cosine=[float(cosine[row[p]]) for p in passages]))
    return lists


def _z(values: np.ndarray) -> np.ndarray:
    return (values - values.mean()) / (values.std() + 1e-6)


SIGNALS = ("gold", "bi", "bm25", "cross", "dense")
"""What a teacher can mix: gold labels, the packaged bi-encoder's cosine, BM25, a cross-encoder's score and
another (bigger) bi-encoder's cosine, e.g. all-mpnet-base-v2."""


@dataclass(frozen=True)
class TeacherMix:
    """A teacher as weights over `SIGNALS`: `gold` adds the 0/1 label as is, every other signal is
    z-normalised within the list first, so weights compare across signals. Written "gold=2,bi=0.7,bm25=0.3"."""

    weights: tuple[tuple[str, float], ...]

    @classmethod
    def parse(cls, text: str) -> TeacherMix:
        weights = []
        for part in filter(None, (part.strip() for part in text.split(","))):
            name, _, value = part.partition("=")
            if name not in SIGNALS:
                raise ValueError(f"teacher mix: unknown signal {name!r}; choose from {', '.join(SIGNALS)}")
            try:
                weights.append((name, float(value)))
            except ValueError:
                raise ValueError(f"teacher mix: {part!r} is not name=number") from None
        if not weights:
            raise ValueError("teacher mix: empty; write it as signal=weight pairs, e.g. bi=1,bm25=0.3")
        return cls(tuple(weights))

    def __str__(self) -> str:
        return ",".join(f"{name}={weight:g}" for name, weight in self.weights)

    @property
    def signals(self) -> tuple[str, ...]:
        """The signals the mix needs computed, in `SIGNALS` order (gold needs no computing)."""
        named = dict(self.weights)
        return tuple(name for name in SIGNALS if name != "gold" and name in named)


def compute_signal(name: str, lists: Sequence[TrainingList], cross: PairScorer | None = None,
                   dense: SentenceTransformer | None = None, lists_per_call: int = 1) -> list[list[float]]:
    """The raw scores of signal `name` (see `SIGNALS`) for every passage of every list (the "bi" signal is
    the lists' `bi_cosine`); the cross-encoder scores `lists_per_call` lists at a time (more on an accelerator:
    `core.training.loop.teacher_lists_per_call`)."""
    if name == "bi":
        return [list(item.bi_cosine) for item in lists]
    if name == "bm25":  # one index per source, so each corpus keeps its own term statistics
        lexical = {source: LexicalScorer(list(dict.fromkeys(p for item in items for p in item.passages)))
                   for source, items in _by_source(lists).items()}
        return [lexical[item.source].scores(item.query, item.passages).tolist() for item in lists]
    if name == "cross":
        if cross is None:
            raise ValueError("teacher mix: the cross signal needs a cross-encoder (--teacher)")
        values: list[list[float]] = []
        for start in range(0, len(lists), lists_per_call):
            values += score_lists(cross, lists[start:start + lists_per_call])
            if len(values) // 200 > start // 200:
                logger.info("cross-encoder teacher: scored %d/%d lists", len(values), len(lists))
        return values
    if name == "dense":
        if dense is None:
            raise ValueError("teacher mix: the dense signal needs a bi-encoder (--teacher-dense)")
        return _cosines(lists, dense)
    raise ValueError(f"teacher mix: unknown signal {name!r}")


def score_lists(cross: PairScorer, lists: Sequence[TrainingList]) -> list[list[float]]:
    """`cross`'s score of every passage of each of `lists`, all scored in one call."""
    scores = cross.predict([(item.query, passage) for item in lists for passage in item.passages])
    ends = np.cumsum([len(item.passages) for item in lists])
    return [[float(s) for s in scores[end - len(item.passages):end]] for item, end in zip(lists, ends)]


def apply_mix(lists: Sequence[TrainingList], mix: TeacherMix) -> None:
    """Set each list's `teacher` scores from its signals, weighted by `mix`."""
    for item in lists:
        teacher = np.zeros(len(item.passages))
        for name, weight in mix.weights:
            values = np.asarray(item.gold if name == "gold" else item.signals[name])
            teacher += weight * (values if name == "gold" else _z(values))
        item.teacher = teacher.tolist()


def add_bi_cosines(lists: Sequence[TrainingList], bi: SentenceTransformer) -> None:
    """Fill each list's `bi_cosine` with the bi-encoder's cosine between its query and passages."""
    for item, cosines in zip(lists, _cosines(lists, bi)):
        item.bi_cosine = cosines


def _cosines(lists: Sequence[TrainingList], model: SentenceTransformer) -> list[list[float]]:
    """`model`'s cosine between each list's query and each of its passages (each text encoded once)."""
    if not lists:
        return []
    pool = list(dict.fromkeys(p for item in lists for p in item.passages))
    logger.info("encoding %d passages and %d queries for the teacher", len(pool), len(lists))
    vectors = dict(zip(pool, encode(model, pool)))
    queries = encode(model, [item.query for item in lists])
    return [[float(vectors[p] @ query_vector) for p in item.passages] for item, query_vector in zip(lists, queries)]


def _by_source(lists: Sequence[TrainingList]) -> dict[str, list[TrainingList]]:
    by_source: dict[str, list[TrainingList]] = {}
    for item in lists:
        by_source.setdefault(item.source, []).append(item)
    return by_source
