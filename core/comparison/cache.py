"""Finished comparisons on disk, so that the same comparison in a new process is answered without a model.

A comparison is keyed by the content of everything its numbers depend on: the dataset (corpus, queries,
qrels), the comparison spec, the weights and files its contestants read (fingerprints by name, size and
modification time), and the source of `core` itself, so that a change to any of them is a miss, never a
stale answer. Entries are JSON, written atomically; the latencies they hold are those measured when the
comparison was computed. Contestants whose model cannot be fingerprinted without the network (a Hugging
Face id) make a comparison uncacheable.
"""

from __future__ import annotations

import hashlib
import json
import logging
from functools import lru_cache
from pathlib import Path

from core.caches.disk import write_newest
from core.comparison.results import Comparison, described_by
from core.comparison.saved import comparison_fields, comparison_from_fields
from core.config import CACHE_DIR, WEIGHTS_DIR
from core.contestants.registry import device, kind_of
from core.contestants.spec import ComparisonSpec, ContestantSpec
from core.devices import DeviceError
from core.models.sources import model_fingerprint
from core.types import Dataset

logger = logging.getLogger(__name__)

FOLDER = CACHE_DIR / "comparisons"
MAX_ENTRIES = 64
CORE_DIR = Path(__file__).resolve().parents[1]


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of every Python source file of `core` (what computes the numbers)."""
    digest = hashlib.sha256()
    for file in sorted(CORE_DIR.rglob("*.py")):
        digest.update(str(file.relative_to(CORE_DIR)).encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def _contestant_fingerprint(entry: ContestantSpec) -> str | None:
    """What `entry` reads besides the data: its model's weights and any file an option names; None when unknown."""
    parts = []
    if kind_of(entry).has_model:
        weights = model_fingerprint(entry.model, WEIGHTS_DIR)
        if weights is None:
            return None
        parts.append(weights)
    for name, value in entry.options:
        if isinstance(value, str) and value and Path(value).expanduser().is_file():
            stat = Path(value).expanduser().stat()
            parts.append(f"{name}:{stat.st_size}:{stat.st_mtime_ns}")
    return "|".join(parts)


def comparison_key(dataset: Dataset, spec: ComparisonSpec) -> str | None:
    """The cache key of `spec` run on `dataset`, or None when a contestant's inputs cannot be fingerprinted."""
    contestants = [_contestant_fingerprint(entry) for entry in spec.contestants]
    if any(fingerprint is None for fingerprint in contestants):
        return None
    try:
        where = device(spec)  # "auto" on this machine: a GPU's comparison is not the CPU's
    except DeviceError:
        return None
    content = json.dumps([dataset.content_hash, spec.to_dict(), where, contestants, code_fingerprint()],
                         sort_keys=True)
    return hashlib.sha256(content.encode()).hexdigest()[:32]


def is_cached(dataset: Dataset, spec: ComparisonSpec) -> bool:
    """Whether `read_comparison` would find this comparison (without reading it)."""
    key = comparison_key(dataset, spec)
    return key is not None and (FOLDER / f"{key}.json").is_file()


def read_comparison(dataset: Dataset, spec: ComparisonSpec) -> Comparison | None:
    """The comparison `spec` on `dataset` computed earlier by any process, or None. Its numbers are the content's;
    its name and reading notes are this load's (equal content read from another folder or file keeps its own)."""
    key = comparison_key(dataset, spec)
    if key is None:
        return None
    try:
        found = comparison_from_fields(spec, json.loads((FOLDER / f"{key}.json").read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, KeyError):
        return None
    logger.info("comparison %s read from the cache", key)
    return described_by(found, dataset)


def keep_comparison(dataset: Dataset, comparison: Comparison) -> None:
    """Store `comparison` (of `dataset`) for later processes; a full or read-only disk only costs the cache."""
    key = comparison_key(dataset, comparison.spec)
    if key is None:
        return
    try:
        write_newest(FOLDER / f"{key}.json", json.dumps(comparison_fields(comparison)).encode(), MAX_ENTRIES)
    except OSError as error:
        logger.warning("comparison not cached (%s)", error)
