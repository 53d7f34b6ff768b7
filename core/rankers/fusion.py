"""Hybrid contestant: other contestants' runs fused into one (`core.evaluate.fuse_runs`).

Reciprocal rank fusion (Cormack et al., 2009) adds 1 / (k + rank) over the fused runs; the weighted sum
adds min-max normalised scores, each run weighted. Both are what the BEIR and MTEB literature compare
as hybrids (BM25 + a dense retriever). A query costs what its inputs cost, plus the fusion itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

from core.contestants.kinds import FUSION, fusion_weights
from core.contestants.spec import ContestantSpec
from core.evaluate import fuse_runs
from core.rankers.base import Progress, RunRanker
from core.rankers.build import BuildContext, Finished
from core.types import Queries, Run

RRF_K = 60
"""k of reciprocal rank fusion: 1 / (k + rank), as Cormack et al. set it."""


class FusionRanker(RunRanker):
    """Fuses the runs of finished contestants; its latency per query is theirs plus the fusion's share."""

    kind = "fusion"

    def __init__(self, inputs: Sequence[str], method: str, weights: Sequence[float],
                 upstream: Callable[[str], Finished]) -> None:
        super().__init__("fusion", f"{method} of {' + '.join(inputs)}")
        self.inputs, self.method, self.weights, self.upstream = tuple(inputs), method, tuple(weights), upstream

    def _make_run(self, queries: Queries, progress: Progress) -> Run:
        results = [self.upstream(name) for name in self.inputs]
        runs = {name: result.run for name, result in zip(self.inputs, results)}
        progress(f"{self.label}: fusing {len(runs)} runs", 0.0)
        start = time.perf_counter()
        fused = fuse_runs(runs, self.method, self.weights, RRF_K)
        fuse_ms = (time.perf_counter() - start) * 1000 / max(1, len(queries))
        progress(f"{self.label}: fusing {len(runs)} runs", 1.0)
        latencies = [result.query_ms for result in results]
        if all(len(ms) == len(queries) for ms in latencies):
            self.timings.query_ms = [fuse_ms + sum(parts) for parts in zip(*latencies)]
        return {q: dict(sorted(docs.items(), key=lambda item: -item[1])) for q, docs in fused.items()}

    def rank_new(self, query: str, k: int, candidates: Sequence[str] | None,
                 upstream: Mapping[str, dict[str, float]]) -> dict[str, float] | None:
        """The fusion of the inputs' rankings of the new question (None if an input could not rank it)."""
        if any(upstream.get(name) is None for name in self.inputs):
            return None
        fused = fuse_runs({name: {"new": upstream[name]} for name in self.inputs}, self.method, self.weights, RRF_K)
        return dict(sorted(fused.get("new", {}).items(), key=lambda item: -item[1])[:k])


def build(spec: ContestantSpec, context: BuildContext) -> FusionRanker:
    return FusionRanker(FUSION.inputs(spec), spec.option("method"), fusion_weights(spec), context.upstream)


def describe_model(spec: ContestantSpec) -> str:
    method = "reciprocal rank fusion" if spec.option("method") == "rrf" else "weighted sum of min-max scores"
    return f"{method} of {' + '.join(FUSION.inputs(spec))}"
