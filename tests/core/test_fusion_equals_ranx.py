"""`core.evaluate.fuse_runs` against ranx's `fuse`, which computes the same numbers after a numba compile of about
20 s in a fresh process: equal fused scores for reciprocal rank fusion and the weighted sum of min-max scores, on
runs with ties and constant scores (for the weighted sum), a one-document query and queries only one run ranks."""

from __future__ import annotations

import random
import warnings

import pytest
from ranx import Run as RanxRun
from ranx import fuse as ranx_fuse

from core.evaluate import fuse_runs


def _runs(seed: int, ties: bool) -> dict[str, dict[str, dict[str, float]]]:
    """Random runs; with `ties`, equal scores (which ranx and a run's own order may rank apart: not for RRF)."""
    rng = random.Random(seed)
    runs = {}
    for name in ("bm25", "bi", "cross"):
        run = {}
        for query in range(12):
            docs = rng.sample([f"d{i}" for i in range(40)], rng.randint(1, 25))
            run[f"q{query}"] = {doc: round(rng.uniform(-3, 30), 1 if ties else 9) for doc in docs}
        runs[name] = run
    if ties:
        runs["bi"]["q0"] = dict.fromkeys(runs["bi"]["q0"], 0.5)  # constant scores normalise to 0
    runs["cross"]["q1"] = {"d1": 4.0}  # one document
    del runs["bm25"]["q2"]  # a query one run does not rank
    return runs


@pytest.mark.parametrize("method, weights", [("rrf", (1.0, 1.0, 1.0)), ("wsum", (0.5, 0.3, 0.2))])
@pytest.mark.parametrize("seed", [0, 1])
def test_fusion_gives_ranx_s_scores(method, weights, seed):
    runs = _runs(seed, ties=method == "wsum")
    queries = sorted({q for run in runs.values() for q in run})
    padded = []
    for name, run in runs.items():  # ranx fuses runs over the same queries: a placeholder stands in for a missing one
        ranx_run = RanxRun.from_dict({q: run.get(q) or {"\x00none": 0.0} for q in queries})
        ranx_run.name = name
        padded.append(ranx_run)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        params = {"k": 60} if method == "rrf" else {"weights": list(weights)}
        expected = ranx_fuse(padded, norm=None if method == "rrf" else "min-max", method=method,
                             params=params).to_dict()
    fused = fuse_runs(runs, method, weights, 60)
    assert set(fused) == set(queries)
    for query in queries:
        want = {doc: score for doc, score in expected[query].items() if doc != "\x00none"}
        assert fused[query] == pytest.approx(want, abs=1e-9)
        assert list(fused[query].values()) == sorted(fused[query].values(), reverse=True)
