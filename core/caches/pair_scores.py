"""Cache of (query, document) pair scores on disk, shared by the CLI and every app session.

A cross-encoder's scores are the most expensive numbers a comparison computes, and the same pairs come
back again and again (the same demo, the same shortlist at a deeper re-rank, a sweep). Each score is kept
with what it cost to compute (ms per pair, measured on its batch), so that a ranker answering from the
cache can still report the latency its model would have: a cached score makes a comparison faster, never
its timings rosier.

Entries live in one SQLite file under `CACHE_DIR`, keyed by a namespace (the model's weights fingerprint
and whatever else its scores depend on, such as the corpus's IDF statistics), the query text's hash and
the document id. SQLite serialises writers across processes; a locked, full or read-only disk only costs
the cache, never the scores.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from core.config import CACHE_DIR

logger = logging.getLogger(__name__)

SCHEMA = ("CREATE TABLE IF NOT EXISTS pair_scores (namespace TEXT, query TEXT, doc TEXT, score REAL, ms REAL, "
          "PRIMARY KEY (namespace, query, doc)) WITHOUT ROWID")
LOOKUP_CHUNK = 500
"""Documents looked up per SQL statement (SQLite caps the number of bound parameters)."""
MAX_BYTES = 1 << 30
"""Past this size the cache starts again empty (a score costs about 100 bytes: some 10 million fit)."""


class PairScoreCache:
    """Pair scores by (namespace, query, document id), with the cost each took to compute."""

    def __init__(self, path: Path, max_bytes: int = MAX_BYTES) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self._local = threading.local()

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection (SQLite connections are not shared across threads)."""
        connection = getattr(self._local, "connection", None)
        if connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=10)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")  # with WAL: durable enough for a cache, no fsync per write
            connection.execute(SCHEMA)
            self._local.connection = connection
        return connection

    def lookup(self, namespace: str, query: str, doc_ids: Sequence[str]) -> dict[str, tuple[float, float]]:
        """`{doc_id: (score, ms)}` for the cached pairs among `doc_ids` (empty when the cache cannot be read)."""
        key = _query_key(query)
        found: dict[str, tuple[float, float]] = {}
        try:
            connection = self._connection()
            for start in range(0, len(doc_ids), LOOKUP_CHUNK):
                chunk = list(doc_ids[start:start + LOOKUP_CHUNK])
                rows = connection.execute(
                    f"SELECT doc, score, ms FROM pair_scores WHERE namespace = ? AND query = ? "
                    f"AND doc IN ({', '.join('?' * len(chunk))})", (namespace, key, *chunk))
                found.update((doc, (score, ms)) for doc, score, ms in rows)
        except (sqlite3.Error, OSError) as error:
            logger.warning("pair score cache not read (%s)", error)
            return {}
        return found

    def keep(self, namespace: str, query: str, scores: dict[str, tuple[float, float]]) -> None:
        """Store `{doc_id: (score, ms)}` for `query`."""
        key = _query_key(query)
        try:
            connection = self._connection()
            if self._bytes() > self.max_bytes:
                self._start_again(connection)
            with connection:
                connection.executemany("INSERT OR REPLACE INTO pair_scores VALUES (?, ?, ?, ?, ?)",
                                       [(namespace, key, doc, score, ms) for doc, (score, ms) in scores.items()])
        except (sqlite3.Error, OSError) as error:
            logger.warning("pair score cache not written (%s)", error)

    def _start_again(self, connection: sqlite3.Connection) -> None:
        """Empty the cache and give its disk space back."""
        with connection:
            connection.execute("DELETE FROM pair_scores")
        connection.execute("VACUUM")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        logger.info("pair score cache past %d bytes: started again", self.max_bytes)

    def _bytes(self) -> int:
        """The database's size on disk, its write-ahead log included."""
        log = self.path.with_name(self.path.name + "-wal")
        return self.path.stat().st_size + (log.stat().st_size if log.exists() else 0)

    def scores(self, namespace: str | None, query: str, doc_ids: Sequence[str],
               compute: Callable[[list[str]], np.ndarray]) -> tuple[np.ndarray, float]:
        """Scores of `query` against `doc_ids`, computing only the pairs not cached, and the milliseconds the
        cached ones took when they were computed (0 when none came from the cache).

        Args:
            namespace: What the scores depend on besides query and document; None caches nothing.
            compute: Scores of `query` against the documents it is given, in their order.
        """
        if namespace is None or not doc_ids:
            return compute(list(doc_ids)), 0.0
        cached = self.lookup(namespace, query, doc_ids)
        missing = [doc for doc in dict.fromkeys(doc_ids) if doc not in cached]
        if missing:
            start = time.perf_counter()
            computed = compute(missing)
            each_ms = (time.perf_counter() - start) * 1000 / len(missing)
            fresh = {doc: (float(score), each_ms) for doc, score in zip(missing, computed.tolist())}
            self.keep(namespace, query, fresh)
        replayed_ms = sum(cached[doc][1] for doc in doc_ids if doc in cached)
        merged = {**cached, **fresh} if missing else cached
        return np.array([merged[doc][0] for doc in doc_ids], dtype=np.float32), replayed_ms


def _query_key(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()[:32]


pair_scores = PairScoreCache(CACHE_DIR / "pair_scores.sqlite3")
"""The cache every pair-scoring ranker uses."""
