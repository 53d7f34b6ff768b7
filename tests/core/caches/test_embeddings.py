"""The corpus-embedding cache: in memory per process, and on disk for any process when the model's weights
have a fingerprint (a changed fingerprint is a miss; without one nothing is written)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from core.caches import embeddings
from core.caches.embeddings import EmbeddingCache
from core.models.sources import model_fingerprint


def fail() -> np.ndarray:
    pytest.fail("recomputed what the disk cache holds")


def test_a_new_cache_reads_the_vectors_another_one_wrote(tmp_path, monkeypatch):
    monkeypatch.setattr(embeddings, "CACHE_DIR", tmp_path)
    vectors = EmbeddingCache().get_or_compute(("bi", "m"), "corpus", lambda: np.eye(3), fingerprint="weights-1")
    again = EmbeddingCache().get_or_compute(("bi", "m"), "corpus", fail, fingerprint="weights-1")
    assert np.array_equal(vectors, again) and not again.flags.writeable
    changed = EmbeddingCache().get_or_compute(("bi", "m"), "corpus", lambda: np.zeros((3, 3)), fingerprint="weights-2")
    assert not changed.any()
    EmbeddingCache().get_or_compute(("bi", "hub/id"), "corpus", lambda: np.ones((2, 2)))
    assert len(list((tmp_path / "embeddings").glob("*.npz"))) == 2  # nothing kept without a fingerprint


def test_fingerprints_follow_the_weight_files(tmp_path):
    assert model_fingerprint("embedded") == model_fingerprint("embedded")
    (tmp_path / "model.safetensors").write_bytes(b"one")
    first = model_fingerprint(str(tmp_path))
    (tmp_path / "model.safetensors").write_bytes(b"other weights")
    assert model_fingerprint(str(tmp_path)) not in (first, None)
    assert model_fingerprint("some-org/some-model") is None  # a hub id is not fingerprinted offline


def test_a_hit_replays_what_computing_the_vectors_cost(tmp_path, monkeypatch):
    monkeypatch.setattr(embeddings, "CACHE_DIR", tmp_path)

    def slow() -> np.ndarray:
        time.sleep(0.05)
        return np.eye(2)

    EmbeddingCache().get_or_compute(("bi", "m"), "corpus", slow, fingerprint="w")
    for cache in (EmbeddingCache(),) * 2:  # from disk, then from memory
        before = embeddings.replayed_seconds()
        cache.get_or_compute(("bi", "m"), "corpus", fail, fingerprint="w")
        assert embeddings.replayed_seconds() - before >= 0.05
