"""`python -m core index`: encode a corpus with a contestant's document encoder, on Ray Data or in this process,
write the embeddings to Parquet, build a FAISS index from them shard by shard, and describe it in a manifest.

The driver never holds all vectors: encoding streams batch by batch (`local`) or runs in Ray workers that write
Parquet themselves (`ray`); the index is trained on a sample and then filled batch by batch; recall@10
against exact search is measured on sampled documents as queries, the exact top 10 again streamed batch by batch.
Both engines run the same `DocumentEncoder` on the same batches of records, so they give the same vectors (on the
same kind of device: a GPU computes in bfloat16, which moves vectors by about 1e-2). The local engine encodes on
`--device`; Ray's workers on the GPU each reserves with `--gpus-per-worker`, else on their CPUs.

Layout of INDEX_DIR: `embeddings/*.parquet` (id, vector, model fingerprint), `index.faiss`, `ids.jsonl` (the doc id
of each index row), `manifest.json` (`IndexManifest`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import faiss
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from core.contestants.registry import parse_contestant
from core.data import DataError
from core.index import IndexType, new_index, train_index, training_size
from core.models.sources import model_fingerprint
from core.rankers.build import describe
from core.scale.encoder import DocumentEncoder
from core.scale.engine import ENGINES, check_ray_gpus, job_device, map_arguments, start_ray, threads_per_worker
from core.scale.shards import batches, corpus_files, corpus_hash, is_parquet

Progress = Callable[[str, float], None]
MANIFEST = "manifest.json"
ROWS_PER_FILE = 50_000
READ_ROWS = 16_384
RECALL_QUERIES = 100
DEFAULT_CONTESTANT = "name=bi-encoder,kind=bi"


@dataclass(frozen=True)
class IndexManifest:
    """What an index directory holds and how it was made; `compare --index` checks the first three.

    `device` is where the documents were encoded: the local engine's device ("cpu", "cuda:0", "mps"), or on Ray
    "cuda" (each worker on the GPU it reserved, `gpus_per_worker` of one each) or "cpu". Manifests written before
    devices were recorded read as "cpu".
    """

    contestant: str
    fingerprint: str | None
    corpus_hash: str
    model: str
    documents: int
    dim: int
    index: str
    engine: str
    workers: int
    batch_size: int
    encode_s: float
    build_s: float
    recall_at_10: float | None
    device: str = "cpu"
    gpus_per_worker: float = 0.0


def build(data: Path, out: Path, contestant: str = DEFAULT_CONTESTANT, engine: str = "local",
          index_type: IndexType = "ivf-sq8", batch_size: int = 256, workers: int = 1, address: str | None = None,
          progress: Progress = lambda message, fraction: None, device: str = "cpu",
          gpus_per_worker: float = 0.0) -> IndexManifest:
    """Encode `data`'s corpus with `contestant`'s document encoder on `engine` and index it into `out`.

    Args:
        workers: Encoders at once (Ray actors; the local engine has one); each gets cores // workers threads.
        address: A Ray cluster to join ("auto", "ray://host:port"); None starts a local Ray with this machine's cores.
        device: The local engine's device ("auto", "cpu", "cuda", ...: `core.scale.engine.local_device`).
        gpus_per_worker: GPUs each Ray worker reserves, its encoder running on its GPU (0: on its CPUs); with the
            local engine, more than 0 encodes on CUDA in this process.

    Raises:
        DataError / SpecError / ValueError: Bad data, contestant or settings; GPUs asked for where there are none
            (`core.devices.DeviceError` on the local engine).
    """
    if engine not in ENGINES:
        raise ValueError(f"engine {engine!r}: choose {' or '.join(ENGINES)}")
    where = job_device(engine, device, gpus_per_worker)  # before any work
    spec = parse_contestant(contestant)
    files = corpus_files(data)
    progress("hashing the corpus (to tie the index to it)", 0.0)
    content_hash, documents = corpus_hash(files)
    embeddings = out / "embeddings"
    embeddings.mkdir(parents=True, exist_ok=True)
    for stale in embeddings.glob("*.parquet"):
        stale.unlink()
    threads = threads_per_worker(workers)
    start = time.perf_counter()
    if engine == "ray":
        _encode_on_ray(files, embeddings, contestant, batch_size, workers, threads, address, progress, gpus_per_worker,
                       where)
    else:
        _encode_here(files, embeddings, contestant, batch_size, threads, documents, progress, where)
    encode_s = time.perf_counter() - start
    index, build_s, recall = index_embeddings(out, documents, index_type, progress)
    manifest = IndexManifest(contestant, model_fingerprint(spec.model), content_hash, describe(spec), index.ntotal,
                             index.d, index_type, engine, workers if engine == "ray" else 1, batch_size, encode_s,
                             build_s, recall, where, gpus_per_worker)
    (out / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2) + "\n")
    progress(f"indexed {index.ntotal:,} documents", 1.0)
    return manifest


def read_manifest(folder: Path) -> IndexManifest:
    """The manifest of an index directory.

    Raises:
        DataError: Naming the folder, when it is not an index directory (or a damaged one).
    """
    path = Path(folder).expanduser() / MANIFEST
    try:
        return IndexManifest(**json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise DataError(str(folder), f"not an index directory (no {MANIFEST}; build one with python -m core index)")
    except (OSError, ValueError, TypeError) as error:
        raise DataError(str(path), f"damaged manifest ({type(error).__name__})") from None


def read_vectors(folder: Path) -> Iterator[tuple[list[str], np.ndarray]]:
    """(ids, `[n, dim]` vectors) of an index directory's embeddings, `READ_ROWS` at a time, files in name order.

    A reader holds one batch, whatever the size of the files or the corpus: each batch's memory goes back to the
    system before the next is read (Arrow's pool would keep it cached). Keep a copy of what must outlive the loop.
    """
    pool = pa.default_memory_pool()
    for file in sorted((Path(folder) / "embeddings").glob("*.parquet")):
        with pq.ParquetFile(file) as reader:
            for batch in reader.iter_batches(batch_size=READ_ROWS, columns=["id", "vector"]):
                vectors = batch.column("vector")
                dim = vectors.type.list_size
                yield (batch.column("id").to_pylist(),
                       np.asarray(vectors.flatten().to_numpy().reshape(-1, dim), np.float32))
                del batch, vectors
                pool.release_unused()


def index_embeddings(out: Path, documents: int, index_type: IndexType,
                     progress: Progress = lambda message, fraction: None) -> tuple[faiss.Index, float, float | None]:
    """The FAISS index of the Parquet embeddings in `out` (written to `out`), the seconds building it took, and its
    recall@10 against exact search; memory holds the index, the training sample and one batch of vectors at a time,
    never all vectors."""
    start = time.perf_counter()
    index = _index_from_shards(out, documents, index_type, progress)
    build_s = time.perf_counter() - start
    progress("measuring recall@10 against exact search", 0.95)
    return index, build_s, _recall_at_10(index, out)


def _encode_here(files: list[Path], embeddings: Path, contestant: str, batch_size: int, threads: int,
                 documents: int, progress: Progress, device: str) -> None:
    """The local engine: one encoder in this process on `device`, a Parquet file every `ROWS_PER_FILE` documents."""
    encoder = DocumentEncoder(contestant, threads, device)
    tables, rows, done, part = [], 0, 0, 0
    for batch in batches(files, batch_size):
        tables.append(encoder.encode(batch))
        rows += len(batch)
        done += len(batch)
        progress(f"encoding: {done:,} of {documents:,} documents", 0.9 * done / max(1, documents))
        if rows >= ROWS_PER_FILE:
            pq.write_table(pa.concat_tables(tables), embeddings / f"part-{part:05d}.parquet")
            tables, rows, part = [], 0, part + 1
    if tables:
        pq.write_table(pa.concat_tables(tables), embeddings / f"part-{part:05d}.parquet")


def _encode_on_ray(files: list[Path], embeddings: Path, contestant: str, batch_size: int, workers: int,
                   threads: int, address: str | None, progress: Progress, gpus_per_worker: float, device: str) -> None:
    """The Ray engine: the corpus read as Ray Data, `DocumentEncoder` actors (one model load each, on the GPU each
    reserves when `gpus_per_worker` > 0) in `map_batches`, Parquet written by the workers."""
    import ray

    start_ray(address)
    check_ray_gpus(workers, gpus_per_worker)
    paths = [str(file) for file in files]
    reader = ray.data.read_parquet if is_parquet(files) else partial(ray.data.read_json, lines=True)
    corpus = reader(paths, num_cpus=0)  # reading is light; the cores are the encoders' (else they deadlock, waiting)
    gpus = f" and {gpus_per_worker:g} GPU" if gpus_per_worker > 0 else ""
    progress(f"encoding on Ray: {workers} worker(s), {threads} thread(s){gpus} each", 0.05)
    encoder = {"contestant": contestant, "threads": threads, "device": device}
    encoded = corpus.map_batches(DocumentEncoder, fn_constructor_kwargs=encoder,
                                 **map_arguments(workers, threads, gpus_per_worker, batch_size))
    encoded.write_parquet(str(embeddings), min_rows_per_file=ROWS_PER_FILE, ray_remote_args={"num_cpus": 0})


def _dimension(embeddings: Path) -> int:
    files = sorted(embeddings.glob("*.parquet"))
    if not files:
        raise DataError(str(embeddings), "no embeddings were written (the corpus has no document with text)")
    return pq.read_schema(files[0]).field("vector").type.list_size


def _index_from_shards(out: Path, documents: int, index_type: IndexType, progress: Progress) -> faiss.Index:
    """Train on the first vectors (as many as the index samples), then add them batch by batch; write the index and
    its ids."""
    index = new_index(_dimension(out / "embeddings"), documents, index_type)
    if wanted := training_size(index):
        sample, filled = np.empty((wanted, index.d), np.float32), 0
        for _, vectors in read_vectors(out):
            taken = min(len(vectors), wanted - filled)
            sample[filled:filled + taken] = vectors[:taken]
            filled += taken
            if filled == wanted:
                break
        train_index(index, sample[:filled])
        del sample  # before the vectors are added: the driver holds one batch of them at a time
    with (out / "ids.jsonl").open("w", encoding="utf-8") as ids_file:
        for ids, vectors in read_vectors(out):
            index.add(vectors)
            ids_file.writelines(json.dumps(item_id) + "\n" for item_id in ids)
            progress(f"indexing: {index.ntotal:,} of {documents:,} documents", 0.9 + 0.05 * index.ntotal / documents)
    faiss.write_index(index, str(out / "index.faiss"))
    return index


def _recall_at_10(index: faiss.Index, out: Path) -> float | None:
    """Mean share of the exact top 10 the index finds, for sampled documents as queries (None: nothing to test)."""
    if isinstance(index, faiss.IndexFlat) or index.ntotal < 11:
        return 1.0 if index.ntotal else None
    rng = np.random.default_rng(0)
    rows = np.sort(rng.choice(index.ntotal, min(RECALL_QUERIES, index.ntotal), replace=False))
    queries = _rows(out, rows)
    best = np.full((len(queries), 10), -np.inf, dtype=np.float32)
    best_rows = np.full((len(queries), 10), -1)
    offset = 0
    for _, vectors in read_vectors(out):
        scores = queries @ vectors.T
        merged = np.concatenate([best, scores], axis=1)
        merged_rows = np.concatenate([best_rows, np.broadcast_to(np.arange(offset, offset + len(vectors)),
                                                                 scores.shape)], axis=1)
        top = np.argsort(-merged, axis=1, kind="stable")[:, :10]
        best, best_rows = np.take_along_axis(merged, top, 1), np.take_along_axis(merged_rows, top, 1)
        offset += len(vectors)
    _, found = index.search(queries, 10)
    return float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, best_rows)]))


def _rows(out: Path, rows: np.ndarray) -> np.ndarray:
    """The vectors at index rows `rows` (sorted), read file by file."""
    picked, offset = [], 0
    for _, vectors in read_vectors(out):
        inside = rows[(rows >= offset) & (rows < offset + len(vectors))] - offset
        picked.append(vectors[inside])
        offset += len(vectors)
    return np.concatenate(picked)
