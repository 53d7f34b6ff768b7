"""Scale-out: what Ray Data costs over the single-process path, whether it grows with workers, and indexing a
million passages' vectors with bounded driver memory.

    python -m benchmarks.scale_out [--documents 3000] [--synthetic 1000000]

1. Encoding throughput (documents/s) of `python -m core index` on the same corpus, side by side: local (one
   process, all cores' threads), Ray with 1 worker (all threads: equal threads, so the difference is the engine's
   overhead), Ray with 2 workers (one thread each). The corpus is the sample's documents repeated under new ids.
2. Index building from Parquet embeddings (`index_embeddings`) for `--synthetic` clustered unit vectors written
   shard by shard, in a fresh process whose peak memory is set against the size of all vectors (the IVF-SQ8 index
   itself holds a quarter of it, one byte per dimension).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks._machine import machine_record, markdown_table, report
from benchmarks._synthetic import clustered_vectors
from core.data import load_dataset
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


def encoding(folder: Path, documents: int) -> list[dict]:
    import ray

    corpus = repeated_corpus(folder, documents)
    rows = []
    for engine, workers in RUNS:
        manifest = build(corpus, folder / f"{engine}-{workers}", engine=engine, index_type="flat", workers=workers)
        rows.append({"engine": engine, "workers": workers, "encode_s": manifest.encode_s,
                     "docs_per_s": manifest.documents / manifest.encode_s})
        print(rows[-1], flush=True)
    ray.shutdown()
    return rows


def index_in_child(folder: str, count: int) -> tuple[float, float | None, int, float]:
    """In a fresh process (so that its peak memory is the indexing's alone, as a CLI driver's would be): build
    seconds, recall@10, vectors indexed, and the process's peak resident memory in MB."""
    index, build_s, recall = index_embeddings(Path(folder), count, "ivf-sq8")
    return build_s, recall, index.ntotal, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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
        build_s, recall, documents, peak_mb = child.submit(index_in_child, str(folder), count).result()
    return {"documents": documents, "build_s": build_s, "recall_at_10": recall, "wall_s": time.perf_counter() - start,
            "vectors_mb": count * DIM * 4 / 2**20, "driver_peak_rss_mb": peak_mb}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=3000)
    parser.add_argument("--synthetic", type=int, default=1_000_000)
    args = parser.parse_args()
    machine = machine_record()
    with tempfile.TemporaryDirectory(prefix="arena-scale-") as scratch:
        rows = encoding(Path(scratch), args.documents)
        big = synthetic_index(Path(scratch) / "synthetic", args.synthetic)
    local = rows[0]["docs_per_s"]
    table = [[row["engine"], row["workers"], row["docs_per_s"], row["docs_per_s"] / local] for row in rows]
    tables = {
        f"Encoding {args.documents:,} documents (bi-encoder, ONNX Runtime), documents/s":
            markdown_table(["engine", "workers", "documents/s", "× local"], table),
        f"Indexing {big['documents']:,} synthetic vectors from Parquet shards (ivf-sq8)":
            markdown_table(["build s", "recall@10", "all vectors MB", "driver peak RSS MB"],
                           [[big["build_s"], big["recall_at_10"], big["vectors_mb"], big["driver_peak_rss_mb"]]]),
    }
    report("scale_out", machine, {"documents": args.documents, "synthetic": args.synthetic, "runs": RUNS},
           {"encoding": rows, "synthetic_index": big}, tables)


if __name__ == "__main__":
    main()
