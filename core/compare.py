"""Run the chosen rankers side by side over one dataset and collect a typed, serialisable result.

Order of work: BM25, bi- and poly-encoder rank the whole corpus; the cross-encoder re-ranks the
first stage's top `rerank_depth` (or, when asked, scores every document). With relevance labels the
runs are evaluated with ranx; without them, each ranker's agreement with the most expensive ranker
present (the cross-encoder when it runs) is reported instead, and named as agreement.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from core.config import ArenaConfig
from core.data import Dataset
from core.evaluate import METRICS, evaluate, kendall_tau, overlap_at_k
from core.models import load_bi_encoder, load_cross_encoder, load_poly_encoder
from core.rankers.base import Progress, Ranker, Run, no_progress
from core.rankers.bi_encoder import BiEncoderRanker
from core.rankers.bm25 import BM25Ranker
from core.rankers.cross_encoder import CrossEncoderRanker
from core.rankers.poly_encoder import PolyEncoderRanker

DEFAULT_CONFIG = ArenaConfig()
COST_ORDER = ("cross", "poly", "bi", "bm25")  # most to least expensive: the agreement reference


@dataclass
class RankerResult:
    """One ranker's output and costs.

    Attributes:
        query_ms: Per-query latency in ms; for a re-ranker it includes its first stage.
        pipeline: How the run was produced, e.g. "bi top-100 → cross".
        metrics / per_query: ranx metrics (empty without qrels).
        agreement: overlap@10 and Kendall tau with the reference ranker (empty for the reference).
    """

    name: str
    kind: str
    label: str
    trained: bool
    model: str
    run: Run
    index_s: float
    query_ms: list[float]
    pipeline: str
    metrics: dict[str, float] = field(default_factory=dict)
    per_query: dict[str, dict[str, float]] = field(default_factory=dict)
    agreement: dict[str, float] = field(default_factory=dict)

    @property
    def latency_ms(self) -> dict[str, float]:
        """p50 and p95 per-query latency and mean, in ms."""
        if not self.query_ms:
            return {"p50": float("nan"), "p95": float("nan"), "mean": float("nan")}
        p50, p95 = np.percentile(self.query_ms, [50, 95])
        return {"p50": float(p50), "p95": float(p95), "mean": float(np.mean(self.query_ms))}

    @property
    def queries_per_s(self) -> float:
        total = sum(self.query_ms) / 1000
        return len(self.query_ms) / total if total else float("nan")


@dataclass
class Comparison:
    """Everything one comparison produced; `to_dict` is the `metrics.json` shape."""

    config: ArenaConfig
    dataset: dict[str, Any]
    results: dict[str, RankerResult]
    reference: str | None
    notes: list[str]

    @property
    def has_qrels(self) -> bool:
        return bool(self.dataset["judged_queries"])

    def to_dict(self) -> dict[str, Any]:
        return {
            "rankers": {name: {"kind": r.kind, "label": r.label, "trained": r.trained, "model": r.model,
                               "pipeline": r.pipeline, "metrics": r.metrics, "agreement": r.agreement,
                               "latency_ms": r.latency_ms, "queries_per_s": r.queries_per_s,
                               "index_s": r.index_s}
                        for name, r in self.results.items()},
            "dataset": self.dataset,
            "agreement_reference": self.reference,
            "config": self.config.to_dict(),
            "notes": self.notes,
        }


def build_ranker(kind: str, config: ArenaConfig) -> Ranker:
    """A ranker of `kind` with the configured model (models are loaded once per process)."""
    if kind == "bi":
        return BiEncoderRanker(load_bi_encoder(config.bi_model, config.bi_backend), config.bi_model, config.index_type,
                               backend=config.bi_backend)
    if kind == "poly":
        return PolyEncoderRanker(load_poly_encoder(config.poly_model, config.poly_codes), config.poly_model)
    if kind == "cross":
        return CrossEncoderRanker(load_cross_encoder(config.cross_model), config.cross_model)
    if kind == "bm25":
        return BM25Ranker()
    raise ValueError(f"unknown ranker kind {kind!r}")


def dataset_summary(dataset: Dataset) -> dict[str, Any]:
    qrels = dataset.qrels or {}
    return {"name": dataset.name, "documents": len(dataset.corpus), "queries": len(dataset.queries),
            "judged_queries": sum(1 for q in dataset.queries.ids if qrels.get(q)),
            "judgements": sum(len(d) for d in qrels.values()), "notes": list(dataset.notes)}


def _stage(fraction_done: float, share: float, progress: Progress) -> Progress:
    """A progress callback for one step that maps its 0..1 onto its share of the whole."""
    return lambda message, fraction: progress(message, min(1.0, fraction_done + share * fraction))


def compare(dataset: Dataset, config: ArenaConfig = DEFAULT_CONFIG, progress: Progress = no_progress,
            rankers: dict[str, Ranker] | None = None,
            on_ranked: Callable[[RankerResult], None] = lambda result: None) -> Comparison:
    """Index, search and evaluate every configured ranker on `dataset`.

    Args:
        dataset: Corpus, queries and optional qrels.
        config: What to run.
        progress: Called with a message and the overall fraction done.
        rankers: Prebuilt rankers by kind (the app passes its cached ones); built from `config` otherwise.
        on_ranked: Called with each ranker's evaluated result as it finishes, so that a caller whose run is
            stopped can keep the finished ones (see `partial_comparison`).

    Returns:
        A `Comparison`.
    """
    kinds = config.kinds_to_run
    rankers = {kind: (rankers or {}).get(kind) or build_ranker(kind, config) for kind in kinds}
    share = 1.0 / (2 * len(kinds))
    done = 0.0
    runs: dict[str, Run] = {}
    results: dict[str, RankerResult] = {}
    for kind in kinds:
        ranker = rankers[kind]
        ranker.index(dataset.corpus, _stage(done, share, progress))
        done += share
        candidates, pipeline, first_ms = None, kind, None
        depth = config.k
        if kind == config.first_stage and config.needs_first_stage:
            depth = max(config.k, config.rerank_depth)
        if kind == "cross" and not config.cross_full_corpus:
            first = results[config.first_stage]
            candidates = {q: dict(list(docs.items())[:config.rerank_depth])
                          for q, docs in runs[config.first_stage].items()}
            pipeline, first_ms = f"{first.label} top-{config.rerank_depth} → {ranker.label}", first.query_ms
        elif kind == "cross":
            pipeline = f"{ranker.label} over the whole corpus"
        run = ranker.search(dataset.queries, depth, candidates, config.exclude_self, _stage(done, share, progress))
        done += share
        runs[kind] = run
        query_ms = list(ranker.timings.query_ms)
        if first_ms is not None:
            query_ms = [own + first for own, first in zip(query_ms, first_ms)]
        results[kind] = RankerResult(kind, ranker.kind, ranker.label, ranker.trained, ranker.model_name,
                                     {q: dict(list(d.items())[:config.k]) for q, d in run.items()},
                                     ranker.timings.index_s, query_ms, pipeline)
        if dataset.qrels:
            results[kind].metrics, results[kind].per_query = evaluate(dataset.qrels, results[kind].run, METRICS)
        on_ranked(results[kind])
    return _finish(dataset, config, results, rankers)


def partial_comparison(dataset: Dataset, config: ArenaConfig, finished: Mapping[str, RankerResult],
                       rankers: Mapping[str, Ranker]) -> Comparison | None:
    """What a stopped run keeps: a comparison of the rankers in `finished`, or None if none of the chosen finished.

    Its config names only those rankers, so it is exactly the comparison that config would produce.
    """
    kept = tuple(kind for kind in config.rankers if kind in finished)
    if not kept:
        return None
    comparison = _finish(dataset, replace(config, rankers=kept), dict(finished), dict(rankers))
    missing = [kind for kind in config.rankers if kind not in finished]
    comparison.notes.append(f"the run was stopped before {', '.join(missing)} finished; kept {', '.join(kept)}")
    return comparison


def _finish(dataset: Dataset, config: ArenaConfig, results: dict[str, RankerResult],
            rankers: dict[str, Ranker]) -> Comparison:
    """The comparison of `config`'s rankers among `results`, with agreement against the most expensive."""
    results = {kind: results[kind] for kind in config.kinds_to_run if kind in config.rankers}
    notes = ["hits whose doc id equals the query id were dropped (BEIR/MTEB convention)"] if config.exclude_self else []
    reference = next((kind for kind in COST_ORDER if kind in results), None)
    if reference is not None:
        _add_agreement(results, rankers, dataset, reference)
    return Comparison(config, dataset_summary(dataset), results, reference, notes)


def _add_agreement(results: dict[str, RankerResult], rankers: dict[str, Ranker], dataset: Dataset,
                   reference: str) -> None:
    """overlap@10 with the reference's run, and Kendall tau on the reference's top-10 documents."""
    reference_run = results[reference].run
    for kind, result in results.items():
        if kind == reference:
            continue
        taus = []
        for query_id, text in zip(dataset.queries.ids, dataset.queries.texts):
            top = list(reference_run.get(query_id, {}))[:10]
            if len(top) >= 2:
                scores = dict(zip(top, rankers[kind].score(text, top).tolist()))
                taus.append(kendall_tau({d: reference_run[query_id][d] for d in top}, scores))
        result.agreement = {"overlap@10": overlap_at_k(reference_run, result.run, 10),
                            "kendall_tau@10": float(np.nanmean(taus)) if taus and not np.all(np.isnan(taus))
                            else float("nan")}


def estimate_cross_seconds(ranker: CrossEncoderRanker, dataset: Dataset, config: ArenaConfig,
                           probe_pairs: int = 16) -> tuple[int, float]:
    """Pairs a cross-encoder run would score and its estimated seconds, from timing a probe batch."""
    per_query = len(dataset.corpus) if config.cross_full_corpus else min(config.rerank_depth, len(dataset.corpus))
    pairs = per_query * len(dataset.queries)
    passages = dataset.corpus.passages()[:probe_pairs]
    probe = [(dataset.queries.texts[0], passage) for passage in passages]
    start = time.perf_counter()
    ranker.scorer.predict(probe)
    return pairs, (time.perf_counter() - start) / max(1, len(probe)) * pairs
