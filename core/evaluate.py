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
from ranx.utils import python_dict_to_typed_list
from scipy.stats import kendalltau

from core.threadsafe import numba_serial
from core.types import Qrels, Run

METRICS = ("ndcg@10", "mrr@10", "recall@100", "map@100")
AGREEMENT = ("overlap@10", "kendall_tau@10")
NOTHING = "\x00nothing"
"""Placeholder document of a run that ranks nothing for a judged query (which then scores 0)."""


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
    """Named `runs` fused: "rrf" (reciprocal rank fusion, 1 / (`rrf_k` + rank) summed over the runs) or "wsum" (each
    run's scores min-max normalised per query, weighted by `weights` in the order of `runs`, summed), best first.

    ranx's `fuse` computes the same numbers, but its numba kernels compile for about 20 s in a fresh process (25 s
    on a busy server), where fusing a comparison's runs takes milliseconds. As there, a document a run does not rank
    adds nothing from it, and a run whose scores are all equal normalises them to 0.

    Example:
        >>> fuse_runs({"a": {"q": {"x": 3.0, "y": 1.0}}, "b": {"q": {"y": 9.0}}}, "wsum", (0.5, 0.5), 60)
        {'q': {'x': 0.5, 'y': 0.0}}
    """
    fused: Run = {}
    for (_, run), weight in zip(runs.items(), weights if method == "wsum" else [1.0] * len(runs)):
        for query_id, docs in run.items():
            if not docs:
                continue
            ranked = sorted(docs.items(), key=lambda item: -item[1])
            low, high = ranked[-1][1], ranked[0][1]
            into = fused.setdefault(query_id, {})
            for rank, (doc_id, score) in enumerate(ranked, start=1):
                gain = 1 / (rrf_k + rank) if method == "rrf" else weight * (score - low) / max(high - low, 1e-9)
                into[doc_id] = into.get(doc_id, 0.0) + gain
    return {query_id: dict(sorted(docs.items(), key=lambda item: -item[1])) for query_id, docs in fused.items()}


@numba_serial
def evaluate(qrels: Qrels, run: Run, metrics: tuple[str, ...] = METRICS) -> tuple[dict[str, float],
                                                                                  dict[str, dict[str, float]]]:
    """Mean and per-query metrics of `run` against `qrels`.

    ranx's metric kernels read its typed-list form (one [document hash, score] array per query, built by ranx's
    `python_dict_to_typed_list`): in a fresh process that costs a fraction of a second, where ranx's `Qrels` and
    `Run` objects first compile numba's typed-dict operations for seconds (they cannot be cached), which every
    server's first result would wait for.

    Returns:
        `({metric: mean}, {metric: {query_id: value}})` over the judged queries.
    """
    judged = [q for q, docs in qrels.items() if docs]
    if not judged:
        return {m: 0.0 for m in metrics}, {m: {} for m in metrics}
    ranked = [run.get(q) or {NOTHING: 0.0} for q in judged]  # a judged query the run misses scores 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba's uint64 cast notice inside ranx
        scores = ranx_evaluate(python_dict_to_typed_list({q: qrels[q] for q in judged}),
                               python_dict_to_typed_list(dict(zip(judged, ranked))),
                               list(metrics) * (2 if len(metrics) == 1 else 1),  # ranx 0.3.21 returns one metric's
                               return_mean=False)  # per-query scores under a key it then misses: ask twice
    per_query = {m: dict(zip(judged, map(float, scores[m]))) for m in metrics}
    return {m: float(np.mean(scores[m])) for m in metrics}, per_query


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
    """Evaluate small runs, so that ranx's metric kernels are compiled (or read from numba's cache) now, not in the
    first comparison."""
    for queries, documents in ((4, 6), (50, 20)):  # ranx takes other code paths (each compiled) as runs grow
        qrels = {f"q{i}": {f"d{i}": 1, f"d{i + 1}": 2} for i in range(queries)}
        run = {f"q{i}": {f"d{j}": 1.0 / (j + 1) for j in range(documents)} for i in range(queries - 1)}
        evaluate(qrels, run)  # the last judged query is unranked, as happens


def compile_significance() -> None:
    """Compare two small runs, so that the Trade-offs page's significance tests (ranx's `Qrels` and `Run`, whose
    typed dictionaries numba compiles in every process) are ready before it is first opened."""
    qrels = {f"q{i}": {f"d{i}": 1} for i in range(12)}
    significance_report(qrels, {name: {q: {f"d{j}": 1.0 / (j + shift) for j in range(12)} for q in qrels}
                                for name, shift in (("a", 1), ("b", 2))})
