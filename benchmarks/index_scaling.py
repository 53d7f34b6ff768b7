"""Bi-encoder query latency (encode + search) p50/p95, index memory and recall@10 over 10k, 100k and 1M documents.

Documents are synthetic clustered vectors (see benchmarks/_synthetic.py); indexes are built by
`core.index.build_index`, the app's own builder. Per size and index type: build time, memory (the
serialised index), recall@10 against exact search, and search latency of one query at a time. The
query encoding is measured on real queries (the sample data's), once per backend, and each query's
total latency is its encoding time plus its search time, paired query by query.

    python -m benchmarks.index_scaling                          # about 5-8 minutes on 2 busy cores
    python -m benchmarks.index_scaling --sizes 10000 100000     # a quick look
    python -m benchmarks.index_scaling --slow-types-up-to 1000000   # HNSW and IVF-flat at 1M too (slow builds)
"""

from __future__ import annotations

import argparse
import time
from functools import partial

import numpy as np

from benchmarks._machine import machine_record, markdown_table, percentiles, report, time_ms
from benchmarks._synthetic import Clusters, clustered_vectors, neighbour_cosines
from core.data.samples import load_sample
from core.index import INDEX_TYPES, build_index, index_bytes, search_index
from core.models.loading import load_bi_encoder
from core.models.sources import EMBEDDED

K = 10
SLOW_TYPES = ("hnsw", "ivf")  # HNSW builds slowly at 1M; IVF-flat is as big as flat there


def encode_latencies(backends: list[str], queries: int) -> dict[str, list[float]]:
    """ms to encode each of `queries` real queries (the sample data's, cycled), per backend."""
    texts = list(load_sample().queries.texts)
    latencies = {}
    for backend in backends:
        model = load_bi_encoder(EMBEDDED, backend)
        model.encode(texts[:1], normalize_embeddings=True)  # warm-up
        latencies[backend] = [time_ms(partial(model.encode, [texts[i % len(texts)]], normalize_embeddings=True,
                                              show_progress_bar=False)) for i in range(queries)]
    return latencies


def recall_at_k(exact_rows: np.ndarray, rows: np.ndarray) -> float:
    """Mean share of the exact top-k each query's approximate top-k recovers."""
    return float(np.mean([len(set(a) & set(b)) / len(a) for a, b in zip(exact_rows, rows)]))


def measure_size(n: int, index_types: list[str], queries: np.ndarray, clusters: Clusters) -> tuple[list, dict]:
    """Build each index over `n` vectors and measure it; returns rows and the neighbour cosines."""
    vectors = clustered_vectors(n, queries.shape[1], clusters)
    rows, exact_rows, hardness = [], None, {}
    for index_type in index_types:
        start = time.perf_counter()
        index = build_index(vectors, index_type)
        build_s = time.perf_counter() - start
        scores, found = search_index(index, queries, K)
        if index_type == "flat":
            exact_rows, hardness = found, neighbour_cosines(scores)
        search_index(index, queries[:1], K)  # warm-up
        search_ms = [time_ms(partial(search_index, index, row[None, :], K)) for row in queries]
        rows.append({"documents": n, "index": index_type, "build_s": build_s, "bytes": index_bytes(index),
                     "recall@10": recall_at_k(exact_rows, found), "search_ms": search_ms})
    return rows, hardness


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--types", nargs="+", default=list(INDEX_TYPES), choices=INDEX_TYPES)
    parser.add_argument("--slow-types-up-to", type=int, default=100_000,
                        help=f"largest size at which {' and '.join(SLOW_TYPES)} are built")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--backends", nargs="+", default=["torch", "onnx-int8"])
    args = parser.parse_args()
    machine = machine_record()
    clusters = Clusters()
    dim = load_bi_encoder().get_embedding_dimension()
    queries = clustered_vectors(args.queries, dim, clusters, stream=1)
    encode_ms = encode_latencies(args.backends, args.queries)
    rows, hardness = [], {}
    for n in args.sizes:
        types = ["flat", *(t for t in args.types if t != "flat" and (t not in SLOW_TYPES or n <= args.slow_types_up_to))]
        size_rows, hardness[n] = measure_size(n, types, queries, clusters)
        for row in size_rows:
            row["search"] = percentiles(row["search_ms"])
            row["total"] = {backend: percentiles(np.add(row["search_ms"], encode_ms[backend]))
                            for backend in args.backends}
        rows += size_rows
        print(f"{n:,} documents done", flush=True)
    headers = ["documents", "index", "MB", "recall@10", "build s", "search p50 ms", "search p95 ms",
               *(f"{label} {b} ms" for b in args.backends for label in ("total p50", "total p95"))]
    table = [[r["documents"], r["index"], r["bytes"] / 2**20, r["recall@10"], r["build_s"], r["search"]["p50"],
              r["search"]["p95"], *(r["total"][b][p] for b in args.backends for p in ("p50", "p95"))] for r in rows]
    encode_table = [[b, *(percentiles(encode_ms[b])[p] for p in ("p50", "p95"))] for b in args.backends]
    tables = {"Query encoding, ms (real queries, one at a time)": markdown_table(["backend", "p50", "p95"],
                                                                               encode_table),
              "Index scaling: memory, recall@10 vs exact, latency (total = encode + search, per query)":
                  markdown_table(headers, table)}
    targets = {}
    for r in rows:
        if r["documents"] == 100_000:
            targets[f"p50_100k_{r['index']}"] = {b: r["total"][b]["p50"] for b in args.backends}
        if r["documents"] == 1_000_000:
            targets[f"1m_{r['index']}"] = {"gib": r["bytes"] / 2**30, "recall@10": r["recall@10"],
                                          "met": r["bytes"] <= 2**30 and r["recall@10"] >= 0.95}
    settings = {"sizes": args.sizes, "types": args.types, "queries": args.queries, "k": K,
                "backends": args.backends, "synthetic_vectors": clusters.to_dict(), "neighbour_cosines": hardness,
                "memory": "bytes of faiss.serialize_index (vectors or codes, lists, graph)"}
    for r in rows:
        del r["search_ms"]
    results = {"rows": rows, "encode_ms": {b: percentiles(v) for b, v in encode_ms.items()}, "targets": targets}
    report("index_scaling", machine, settings, results, tables)


if __name__ == "__main__":
    main()
