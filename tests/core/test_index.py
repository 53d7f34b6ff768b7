"""FAISS index builder: every type finds what exact search finds; the 8-bit IVF is about 4× smaller."""

from __future__ import annotations

import numpy as np
import pytest

from core.index import INDEX_LABELS, INDEX_TYPES, build_index, index_bytes, ivf_lists, search_index


def clustered(count: int, dim: int, seed: int = 0, topics: int = 50) -> np.ndarray:
    """Unit vectors around `topics` random centres (the same for every seed), like the topics of a corpus."""
    centres = np.random.default_rng(123).standard_normal((topics, dim))
    rng = np.random.default_rng(seed)
    vectors = centres[rng.integers(topics, size=count)] + 0.6 * rng.standard_normal((count, dim))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def recall_at_10(index, exact, queries) -> float:
    _, found = search_index(index, queries, 10)
    _, truth = search_index(exact, queries, 10)
    return float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, truth)]))


@pytest.mark.parametrize("index_type", [t for t in INDEX_TYPES if t != "flat"])
def test_approximate_indexes_recall_the_exact_top_10(index_type):
    vectors, queries = clustered(3000, 64), clustered(50, 64, seed=1)
    assert recall_at_10(build_index(vectors, index_type), build_index(vectors, "flat"), queries) >= 0.9


def test_ivf_trains_on_a_sample_when_the_corpus_is_large_and_still_finds_the_neighbours():
    vectors, queries = clustered(70_000, 32, topics=2000), clustered(50, 32, seed=1, topics=2000)  # a sample:
    # 64 · lists < 70,000
    index = build_index(vectors, "ivf")
    assert index.ntotal == 70_000 and index.nlist == ivf_lists(70_000) == 1058
    assert recall_at_10(index, build_index(vectors, "flat"), queries) >= 0.9


def test_ivf_sq8_keeps_one_byte_per_dimension():
    vectors = clustered(5000, 128)
    flat, compressed = index_bytes(build_index(vectors, "flat")), index_bytes(build_index(vectors, "ivf-sq8"))
    assert flat >= 5000 * 128 * 4
    assert compressed < 0.3 * flat


def test_ivf_lists_grow_with_the_square_root_and_keep_39_vectors_per_list_up_to_a_bounded_training_sample():
    assert [ivf_lists(n) for n in (10, 331, 10_000, 1_000_000, 100_000_000)] == [1, 8, 256, 4000, 4096]


def test_every_index_type_has_a_label_and_unknown_types_are_refused():
    assert set(INDEX_LABELS) == set(INDEX_TYPES)
    with pytest.raises(ValueError, match="unknown index type"):
        build_index(clustered(10, 8), "annoy")
