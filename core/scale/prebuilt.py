"""Opening a prebuilt index directory (`python -m core index`) for a comparison: its vectors replace encoding the
corpus, for the contestants whose document encoder built it, and only on the corpus it was built from."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.caches.embeddings import bi_embedding_key, corpus_embeddings
from core.config import OPEN_POLICY, ModelPolicy
from core.contestants.registry import parse_contestant, plan
from core.contestants.spec import ComparisonSpec
from core.data import DataError
from core.scale.index_job import IndexManifest, read_manifest, read_vectors
from core.types import Corpus


def open_prebuilt(folder: Path, corpus: Corpus, spec: ComparisonSpec,
                  policy: ModelPolicy = OPEN_POLICY) -> tuple[IndexManifest, list[str]]:
    """Make the vectors of index directory `folder` the document vectors of the contestants of `spec` it was built
    for (same kind, model and backend); returns its manifest and their names. A restricted `policy` (server mode)
    allows index directories only inside its model folders, as it does models.

    Raises:
        DataError: Naming the folder, when it is not allowed here, or was built on another corpus or by a model no
            contestant uses.
    """
    folder = Path(folder).expanduser()
    allowed = (folder.resolve().is_relative_to(place.resolve()) for place in policy.model_dirs)
    if policy.restricted and not any(allowed):
        raise DataError(str(folder), "not allowed on this server: index directories must be inside the allowed model "
                                     "folders (ARENA_MODEL_DIRS)")
    manifest = read_manifest(folder)
    if manifest.corpus_hash != corpus.content_hash:
        raise DataError(str(folder), f"built on another corpus ({manifest.documents:,} documents), not on this one "
                                     f"({len(corpus):,} documents): build it from this data with python -m core index")
    built = parse_contestant(manifest.contestant)
    users = [step.name for step in plan(spec) if step.contestant.kind == built.kind
             and step.contestant.model == built.model
             and step.contestant.option("backend") == built.option("backend")]  # what the vectors depend on
    if not users:
        raise DataError(str(folder), f"built by {manifest.model}, which no contestant here uses: add "
                                     f"--ranker {manifest.contestant!r}, or build the index with a contestant's spec")
    vectors = np.zeros((len(corpus), manifest.dim), dtype=np.float32)
    for ids, shard in read_vectors(folder):
        vectors[[corpus.position(item_id) for item_id in ids]] = shard
    corpus_embeddings.put(bi_embedding_key(built.model, built.option("backend")), corpus.content_hash, vectors,
                          manifest.encode_s)
    return manifest, users
