"""A question typed live, answered by every contestant of a comparison on the corpus it indexed.

The contestants keep their roles: each runs in the comparison's order, a re-ranker re-ranks its first stage's
shortlist of this question (its order below, as in the comparison), a fusion fuses its inputs' rankings, and a run file, fixed in advance, has no answer.
One question is one call, too noisy a timing to show: what a contestant costs is the comparison's median.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from core.analysis.highlight import WeighedWords, weighed_words
from core.contestants.registry import kinds, plan
from core.contestants.spec import ComparisonSpec
from core.rankers.base import Ranker
from core.rankers.tail import below_head
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
    deep: dict[str, dict[str, float] | None] = {}
    answers: dict[str, Answer] = {}
    for step in plan(spec):
        shortlist = list(deep.get(step.first) or {})[:step.shortlist] if step.first else None
        ranked = deep[step.name] = rankers[step.name].rank_new(question, step.depth, shortlist, deep)
        if ranked is not None and step.tail:
            ranked = deep[step.name] = below_head(ranked, deep.get(step.first) or {}, step.depth)
        answers[step.name] = (Answer({}, "a run fixed in advance has no answer to a new question") if ranked is None
                              else Answer(dict(list(ranked.items())[:k])))
    return {name: answers[name] for name in spec.names}


def weighed(ranker: Ranker, question: str, corpus: Corpus, doc_ids: Sequence[str],
            top: int = 5) -> dict[str, WeighedWords]:
    """The words `ranker` weighs most for `question` with each of `doc_ids` (`core.analysis.highlight.weighed_words`),
    read through its kind's attention view; empty for a kind without one (BM25, a run file, a fusion)."""
    view = kinds()[ranker.kind].attention
    if not view:
        return {}
    found = {}
    for doc_id in doc_ids:
        attention = ranker.attention(question, corpus.passage(doc_id))
        assert attention is not None, f"a {ranker.kind} ranker declares the {view!r} view but shows no attention"
        found[doc_id] = weighed_words(attention, view, top)
    return found
