"""Per-process cache of corpus embeddings, keyed by (model, corpus content hash).

Encoding a corpus is the most expensive step a comparison repeats; a re-run with the same model and
the same corpus (whatever the file it came from) reuses the vectors. The cache is bounded and
thread-safe, since the Streamlit server runs sessions in threads.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

import numpy as np


class EmbeddingCache:
    """A small LRU map from `(model key, corpus hash)` to a read-only `[docs, dim]` array."""

    def __init__(self, max_entries: int = 16) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[Hashable, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_compute(self, model_key: Hashable, corpus_hash: str,
                       compute: Callable[[], np.ndarray]) -> np.ndarray:
        """Cached vectors for this model and corpus, computing (outside the lock) on a miss."""
        key = (model_key, corpus_hash)
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        vectors = np.ascontiguousarray(compute(), dtype=np.float32)
        vectors.setflags(write=False)
        with self._lock:
            self._entries[key] = vectors
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return vectors

    def clear(self) -> None:
        """Forget every cached array (benchmarks use this to measure a cold run)."""
        with self._lock:
            self._entries.clear()


corpus_embeddings = EmbeddingCache()
"""The process-wide cache the rankers use."""
