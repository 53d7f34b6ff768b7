"""ANNCUR: a cross-encoder's nearest neighbours without a bi-encoder (Yadav et al., EMNLP 2022).

Indexing scores every document against `anchors` anchor queries with the cross-encoder, a matrix R of
shape [anchors, N] (that is anchors × N cross-encoder calls, paid once per corpus). The anchor queries
are pseudo-queries made from the corpus itself: the titles (or, without one, the first words) of documents
drawn at random, so nothing of the evaluated queries leaks into the index. A query then pays `anchor_docs`
cross-encoder calls on fixed anchor documents I, approximates every other document's score by the CUR
decomposition s ≈ c · pinv(R[:, I]) · R, and re-scores the `depth` best approximations exactly:
`anchor_docs + depth` calls per query, ranking all N documents.
"""

from __future__ import annotations

import numpy as np

from core.caches.embeddings import corpus_embeddings
from core.contestants.spec import ContestantSpec
from core.models.loading import load_cross_encoder
from core.models.pair_scorer import PairScorer
from core.models.sources import EMBEDDED_CROSS_DIR, check_model, model_fingerprint
from core.rankers.base import Progress, top_k
from core.rankers.build import BuildContext
from core.rankers.cross_encoder import CrossEncoderRanker, describe_cross_encoder
from core.types import Corpus

PSEUDO_QUERY_WORDS = 12
SEED = 0


def pseudo_queries(corpus: Corpus, count: int, rng: np.random.Generator) -> list[str]:
    """`count` query-like texts from random documents: a title when there is one, else the first words."""
    rows = rng.choice(len(corpus), size=min(count, len(corpus)), replace=False)
    return [corpus.titles[row] or " ".join(corpus.texts[row].split()[:PSEUDO_QUERY_WORDS]) for row in rows]


class AnncurRanker(CrossEncoderRanker):
    """Retrieves with CUR-approximated cross-encoder scores, then re-scores the best approximations exactly.

    Args:
        scorer: The cross-encoder.
        model_name: Its spec (keys the cached anchor matrix).
        anchors: k_q, anchor (pseudo-)queries scored against the whole corpus at indexing.
        anchor_docs: k_i, documents every query is scored against to place it among the anchors.
        depth: Documents re-scored exactly after the approximation.
    """

    kind = "anncur"

    def __init__(self, scorer: PairScorer, model_name: str, anchors: int, anchor_docs: int, depth: int) -> None:
        super().__init__(scorer, model_name, name="anncur", fingerprint=model_fingerprint(model_name, EMBEDDED_CROSS_DIR))
        self.spec, self.anchors, self.anchor_docs, self.depth = model_name, anchors, anchor_docs, depth
        self.anchor_rows = np.empty(0, dtype=np.int64)
        self.projection = np.empty((0, 0), dtype=np.float32)

    @property
    def calls_per_query(self) -> int:
        """Cross-encoder calls one query costs: its anchor documents plus the exactly re-scored ones."""
        return len(self.anchor_rows) + self.depth

    def _build_index(self, corpus: Corpus, progress: Progress) -> None:
        super()._build_index(corpus, progress)
        rng = np.random.default_rng(SEED)
        queries = pseudo_queries(corpus, self.anchors, rng)
        self.anchor_rows = np.sort(rng.choice(len(corpus), size=min(self.anchor_docs, len(corpus)), replace=False))

        def anchor_matrix() -> np.ndarray:  # [anchors, N]: every anchor query against every document
            rows = []
            for i, query in enumerate(queries):
                rows.append(self.scorer.predict([(query, passage) for passage in self.passages],
                                                batch_size=self.batch_size, log_idf=self.log_idf))
                progress(f"{self.label}: scoring the corpus against anchor query {i + 1}/{len(queries)}",
                         (i + 1) / len(queries))
            return np.stack(rows)

        matrix = corpus_embeddings.get_or_compute((self.kind, self.spec, self.anchors, SEED), corpus.content_hash,
                                                  anchor_matrix, model_fingerprint(self.spec, EMBEDDED_CROSS_DIR))
        self.projection = (np.linalg.pinv(matrix[:, self.anchor_rows]) @ matrix).astype(np.float32)  # [k_i, N]

    def _rank_corpus(self, query: str, k: int) -> dict[str, float]:
        assert self.corpus is not None
        ids = self.corpus.ids
        anchor_scores = self.score(query, [ids[row] for row in self.anchor_rows])
        approximate = anchor_scores @ self.projection
        approximate[self.anchor_rows] = -np.inf  # already scored exactly
        best = np.argsort(-approximate, kind="stable")[:min(self.depth, len(ids) - len(self.anchor_rows))]
        rows = np.concatenate([self.anchor_rows, best])
        exact = np.concatenate([anchor_scores, self.score(query, [ids[row] for row in best])])
        return top_k([ids[row] for row in rows], exact, k)


def build(spec: ContestantSpec, context: BuildContext) -> AnncurRanker:
    check_model(spec.model, context.policy)
    return AnncurRanker(load_cross_encoder(spec.model, device=context.device), spec.model, spec.option("anchors"),
                        spec.option("anchor_docs"), spec.option("depth"))


def pair_calls(spec: ContestantSpec, documents: int) -> tuple[int, int]:
    """Anchor queries × N at indexing; anchor documents plus the re-scored ones per query."""
    return (min(spec.option("anchors"), documents) * documents,
            min(spec.option("anchor_docs"), documents) + spec.option("depth"))


def describe_model(spec: ContestantSpec) -> str:
    return (f"{describe_cross_encoder(spec)}; {spec.option('anchors')} anchor queries, "
            f"{spec.option('anchor_docs')} + {spec.option('depth')} calls per query")
