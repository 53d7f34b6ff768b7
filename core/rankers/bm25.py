"""BM25 lexical baseline (bm25s: sparse-matrix BM25, English stop words, Snowball stemming).

It sees only shared words, so it fails on paraphrases and is fooled by irrelevant word overlap,
which is exactly what the neural rankers are compared against.
"""

from __future__ import annotations

from collections.abc import Sequence

import bm25s
import numpy as np
import Stemmer

from core.contestants.spec import ContestantSpec
from core.rankers.base import Progress, Ranker, top_k
from core.rankers.build import BuildContext
from core.types import Corpus


class BM25Ranker(Ranker):
    """Okapi BM25 (k1=1.5, b=0.75, Lucene idf) over the corpus passages."""

    kind = "bm25"
    scores_from_an_index = True

    def __init__(self, name: str = "bm25", k1: float = 1.5, b: float = 0.75) -> None:
        super().__init__(name, f"bm25s (k1={k1}, b={b})")
        self.k1, self.b = k1, b
        self._stemmer = Stemmer.Stemmer("english")
        self._bm25 = bm25s.BM25(k1=k1, b=b)

    def _tokenize(self, texts: list[str]):
        return bm25s.tokenize(texts, stopwords="en", stemmer=self._stemmer.stemWords, show_progress=False,
                              return_ids=False)

    def _build_index(self, corpus: Corpus, progress: Progress) -> None:
        progress(f"{self.label}: indexing", 0.0)
        self._bm25 = bm25s.BM25(k1=self.k1, b=self.b)
        self._bm25.index(self._tokenize(corpus.passages()), show_progress=False)
        progress(f"{self.label}: indexing", 1.0)

    def all_scores(self, query: str) -> np.ndarray:
        """BM25 score of every indexed document for `query`, in corpus order."""
        assert self.corpus is not None
        tokens = self._tokenize([query])[0]
        if not tokens:  # only stop words or one-letter words: nothing to match (bm25s would fail)
            return np.zeros(len(self.corpus.ids), dtype=np.float32)
        return self._bm25.get_scores(tokens)

    def score(self, query: str, doc_ids: Sequence[str]) -> np.ndarray:
        return self.all_scores(query)[self._positions(doc_ids)]

    def _rank_corpus(self, query: str, k: int) -> dict[str, float]:
        assert self.corpus is not None
        return top_k(self.corpus.ids, self.all_scores(query), k)


def build(spec: ContestantSpec, context: BuildContext) -> BM25Ranker:
    return BM25Ranker(spec.name, spec.option("k1"), spec.option("b"))


def describe_model(spec: ContestantSpec) -> str:
    return f"bm25s (k1 = {spec.option('k1')}, b = {spec.option('b')})"
