"""The Rankings page's view-model: the query picker's labels, one contestant's top-k, a query's metrics, the
queries the contestants disagree on most, and the documents whose rank changes most between them."""

from __future__ import annotations

import math
from itertools import combinations
from typing import TYPE_CHECKING

import pandas as pd

from app_pages.views.data import document, snippet
from core.contestants.registry import kind_of
from core.evaluate import overlap_at_k
from core.types import Dataset

if TYPE_CHECKING:
    from core.comparison.results import Comparison, RankerResult


def query_label(dataset: Dataset, query_id: str, chars: int = 80) -> str:
    """"id · text" for a query picker."""
    return f"{query_id} · {snippet(dataset.queries.text(query_id), chars)}"


def side_by_side(comparison: Comparison, most: int = 4) -> list[str]:
    """The contestants Rankings first shows side by side: all of them up to `most`, else the `most` most expensive
    (the architectures being compared, the re-rankers among them) in the comparison's order."""
    names = list(comparison.results)
    if len(names) <= most:
        return names
    cost = {entry.name: kind_of(entry).cost for entry in comparison.spec.contestants}
    kept = set(sorted(names, key=lambda name: -cost.get(name, 0))[:most])  # stable: earlier ones win ties
    return [name for name in names if name in kept]


def ranking_table(dataset: Dataset, result: RankerResult, query_id: str, k: int = 10) -> pd.DataFrame:
    """One contestant's top-`k` for a query: rank, doc id, snippet, score and grade (None when unjudged)."""
    docs = list(result.run.get(query_id, {}).items())[:k]
    grades = (dataset.qrels or {}).get(query_id)
    rows = []
    for rank, (doc_id, score) in enumerate(docs, start=1):
        title, text = document(dataset, doc_id)
        grade = grades.get(doc_id) if grades else None  # None: not judged
        rows.append((rank, doc_id, snippet(f"{title}: {text}" if title else text), score, grade))
    frame = pd.DataFrame(rows, columns=["rank", "doc id", "snippet", "score", "grade"])
    return frame.astype({"grade": "Int64"}) if len(frame) else frame


def query_metrics_table(comparison: Comparison, query_id: str) -> pd.DataFrame:
    """Per-contestant metrics of one query; without qrels, overlap@10 with the agreement reference."""
    rows = {}
    for result in comparison.results.values():
        if comparison.has_qrels:
            rows[result.label] = {m: values.get(query_id, math.nan) for m, values in result.per_query.items()}
        elif comparison.reference is not None:
            reference = comparison.results[comparison.reference].run
            rows[result.label] = {f"overlap@10 with {comparison.reference}": overlap_at_k(
                {query_id: reference.get(query_id, {})}, {query_id: result.run.get(query_id, {})}, 10)}
    return pd.DataFrame.from_dict(rows, orient="index")


def disagreement_table(comparison: Comparison, dataset: Dataset, k: int = 10) -> pd.DataFrame:
    """Queries sorted by the lowest overlap@k between any two contestants, most disagreement first."""
    results = list(comparison.results.values())
    rows = []
    for query_id in dataset.queries.ids:
        pairs = [(overlap_at_k({query_id: a.run.get(query_id, {})}, {query_id: b.run.get(query_id, {})}, k),
                  f"{a.label} vs {b.label}") for a, b in combinations(results, 2)]
        pairs = [(value, names) for value, names in pairs if not math.isnan(value)]
        if pairs:
            value, names = min(pairs)
            rows.append((query_id, dataset.queries.text(query_id), value, names))
    frame = pd.DataFrame(rows, columns=["query id", "query", f"lowest overlap@{k}", "between"])
    return frame.sort_values(f"lowest overlap@{k}", kind="stable").reset_index(drop=True)


def rank_changes(comparison: Comparison, dataset: Dataset, query_id: str, k: int = 10) -> pd.DataFrame:
    """Documents in any contestant's top-`k` for the query, by the largest rank change between contestants.

    A document outside a ranker's run counts as rank `len(run) + 1` there, shown as None.
    """
    runs = {r.label: list(r.run.get(query_id, {})) for r in comparison.results.values()}
    shown = list(dict.fromkeys(d for docs in runs.values() for d in docs[:k]))
    rows = []
    for doc_id in shown:
        ranks = {label: (docs.index(doc_id) + 1 if doc_id in docs else None) for label, docs in runs.items()}
        filled = [rank if rank is not None else len(runs[label]) + 1 for label, rank in ranks.items()]
        rows.append({"doc id": doc_id, "title": document(dataset, doc_id)[0], **ranks,
                     "largest change": max(filled) - min(filled)})
    frame = pd.DataFrame(rows, columns=["doc id", "title", *runs, "largest change"])
    frame = frame.astype({label: "Int64" for label in runs})
    return frame.sort_values("largest change", ascending=False, kind="stable").reset_index(drop=True)
