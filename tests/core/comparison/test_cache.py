"""Nothing computed twice: pair scores and whole comparisons kept on disk for any later process, with the
latencies they cost when computed; and comparisons run in the background, publishing each contestant as it
finishes (real embedded models on the sample data)."""

from __future__ import annotations

import json
import threading
from dataclasses import replace

import numpy as np
import pytest

from core.caches.pair_scores import PairScoreCache
from core.cli import main
from core.comparison import cache as result_cache
from core.comparison.admission import Admission
from core.comparison.compare import compare
from core.comparison.live import LiveComparison, LiveComparisons
from core.config import ModelPolicy
from core.contestants.registry import comparison, contestant
from core.data import first_queries
from core.models.loading import load_cross_encoder
from core.rankers.cross_encoder import CrossEncoderRanker
from core.types import Corpus
from tests.conftest import SAMPLE_BEIR

CHEAP = comparison([contestant({"name": "words", "kind": "bm25"}), contestant({"name": "vectors", "kind": "bi"})],
                   k=10)
WITH_CROSS = comparison([*CHEAP.contestants, contestant({"name": "reader", "kind": "cross", "first": "vectors",
                                                         "depth": 5})], k=10)


@pytest.fixture(scope="module")
def subset(sample_dataset):
    return first_queries(sample_dataset, 6)


@pytest.fixture
def scores_on_disk(tmp_path, monkeypatch) -> PairScoreCache:
    cache = PairScoreCache(tmp_path / "pair_scores.sqlite3")
    monkeypatch.setattr("core.rankers.cross_encoder.pair_scores", cache)
    return cache


def cross_ranker(corpus: Corpus) -> CrossEncoderRanker:
    ranker = CrossEncoderRanker(load_cross_encoder("embedded"), "embedded", fingerprint="weights-1")
    ranker.index(corpus)
    return ranker


def test_a_new_ranker_reads_the_scores_and_their_cost_from_disk(subset, scores_on_disk, monkeypatch):
    shortlist = {q: dict.fromkeys(subset.corpus.ids[:8], 0.0) for q in subset.queries.ids}
    first = cross_ranker(subset.corpus)
    run = first.search(subset.queries, 5, shortlist)

    def no_model(*args, **kwargs):
        pytest.fail("scored a pair the cache holds")

    again = cross_ranker(subset.corpus)
    monkeypatch.setattr(again.scorer, "predict", no_model)
    assert again.search(subset.queries, 5, shortlist) == run


def test_cached_scores_keep_the_latency_they_cost(subset, scores_on_disk):
    shortlist = {q: dict.fromkeys(subset.corpus.ids[:8], 0.0) for q in subset.queries.ids}
    first = cross_ranker(subset.corpus)
    first.search(subset.queries, 5, shortlist)
    again = cross_ranker(subset.corpus)
    again.search(subset.queries, 5, shortlist)
    assert np.median(again.timings.query_ms) >= 0.5 * np.median(first.timings.query_ms)
    assert again.score(subset.queries.texts[0], subset.corpus.ids[:3]).tolist() == pytest.approx(
        first.score(subset.queries.texts[0], subset.corpus.ids[:3]).tolist(), abs=1e-6)


def test_scores_depend_on_the_model_and_the_corpus(subset, scores_on_disk):
    query, docs = subset.queries.texts[0], list(subset.corpus.ids[:4])
    cross_ranker(subset.corpus).score(query, docs)
    namespaces = {cross_ranker(subset.corpus).cache_namespace}
    other_weights = CrossEncoderRanker(load_cross_encoder("embedded"), "embedded", fingerprint="weights-2")
    other_weights.index(subset.corpus)
    smaller = Corpus(subset.corpus.ids[:50], subset.corpus.titles[:50], subset.corpus.texts[:50])
    namespaces |= {other_weights.cache_namespace, cross_ranker(smaller).cache_namespace}
    assert len(namespaces) == 3  # the IDF prior counts over the corpus: another corpus, other scores
    assert len(scores_on_disk.lookup(next(iter(namespaces)), query, docs)) in (0, 4)
    unkeyed = CrossEncoderRanker(load_cross_encoder("embedded"), "a-hub/model-id")
    unkeyed.index(subset.corpus)
    assert unkeyed.cache_namespace is None  # weights that cannot be fingerprinted are never cached


def test_a_comparison_is_read_back_whole_and_any_change_is_a_miss(subset, tmp_path, monkeypatch):
    monkeypatch.setattr(result_cache, "FOLDER", tmp_path)
    done = compare(subset, CHEAP)
    assert result_cache.read_comparison(subset, CHEAP) is None
    result_cache.keep_comparison(subset, done)
    again = result_cache.read_comparison(subset, CHEAP)
    assert again is not None and again.to_dict() == done.to_dict()
    assert {name: r.run for name, r in again.results.items()} == {name: r.run for name, r in done.results.items()}
    assert again.results["vectors"].per_query == done.results["vectors"].per_query
    assert result_cache.read_comparison(subset, replace(CHEAP, k=9)) is None
    assert result_cache.read_comparison(first_queries(subset, 5), CHEAP) is None
    hub = comparison([contestant({"name": "hub", "kind": "bi", "model": "some-org/some-model"})])
    assert result_cache.comparison_key(subset, hub) is None
    elsewhere = replace(subset, name="copy in another folder", notes=("its own reading note",))
    replayed = result_cache.read_comparison(elsewhere, CHEAP)  # equal content: the same numbers, this load's words
    assert replayed.dataset["name"] == "copy in another folder" and replayed.dataset["notes"] == ["its own reading note"]
    assert replayed.results["vectors"].metrics == done.results["vectors"].metrics


def test_the_cli_answers_a_repeated_comparison_from_the_cache(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(result_cache, "FOLDER", tmp_path / "cache")
    arguments = ["compare", str(SAMPLE_BEIR), "--rankers", "bi,bm25", "--k", "10", "--max-queries", "4"]
    assert main([*arguments, "--out", str(tmp_path / "first")]) == 0
    assert "answered from the cache" not in capsys.readouterr().err
    assert main([*arguments, "--out", str(tmp_path / "second")]) == 0
    assert "answered from the cache" in capsys.readouterr().err
    assert (json.loads((tmp_path / "first" / "metrics.json").read_text())
            == json.loads((tmp_path / "second" / "metrics.json").read_text()))
    assert main([*arguments, "--out", str(tmp_path / "third"), "--recompute"]) == 0
    assert "answered from the cache" not in capsys.readouterr().err


def test_a_live_run_publishes_each_contestant_as_it_finishes(subset, tmp_path, monkeypatch):
    monkeypatch.setattr(result_cache, "FOLDER", tmp_path)
    seen: list[tuple[str, ...]] = []
    run = LiveComparison(subset, WITH_CROSS, Admission(1), ModelPolicy())
    original = run._ranked
    monkeypatch.setattr(run, "_ranked", lambda result: (original(result), seen.append(
        tuple(run.snapshot.results) if run.snapshot else ())))
    run.start()
    assert run.wait(600) and run.error is None
    assert seen[:2] == [("words",), ("words", "vectors")]  # cheapest first, each shown before the next runs
    assert list(run.comparison.results) == ["words", "vectors", "reader"]
    assert run.snapshot is run.comparison and run.fraction == pytest.approx(1.0)
    assert result_cache.read_comparison(subset, WITH_CROSS) is not None  # kept for the next process


def test_a_released_run_stops_and_keeps_what_finished(subset, tmp_path, monkeypatch):
    monkeypatch.setattr(result_cache, "FOLDER", tmp_path)
    reached_cross, go_on = threading.Event(), threading.Event()
    index = CrossEncoderRanker.index

    def held_index(self, corpus, progress):
        reached_cross.set()
        go_on.wait(60)
        index(self, corpus, progress)

    monkeypatch.setattr(CrossEncoderRanker, "index", held_index)
    runs = LiveComparisons()
    run, joined = runs.start_or_join("key", lambda: LiveComparison(subset, WITH_CROSS, Admission(1), ModelPolicy()))
    same, joined_too = runs.start_or_join("key", lambda: pytest.fail("started a second run of the same comparison"))
    assert same is run and (joined, joined_too) == (False, True)
    assert reached_cross.wait(600)
    run.release()  # one of two watchers leaves: the run goes on
    assert not run.cancelled
    run.release()
    go_on.set()
    assert run.wait(600) and run.comparison is None and run.error is None
    assert list(run.snapshot.results) == ["words", "vectors"] and "stopped before reader" in run.snapshot.notes[-1]
    assert result_cache.read_comparison(subset, WITH_CROSS) is None  # a partial run is never cached


def test_a_run_waits_its_turn_and_can_leave_the_line(subset):
    line = Admission(1)
    with line.slot():
        run = LiveComparison(subset, CHEAP, line, ModelPolicy()).start()
        run.watch()
        while "Waiting for the CPU: 1 comparison ahead" not in run.message:
            run.wait(0.05)
        run.release()
        assert run.wait(10) and run.snapshot is None and run.comparison is None


def test_the_pair_score_cache_starts_again_past_its_size(tmp_path):
    cache = PairScoreCache(tmp_path / "scores.sqlite3", max_bytes=64 * 1024)
    for query in range(40):
        cache.scores("ns", f"query {query}", [f"d{i}" for i in range(50)], lambda missing: np.zeros(len(missing)))
    assert (tmp_path / "scores.sqlite3").stat().st_size < 1024 * 1024
    assert cache.lookup("ns", "query 39", ["d0"]) == {"d0": (0.0, pytest.approx(0.0, abs=5.0))}
    assert cache.lookup("ns", "query 0", ["d0"]) == {}  # dropped when the file grew past its size

