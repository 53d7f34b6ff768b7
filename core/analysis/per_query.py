"""Where and why contestants differ, query by query: win / tie / loss between every pair, the queries they disagree
on most, the metric by slices of the queries, and what fine-tuning gained and lost against its untrained start.

Pure functions over a finished `Comparison` and its `Dataset` (runs, per-query metrics, qrels, texts): no model
runs here. Per-query values are those `core.evaluate.evaluate` computed, over the judged queries.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import permutations

import numpy as np
import pandas as pd

from core.analysis.highlight import query_terms
from core.comparison.results import Comparison, RankerResult
from core.types import Dataset

TIE_MARGIN = 0.01
"""Two values of a metric closer than this on a query count as a tie."""
FINE_TUNED = "fine-tuned on"
"""How a fine-tuned model's description says so (`core.models.sources.training_state`)."""


@dataclass(frozen=True)
class Outcome:
    """Contestant `a` against `b`, query by query: the queries `a` wins, ties and loses on."""

    a: str
    b: str
    wins: tuple[str, ...]
    ties: tuple[str, ...]
    losses: tuple[str, ...]

    @property
    def counts(self) -> str:
        return f"{len(self.wins)} / {len(self.ties)} / {len(self.losses)}"


def outcome(a: str, b: str, values_a: Mapping[str, float], values_b: Mapping[str, float],
            margin: float = TIE_MARGIN) -> Outcome:
    """Per shared query, `a` wins when its value exceeds `b`'s by more than `margin`, loses when `b`'s exceeds by more,
    and ties otherwise.

    Example:
        >>> outcome("a", "b", {"q1": 0.9, "q2": 0.5, "q3": 0.1}, {"q1": 0.5, "q2": 0.505, "q3": 0.3}).counts
        '1 / 1 / 1'
    """
    shared = [q for q in values_a if q in values_b]
    wins = tuple(q for q in shared if values_a[q] - values_b[q] > margin)
    losses = tuple(q for q in shared if values_b[q] - values_a[q] > margin)
    return Outcome(a, b, wins, tuple(q for q in shared if q not in wins and q not in losses), losses)


def win_tie_loss(per_query: Mapping[str, Mapping[str, float]], margin: float = TIE_MARGIN) -> dict[tuple[str, str],
                                                                                                   Outcome]:
    """Every ordered pair of contestants (`per_query`: contestant → `{query_id: value}`) as an `Outcome`."""
    return {(a, b): outcome(a, b, per_query[a], per_query[b], margin) for a, b in permutations(per_query, 2)}


def first_relevant_rank(ranking: Mapping[str, float], grades: Mapping[str, int]) -> int | None:
    """The rank (from 1) of the first document graded above 0 in `ranking`, or None when it has none."""
    return next((rank for rank, doc in enumerate(ranking, start=1) if grades.get(doc, 0) > 0), None)


def disagreements(comparison: Comparison, dataset: Dataset, metric: str = "ndcg@10") -> pd.DataFrame:
    """The judged queries by how much the contestants disagree, most first: the spread (best − worst) of `metric`,
    and of the rank of the first relevant document (a contestant that finds none counts as one past its list)."""
    results = list(comparison.results.values())
    rows = []
    for query_id, grades in (dataset.qrels or {}).items():
        values = [result.per_query.get(metric, {}).get(query_id) for result in results]
        if not grades or any(value is None for value in values):
            continue
        ranks = [first_relevant_rank(result.run.get(query_id, {}), grades) for result in results]
        filled = [rank if rank is not None else len(result.run.get(query_id, {})) + 1
                  for rank, result in zip(ranks, results)]
        rows.append({"query id": query_id, "query": dataset.queries.text(query_id),
                     f"{metric} spread": max(values) - min(values), "first relevant rank spread": max(filled) - min(filled),
                     **{f"{result.label}": value for result, value in zip(results, values)}})
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    return frame.sort_values([f"{metric} spread", "first relevant rank spread"], ascending=False,
                             kind="stable").reset_index(drop=True)


def relevant_positions(comparison: Comparison, dataset: Dataset, query_id: str) -> pd.DataFrame:
    """Every relevant document of a query (grade above 0) with where each contestant put it (None: not in its list)."""
    grades = (dataset.qrels or {}).get(query_id, {})
    rows = []
    for doc_id, grade in sorted(grades.items(), key=lambda item: -item[1]):
        if grade <= 0:
            continue
        title = dataset.corpus.titles[dataset.corpus.position(doc_id)] if doc_id in dataset.corpus.ids else ""
        ranks = {result.label: (list(result.run.get(query_id, {})).index(doc_id) + 1
                                if doc_id in result.run.get(query_id, {}) else None)
                 for result in comparison.results.values()}
        rows.append({"doc id": doc_id, "title": title, "grade": grade, **ranks})
    frame = pd.DataFrame(rows, columns=["doc id", "title", "grade", *(r.label for r in comparison.results.values())])
    return frame.astype({r.label: "Int64" for r in comparison.results.values()})


# --- slices ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slicing:
    """One way of cutting the judged queries into groups, with what it shows.

    Attributes:
        title: What the groups are ("query length").
        question: What the slice answers, in words.
        groups: Group label → its query ids, in display order (empty groups left out).
    """

    title: str
    question: str
    groups: dict[str, list[str]] = field(default_factory=dict)


def _binned(values: Mapping[str, float], edges: list[tuple[str, Callable[[float], bool]]]) -> dict[str, list[str]]:
    groups = {label: [q for q, value in values.items() if belongs(value)] for label, belongs in edges}
    return {label: queries for label, queries in groups.items() if queries}


def by_query_length(dataset: Dataset) -> Slicing:
    """Judged queries by their length in words."""
    lengths = {q: len(dataset.queries.text(q).split()) for q, grades in (dataset.qrels or {}).items() if grades}
    edges = [("1–2 words", lambda n: n <= 2), ("3–4 words", lambda n: 3 <= n <= 4), ("5–7 words", lambda n: 5 <= n <= 7),
             ("8–12 words", lambda n: 8 <= n <= 12), ("13+ words", lambda n: n >= 13)]
    return Slicing("query length", "Do longer questions favour the models that read whole sentences?",
                   _binned(lengths, edges))


MAX_GROUPS = 12
"""A field with more distinct values among the judged queries is not sliced by (an id or free text, not a group)."""


def by_field(dataset: Dataset, name: str) -> Slicing | None:
    """Judged queries by the value of one of their fields (`Queries.fields`), largest group first; None when the
    field has over `MAX_GROUPS` values (or none) among them."""
    values = dataset.queries.fields.get(name, ())
    groups: dict[str, list[str]] = {}
    for query_id, value in zip(dataset.queries.ids, values):
        if value and (dataset.qrels or {}).get(query_id):
            groups.setdefault(value, []).append(query_id)
    if not groups or len(groups) > MAX_GROUPS:
        return None
    ordered = dict(sorted(groups.items(), key=lambda item: -len(item[1])))
    return Slicing(name, f"The queries' own {name}: which kinds of query each architecture handles.", ordered)


def word_overlap(dataset: Dataset, query_id: str) -> float | None:
    """The share of the query's terms (BM25's: stemmed, stop words dropped) found in its relevant documents, best
    relevant document counted; None for a query without terms or relevant documents."""
    terms = query_terms(dataset.queries.text(query_id))
    relevant = [d for d, grade in (dataset.qrels or {}).get(query_id, {}).items()
                if grade > 0 and d in dataset.corpus.ids]
    if not terms or not relevant:
        return None
    return max(len(terms & query_terms(dataset.corpus.passage(d))) / len(terms) for d in relevant)


def by_word_overlap(dataset: Dataset) -> Slicing:
    """Judged queries by how many of their words their relevant documents share (where lexical matching wins)."""
    overlap = {q: share for q in (dataset.qrels or {}) if (share := word_overlap(dataset, q)) is not None}
    edges = [("no shared word", lambda s: s == 0), ("under half shared", lambda s: 0 < s < 0.5),
             ("half or more shared", lambda s: 0.5 <= s < 1), ("every word shared", lambda s: s == 1)]
    return Slicing("word overlap",
                   "How many of the query's words its relevant documents share: where they share them, BM25 should do "
                   "well; where they share none, only a model of meaning can find them.", _binned(overlap, edges))


def shortlist_recall(result: RankerResult, qrels: Mapping[str, Mapping[str, int]]) -> dict[str, float]:
    """For a re-ranker, the share of each judged query's relevant documents its first stage handed it (those in its
    own list, which is the shortlist re-ordered)."""
    recall = {}
    for query_id, grades in qrels.items():
        relevant = {d for d, grade in grades.items() if grade > 0}
        if relevant:
            recall[query_id] = len(relevant & set(result.run.get(query_id, {}))) / len(relevant)
    return recall


def by_first_stage_recall(comparison: Comparison, dataset: Dataset) -> Slicing | None:
    """Judged queries by the recall of the first re-ranker's shortlist (None without a re-ranker): where it is 0,
    the re-ranker had nothing to work with."""
    reranker = next((result for result in comparison.results.values()
                     if comparison.spec.contestant(result.name).option("first")), None)
    if reranker is None or not dataset.qrels:
        return None
    recall = shortlist_recall(reranker, dataset.qrels)
    edges = [("none handed over", lambda r: r == 0), ("some handed over", lambda r: 0 < r < 1),
             ("all handed over", lambda r: r == 1)]
    return Slicing("shortlist recall",
                   f"How many relevant documents {reranker.label}'s first stage handed it: a re-ranker can only "
                   "re-order what its first stage found, so where that holds none it cannot help.",
                   _binned(recall, edges))


def slicings(comparison: Comparison, dataset: Dataset) -> list[Slicing]:
    """The slices worth drawing for this comparison: each field the queries carry, query length, word overlap, and
    the first stage's recall when a contestant re-ranks (each with at least two groups)."""
    found = [*(by_field(dataset, name) for name in dataset.queries.fields), by_query_length(dataset),
             by_word_overlap(dataset), by_first_stage_recall(comparison, dataset)]
    return [slicing for slicing in found if slicing is not None and len(slicing.groups) >= 2]


def slice_table(comparison: Comparison, slicing: Slicing, metric: str = "ndcg@10") -> pd.DataFrame:
    """One row per group: its label, how many queries, and each contestant's mean `metric` over them."""
    rows = []
    for label, queries in slicing.groups.items():
        row: dict[str, object] = {"group": label, "queries": len(queries)}
        for result in comparison.results.values():
            values = [result.per_query.get(metric, {}).get(q) for q in queries]
            values = [value for value in values if value is not None]
            row[result.label] = float(np.mean(values)) if values else math.nan
        rows.append(row)
    return pd.DataFrame(rows, columns=["group", "queries", *(r.label for r in comparison.results.values())])


# --- before and after training ---------------------------------------------------------------------


def training_pairs(comparison: Comparison) -> list[tuple[RankerResult, RankerResult]]:
    """Each fine-tuned contestant with its untrained start: the contestant of the same kind and first stage whose
    model is not fine-tuned (the zero-shot one `with_fine_tuned` put it beside)."""
    pairs = []
    results = list(comparison.results.values())
    for tuned in results:
        if FINE_TUNED not in tuned.model:
            continue
        first = comparison.spec.contestant(tuned.name).option("first") or ""
        start = next((r for r in results if r.kind == tuned.kind and FINE_TUNED not in r.model
                      and (comparison.spec.contestant(r.name).option("first") or "") == first), None)
        if start is not None:
            pairs.append((tuned, start))
    return pairs


def gains_and_losses(tuned: RankerResult, start: RankerResult, metric: str = "ndcg@10",
                     margin: float = TIE_MARGIN) -> Outcome:
    """The queries fine-tuning gained (wins over its start), kept (ties) and lost."""
    return outcome(tuned.label, start.label, tuned.per_query.get(metric, {}), start.per_query.get(metric, {}), margin)

