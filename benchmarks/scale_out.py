"""Scale-out: what Ray Data costs over the single-process path, whether it grows with workers, and indexing a
million passages' vectors with bounded driver memory.

    python -m benchmarks.scale_out [--documents 3000] [--synthetic 1000000]

1. Encoding throughput (documents/s) of `python -m core index` on the same corpus, side by side: local (one
   process, all cores' threads), Ray with 1 worker (all threads: equal threads, so the difference is the engine's
   overhead), Ray with 2 workers (one thread each). Ray is started first and its start timed apart, as a job on a
   cluster that is already up would find it; each run's time includes its model load (actors load their own). The
   corpus is the sample's documents repeated under new ids.
2. Index building from Parquet embeddings (`index_embeddings`) for clustered unit vectors written shard by shard, at
   a quarter of `--synthetic` and at all of it, each in a fresh process: its resident memory after the imports, and
   its peak while indexing, set against the size of all vectors and of the index (IVF-SQ8 keeps one byte per
   dimension). Bounded memory shows as a peak that grows with the index, not with the vectors.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import re
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks._machine import machine_record, markdown_table, report
from benchmarks._synthetic import clustered_vectors
from core.data import load_dataset
from core.index import index_bytes
from core.scale.engine import start_ray
from core.scale.index_job import ROWS_PER_FILE, build, index_embeddings

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "beir"
DIM = 384
RUNS = (("local", 1), ("ray", 1), ("ray", 2))


def repeated_corpus(folder: Path, documents: int) -> Path:
    """The sample's documents repeated under new ids until there are `documents`, as JSONL shards."""
    corpus = load_dataset(SAMPLE).corpus
    rows = [{"_id": f"{corpus.ids[i % len(corpus)]}-{i}", "title": corpus.titles[i % len(corpus)],
             "text": corpus.texts[i % len(corpus)]} for i in range(documents)]
    shards = folder / "corpus"
    shards.mkdir()
    for part in range(4):
        (shards / f"part-{part}.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows[part::4]))
    return shards


def encoding(folder: Path, documents: int) -> tuple[list[dict], float]:
    """Each run's documents/s, and the seconds Ray took to start (before the runs)."""
    import ray

    corpus = repeated_corpus(folder, documents)
    start = time.perf_counter()
    start_ray(None)
    ray_start_s = time.perf_counter() - start
    rows = []
    for engine, workers in RUNS:
        manifest = build(corpus, folder / f"{engine}-{workers}", engine=engine, index_type="flat", workers=workers)
        rows.append({"engine": engine, "workers": workers, "encode_s": manifest.encode_s,
                     "docs_per_s": manifest.documents / manifest.encode_s})
        print(rows[-1], flush=True)
    ray.shutdown()
    return rows, ray_start_s


def resident_mb(field: str = "VmRSS") -> float:
    """This process's resident memory now ("VmRSS") or at its peak ("VmHWM"), in MB. (Not `getrusage`: its peak
    carries over a parent's across fork and exec.)"""
    return int(re.search(rf"{field}:\s+(\d+)", Path("/proc/self/status").read_text()).group(1)) / 1024


def index_in_child(folder: str, count: int) -> dict:
    """In a fresh process (so that its memory is the indexing's alone, as a CLI driver's would be): build seconds,
    recall@10, vectors indexed, index MB, and resident memory after the imports and at its peak, in MB."""
    baseline_mb = resident_mb()
    index, build_s, recall = index_embeddings(Path(folder), count, "ivf-sq8")
    peak_mb = resident_mb("VmHWM")  # before index_bytes serialises a copy
    return {"documents": index.ntotal, "build_s": build_s, "recall_at_10": recall,
            "index_mb": index_bytes(index) / 2**20, "baseline_rss_mb": baseline_mb, "peak_rss_mb": peak_mb}


def synthetic_index(folder: Path, count: int) -> dict:
    """`count` clustered vectors written as Parquet shards, then indexed (ivf-sq8) as `python -m core index` does."""
    embeddings = folder / "embeddings"
    embeddings.mkdir(parents=True)
    for part, start in enumerate(range(0, count, ROWS_PER_FILE)):
        size = min(ROWS_PER_FILE, count - start)
        vectors = clustered_vectors(size, DIM, stream=part + 2)
        flat = pa.array(vectors.reshape(-1), type=pa.float32())
        pq.write_table(pa.table({"id": [f"d{start + i}" for i in range(size)],
                                 "vector": pa.FixedSizeListArray.from_arrays(flat, DIM)}),
                       embeddings / f"part-{part:05d}.parquet")
    start = time.perf_counter()
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as child:
        measured = child.submit(index_in_child, str(folder), count).result()
    return {**measured, "wall_s": time.perf_counter() - start, "vectors_mb": count * DIM * 4 / 2**20,
            "indexing_mb": measured["peak_rss_mb"] - measured["baseline_rss_mb"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=6000)
    parser.add_argument("--synthetic", type=int, default=1_000_000)
    args = parser.parse_args()
    machine = machine_record()
    with tempfile.TemporaryDirectory(prefix="arena-scale-") as scratch:
        rows, ray_start_s = encoding(Path(scratch), args.documents)
        sizes = [synthetic_index(Path(scratch) / f"synthetic-{count}", count)
                 for count in (args.synthetic // 4, args.synthetic)]
    local = rows[0]["docs_per_s"]
    table = [[row["engine"], row["workers"], row["docs_per_s"], row["docs_per_s"] / local] for row in rows]
    tables = {
        f"Encoding {args.documents:,} documents (bi-encoder, ONNX Runtime), documents/s; Ray started first in "
        f"{ray_start_s:.1f} s": markdown_table(["engine", "workers", "documents/s", "× local"], table),
        "Indexing synthetic vectors from Parquet shards (ivf-sq8), driver memory in MB":
            markdown_table(["vectors", "build s", "recall@10", "all vectors", "index", "after imports", "peak",
                            "peak − after imports"],
                           [[f"{big['documents']:,}", big["build_s"], big["recall_at_10"], big["vectors_mb"],
                             big["index_mb"], big["baseline_rss_mb"], big["peak_rss_mb"], big["indexing_mb"]]
                            for big in sizes]),
    }
    report("scale_out", machine, {"documents": args.documents, "synthetic": args.synthetic, "runs": RUNS},
           {"encoding": rows, "ray_start_s": ray_start_s, "synthetic_index": sizes}, tables)


if __name__ == "__main__":
    main()
