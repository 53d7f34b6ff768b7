"""One contestant's document encoder as a batch function: loaded once per worker (a Ray Data actor, or this
process) on the worker's device, it turns a batch of documents into `{id, vector, model}` rows of normalised float32
embeddings."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from core.config import ModelPolicy
from core.contestants.registry import kind_of, kinds, parse_contestant
from core.contestants.spec import SpecError
from core.data import corpus_row
from core.devices import resolve_device
from core.models.sources import model_fingerprint
from core.rankers.build import BuildContext, build_ranker
from core.scale.shards import Batch


class DocumentEncoder:
    """The document side of contestant `contestant` (a `--ranker` spec), for `map_batches` or a local loop.

    Args:
        contestant: e.g. "name=bi,kind=bi,model=embedded".
        threads: Torch threads of this worker (one per worker when several share a machine's cores).
        device: Where its model runs, resolved on the worker (`core.devices.resolve_device`): "cuda" on a Ray worker
            that reserved a GPU takes the one Ray gave it.

    Raises:
        core.devices.DeviceError: When the worker does not have `device`.
    """

    def __init__(self, contestant: str, threads: int | None = None, device: str = "cpu") -> None:
        import torch

        if threads:
            torch.set_num_threads(threads)
        spec = parse_contestant(contestant)
        if not kind_of(spec).prebuilt_index:
            indexable = ", ".join(kind.name for kind in kinds().values() if kind.prebuilt_index)
            raise SpecError(f"contestant {spec.name!r}: a {spec.kind} has no document encoder to index with; "
                            f"use one of {indexable}")
        self.device = resolve_device(device)
        self.ranker = build_ranker(spec, BuildContext(ModelPolicy(), device=self.device))
        self.model = model_fingerprint(spec.model) or spec.model  # each row says which weights made it
        self.dim = int(self.ranker.encode_queries(["dimension probe"]).shape[1])

    def encode(self, batch: Batch) -> pa.Table:
        """`{id, vector, model}` of a batch: vectors as fixed-size float32 lists (the same bytes whichever engine ran),
        and the model's weights fingerprint."""
        vectors = (np.ascontiguousarray(self.ranker.encode_queries(batch.passages()), dtype=np.float32) if len(batch)
                   else np.empty((0, self.dim), dtype=np.float32))
        flat = pa.array(vectors.reshape(-1), type=pa.float32())
        return pa.table({"id": pa.array(batch.ids, type=pa.string()),
                         "vector": pa.FixedSizeListArray.from_arrays(flat, self.dim),
                         "model": pa.array([self.model] * len(batch), type=pa.string())})

    def __call__(self, table: pa.Table) -> pa.Table:
        """Ray Data's entry: a batch of raw corpus records (as read from JSONL or Parquet)."""
        rows = [row for number, record in enumerate(table.to_pylist(), 1)
                if (row := corpus_row(record, "corpus shard", number)) is not None]
        return self.encode(Batch([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]))
