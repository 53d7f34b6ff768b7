"""Bi-encoder encoding throughput (docs/s) and query latency per backend, with the nDCG@10 each one gives.

Side by side in one run, on one development set (Cranfield by default, 1,398 documents, 225 queries):
- plain `SentenceTransformer.encode` (batch 32, its default), for reference;
- the bi-encoder ranker's own corpus encoding (`BiEncoderRanker.index`) on each backend of
  `core.models.loading.load_bi_encoder`: "torch" (sentence-transformers), "onnx" (ONNX Runtime, float32) and
  "onnx-int8" (dynamically quantised), then searching every query (encode + exact FAISS search) and
  scoring the run with ranx.
The backends' one-off export time (ONNX export, quantisation) is reported as load time.

    python -m benchmarks.encoding_throughput                         # about 4-8 minutes on 2 busy cores
    python -m benchmarks.encoding_throughput --dev-set wikiqa-test   # any name of core.data.devsets.DEV_SETS
"""

from __future__ import annotations

import argparse
import time

from benchmarks._machine import machine_record, markdown_table, percentiles, report, time_ms
from core.config import BACKENDS
from core.data import first_queries
from core.data.devsets import DEV_SETS, load_dev_set
from core.evaluate import evaluate
from core.models.loading import load_bi_encoder
from core.models.sources import EMBEDDED
from core.rankers.bi_encoder import BiEncoderRanker
from core.types import Dataset


def plain_encode(data: Dataset) -> dict:
    """docs/s of `SentenceTransformer.encode` with its default batch size over the corpus."""
    model = load_bi_encoder()
    passages = data.corpus.passages()
    seconds = time_ms(lambda: model.encode(passages, normalize_embeddings=True, show_progress_bar=False)) / 1000
    return {"backend": "SentenceTransformer.encode (plain)", "docs_per_s": len(passages) / seconds,
            "encode_s": seconds}


def ranker_run(data: Dataset, backend: str) -> dict:
    """Load time, docs/s of the ranker's corpus encoding, query latency and nDCG@10 on one backend."""
    start = time.perf_counter()
    model = load_bi_encoder(EMBEDDED, backend)
    load_s = time.perf_counter() - start
    ranker = BiEncoderRanker(model, f"{EMBEDDED}/{backend}")  # its own cache key per backend
    ranker.index(data.corpus)
    run = ranker.search(data.queries, k=10)
    metrics, _ = evaluate(data.qrels, run, ("ndcg@10",))
    return {"backend": f"bi-encoder ranker, {backend}", "load_s": load_s,
            "docs_per_s": len(data.corpus) / ranker.timings.index_s, "encode_s": ranker.timings.index_s,
            "query_ms": percentiles(ranker.timings.query_ms), "ndcg@10": metrics["ndcg@10"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dev-set", default="cranfield", choices=sorted(DEV_SETS))
    parser.add_argument("--max-queries", type=int, default=None, help="evaluate on the first N queries only")
    args = parser.parse_args()
    machine = machine_record()
    data = load_dev_set(args.dev_set)
    if args.max_queries:
        data = first_queries(data, args.max_queries)
    rows = [plain_encode(data)] + [ranker_run(data, backend) for backend in BACKENDS]
    torch_row = rows[1]
    table = [[row["backend"], row["docs_per_s"], row["docs_per_s"] / rows[0]["docs_per_s"],
              row["docs_per_s"] / torch_row["docs_per_s"], row.get("query_ms", {}).get("p50"),
              row.get("query_ms", {}).get("p95"), row.get("ndcg@10"),
              None if "ndcg@10" not in row else row["ndcg@10"] - torch_row["ndcg@10"], row.get("load_s")]
             for row in rows]
    headers = ["backend", "docs/s", "× plain encode", "× torch ranker", "query p50 ms", "query p95 ms",
               f"nDCG@10 ({args.dev_set})", "Δ nDCG@10 vs torch", "load s"]
    tables = {f"Bi-encoder encoding throughput and quality ({args.dev_set}: {len(data.corpus):,} documents, "
              f"{len(data.queries):,} queries)": markdown_table(headers, table)}
    settings = {"dev_set": args.dev_set, "documents": len(data.corpus), "queries": len(data.queries),
                "query_latency": "encode + exact FAISS search, per query"}
    report("encoding_throughput", machine, settings, rows, tables)


if __name__ == "__main__":
    main()
