"""Quality-versus-cost measurements: re-ranking depth sweeps, scoring cost against the number of
candidates, and the poly-encoder's cost against its number of codes (tables of finished comparisons are
in `core.analysis.tradeoff_points`).

Everything here times real calls with `time.perf_counter` and returns a tidy `pd.DataFrame`; the plots
live in `core.present.figures`.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from functools import partial
from types import SimpleNamespace

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from core.evaluate import evaluate, overlap_at_k
from core.models.poly_encoder import PolyEncoder, PolyEncoderConfig
from core.rankers.base import Progress, Ranker, no_progress, top_k
from core.rankers.tail import below_head
from core.timing import fastest_ms
from core.types import Dataset, Run

logger = logging.getLogger(__name__)

DEPTHS = (10, 20, 50, 100, 200, 500, 1000)
SIZES = (10, 100, 1000, 10_000, 100_000)
CODES = (1, 4, 16, 64, 360)
FIRST_SHARE = 0.2  # share of a depth sweep's progress bar given to the first stage


def _percentile_50(values: Sequence[float]) -> float:
    return float(np.median(values)) if len(values) else float("nan")


def rerank_depth_sweep(dataset: Dataset, first_stage: Ranker, cross: Ranker, depths: Sequence[int] = DEPTHS,
                       progress: Progress = no_progress) -> pd.DataFrame:
    """Quality and latency of re-ranking the first stage's top-`depth` with the cross-encoder.

    The first stage searches once at the deepest depth; the cross-encoder scores each query's deepest
    shortlist once; every shallower depth re-ranks a prefix of that shortlist by the same scores and keeps the
    first stage's order below it (`core.rankers.tail`), as the comparison does.

    Args:
        dataset: Corpus, queries and optional qrels; both rankers are already indexed on its corpus.
        first_stage: The ranker producing the shortlist (bi, poly or BM25).
        cross: The re-ranker.
        depths: Shortlist sizes to try; those above the corpus size are dropped (if all are, the corpus
            size is used).
        progress: Called with a message and the fraction done.

    Returns:
        One row per depth: depth, quality (nDCG@10 with qrels; otherwise overlap@10 with the deepest
        re-ranking), latency_ms (first stage p50 + measured cross ms per pair × depth), metric,
        first_stage_ms, cross_ms_per_pair.

    Raises:
        ValueError: If `depths` is empty or holds a depth below 1.
    """
    if not depths or min(depths) < 1:
        raise ValueError(f"depths must be positive integers, not {list(depths)}")
    size = len(dataset.corpus)
    kept = sorted({d for d in depths if d <= size}) or [size]
    if len(kept) < len(set(depths)):
        logger.info("depths above the corpus size (%d) dropped: %s", size, sorted(set(depths) - set(kept)))
    deepest = kept[-1]
    shortlists = first_stage.search(dataset.queries, deepest,
                                    progress=lambda message, fraction: progress(message, FIRST_SHARE * fraction))
    first_ms = _percentile_50(first_stage.timings.query_ms)
    scored: dict[str, tuple[list[str], np.ndarray]] = {}
    cross_seconds, pairs = 0.0, 0
    for i, (query_id, text) in enumerate(zip(dataset.queries.ids, dataset.queries.texts)):
        doc_ids = list(shortlists.get(query_id, {}))
        if doc_ids:
            scores, ms = cross.costed(partial(cross.score, text, doc_ids))
            scores = np.asarray(scores, dtype=float)
            cross_seconds += ms / 1000
            pairs += len(doc_ids)
            scored[query_id] = (doc_ids, scores)
        progress(f"{cross.label}: query {i + 1}/{len(dataset.queries)}",
                 FIRST_SHARE + (1 - FIRST_SHARE) * (i + 1) / len(dataset.queries))
    ms_per_pair = cross_seconds * 1000 / pairs if pairs else float("nan")
    reranked: dict[int, Run] = {depth: {q: below_head(top_k(ids[:depth], scores[:depth], depth), shortlists[q],
                                                      deepest)
                                        for q, (ids, scores) in scored.items()} for depth in kept}
    metric = "ndcg@10" if dataset.qrels else "overlap@10"
    rows = []
    for depth in kept:
        if dataset.qrels:
            quality = evaluate(dataset.qrels, reranked[depth], (metric,))[0][metric]
        else:
            quality = overlap_at_k(reranked[deepest], reranked[depth], 10)
        rows.append((depth, quality, first_ms + ms_per_pair * depth, metric, first_ms, ms_per_pair))
    return pd.DataFrame(rows, columns=["depth", "quality", "latency_ms", "metric", "first_stage_ms",
                                       "cross_ms_per_pair"])


def load_note(load: float | None = None, cores: int | None = None) -> str:
    """A warning for timings taken on a busy machine (the 1-minute load average from half the usable cores up;
    by default this machine's now), or "" when it is quiet enough for differences between timings to mean
    something."""
    load = os.getloadavg()[0] if load is None else load
    cores = len(os.sched_getaffinity(0)) if cores is None else cores
    if load < cores / 2:
        return ""
    return (f"Measured while the machine was busy (1-minute load average {load:.1f} on {cores} cores): other work "
            "adds time unevenly, so small differences, and the order of close timings, may be noise.")


def _extrapolate(measured: list[tuple[int, float]], n: int) -> float:
    """ms at `n` candidates on the line through the two largest measured (candidates, ms) points.

    The slope is the marginal cost per candidate (clipped at 0 against timing noise); the intercept keeps
    the fixed cost of a call, such as encoding the query, from being multiplied by `n`.
    """
    (n_last, ms_last) = measured[-1]
    if len(measured) < 2:
        return ms_last / n_last * n
    (n_prev, ms_prev) = measured[-2]
    slope = max(0.0, (ms_last - ms_prev) / (n_last - n_prev))
    return ms_last + slope * (n - n_last)


def cost_vs_candidates(rankers: dict[str, Ranker], query: str, sizes: Sequence[int] = SIZES,
                       budget_s: float = 5.0) -> pd.DataFrame:
    """Time `score(query, doc_ids)` for growing numbers of candidates, extrapolating what is too slow.

    Candidates are drawn from each ranker's indexed corpus (with repetition when there are more than
    the corpus holds). Each call includes whatever the ranker does per query: encoding the query
    (bi, poly), tokenising it (BM25) or one forward pass per pair (cross). Per ranker, a warm-up call
    and a timed 1-candidate call come first (the latter measures the fixed cost and is not reported);
    sizes are then measured in increasing order (the smallest always) until one call takes longer
    than `budget_s`, or the next size is predicted to; the rest are extrapolated linearly from the
    largest measured size, along the slope between the two largest measured points. Rankers that
    score from an index (bi, poly, BM25: `Ranker.scores_from_an_index`) are always measured at every
    size: their cost hardly grows, and a slope between two small, noisy timings would extrapolate
    a one-off stall into a wildly wrong line.

    Args:
        rankers: Indexed rankers by name.
        query: Query text.
        sizes: Candidate counts.
        budget_s: Most seconds one measured call may take.

    Returns:
        Columns ranker, label, kind, candidates, ms (fastest of up to 3 calls), extrapolated.

    Raises:
        ValueError: If a ranker has not been indexed, or `sizes` is empty or holds a size below 1.
    """
    if not sizes or min(sizes) < 1:
        raise ValueError(f"sizes must be positive integers, not {list(sizes)}")
    budget_ms = budget_s * 1000
    rows = []
    for name, ranker in rankers.items():
        if ranker.corpus is None or not len(ranker.corpus):
            raise ValueError(f"ranker {name!r} has no indexed corpus: call index(corpus) first")
        ids = ranker.corpus.ids
        rng = np.random.default_rng(0)
        ranker.score(query, list(ids[:1]))  # warm-up: lazy initialisation is not scoring cost
        measured = [(1, fastest_ms(partial(ranker.score_ms, query, list(ids[:1]))))]
        stopped, may_extrapolate = False, not ranker.scores_from_an_index
        for i, n in enumerate(sorted(set(sizes))):
            if i > 0 and may_extrapolate and (stopped or _extrapolate(measured, n) > budget_ms):
                stopped = True
                rows.append((name, ranker.label, ranker.kind, n, _extrapolate(measured, n), True))
                continue
            doc_ids = [ids[j] for j in rng.choice(len(ids), size=n, replace=n > len(ids))]
            ms = fastest_ms(partial(ranker.score_ms, query, doc_ids))
            measured = [*measured[:-1], (n, ms)] if measured[-1][0] == n else [*measured, (n, ms)]
            stopped = ms > budget_ms
            rows.append((name, ranker.label, ranker.kind, n, ms, False))
    return pd.DataFrame(rows, columns=["ranker", "label", "kind", "candidates", "ms", "extrapolated"])


def poly_codes_cost(model_dim: int = 384, codes: Sequence[int] = CODES, candidates: int = 1000,
                    repeats: int = 20) -> pd.DataFrame:
    """Time of the poly-encoder's scoring step for each number of codes m, without a backbone.

    Times `PolyEncoder.score` itself (each candidate attends over the m query vectors, then a dot
    product) on random tensors: context `[1, m, model_dim]`, candidates `[candidates, model_dim]`.
    Query encoding is excluded: it costs the same whatever m is, bar the small code attention.

    Args:
        model_dim: Hidden size d (384 for MiniLM).
        codes: Values of m.
        candidates: Documents scored per call.
        repeats: Timed calls per m (after one warm-up); the median is reported.

    Returns:
        Columns codes, candidates, ms (median), ms_min.

    Raises:
        ValueError: If a size is below 1.
    """
    if model_dim < 1 or candidates < 1 or repeats < 1 or not codes or min(codes) < 1:
        raise ValueError("model_dim, candidates, repeats and every m must be at least 1")
    generator = torch.Generator().manual_seed(0)
    documents = F.normalize(torch.randn(candidates, model_dim, generator=generator), dim=-1)
    heads = {m: (_score_head(model_dim, m), torch.randn(1, m, model_dim, generator=generator)) for m in codes}
    rows = []
    with torch.inference_mode():
        for head, context in heads.values():  # warm-up, so that the first m timed pays no allocation
            head.score(context, documents)
        for m, (head, context) in heads.items():  # context: [batch=1, m, dim]
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                head.score(context, documents)
                times.append((time.perf_counter() - start) * 1000)
            rows.append((m, candidates, float(np.median(times)), float(np.min(times))))
    return pd.DataFrame(rows, columns=["codes", "candidates", "ms", "ms_min"])


def _score_head(model_dim: int, m: int) -> PolyEncoder:
    """A `PolyEncoder` whose backbone is a stand-in giving only its hidden size: enough to call `score`."""
    stand_in = SimpleNamespace(config=SimpleNamespace(hidden_size=model_dim))
    return PolyEncoder(stand_in, None, PolyEncoderConfig(n_codes=m)).eval()

