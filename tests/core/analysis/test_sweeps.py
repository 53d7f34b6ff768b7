"""Trade-off points, the Pareto frontier and the sweeps, on deterministic `Ranker` subclasses (no models)."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from functools import partial

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F

from core.analysis.sweeps import (
    _score_head,
    cost_vs_candidates,
    load_note,
    poly_codes_cost,
    rerank_depth_sweep,
)
from core.analysis.tradeoff_points import TRADEOFF_COLUMNS, pareto_frontier, tradeoff_points
from core.comparison.colours import PALETTE
from core.data import Corpus, Dataset, Queries
from core.rankers.base import Progress, Ranker, top_k
from core.timing import fastest_ms, wall_ms
from tests.core.present.test_figures import make_comparison

CORPUS = Corpus(tuple(f"d{i}" for i in range(30)), tuple(f"text {i}" for i in range(30)), ("",) * 30)


class PositionRanker(Ranker):
    """Scores a document by `sign × its corpus position`, optionally sleeping per scored document.

    sign=-1 ranks the corpus in file order (d0 first); sign=+1 ranks it backwards. Every `score` call's
    candidate list is recorded, so tests can count what was scored.
    """

    kind = "fake"

    def __init__(self, sign: float, name: str = "fake", seconds_per_doc: float = 0.0, seconds_per_call: float = 0.0):
        super().__init__(name, "position")
        self.sign, self.seconds_per_doc, self.seconds_per_call = sign, seconds_per_doc, seconds_per_call
        self.calls: list[list[str]] = []

    def _build_index(self, corpus: Corpus, progress: Progress) -> None:
        progress("fake index", 1.0)

    def score(self, query: str, doc_ids: Sequence[str]) -> np.ndarray:
        self.calls.append(list(doc_ids))
        time.sleep(self.seconds_per_call + self.seconds_per_doc * len(doc_ids))
        return self.sign * self._positions(doc_ids).astype(float)

    def _rank_corpus(self, query: str, k: int) -> dict[str, float]:
        assert self.corpus is not None
        return top_k(self.corpus.ids, self.score(query, self.corpus.ids), k)


def _indexed(*rankers: Ranker) -> None:
    for ranker in rankers:
        ranker.index(CORPUS)


# --- trade-off points and the frontier --------------------------------------------------------------


def test_tradeoff_points_use_ndcg_with_qrels():
    points = tradeoff_points(make_comparison())
    assert list(points.columns) == TRADEOFF_COLUMNS == ["ranker", "label", "colour", "latency_ms", "quality", "trained",
                                                        "reference", "metric"]
    assert points["ranker"].tolist() == ["lexical", "dense", "poly", "dense → cross"]  # names, in the spec's order
    assert points["colour"].tolist() == list(PALETTE[:4])
    assert points["quality"].tolist() == pytest.approx([0.5, 0.6, 0.7, 0.8])
    assert points["latency_ms"].tolist() == pytest.approx([2.0, 20.0, 200.0, 2000.0])  # p50 of [1, 2, 4] × 10^i
    assert not points["reference"].any() and set(points["metric"]) == {"ndcg@10"}
    assert points.loc[2, "label"] == "poly (untrained)" and not points.loc[2, "trained"]


def test_tradeoff_points_use_agreement_without_qrels_with_the_reference_at_one():
    points = tradeoff_points(make_comparison(has_qrels=False)).set_index("ranker")
    assert points.loc["dense → cross", "quality"] == 1.0 and points.loc["dense → cross", "reference"]
    assert points.loc["dense", "quality"] == pytest.approx(0.4) and not points.loc["dense", "reference"]
    assert points["reference"].sum() == 1
    assert set(points["metric"]) == {"overlap@10"}


def test_pareto_frontier_keeps_only_undominated_rows_fastest_first():
    points = pd.DataFrame({"ranker": list("abcdef"),
                           "latency_ms": [10.0, 1.0, 5.0, 5.0, 50.0, 7.0],
                           "quality": [0.8, 0.3, 0.6, 0.5, 0.8, float("nan")]})
    frontier = pareto_frontier(points)
    # b (fastest), c (beats b's 0.3 at 5 ms; d is slower-or-equal and worse), a (0.8 at 10 ms);
    # e has a's quality at 5× the latency, f has no quality
    assert frontier["ranker"].tolist() == ["b", "c", "a"]
    assert frontier["latency_ms"].is_monotonic_increasing and frontier["quality"].is_monotonic_increasing


def test_pareto_frontier_of_one_point_is_that_point():
    points = pd.DataFrame({"latency_ms": [3.0], "score": [0.1]})
    assert pareto_frontier(points, "score").index.tolist() == [0]


# --- re-ranking depth sweep ---------------------------------------------------------------------------


def _dataset(qrels=None) -> Dataset:
    return Dataset(CORPUS, Queries(("q1", "q2"), ("one", "two")), qrels, "positions")


def test_depth_sweep_reranks_prefixes_of_one_scored_shortlist():
    first, cross = PositionRanker(-1.0, "first"), PositionRanker(+1.0, "cross", seconds_per_doc=1e-4)
    _indexed(first, cross)
    qrels = {"q1": {"d19": 1, "d3": 1}, "q2": {"d3": 1}}
    frame = rerank_depth_sweep(_dataset(qrels), first, cross, depths=(5, 10, 20, 50))
    assert frame["depth"].tolist() == [5, 10, 20]  # 50 exceeds the 30 documents
    # cross scored each query's deepest shortlist (d0..d19) exactly once
    assert cross.calls == [[f"d{i}" for i in range(20)]] * 2
    # re-ranked by position, backwards: depth 5 → d4 d3 d2 d1 d0; depth 10 → d9..d0; depth 20 → d19..d0
    ideal_two, ideal_one = 1 + 1 / math.log2(3), 1.0
    q1 = [(1 / math.log2(3)) / ideal_two, (1 / math.log2(8)) / ideal_two, 1.0 / ideal_two]  # d3 at 2, 7, 17 (>10)
    q2 = [(1 / math.log2(3)) / ideal_one, (1 / math.log2(8)) / ideal_one, 0.0]
    assert frame["quality"].tolist() == pytest.approx([(a + b) / 2 for a, b in zip(q1, q2)])
    assert set(frame["metric"]) == {"ndcg@10"}


def test_depth_sweep_latency_is_first_stage_plus_measured_cost_per_pair():
    first, cross = PositionRanker(-1.0, "first"), PositionRanker(+1.0, "cross", seconds_per_doc=1e-3)
    _indexed(first, cross)
    frame = rerank_depth_sweep(_dataset(), first, cross, depths=(5, 10, 20))
    per_pair = frame["cross_ms_per_pair"].iloc[0]
    assert per_pair >= 1.0  # slept 1 ms per scored document
    assert frame["latency_ms"].tolist() == pytest.approx((frame["first_stage_ms"] + per_pair * frame["depth"]).tolist())
    assert frame["first_stage_ms"].iloc[0] == pytest.approx(float(np.median(first.timings.query_ms)))


def test_depth_sweep_without_qrels_measures_agreement_with_the_deepest_reranking():
    first, cross = PositionRanker(-1.0, "first"), PositionRanker(+1.0, "cross")
    _indexed(first, cross)
    frame = rerank_depth_sweep(_dataset(), first, cross, depths=(10, 15, 20))
    # deepest top-10 = d19..d10; depth 15 → d14..d5 shares d14..d10 (5 of 10); depth 10 → d9..d0 shares none
    assert frame["quality"].tolist() == pytest.approx([0.0, 0.5, 1.0])
    assert set(frame["metric"]) == {"overlap@10"}


def test_depth_sweep_falls_back_to_the_corpus_size_and_rejects_bad_depths():
    first, cross = PositionRanker(-1.0, "first"), PositionRanker(+1.0, "cross")
    _indexed(first, cross)
    assert rerank_depth_sweep(_dataset(), first, cross, depths=(100, 1000))["depth"].tolist() == [30]
    with pytest.raises(ValueError, match="depths"):
        rerank_depth_sweep(_dataset(), first, cross, depths=(0, 10))


def test_depth_sweep_reports_progress_up_to_one():
    first, cross = PositionRanker(-1.0, "first"), PositionRanker(+1.0, "cross")
    _indexed(first, cross)
    fractions = []
    rerank_depth_sweep(_dataset(), first, cross, depths=(5, 10), progress=lambda _, fraction: fractions.append(fraction))
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)


# --- cost against candidates ---------------------------------------------------------------------------


def test_fastest_ms_keeps_the_quickest_call_and_stops_repeating_past_the_budget():
    sleeps = iter([0.03, 0.01, 0.02, 0.0])
    calls, took_ms = [], []

    def call():
        calls.append(next(sleeps))
        start = time.perf_counter()
        time.sleep(calls[-1])
        took_ms.append((time.perf_counter() - start) * 1000)

    fastest = fastest_ms(partial(wall_ms, call), repeats=3, budget_s=1.0)
    assert calls == [0.03, 0.01, 0.02] and min(took_ms) <= fastest <= min(took_ms) + 5.0
    calls.clear()
    sleeps = iter([0.03, 0.0])
    assert fastest_ms(partial(wall_ms, call), repeats=3, budget_s=0.02) >= 30.0 and calls == [0.03]  # one call was over budget


def test_cost_vs_candidates_extrapolates_what_the_budget_cannot_afford():
    slow = PositionRanker(1.0, "slow", seconds_per_doc=1e-4)  # 10 → 1 ms, 100 → 10 ms, 1000 → 100 ms
    _indexed(slow)
    frame = cost_vs_candidates({"slow": slow}, "query", sizes=(10, 100, 1000, 10_000), budget_s=0.05)
    assert frame["candidates"].tolist() == [10, 100, 1000, 10_000]
    assert frame["extrapolated"].tolist() == [False, False, True, True]  # 1000 predicted at ≈ 100 ms > 50 ms
    ms_10, ms_100 = frame["ms"].iloc[:2]
    assert ms_100 >= 10.0
    per_candidate = (ms_100 - ms_10) / (100 - 10)  # the slope between the two largest measured sizes
    assert frame["ms"].iloc[2:].tolist() == pytest.approx([ms_100 + per_candidate * (1000 - 100),
                                                          ms_100 + per_candidate * (10_000 - 100)])
    # 100 candidates drawn with repetition from 30 documents, all of them real ids
    drawn = [call for call in slow.calls if len(call) == 100]
    assert drawn and set(drawn[0]) <= set(CORPUS.ids) and len(set(drawn[0])) <= 30


def test_cost_vs_candidates_does_not_multiply_a_fixed_cost_per_call():
    encoder_like = PositionRanker(1.0, "encoder", seconds_per_call=0.02)  # query encoding, then nearly free
    _indexed(encoder_like)
    frame = cost_vs_candidates({"encoder": encoder_like}, "q", sizes=(10, 100, 1000), budget_s=0.1)
    assert not frame["extrapolated"].any()  # 100× the candidates is not predicted at 100× the time
    assert frame["ms"].min() >= 20.0


def test_cost_vs_candidates_stops_after_a_call_over_budget():
    sluggish = PositionRanker(1.0, "sluggish", seconds_per_call=0.03)
    fast = PositionRanker(1.0, "fast")
    _indexed(sluggish, fast)
    frame = cost_vs_candidates({"sluggish": sluggish, "fast": fast}, "q", sizes=(10, 20, 40), budget_s=0.02)
    assert frame.loc[frame.ranker == "sluggish", "extrapolated"].tolist() == [False, True, True]
    assert frame.loc[frame.ranker == "fast", "extrapolated"].tolist() == [False, False, False]
    assert set(frame["label"]) == {"sluggish", "fast"} and set(frame["kind"]) == {"fake"}


def test_cost_vs_candidates_always_measures_rankers_that_score_from_an_index():
    stalling = PositionRanker(1.0, "stalling", seconds_per_call=0.03)  # over budget at every size
    stalling.scores_from_an_index = True
    _indexed(stalling)
    frame = cost_vs_candidates({"stalling": stalling}, "q", sizes=(10, 20, 40), budget_s=0.02)
    assert not frame["extrapolated"].any() and frame["ms"].min() >= 30.0
    assert {len(call) for call in stalling.calls} == {1, 10, 20, 40}


def test_cost_vs_candidates_needs_indexed_rankers():
    with pytest.raises(ValueError, match="index"):
        cost_vs_candidates({"raw": PositionRanker(1.0)}, "q", sizes=(10,))


# --- poly-encoder codes ------------------------------------------------------------------------------------


def test_poly_codes_cost_times_each_m():
    frame = poly_codes_cost(model_dim=8, codes=(1, 4), candidates=16, repeats=2)
    assert frame["codes"].tolist() == [1, 4] and set(frame["candidates"]) == {16}
    assert (frame["ms"] > 0).all() and (frame["ms_min"] <= frame["ms"]).all()


def test_the_timed_head_is_the_poly_encoders_own_scoring():
    head = _score_head(model_dim=4, m=1)
    context = torch.tensor([[[3.0, 0.0, 4.0, 0.0]]])  # [batch=1, m=1, dim=4]
    documents = F.normalize(torch.tensor([[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]]), dim=-1)
    scores, weights = head.score(context, documents)
    # one code: attention weight 1, so the score is the cosine of the document with the context vector
    assert scores[0].tolist() == pytest.approx([3 / 5, 4 / 5]) and weights.shape == (1, 2, 1)


def test_timings_on_a_busy_machine_say_so_and_quiet_ones_do_not():
    assert load_note(0.4, 2) == ""
    assert load_note(3.2, 2).startswith("Measured while the machine was busy (1-minute load average 3.2 on 2 cores)")
    assert isinstance(load_note(), str)  # this machine, now

