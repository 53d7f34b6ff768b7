"""A re-ranker's run kept comparable: its re-ranked head, then its first stage's next documents below it.

TREC re-ranking runs and the BEIR re-ranking tables re-score the first stage's top `depth` and keep the rest of
its ranking underneath, so that a pipeline's Recall@100 and MAP@100 count the same 100 documents as its first
stage's. A run cut at `depth` loses every relevant document past it and loses to its own first stage on them.
"""

from __future__ import annotations

from collections.abc import Mapping


def below_head(head: Mapping[str, float], first_stage: Mapping[str, float], depth: int) -> dict[str, float]:
    """`head` (re-ranked, best first), then `first_stage`'s documents not in it, in its order, up to `depth` in all.

    Only a tail document's rank means anything, so its score is made to sit below the head's lowest: one apart,
    in the first stage's order (pages show the first stage's order there, never these numbers).

    Example:
        >>> below_head({"b": 2.5, "a": 0.5}, {"a": 9.0, "b": 8.0, "c": 7.0, "d": 6.0}, 3)
        {'b': 2.5, 'a': 0.5, 'c': -0.5}
    """
    ranked = dict(head)
    floor = min(head.values(), default=0.0)
    for doc_id in first_stage:
        if len(ranked) >= depth:
            break
        if doc_id not in ranked:
            ranked[doc_id] = floor - 1.0 - (len(ranked) - len(head))
    return ranked
