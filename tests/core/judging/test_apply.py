"""A comparison seen through the judgements: metrics appear on data that had no labels, equal to ranx on the
merged qrels, with the judging recorded for the report."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from core.evaluate import evaluate
from core.judging.apply import with_judgements
from core.judging.store import JudgingStore
from core.present.report import html_report


def test_judgements_give_an_unlabelled_comparison_its_metrics(three, unlabelled, tmp_path):
    store = JudgingStore(tmp_path / "log.jsonl")
    assert with_judgements(three, unlabelled, store.read()).comparison is three  # nobody judged: as it was
    for doc, grade in (("d1", 2), ("d2", 0), ("d6", 1)):
        store.add_judgement("q1", doc, grade, "ana")
    store.add_judgement("q1", "d1", 0, "bo")  # a second judge: ana 2, bo 0 settle on 0
    store.add_judgement("q1", "d2", 0, "bo")
    store.add_vote("q1", "bi", "cross", "b", "ana")
    view = with_judgements(three, unlabelled, store.read())
    qrels = {"q1": {"d1": 0, "d2": 0, "d6": 1}}
    assert view.dataset.qrels == qrels and view.comparison.has_qrels and view.merged.added == 3
    for name, result in view.comparison.results.items():
        assert result.metrics == pytest.approx(evaluate(qrels, three.results[name].run)[0])
        assert result.run is three.results[name].run  # judging changes the labels, not the rankings
    assert view.comparison.results["cross"].metrics["ndcg@10"] == 1.0  # d6, the only relevant one, first
    assert view.comparison.results["bm25"].metrics["ndcg@10"] == 0.0
    record = view.comparison.dataset["judging"]
    assert record["judged_by"] == {"ana": 3, "bo": 2} and record["votes"] == 1 and record["added_to_qrels"] == 3
    assert record["agreement"]["shared_documents"] == 2
    note = view.comparison.notes[-1]
    assert note.startswith("metrics include 3 judgements") and "bm25 33%, bi 0%" in note  # bm25 found d3: unjudged
    report = html_report(view.comparison, {})
    assert "Judged in the app" in report and "<td>ana</td><td class=\"number\">3</td>" in report


def test_uploaded_labels_count_where_a_judgement_differs(three, unlabelled, tmp_path):
    labelled = replace(unlabelled, qrels={"q1": {"d6": 0}})
    store = JudgingStore(tmp_path / "log.jsonl")
    store.add_judgement("q1", "d6", 2, "ana")
    store.add_judgement("q2", "d5", 2, "ana")
    view = with_judgements(three, labelled, store.read())
    assert view.dataset.qrels == {"q1": {"d6": 0}, "q2": {"d5": 2}}
    assert view.comparison.dataset["judging"]["conflicts_with_uploaded"] == 1
    assert math.isclose(view.comparison.results["cross"].metrics["mrr@10"], (0 + 1) / 2)
