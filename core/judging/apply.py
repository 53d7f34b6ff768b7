"""A comparison seen through its data set's judgements: metrics recomputed on the uploaded qrels merged with what
judges graded, and a record of who judged what, for every page and the report.

Runs are not recomputed: judging changes what counts as relevant, not what the contestants ranked. A metric on a
judged pool counts a document nobody judged as not relevant; each contestant's share of such documents in its top
10 is stated beside it, so that one which finds documents outside the pool is not marked down without a word.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from core.comparison.results import Comparison, dataset_summary
from core.evaluate import METRICS, evaluate
from core.judging.agreement import interpretation, judge_agreement
from core.judging.labels import Merged, consensus, judged_counts, merge, unjudged_share
from core.judging.records import JUDGED_NOTE
from core.judging.store import Judged
from core.types import Dataset


@dataclass(frozen=True)
class JudgedView:
    """The data and comparison with judgements applied, and how they were merged."""

    dataset: Dataset
    comparison: Comparison
    merged: Merged


def with_judgements(comparison: Comparison, dataset: Dataset, judged: Judged) -> JudgedView:
    """`comparison` (computed on `dataset`) evaluated on `dataset`'s qrels merged with `judged`'s judgements
    (`core.judging.labels.merge`); as it was when no judgement adds a label."""
    merged = merge(dataset.qrels, consensus(judged.judgements))
    if not merged.added:
        return JudgedView(dataset, _with_record(comparison, judged, merged), merged)
    data = replace(dataset, qrels=merged.qrels)
    queries = [query_id for query_id in data.queries.ids if merged.qrels.get(query_id)]
    results = {}
    for name, result in comparison.results.items():
        metrics, per_query = evaluate(merged.qrels, result.run, METRICS)
        results[name] = replace(result, metrics=metrics, per_query=per_query)
    unjudged = ", ".join(f"{result.label} {unjudged_share(result.run, merged.qrels, queries):.0%}"
                         for result in results.values())
    note = (f"{JUDGED_NOTE} {merged.added:,} judgements made in the app; a document nobody judged counts as not "
            f"relevant. Unjudged share of each top 10 (judged queries): {unjudged}")
    judged_comparison = replace(comparison, dataset=dataset_summary(data), results=results,
                                notes=[*comparison.notes, note])
    return JudgedView(data, _with_record(judged_comparison, judged, merged), merged)


def _with_record(comparison: Comparison, judged: Judged, merged: Merged) -> Comparison:
    """`comparison` with its data summary's "judging" entry: who judged how many documents, their agreement, the
    votes cast and the conflicts with uploaded labels (none without any judging)."""
    if not judged.version:
        return comparison
    return replace(comparison, dataset={**comparison.dataset, "judging": judging_record(judged, merged)})


def judging_record(judged: Judged, merged: Merged) -> dict[str, Any]:
    """What the report and `metrics.json` say of the judging, as JSON-ready fields."""
    agreement = judge_agreement(judged.judgements)
    return {"judged_by": dict(judged_counts(judged.judgements)), "votes": len(judged.votes),
            "voters": len({vote.judge for vote in judged.votes}), "added_to_qrels": merged.added,
            "conflicts_with_uploaded": len(merged.conflicts), "agreement": {
                "method": agreement.method, "kappa": agreement.kappa, "shared_documents": agreement.items_shared,
                "reading": interpretation(agreement.kappa)}}
