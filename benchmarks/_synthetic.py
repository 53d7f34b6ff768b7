"""Synthetic document vectors for scaling runs, and corpora whose vectors are already in core's cache.

Encoding a million documents on a 2-core CPU takes hours, so the index benchmarks search synthetic
vectors. Uniform random vectors would be the worst case for every approximate index (no structure to
exploit), so these are clustered in two levels, like topics and sub-topics: unit topic directions, sub-topics
scattered around them, documents and queries scattered around sub-topics, all L2-normalised. The
parameters are recorded with every result, as are the top-1 and top-10 cosines, which say how close
the neighbours are (the closer and more alike, the harder for an approximate index).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from core.caches.embeddings import corpus_embeddings
from core.types import Corpus


@dataclass(frozen=True)
class Clusters:
    """Generator settings: topic count, sub-topics per topic, and the noise scale of each level."""

    topics: int = 64
    subtopics_per_topic: int = 64
    subtopic_noise: float = 1.0
    document_noise: float = 1.0
    seed: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def _normalised(vectors: np.ndarray) -> np.ndarray:
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def clustered_vectors(n: int, dim: int, clusters: Clusters = Clusters(), stream: int = 0,
                      chunk: int = 100_000) -> np.ndarray:
    """`[n, dim]` unit vectors around the sub-topics of `clusters`; `stream` 0 gives documents, 1 queries.

    The topic and sub-topic centres depend only on `clusters.seed`, so documents and queries of the
    same settings share them.
    """
    centres = np.random.default_rng(clusters.seed)
    topics = _normalised(centres.standard_normal((clusters.topics, dim)))
    subtopics = np.repeat(topics, clusters.subtopics_per_topic, axis=0)
    subtopics = _normalised(subtopics + clusters.subtopic_noise / np.sqrt(dim)
                            * centres.standard_normal(subtopics.shape))
    rng = np.random.default_rng([clusters.seed, stream + 1])
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, chunk):
        size = min(chunk, n - start)
        picked = subtopics[rng.integers(len(subtopics), size=size)]
        noise = rng.standard_normal((size, dim), dtype=np.float32) * (clusters.document_noise / np.sqrt(dim))
        out[start:start + size] = _normalised(picked + noise)
    return out


def seeded_corpus(vectors: np.ndarray, model_key: tuple, prefix: str = "synthetic") -> Corpus:
    """A corpus of `len(vectors)` placeholder documents whose embeddings under `model_key` are `vectors`.

    The vectors go into `core.caches.embeddings.corpus_embeddings`, the cache the rankers read, so that
    `ranker.index(corpus)` builds the app's own index over them without encoding anything.
    """
    ids = tuple(f"{prefix}-{i}" for i in range(len(vectors)))
    corpus = Corpus(ids=ids, texts=ids, titles=("",) * len(ids), source=f"{prefix} vectors")
    corpus_embeddings.get_or_compute(model_key, corpus.content_hash, lambda: vectors)
    return corpus


def neighbour_cosines(exact_scores: np.ndarray) -> dict[str, float]:
    """Mean cosine of each query's nearest and 10th-nearest document, from exact search scores `[queries, 10+]`."""
    return {"top1_cosine": float(exact_scores[:, 0].mean()), "top10_cosine": float(exact_scores[:, 9].mean())}
