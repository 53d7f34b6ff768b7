"""The data a browser session loaded, kept on the server so that a reload (or a link naming it) finds it again.

A session's data lives in its memory and dies with it: a reload, or a URL edited by hand, starts a new session.
So each loaded data set is also written here (atomically, the newest `MAX_ENTRIES` kept) under its content hash,
with its training split and the comparison last shown on it (as the spec's dict: the comparison itself is in the
comparison cache). The hash names nothing guessable: a link carrying it opens the data only for someone who has
it, or has been sent it.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.caches.disk import write_newest
from core.config import CACHE_DIR
from core.types import Corpus, Dataset, Queries

logger = logging.getLogger(__name__)

FOLDER = CACHE_DIR / "loaded"
MAX_ENTRIES = 32
MAX_CHARACTERS = 100_000_000
"""Data larger than this (its texts, in characters) is not kept: writing it would hold the session for seconds and
the disk for gigabytes; a reload then asks for it again."""
KEY = re.compile(r"[0-9a-f]{16}")


@dataclass(frozen=True)
class Loaded:
    """What a session had loaded: the data, its training split and how it was made, and the comparison spec last
    shown on it (a dict, `ComparisonSpec.to_dict`'s; None before any)."""

    dataset: Dataset
    training: Dataset | None
    split_how: str
    spec: dict[str, Any] | None


def keep_loaded(dataset: Dataset, training: Dataset | None, split_how: str, folder: Path = FOLDER) -> str:
    """Keep `dataset` (and its training split) for a later session, unless its texts pass `MAX_CHARACTERS`; returns
    its key. A full or read-only disk only costs the keeping (logged)."""
    key = dataset.content_hash
    size = sum(map(len, dataset.corpus.texts)) + sum(map(len, dataset.queries.texts))
    if size > MAX_CHARACTERS:
        logger.info("loaded data %s not kept: %d characters", key, size)
        return key
    content = {"dataset": _fields(dataset), "training": None if training is None else _fields(training),
               "split_how": split_how}
    try:
        write_newest(folder / "data" / f"{key}.json", json.dumps(content, ensure_ascii=False).encode(), MAX_ENTRIES)
    except OSError as error:
        logger.warning("loaded data not kept (%s)", error)
    return key


def keep_spec(key: str, spec: dict[str, Any], folder: Path = FOLDER) -> None:
    """Remember `spec` as the comparison last shown on the data kept under `key`."""
    try:
        write_newest(folder / "specs" / f"{key}.json", json.dumps(spec).encode(), MAX_ENTRIES)
    except OSError as error:
        logger.warning("comparison spec not kept (%s)", error)


def read_loaded(key: str, folder: Path = FOLDER) -> Loaded | None:
    """What `keep_loaded` and `keep_spec` kept under `key`, or None (an unknown, malformed or damaged key)."""
    if not KEY.fullmatch(key):
        return None
    try:
        content = json.loads((folder / "data" / f"{key}.json").read_text(encoding="utf-8"))
        dataset = _dataset(content["dataset"])
        training = None if content["training"] is None else _dataset(content["training"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        if not isinstance(error, FileNotFoundError):
            logger.warning("kept data %s not read (%s)", key, error)
        return None
    try:
        spec = json.loads((folder / "specs" / f"{key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        spec = None
    return Loaded(dataset, training, content["split_how"], spec)


def _fields(dataset: Dataset) -> dict[str, Any]:
    corpus, queries = dataset.corpus, dataset.queries
    return {"corpus": [corpus.ids, corpus.texts, corpus.titles, corpus.source, corpus.notes],
            "queries": [queries.ids, queries.texts, queries.source, queries.notes, dict(queries.fields)],
            "qrels": dataset.qrels, "name": dataset.name, "notes": dataset.notes, "split": dataset.split,
            "held_out": dataset.held_out}


def _dataset(fields: dict[str, Any]) -> Dataset:
    ids, texts, titles, source, notes = fields["corpus"]
    query_ids, query_texts, query_source, query_notes, query_fields = fields["queries"]
    held_out = fields["held_out"]
    return Dataset(Corpus(ids, texts, titles, source, tuple(notes)),
                   Queries(query_ids, query_texts, query_source, tuple(query_notes), query_fields),
                   fields["qrels"], fields["name"], tuple(fields["notes"]), fields["split"],
                   None if held_out is None else tuple(held_out))
