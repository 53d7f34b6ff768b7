"""What runs the neural models: PyTorch, ONNX Runtime fp32 or int8, side by side on the development sets.

For the cross-encoder, each query's bi-encoder top 20 is re-ranked one query at a time, as a comparison does:
pairs per second, median ms per query and nDCG@10 of the re-ranked run, for the embedded (zero-shot) model
and the one fine-tuned on the lesson data. Every backend batches pairs sorted by length (`BATCH_TOKENS`); one more
PyTorch row scores each query's pairs as one batch in their given order, as before that batching, the baseline
of the "× before" column. For the bi-encoder, queries per second and nDCG@10 of its run. The default backend of
each kind is the fastest whose nDCG@10 stays within `TOLERANCE` of PyTorch fp32 on every set.

    python -m benchmarks.backends                                   # about 5 minutes on 2 cores
    python -m benchmarks.backends --sets lesson wikiqa-test --queries 30
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from benchmarks._machine import machine_record, markdown_table, report
from core.config import BACKENDS, PAIR_BACKENDS
from core.contestants.presets import LESSON_MODELS
from core.data import first_queries
from core.data.devsets import load_dev_set
from core.data.samples import load_lesson
from core.devices import CPU_BATCH_TOKENS as BATCH_TOKENS
from core.evaluate import evaluate
from core.models.loading import load_bi_encoder, load_cross_encoder
from core.rankers.base import top_k
from core.rankers.bi_encoder import BiEncoderRanker
from core.types import Dataset, Run

TOLERANCE = 0.005
SHORTLIST = 20
BEFORE = "torch, one batch per query"


def dev_set(name: str, queries: int) -> Dataset:
    return load_lesson()[0] if name == "lesson" else first_queries(load_dev_set(name), queries)


def ndcg(dataset: Dataset, run: Run) -> float:
    return evaluate(dataset.qrels or {}, run, ("ndcg@10",))[0]["ndcg@10"]


def cross_rows(dataset: Dataset, shortlists: Run, model: str) -> list[dict]:
    """Each backend of cross-encoder `model` re-ranking `shortlists`, one query at a time after 3 warm-up queries,
    after the baseline (PyTorch, each query's pairs in one batch)."""
    passages = dataset.corpus.passages()
    pairs = {q: [(text, passages[dataset.corpus.position(d)]) for d in shortlists[q]]
             for q, text in zip(dataset.queries.ids, dataset.queries.texts)}
    count = sum(map(len, pairs.values()))
    rows = []
    for backend, batch_tokens in [("torch", None), *((backend, BATCH_TOKENS) for backend in PAIR_BACKENDS)]:
        start = time.perf_counter()
        scorer = load_cross_encoder(model, backend)
        load_s = time.perf_counter() - start
        log_idf = scorer.corpus_log_idf(dataset.corpus)
        for query_pairs in list(pairs.values())[:3]:
            scorer.predict(query_pairs, log_idf=log_idf, batch_tokens=batch_tokens)
        seconds, run = [], {}
        for query_id, query_pairs in pairs.items():
            start = time.perf_counter()
            scores = scorer.predict(query_pairs, log_idf=log_idf, batch_tokens=batch_tokens)
            seconds.append(time.perf_counter() - start)
            run[query_id] = top_k(list(shortlists[query_id]), scores, 10)
        rows.append({"kind": "cross", "model": model, "backend": backend if batch_tokens else BEFORE, "pairs": count,
                     "load_s": load_s, "per_s": count / sum(seconds), "query_ms_p50": 1000 * float(np.median(seconds)),
                     "ndcg@10": ndcg(dataset, run)})
    return rows


def bi_rows(dataset: Dataset) -> tuple[list[dict], Run]:
    """Each bi-encoder backend indexing the corpus and ranking every query; and the torch run's top 20."""
    rows, shortlists = [], {}
    for backend in BACKENDS:
        ranker = BiEncoderRanker(load_bi_encoder("embedded", backend), "embedded", backend=backend)
        ranker.index(dataset.corpus)
        run = ranker.search(dataset.queries, SHORTLIST)
        shortlists = shortlists or run
        rows.append({"kind": "bi", "model": "embedded", "backend": backend, "pairs": len(dataset.queries),
                     "load_s": ranker.timings.index_s, "per_s": 1000 / float(np.mean(ranker.timings.query_ms)),
                     "query_ms_p50": float(np.median(ranker.timings.query_ms)), "ndcg@10": ndcg(dataset, run)})
    return rows, shortlists


def default_backend(rows: list[dict]) -> str:
    """The fastest backend whose nDCG@10 is within `TOLERANCE` of torch on every set (by the slowest set's speed-up)."""
    by_backend = {backend: [row for row in rows if row["backend"] == backend]
                  for backend in dict.fromkeys(row["backend"] for row in rows) if backend != BEFORE}
    torch_rows = by_backend["torch"]
    kept = {backend: min(row["per_s"] / base["per_s"] for row, base in zip(chosen, torch_rows))
            for backend, chosen in by_backend.items()
            if all(abs(row["ndcg@10"] - base["ndcg@10"]) <= TOLERANCE for row, base in zip(chosen, torch_rows))}
    return max(kept, key=kept.get)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", nargs="+", default=["lesson", "wikiqa-test", "cranfield"])
    parser.add_argument("--queries", type=int, default=60, help="queries per development set (the lesson's: all)")
    args = parser.parse_args()
    machine = machine_record()
    rows = []
    for name in args.sets:
        dataset = dev_set(name, args.queries)
        bi, shortlists = bi_rows(dataset)
        rows += [{"set": name, **row} for row in bi]
        for model in ("embedded", str(LESSON_MODELS["cross"])):
            rows += [{"set": name, **row} for row in cross_rows(dataset, shortlists, model)]
    defaults = {kind: default_backend([row for row in rows if row["kind"] == kind])
                for kind in ("bi", "cross")}
    table = []
    for row in rows:
        same = [r for r in rows if (r["set"], r["kind"], r["model"]) == (row["set"], row["kind"], row["model"])]
        base = next(r for r in same if r["backend"] == "torch")
        before = next((r for r in same if r["backend"] == BEFORE), base)
        model = "lesson-cross" if row["model"] != "embedded" and row["kind"] == "cross" else row["model"]
        table.append([row["set"], row["kind"], model, row["backend"], row["per_s"], row["per_s"] / base["per_s"],
                      row["per_s"] / before["per_s"], row["query_ms_p50"], row["ndcg@10"],
                      row["ndcg@10"] - base["ndcg@10"]])
    headers = ["set", "kind", "model", "backend", "pairs or queries /s", "× torch", "× before", "query p50 ms",
               "nDCG@10", "Δ vs torch"]
    tables = {f"Backends (cross-encoder: bi top-{SHORTLIST} re-ranked per query, pairs sorted by length in batches of "
              f"≤ {BATCH_TOKENS} tokens; before: {BEFORE}); defaults chosen: {defaults}":
              markdown_table(headers, table)}
    report("backends", machine, {"sets": args.sets, "queries": args.queries, "tolerance": TOLERANCE},
           {"rows": rows, "defaults": defaults}, tables)


if __name__ == "__main__":
    main()
