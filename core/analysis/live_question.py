"""A question typed live, answered by every contestant of a comparison on the corpus it indexed.

The contestants keep their roles: each runs in the comparison's order, a re-ranker re-ranks its first stage's
shortlist of this question, a fusion fuses its inputs' rankings, and a run file, fixed in advance, has no answer.
One question is one call, too noisy a timing to show: what a contestant costs is the comparison's median.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from core.analysis.highlight import WeighedWords, weighed_words
from core.comparison.compare import run_depths
from core.contestants.registry import FIRST, run_order
from core.contestants.spec import ComparisonSpec
from core.rankers.base import Ranker
from core.types import Corpus


@dataclass(frozen=True)
class Answer:
    """One contestant's answer: its top documents, best first.

    Attributes:
        ranking: `{doc_id: score}`; empty when the contestant cannot rank a new question (`note` says why).
    """

    ranking: dict[str, float]
    note: str = ""


def ask(question: str, spec: ComparisonSpec, rankers: Mapping[str, Ranker], k: int = 10) -> dict[str, Answer]:
    """Every contestant of `spec` (indexed, in `rankers`) ranks `question`; answers in the spec's order.

    Raises:
        ValueError: If the question has no text.
    """
    if not question.strip():
        raise ValueError("the question is empty")
    order = run_order(spec)
    depths = run_depths(spec, order)
    deep: dict[str, dict[str, float] | None] = {}
    answers: dict[str, Answer] = {}
    for entry in order:
        ranker, first = rankers[entry.name], entry.option(FIRST.name) or ""
        shortlist = None
        if first:
            shortlist = list(deep.get(first) or {})[:entry.option("depth")]
        ranked = deep[entry.name] = ranker.rank_new(question, depths[entry.name], shortlist, deep)
        answers[entry.name] = (Answer({}, "a run fixed in advance has no answer to a new question") if ranked is None
                               else Answer(dict(list(ranked.items())[:k])))
    return {name: answers[name] for name in spec.names}


def weighed(ranker: Ranker, question: str, corpus: Corpus, doc_ids: Sequence[str],
            top: int = 5) -> dict[str, WeighedWords]:
    """The words `ranker` weighs most for `question` with each of `doc_ids` (`core.analysis.highlight.weighed_words`); empty
    for a ranker without a neural view (BM25, a run file, a fusion)."""
    found = {}
    for doc_id in doc_ids:
        attention = ranker.attention(question, corpus.passage(doc_id))
        if attention is None:
            return {}
        found[doc_id] = weighed_words(attention, top)
    return found
