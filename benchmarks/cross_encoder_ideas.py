"""The cross-encoder's two cheaper uses, measured on development sets from ../shared/data.

1. Early layers as an embedder: nDCG@10 and Recall@10 of the first ℓ layers of the embedded cross-encoder,
   run on each text alone, for ℓ = 1..6, with the encoding cost per document beside the full cross-encoder's
   cost per pair (`core.analysis.cross_encoder_sweeps.layer_sweep`).
2. ANNCUR against re-ranking: at equal cross-encoder calls per query, ANNCUR (no bi-encoder) against
   bi-encoder → cross and BM25 → cross (`core.analysis.cross_encoder_sweeps.calls_sweep`). Scoring every anchor query against
   the corpus costs anchors × N calls at this machine's ~10-40 pairs/s, so this part runs on a reduced corpus:
   every document judged for the first `--queries` queries plus random others up to `--documents`, seeded.

    python -m benchmarks.cross_encoder_ideas                          # cranfield and wikiqa-test, ~30-40 min
    python -m benchmarks.cross_encoder_ideas --dev-sets wikiqa-test --queries 20 --documents 200
"""

from __future__ import annotations

import argparse

import numpy as np

from benchmarks._machine import machine_record, markdown_table, report
from core.analysis.cross_encoder_sweeps import calls_sweep, layer_sweep
from core.contestants.kinds import BI, BM25
from core.contestants.registry import contestant
from core.data import first_queries, make_dataset
from core.data.devsets import DEV_SETS, load_dev_set
from core.models.loading import load_cross_encoder
from core.models.sources import EMBEDDED
from core.rankers.build import build_ranker
from core.types import Corpus, Dataset

BUDGETS = (10, 20, 50)


def reduced(data: Dataset, queries: int, documents: int, seed: int = 0) -> Dataset:
    """The first `queries` judged queries over a corpus of their judged documents plus random others."""
    data = first_queries(data, queries)
    judged = {doc for docs in (data.qrels or {}).values() for doc in docs}
    rng = np.random.default_rng(seed)
    others = [row for row in rng.permutation(len(data.corpus)) if data.corpus.ids[row] not in judged]
    rows = sorted([data.corpus.position(doc) for doc in judged] + others[:max(0, documents - len(judged))])
    corpus = Corpus(tuple(data.corpus.ids[r] for r in rows), tuple(data.corpus.texts[r] for r in rows),
                    tuple(data.corpus.titles[r] for r in rows), f"{data.name}, reduced")
    return make_dataset(corpus, data.queries, data.qrels, f"{data.name} ({len(rows)} documents)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dev-sets", nargs="+", default=["cranfield", "wikiqa-test"], choices=sorted(DEV_SETS))
    parser.add_argument("--queries", type=int, default=30, help="queries evaluated in the ANNCUR part")
    parser.add_argument("--documents", type=int, default=300, help="documents of the ANNCUR part's reduced corpus")
    parser.add_argument("--anchors", type=int, default=20, help="ANNCUR's anchor queries")
    parser.add_argument("--layer-queries", type=int, default=100, help="queries evaluated in the layer sweep")
    args = parser.parse_args()
    machine = machine_record()
    scorer = load_cross_encoder(EMBEDDED)
    results, tables = {}, {}
    for name in args.dev_sets:
        full = load_dev_set(name)
        layers = layer_sweep(first_queries(full, args.layer_queries), scorer, EMBEDDED)
        cross_ms = float(layers["ms_per_document"].iloc[-1])
        tables[f"Early layers of the embedded cross-encoder as an embedder ({name}, {len(full.corpus):,} documents, "
               f"{min(args.layer_queries, len(full.queries))} queries)"] = markdown_table(
            ["layers", "nDCG@10", "Recall@10", "ms per document", "× cheaper than the cross-encoder per pair"],
            [[row.what, row.get("ndcg@10"), row.get("recall@10"), row.ms_per_document, cross_ms / row.ms_per_document]
             for row in (r for _, r in layers.iterrows())])
        small = reduced(full, args.queries, args.documents)
        stages = {label: build_ranker(contestant({"name": label, "kind": kind.name}))
                  for label, kind in (("bi-encoder", BI), ("BM25", BM25))}
        for stage in stages.values():
            stage.index(small.corpus)
        calls = calls_sweep(small, scorer, EMBEDDED, stages, BUDGETS, args.anchors)
        tables[f"ANNCUR vs re-ranking at equal cross-encoder calls ({small.name}, {len(small.queries)} queries; "
               f"ANNCUR's index: {calls.attrs['index_calls']:,} calls)"] = markdown_table(
            ["method", "budget", "calls per query", "nDCG@10", "Recall@10"],
            [[row.method, row.budget, row.calls, row.get("ndcg@10"), row.get("recall@10")]
             for _, row in calls.iterrows()])
        results[name] = {"layers": layers.to_dict("records"), "calls": calls.to_dict("records"),
                         "anncur_index_calls": calls.attrs["index_calls"]}
    settings = {**vars(args), "budgets": BUDGETS, "cross_encoder": "embedded (Arena joint cross-encoder, zero-shot)",
                "anchor_queries": "pseudo-queries: titles (else first 12 words) of random corpus documents"}
    report("cross_encoder_ideas", machine, settings, results, tables)


if __name__ == "__main__":
    main()
