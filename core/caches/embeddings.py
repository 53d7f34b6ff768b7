"""Cache of corpus embeddings keyed by (model, corpus content hash): in memory per process, and on disk
shared by every process (the CLI and all app sessions) when the model's weights can be fingerprinted.

Encoding a corpus is the most expensive step a comparison repeats; a re-run with the same model and
the same corpus (whatever the file it came from) reuses the vectors, also in a new process. The memory
cache is bounded and thread-safe, since the Streamlit server runs sessions in threads; disk entries are
written atomically, so processes never read half a file. Each entry keeps what computing it cost, and a hit
adds that to the thread's `replayed_seconds`, so that an index built from cached vectors reports the time it
took to build, as the pair-score cache does for latencies (`core.caches.pair_scores`).
"""

from __future__ import annotations

import hashlib
import io
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path

import numpy as np

from core.caches.disk import write_newest
from core.config import CACHE_DIR

logger = logging.getLogger(__name__)

MAX_DISK_ENTRIES = 256


_replayed = threading.local()


def replayed_seconds() -> float:
    """What the cache hits of this thread cost when they were computed, in total (read it before and after)."""
    return getattr(_replayed, "seconds", 0.0)


def _replay(seconds: float) -> None:
    _replayed.seconds = replayed_seconds() + seconds


class EmbeddingCache:
    """A small LRU map from `(model key, corpus hash)` to a read-only `[docs, dim]` array and the seconds computing
    it cost, backed by disk."""

    def __init__(self, max_entries: int = 16) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[Hashable, str], tuple[np.ndarray, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_compute(self, model_key: Hashable, corpus_hash: str, compute: Callable[[], np.ndarray],
                       fingerprint: str | None = None) -> np.ndarray:
        """Cached vectors for this model and corpus, computing (outside the lock) on a miss.

        `fingerprint` identifies the model's weights (see `core.models.loading.model_fingerprint`); with it the
        vectors are also kept on disk, and read from there by a later process.
        """
        key = (model_key, corpus_hash)
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                vectors, seconds = self._entries[key]
                _replay(seconds)
                return vectors
        path = _disk_path(model_key, corpus_hash, fingerprint) if fingerprint else None
        found = _read(path) if path else None
        if found is None:
            start = time.perf_counter()
            vectors = np.ascontiguousarray(compute(), dtype=np.float32)
            seconds = time.perf_counter() - start
            if path:
                _write(path, vectors, seconds)
        else:
            vectors, seconds = found
            _replay(seconds)
        vectors.setflags(write=False)
        with self._lock:
            self._entries[key] = (vectors, seconds)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return vectors

    def holds(self, model_key: Hashable, corpus_hash: str, fingerprint: str | None = None) -> bool:
        """Whether `get_or_compute` would find these vectors (in memory, or on disk with a `fingerprint`) without
        computing them."""
        with self._lock:
            if (model_key, corpus_hash) in self._entries:
                return True
        return bool(fingerprint) and _disk_path(model_key, corpus_hash, fingerprint).is_file()

    def put(self, model_key: Hashable, corpus_hash: str, vectors: np.ndarray, seconds: float) -> None:
        """Hold vectors computed elsewhere (a prebuilt index) for this model and corpus, with what they cost."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        vectors.setflags(write=False)
        with self._lock:
            self._entries[(model_key, corpus_hash)] = (vectors, seconds)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget every array held in memory (benchmarks use this to measure a cold run; disk stays)."""
        with self._lock:
            self._entries.clear()


def _disk_path(model_key: Hashable, corpus_hash: str, fingerprint: str) -> Path:
    digest = hashlib.sha256(f"{model_key!r}|{fingerprint}|{corpus_hash}".encode()).hexdigest()[:32]
    return CACHE_DIR / "embeddings" / f"{digest}.npz"


def _read(path: Path) -> tuple[np.ndarray, float] | None:
    try:
        with np.load(path, allow_pickle=False) as stored:
            found = stored["vectors"], float(stored["seconds"])
    except (OSError, ValueError, KeyError):
        return None
    logger.info("embeddings read from %s", path)
    return found


def _write(path: Path, vectors: np.ndarray, seconds: float) -> None:
    """Write for every process; a full or read-only disk only costs the cache."""
    content = io.BytesIO()
    np.savez(content, vectors=vectors, seconds=np.float64(seconds))
    try:
        write_newest(path, content.getvalue(), MAX_DISK_ENTRIES)
    except OSError as error:
        logger.warning("embedding cache not written (%s)", error)


corpus_embeddings = EmbeddingCache()
"""The process-wide cache the rankers use."""


def bi_embedding_key(model: str, backend: str) -> tuple[str, str, str]:
    """The cache's key of a bi-encoder's document vectors (each backend's are cached apart)."""
    return "bi", model, backend
