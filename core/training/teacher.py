"""Hard-negative mining and the hybrid teacher the cross-encoder learns from.

The teacher for a list is `gold_weight · gold + (1 − w) · z(bi cosine) + w · z(BM25)`, with scores
z-normalised within the list. The dense part is the bi-encoder the students start from; the lexical
part (BM25) adds the exact-match signal that MiniLM misses on technical text, which a cross-encoder
can see through its query–document attention and a bi-encoder cannot. Gold labels dominate where
they exist. The teacher runs only at training time and is never shipped.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np
from sentence_transformers import SentenceTransformer

from core.data import Corpus
from core.rankers.bm25 import BM25Ranker
from core.training.lists import TrainingList


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


def encode(model: SentenceTransformer, texts: Sequence[str]) -> np.ndarray:
    return model.encode(list(texts), batch_size=64, normalize_embeddings=True, show_progress_bar=False)


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


def add_teacher_scores(lists: Sequence[TrainingList], bi: SentenceTransformer, lexical_weight: float,
                       gold_weight: float = 2.0) -> None:
    """Fill `teacher` for every list, and `bi_cosine` (the bi-encoder cosine per passage) where
    mining has not already filled it."""
    add_bi_cosines([item for item in lists if not item.bi_cosine], bi)
    by_source: dict[str, list[TrainingList]] = {}
    for item in lists:
        by_source.setdefault(item.source, []).append(item)
    for items in by_source.values():
        lexical = LexicalScorer(list(dict.fromkeys(p for item in items for p in item.passages)))
        for item in items:
            bm25 = lexical.scores(item.query, item.passages)
            fused = (1 - lexical_weight) * _z(np.asarray(item.bi_cosine)) + lexical_weight * _z(bm25)
            item.teacher = (gold_weight * np.asarray(item.gold) + fused).tolist()


def add_bi_cosines(lists: Sequence[TrainingList], bi: SentenceTransformer) -> None:
    """Fill each list's `bi_cosine` with the bi-encoder's cosine between its query and passages."""
    if not lists:
        return
    pool = list(dict.fromkeys(p for item in lists for p in item.passages))
    vectors = dict(zip(pool, encode(bi, pool)))
    for item, query_vector in zip(lists, encode(bi, [item.query for item in lists])):
        item.bi_cosine = [float(vectors[p] @ query_vector) for p in item.passages]
