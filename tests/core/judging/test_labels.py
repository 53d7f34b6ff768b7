"""Judgements as qrels: several judges settled, uploaded labels winning with conflicts shown, TREC qrels that
core.data reads back, and the unjudged share of a top 10."""

from __future__ import annotations

import math

from core.data import read_qrels
from core.judging.labels import Conflict, consensus, judged_counts, merge, trec_qrels, unjudged_share
from core.judging.records import Judgement


def made(*rows: tuple[str, str, int, str]) -> list[Judgement]:
    return [Judgement(query, doc, grade, judge, float(at)) for at, (query, doc, grade, judge) in enumerate(rows)]


def test_uploaded_labels_win_and_a_differing_judgement_is_a_conflict():
    judged = consensus(made(("q1", "d1", 2, "ana"), ("q1", "d2", 0, "ana"), ("q2", "d5", 1, "ana")))
    merged = merge({"q1": {"d1": 0}}, judged)
    assert merged.qrels == {"q1": {"d1": 0, "d2": 0}, "q2": {"d5": 1}}
    assert merged.added == 2 and merged.conflicts == (Conflict("q1", "d1", uploaded=0, judged=2),)
    assert merge(None, {}).qrels is None and merge({"q": {"d": 1}}, {}).added == 0


def test_judges_are_settled_by_the_lower_median():
    grades = made(("q", "d", 2, "a"), ("q", "d", 2, "b"), ("q", "d", 0, "c"), ("q", "e", 1, "a"), ("q", "e", 2, "b"))
    assert consensus(grades) == {"q": {"d": 2, "e": 1}}  # two of three say 2; a 1 and a 2 settle on 1
    assert judged_counts(grades) == {"a": 2, "b": 2, "c": 1}


def test_exported_qrels_are_read_back_as_they_were():
    qrels = {"q1": {"d1": 2, "d 2": 0}, "q2": {"d3": 1}}
    text = trec_qrels({"q1": {"d1": 2}, "q2": {"d3": 1}})
    assert dict(read_qrels(text.encode(), "judged.qrels")) == {"q1": {"d1": 2}, "q2": {"d3": 1}}
    assert text.count("\n") == 2 and "d 2" not in trec_qrels({"q2": qrels["q2"]})


def test_the_unjudged_share_counts_the_top_k_only_over_the_queries_asked():
    run = {"q1": {"a": 3.0, "b": 2.0, "c": 1.0, "d": 0.5}, "q2": {"x": 1.0}}
    qrels = {"q1": {"a": 1, "c": 0}, "q2": {"x": 0}}
    assert unjudged_share(run, qrels, ["q1"], k=3) == 1 / 3
    assert unjudged_share(run, qrels, ["q1", "q2"], k=3) == (1 / 3 + 0) / 2
    assert math.isnan(unjudged_share(run, qrels, ["q3"]))
