"""What a comparison produces, as data: each contestant's `RankerResult` and the whole `Comparison`.

Plain, serialisable types with no model behind them: `core.comparison.compare` fills them, the saved and cached
comparisons (`core.comparison.saved`, `core.comparison.cache`) write and read them, and every page, figure and
report reads them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from core.contestants.spec import ComparisonSpec
from core.types import Dataset, Run


@dataclass
class RankerResult:
    """One contestant's output and costs.

    Attributes:
        name: The contestant's display name (results, runs and colours are keyed by it).
        kind_title: Its kind for people ("cross-encoder").
        label: The name, marked "(untrained)" for an untrained model.
        model: The real model name ("all-MiniLM-L6-v2", "run file prod.trec").
        colour: Its colour in every figure.
        query_ms: Per-query latency in ms; for a re-ranker it includes its first stage; empty when unknown.
        pipeline: How the run was produced, e.g. "re-ranks bm25's top 20; bm25's next 80 follow in its order" (its
            label for a contestant that ranks the whole corpus).
        metrics / per_query: ranx metrics (empty without qrels).
        agreement: overlap@10 and Kendall tau with the reference contestant (empty for the reference).
        notes: What its ranker decided for this corpus (e.g. the IDF prior's test, `core.rankers.prior_check`).
        device: Where its model ran, for people ("the CPU", "NVIDIA H200 (cuda:0), bfloat16"; `core.devices`).
        kept_start: Its fine-tuning found no gain and kept the untrained start (its label says so).
        scored_depth: How many of each query's top documents its own model scored, when fewer than its run holds
            (a re-ranker keeping its first stage's tail, `core.rankers.tail`); 0: every document's score is its own.
    """

    name: str
    kind: str
    kind_title: str
    label: str
    trained: bool
    model: str
    colour: str
    run: Run
    index_s: float
    query_ms: list[float]
    pipeline: str
    metrics: dict[str, float] = field(default_factory=dict)
    per_query: dict[str, dict[str, float]] = field(default_factory=dict)
    agreement: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    device: str = "the CPU"
    scored_depth: int = 0
    kept_start: bool = False

    @property
    def latency_ms(self) -> dict[str, float]:
        """p50 and p95 per-query latency and mean, in ms (NaN when not measured)."""
        if not self.query_ms:
            return {"p50": float("nan"), "p95": float("nan"), "mean": float("nan")}
        p50, p95 = np.percentile(self.query_ms, [50, 95])
        return {"p50": float(p50), "p95": float(p95), "mean": float(np.mean(self.query_ms))}

    @property
    def training(self) -> str:
        """How its model learned to rank, for people: "zero-shot (trained on other data)", "fine-tuned on lesson",
        "untrained", "no gain: kept the untrained start", or "no model" (BM25, a fusion, a run file)."""
        from core.contestants.registry import kinds  # here: the registry loads FAISS, which figures never need

        if not kinds()[self.kind].has_model:
            return "no model"
        if self.kept_start:
            return "no gain: kept the untrained start"
        if not self.trained:
            return "untrained"
        found = re.search(r"fine-tuned on ([^)·]+)", self.model)
        return f"fine-tuned on {found.group(1).strip()}" if found else "zero-shot (trained on other data)"

    @property
    def queries_per_s(self) -> float:
        total = sum(self.query_ms) / 1000
        return len(self.query_ms) / total if total else float("nan")


@dataclass
class Comparison:
    """Everything one comparison produced; `to_dict` is the `metrics.json` shape."""

    spec: ComparisonSpec
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
                               "index_s": r.index_s, "device": r.device, "scored_depth": r.scored_depth,
                               "notes": r.notes}
                        for name, r in self.results.items()},
            "dataset": self.dataset,
            "agreement_reference": self.reference,
            "comparison": self.spec.to_dict(),
            "notes": self.notes,
        }


def described_by(comparison: Comparison, dataset: Dataset) -> Comparison:
    """`comparison` with `dataset`'s own summary (its name and reading notes): equal content loaded from another
    folder or file replays the same numbers under this load's words (`comparison` itself when they already agree)."""
    summary = dataset_summary(dataset)
    if {name: comparison.dataset.get(name) for name in summary} == summary:
        return comparison
    return replace(comparison, dataset={**comparison.dataset, **summary})


def dataset_summary(dataset: Dataset) -> dict[str, Any]:
    qrels = dataset.qrels or {}
    return {"name": dataset.name, "documents": len(dataset.corpus), "queries": len(dataset.queries),
            "judged_queries": sum(1 for q in dataset.queries.ids if qrels.get(q)),
            "judgements": sum(len(d) for d in qrels.values()), "split": dataset.split, "held_out": dataset.held_out,
            "notes": list(dataset.notes)}
