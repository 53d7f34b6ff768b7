"""FAISS inner-product indexes over normalised embeddings: exact, HNSW, IVF, or IVF over 8-bit codes.

Memory per 384-d vector: "flat", "hnsw" and "ivf" keep float32 vectors (1,536 bytes, so 1.5 GB for a
million documents, plus HNSW's graph); "ivf-sq8" keeps one byte per dimension (384 bytes, about 0.4 GB
for a million). benchmarks/index_scaling.py measures latency, memory and recall@10 against exact search.
"""

from __future__ import annotations

from typing import Literal

import faiss
import numpy as np

IndexType = Literal["flat", "hnsw", "ivf", "ivf-sq8"]
INDEX_TYPES: tuple[IndexType, ...] = ("flat", "hnsw", "ivf", "ivf-sq8")
INDEX_LABELS: dict[IndexType, str] = {
    "flat": "flat (exact search)",
    "hnsw": "HNSW (graph, approximate)",
    "ivf": "IVF (clustered, approximate)",
    "ivf-sq8": "IVF over 8-bit codes (clustered, approximate, 4× smaller)",
}
NPROBE = 16
TRAINING_POINTS_PER_LIST = 64  # k-means sample per inverted list (FAISS warns below 39)


MAX_LISTS = 4096
"""At most this many inverted lists, so that training samples at most 64 × 4,096 vectors (400 MB at 384-d) however
large the corpus: indexing memory is then the index itself plus a bounded sample."""


def ivf_lists(count: int) -> int:
    """Inverted lists for `count` vectors: 4·√count (at most `MAX_LISTS`), with at least 39 vectors per list to
    train on."""
    return max(1, min(int(4 * np.sqrt(count)), count // 39, MAX_LISTS))


def new_index(dim: int, count: int, index_type: IndexType = "flat") -> faiss.Index:
    """An empty inner-product index of `index_type` sized for `count` vectors of `dim` (IVF kinds still untrained):
    "flat" (exact), "hnsw" (graph, no training, M=32, efSearch=128), "ivf" (inverted lists, nprobe=16) or "ivf-sq8"
    (the same lists over vectors scalar-quantised to 8 bits per dimension).

    Raises:
        ValueError: For an unknown index type.
    """
    if index_type == "flat":
        return faiss.IndexFlatIP(dim)
    if index_type == "hnsw":
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 128
        return index
    if index_type == "ivf":
        return faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, ivf_lists(count), faiss.METRIC_INNER_PRODUCT)
    if index_type == "ivf-sq8":
        return faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(dim), dim, ivf_lists(count),
                                             faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
    raise ValueError(f"unknown index type {index_type!r}; choose one of {', '.join(INDEX_TYPES)}")


def training_size(index: faiss.Index) -> int:
    """How many vectors `train_index` samples for `index` (0: it needs no training)."""
    return TRAINING_POINTS_PER_LIST * index.nlist if isinstance(index, faiss.IndexIVF) else 0


def train_index(index: faiss.Index, vectors: np.ndarray) -> faiss.Index:
    """Train an IVF `index` on a seeded sample of `vectors` (all of them when few) and set its nprobe; other kinds
    need no training."""
    if not isinstance(index, faiss.IndexIVF):
        return index
    sample_size = training_size(index)
    if len(vectors) > sample_size:
        vectors = vectors[np.sort(np.random.default_rng(0).choice(len(vectors), sample_size, replace=False))]
    index.train(np.ascontiguousarray(vectors, dtype=np.float32))
    index.nprobe = min(NPROBE, index.nlist)
    return index


def build_index(vectors: np.ndarray, index_type: IndexType = "flat") -> faiss.Index:
    """Index `[docs, dim]` float32 vectors (normalised, so inner product equals cosine) for maximum-inner-product
    search with a populated index of `index_type` (see `new_index`)."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    index = train_index(new_index(vectors.shape[1], len(vectors), index_type), vectors)
    index.add(vectors)
    return index


def index_bytes(index: faiss.Index) -> int:
    """The index's size serialised, which is what it holds in memory (vectors or codes, lists, graph)."""
    return int(faiss.serialize_index(index).nbytes)


def search_index(index: faiss.Index, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-`k` `(scores, rows)` per query row; rows of -1 (fewer than k documents) are dropped by callers."""
    return index.search(np.ascontiguousarray(queries, dtype=np.float32), min(k, index.ntotal))
