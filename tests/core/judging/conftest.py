"""A small comparison of three contestants, made by hand (their runs are what judging reads), on data without
labels."""

from __future__ import annotations

import pytest

from core.comparison.colours import colour_for
from core.comparison.results import Comparison, RankerResult, dataset_summary
from core.contestants.registry import comparison, contestant
from core.types import Corpus, Dataset, Queries

RUNS = {
    "bm25": {"q1": {"d1": 3.0, "d2": 2.0, "d3": 1.0}, "q2": {"d4": 2.0, "d5": 1.0}, "q3": {"d1": 1.0, "d2": 0.5}},
    "bi": {"q1": {"d2": 0.9, "d1": 0.8, "d6": 0.7}, "q2": {"d4": 0.9, "d5": 0.8}, "q3": {"d1": 0.9, "d2": 0.5}},
    "cross": {"q1": {"d6": 5.0, "d2": 4.0, "d1": 3.0}, "q2": {"d5": 2.0, "d4": 1.0}, "q3": {"d1": 1.0, "d2": 0.2}},
}


@pytest.fixture
def unlabelled() -> Dataset:
    ids = tuple(f"d{i}" for i in range(1, 7))
    return Dataset(Corpus(ids, tuple(f"text of {doc}" for doc in ids), ("",) * len(ids)),
                   Queries(("q1", "q2", "q3"), ("first question", "second question", "third question")), None, "tiny")


@pytest.fixture
def three(unlabelled: Dataset) -> Comparison:
    spec = comparison([contestant({"name": "bm25", "kind": "bm25"}), contestant({"name": "bi", "kind": "bi"}),
                       contestant({"name": "cross", "kind": "cross", "first": "bm25", "depth": 3})], k=3)
    results = {name: RankerResult(name, spec.contestant(name).kind, "", name, True, "model", colour_for(i), run, 0.0,
                                  [1.0] * 3, name) for i, (name, run) in enumerate(RUNS.items())}
    return Comparison(spec, dataset_summary(unlabelled), results, "cross", [])
