"""Judgements as relevance labels: one grade per (query, document) from several judges, merged with uploaded
qrels (which win), written as TREC qrels, and what a run's top k holds that nobody judged.

Several judges of one document are settled by the lower median of their grades: a document is relevant only when
at least half its judges say so. Uploaded labels are the reference: a judgement that disagrees with one is kept
as a `Conflict` to show, never written over it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from core.judging.records import Judgement
from core.types import Qrels, Run


@dataclass(frozen=True)
class Conflict:
    """A document whose uploaded grade and judged grade differ (the uploaded one counts)."""

    query_id: str
    doc_id: str
    uploaded: int
    judged: int


@dataclass(frozen=True)
class Merged:
    """Uploaded qrels and judgements together.

    Attributes:
        qrels: What metrics are computed on (None when there is neither).
        added: Judged (query, document) pairs that the uploaded qrels did not have.
        conflicts: Judged pairs whose grade differs from the uploaded one.
    """

    qrels: Qrels | None
    added: int
    conflicts: tuple[Conflict, ...]


def consensus(judgements: Iterable[Judgement]) -> Qrels:
    """One grade per judged (query, document): the lower median of its judges' grades.

    Example:
        >>> made = [Judgement("q", "d", grade, judge, 0.0) for grade, judge in ((2, "ann"), (0, "bo"), (1, "cy"))]
        >>> consensus(made), consensus(made[:2])
        ({'q': {'d': 1}}, {'q': {'d': 0}})
    """
    grades: dict[str, dict[str, list[int]]] = {}
    for judgement in judgements:
        grades.setdefault(judgement.query_id, {}).setdefault(judgement.doc_id, []).append(judgement.grade)
    return {query_id: {doc_id: sorted(given)[(len(given) - 1) // 2] for doc_id, given in docs.items()}
            for query_id, docs in grades.items()}


def merge(uploaded: Qrels | None, judged: Qrels) -> Merged:
    """`uploaded` qrels with the `judged` grades added where they have none; where both grade a document, the
    uploaded grade stays and a differing judged one is a `Conflict`."""
    if not judged:
        return Merged(uploaded, 0, ())
    qrels = {query_id: dict(docs) for query_id, docs in (uploaded or {}).items()}
    added, conflicts = 0, []
    for query_id, docs in judged.items():
        known = qrels.setdefault(query_id, {})
        for doc_id, grade in docs.items():
            if doc_id not in known:
                known[doc_id], added = grade, added + 1
            elif known[doc_id] != grade:
                conflicts.append(Conflict(query_id, doc_id, known[doc_id], grade))
    return Merged(qrels, added, tuple(conflicts))


def trec_qrels(qrels: Qrels) -> str:
    """`qrels` in TREC's layout, one "query 0 document grade" line each (what `core.data` reads back).

    Example:
        >>> print(trec_qrels({"q1": {"d2": 1, "d1": 0}}), end="")
        q1 0 d2 1
        q1 0 d1 0
    """
    return "".join(f"{query_id} 0 {doc_id} {grade}\n" for query_id, docs in qrels.items()
                   for doc_id, grade in docs.items())


def unjudged_share(run: Run, qrels: Qrels, queries: Sequence[str], k: int = 10) -> float:
    """The mean share of a run's top `k` that `qrels` does not grade, over `queries` (NaN without any): what a
    metric on a judged pool counted as not relevant without anyone having looked.

    Example:
        >>> unjudged_share({"q": {"d1": 3.0, "d2": 2.0}}, {"q": {"d1": 1}}, ["q"])
        0.5
    """
    shares = [sum(doc not in qrels.get(query_id, {}) for doc in top) / len(top)
              for query_id in queries if (top := list(run.get(query_id, {}))[:k])]
    return float(np.mean(shares)) if shares else float("nan")


def judged_counts(judgements: Iterable[Judgement]) -> Mapping[str, int]:
    """How many documents each judge graded, most first."""
    counts: dict[str, int] = {}
    for judgement in judgements:
        counts[judgement.judge] = counts.get(judgement.judge, 0) + 1
    return dict(sorted(counts.items(), key=lambda item: -item[1]))
