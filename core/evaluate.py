"""IR metrics through ranx, and agreement between rankers when there are no relevance labels.

Metric names are ranx strings ("ndcg@10"). Queries without judgements are left out of the metrics,
as in BEIR; a judged query that a run misses scores 0. Every call into ranx holds `core.threadsafe`'s lock:
its numba parallel code aborts the process when two threads enter it at once.
"""

from __future__ import annotations

import warnings

import numpy as np
from ranx import Qrels as RanxQrels
from ranx import Run as RanxRun
from ranx import compare as ranx_compare
from ranx import evaluate as ranx_evaluate
from ranx import fuse as ranx_fuse
from scipy.stats import kendalltau

from core.threadsafe import numba_serial
from core.types import Qrels, Run

METRICS = ("ndcg@10", "mrr@10", "recall@100", "map@100")
AGREEMENT = ("overlap@10", "kendall_tau@10")
NOTHING = "\x00nothing"
"""Placeholder document of a run that ranks nothing for a query being fused."""


@numba_serial
def _ranx_qrels(qrels: Qrels) -> RanxQrels:
    return RanxQrels.from_dict({q: docs for q, docs in qrels.items() if docs})


@numba_serial
def _ranx_run(run: Run, name: str = "run") -> RanxRun:
    ranx_run = RanxRun.from_dict({q: docs for q, docs in run.items() if docs})
    ranx_run.name = name
    return ranx_run


@numba_serial
def fuse_runs(runs: dict[str, Run], method: str, weights: tuple[float, ...], rrf_k: int) -> Run:
    """ranx's fusion of named `runs`: "rrf" (reciprocal rank fusion with `rrf_k`) or "wsum" (min-max
    normalised scores weighted by `weights`, in the order of `runs`).

    ranx fuses runs over the same queries; a query that one run ranks and another does not (a run file covering
    some queries, a run ranking nothing) gets the placeholder `NOTHING` in the other. Alone in its ranking, it
    moves no other document's rank or normalised score, and is dropped after fusing.
    """
    queries = dict.fromkeys(q for run in runs.values() for q, docs in run.items() if docs)
    if not queries:
        return {}
    padded = [_ranx_run({q: run.get(q) or {NOTHING: 0.0} for q in queries}, name) for name, run in runs.items()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba's uint64 cast notice inside ranx
        if method == "rrf":
            fused = ranx_fuse(padded, norm=None, method="rrf", params={"k": rrf_k})
        else:
            fused = ranx_fuse(padded, norm="min-max", method="wsum", params={"weights": list(weights)})
    return {q: {d: s for d, s in docs.items() if d != NOTHING} for q, docs in fused.to_dict().items()}


@numba_serial
def evaluate(qrels: Qrels, run: Run, metrics: tuple[str, ...] = METRICS) -> tuple[dict[str, float],
                                                                                  dict[str, dict[str, float]]]:
    """Mean and per-query metrics of `run` against `qrels`.

    Returns:
        `({metric: mean}, {metric: {query_id: value}})` over the judged queries.
    """
    if not any(run.values()):  # ranx cannot hold an empty run; every judged query it misses scores 0
        judged = [q for q, docs in qrels.items() if docs]
        return {m: 0.0 for m in metrics}, {m: dict.fromkeys(judged, 0.0) for m in metrics}
    ranx_run = _ranx_run(run)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba's uint64 cast notice inside ranx
        means = ranx_evaluate(_ranx_qrels(qrels), ranx_run, list(metrics), make_comparable=True)
    if len(metrics) == 1:
        means = {metrics[0]: means}
    per_query = {m: {q: float(v) for q, v in ranx_run.scores[m].items()} for m in metrics}
    return {m: float(v) for m, v in means.items()}, per_query


@numba_serial
def significance_report(qrels: Qrels, runs: dict[str, Run], metrics: tuple[str, ...] = METRICS,
                        max_p: float = 0.05) -> dict:
    """Paired two-sided Student's t-tests between every pair of runs (ranx `compare`).

    Returns:
        ranx's report as a dict: per run, its metric means and which runs it beats significantly. Runs that rank
        nothing are left out (ranx cannot hold them); with fewer than two left, the report names no runs.
    """
    runs = {name: run for name, run in runs.items() if any(run.values())}
    if len(runs) < 2:
        return {"model_names": [], "metrics": list(metrics)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = ranx_compare(_ranx_qrels(qrels), [_ranx_run(run, name) for name, run in runs.items()],
                              list(metrics), stat_test="student", max_p=max_p, make_comparable=True)
    return report.to_dict()


def overlap_at_k(reference: Run, run: Run, k: int = 10) -> float:
    """Mean share of the reference's top-k that `run` also has in its top-k, over the reference's queries."""
    shares = [len(set(list(ref)[:k]) & set(list(run.get(q, {}))[:k])) / min(k, len(ref))
              for q, ref in reference.items() if ref]
    return float(np.mean(shares)) if shares else float("nan")


def kendall_tau(reference_scores: dict[str, float], scores: dict[str, float]) -> float:
    """Kendall's tau-b between two scorings of the same documents (NaN if undefined)."""
    shared = [d for d in reference_scores if d in scores]
    if len(shared) < 2:
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # constant input: tau is undefined and comes back NaN
        tau = kendalltau([reference_scores[d] for d in shared], [scores[d] for d in shared]).statistic
    return float(tau)


def compile_kernels() -> None:
    """Evaluate a one-query run, so that ranx compiles its numba kernels now (tens of seconds the first time on a
    machine, seconds after that) rather than in the first comparison."""
    for queries, documents in ((4, 6), (50, 20)):  # ranx takes other code paths (each compiled) as runs grow
        qrels = {f"q{i}": {f"d{i}": 1, f"d{i + 1}": 2} for i in range(queries)}
        run = {f"q{i}": {f"d{j}": 1.0 / (j + 1) for j in range(documents)} for i in range(queries - 1)}
        evaluate(qrels, run)  # the last judged query is unranked, as happens
