"""Scoring cost against the number of candidates, beside the Poly-encoder paper's CPU table.

Per query, the ms to score N cached candidates (N = 100, 1k, 10k, 100k by default):
- bi (cached candidates): encode the query, dot product with the cached candidate vectors (the paper's setup);
- bi FAISS flat / approximate: encode the query and search an index of N vectors (the app's corpus search);
- poly m = 16, 64, 360: encode the query into m vectors, then each cached candidate attends over them;
- cross: one forward pass per (query, candidate) pair, measured while a call stays within --cross-budget-s
  and extrapolated linearly beyond (marked).
The poly- and cross-encoder rows, and the bi row, come from `core.analysis.sweeps.cost_vs_candidates`, the
function behind the app's Trade-offs page; the FAISS rows time `BiEncoderRanker.rank` over synthetic
candidate vectors placed in core's embedding cache. Untrained poly-encoders are used: cost does not depend
on training.

    python -m benchmarks.scoring_cost                      # about 3-5 minutes on 2 busy cores
    python -m benchmarks.scoring_cost --sizes 100 1000 --codes 16 --cross-budget-s 5   # a quick look
    python -m benchmarks.scoring_cost --torch-threads 1    # steadier on a machine other work keeps busy
"""

from __future__ import annotations

import argparse
from functools import partial

import pandas as pd
import torch

from benchmarks._machine import machine_record, markdown_table, report
from benchmarks._synthetic import Clusters, clustered_vectors, seeded_corpus
from core.analysis.sweeps import cost_vs_candidates
from core.data.samples import load_sample
from core.index import INDEX_TYPES
from core.models.loading import load_bi_encoder, load_cross_encoder, load_poly_encoder
from core.models.sources import EMBEDDED, backbone_path
from core.rankers.base import Ranker
from core.rankers.bi_encoder import BiEncoderRanker
from core.rankers.cross_encoder import CrossEncoderRanker
from core.rankers.poly_encoder import PolyEncoderRanker
from core.timing import fastest_ms

PAPER_MS = {  # Humeau et al. (ICLR 2020), CPU ms to score candidates for one context, context encoding included
    "bi": (115, 160), "poly-16": (122, 678), "poly-64": (126, 692), "poly-360": (160, 837),
    "cross": (21_700, 2_200_000),
}
PAPER_SIZES = (1000, 100_000)
QUERY = "why do my ears pop when a plane takes off"


def model_rankers(codes: list[int]) -> dict[str, Ranker]:
    """bi, poly-m for each m and cross, indexed on the sample corpus (their candidate vectors cached)."""
    corpus = load_sample().corpus
    rankers: dict[str, Ranker] = {"bi": BiEncoderRanker(load_bi_encoder(), EMBEDDED)}
    for m in codes:
        rankers[f"poly-{m}"] = PolyEncoderRanker(load_poly_encoder(str(backbone_path()), m), f"untrained, m={m}",
                                                 name=f"poly-{m}")
    rankers["cross"] = CrossEncoderRanker(load_cross_encoder(), EMBEDDED)
    for ranker in rankers.values():
        ranker.index(corpus)
    return rankers


def faiss_costs(sizes: list[int], index_types: list[str], clusters: Clusters) -> pd.DataFrame:
    """ms of `BiEncoderRanker.rank(query, k=10)` (encode + search) over N synthetic vectors, per index type."""
    model = load_bi_encoder()
    vectors = clustered_vectors(max(sizes), model.get_embedding_dimension(), clusters)
    rows = []
    for n in sizes:
        for index_type in index_types:
            ranker = BiEncoderRanker(model, EMBEDDED, index_type, name=f"bi FAISS {index_type}")
            ranker.index(seeded_corpus(vectors[:n], ranker.embedding_key, prefix=f"candidates-{n}"))
            ranker.rank(QUERY, 10)  # warm-up
            rows.append((ranker.name, n, fastest_ms(lambda ranker=ranker: ranker.costed(partial(ranker.rank, QUERY, 10))[1], repeats=5), ranker.timings.index_s))
    return pd.DataFrame(rows, columns=["ranker", "candidates", "ms", "index_s"])


def paper_table(costs: pd.DataFrame) -> str:
    """The paper's CPU table (1k and 100k) with ours beside it, and cross/poly, cross/bi ratios."""
    ms = {(row.ranker, row.candidates): (row.ms, row.extrapolated) for row in costs.itertuples()}
    headers = ["ranker"]
    for n in PAPER_SIZES:
        headers += [f"paper {n:,}", f"ours {n:,}", f"paper cross/x {n:,}", f"ours cross/x {n:,}"]
    rows = []
    for ranker in [name for name in costs["ranker"].unique()]:
        row: list[object] = [ranker]
        for column, n in enumerate(PAPER_SIZES):
            ours, extrapolated = ms.get((ranker, n), (None, False))
            cross, _ = ms.get(("cross", n), (None, False))
            paper = PAPER_MS.get(ranker, (None, None))[column]
            row += [paper, None if ours is None else f"{ours:,.1f}{' (extrapolated)' if extrapolated else ''}",
                    None if paper is None or ranker == "cross" else round(PAPER_MS["cross"][column] / paper),
                    None if ours is None or cross is None or ranker == "cross" else round(cross / ours)]
        rows.append(row)
    return markdown_table(headers, rows)


def all_sizes_table(costs: pd.DataFrame) -> str:
    """ms per query for every ranker and size (e = extrapolated)."""
    sizes = sorted(costs["candidates"].unique())
    rows = []
    for ranker, group in costs.groupby("ranker", sort=False):
        cells = {row.candidates: f"{row.ms:,.1f}{' e' if row.extrapolated else ''}" for row in group.itertuples()}
        rows.append([ranker, *(cells.get(n) for n in sizes)])
    return markdown_table(["ranker", *(f"{n:,}" for n in sizes)], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10_000, 100_000])
    parser.add_argument("--codes", type=int, nargs="+", default=[16, 64, 360], help="poly-encoder m values")
    parser.add_argument("--cross-budget-s", type=float, default=90.0,
                        help="longest measured cross-encoder call; larger sizes are extrapolated")
    parser.add_argument("--approximate", default="ivf-sq8", choices=[t for t in INDEX_TYPES if t != "flat"])
    parser.add_argument("--torch-threads", type=int, default=None,
                        help="torch intra-op threads (default: torch's own, one per core); 1 avoids the stalls "
                             "two threads suffer when other work holds the cores")
    args = parser.parse_args()
    if args.torch_threads:
        torch.set_num_threads(args.torch_threads)
    machine = machine_record()
    clusters = Clusters()
    rankers = model_rankers(args.codes)
    model_costs = cost_vs_candidates(rankers, QUERY, args.sizes, args.cross_budget_s)
    faiss = faiss_costs(args.sizes, ["flat", args.approximate], clusters)
    costs = pd.concat([model_costs[["ranker", "candidates", "ms", "extrapolated"]],
                       faiss.assign(extrapolated=False)[["ranker", "candidates", "ms", "extrapolated"]]],
                      ignore_index=True)
    at_1k = costs[costs["candidates"] == 1000].set_index("ranker")["ms"]
    targets = {}
    if {"cross", "poly-16"} <= set(at_1k.index):
        ratio = float(at_1k["cross"] / at_1k["poly-16"])
        targets["cross_over_poly16_at_1k"] = {"ratio": ratio, "target": 100, "met": ratio >= 100}
    tables = {"Scoring cost, ms per query, beside the Poly-encoder paper (CPU)": paper_table(costs),
              "Scoring cost, ms per query, every size (e = extrapolated)": all_sizes_table(costs)}
    if targets:
        ratio = targets["cross_over_poly16_at_1k"]
        tables["Target: poly-16 ≥ 100× cheaper than cross at 1k candidates"] = (
            f"cross / poly-16 at 1,000 candidates = **{ratio['ratio']:,.0f}×** "
            f"({'met' if ratio['met'] else 'missed'})")
    settings = {"sizes": args.sizes, "codes": args.codes, "cross_budget_s": args.cross_budget_s,
                "approximate_index": args.approximate, "query": QUERY, "synthetic_vectors": clusters.to_dict(),
                "timing": "fastest of up to 3 calls (5 for FAISS) after a warm-up call"}
    results = {"costs": costs.to_dict("records"), "faiss_index_s": faiss.to_dict("records"), "targets": targets}
    report("scoring_cost", machine, settings, results, tables)


if __name__ == "__main__":
    main()
