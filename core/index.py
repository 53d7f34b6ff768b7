"""FAISS inner-product indexes over normalised embeddings: exact, HNSW or IVF."""

from __future__ import annotations

from typing import Literal

import faiss
import numpy as np

IndexType = Literal["flat", "hnsw", "ivf"]
INDEX_TYPES: tuple[IndexType, ...] = ("flat", "hnsw", "ivf")


def build_index(vectors: np.ndarray, index_type: IndexType = "flat") -> faiss.Index:
    """Index `[docs, dim]` float32 vectors for maximum-inner-product search.

    Args:
        vectors: Normalised embeddings, so inner product equals cosine.
        index_type: "flat" (exact), "hnsw" (graph, no training, M=32, efSearch=128) or
            "ivf" (inverted lists, trained on the vectors, nprobe=16).

    Returns:
        A populated FAISS index.
    """
    dim = vectors.shape[1]
    if index_type == "flat":
        index = faiss.IndexFlatIP(dim)
    elif index_type == "hnsw":
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 128
    elif index_type == "ivf":
        lists = max(1, min(int(4 * np.sqrt(len(vectors))), len(vectors) // 39))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, lists, faiss.METRIC_INNER_PRODUCT)
        index.train(vectors)
        index.nprobe = min(16, lists)
    else:
        raise ValueError(f"unknown index type {index_type!r}; choose one of {', '.join(INDEX_TYPES)}")
    index.add(vectors)
    return index


def search_index(index: faiss.Index, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-`k` `(scores, rows)` per query row; rows of -1 (fewer than k documents) are dropped by callers."""
    return index.search(np.ascontiguousarray(queries, dtype=np.float32), min(k, index.ntotal))
