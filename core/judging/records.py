"""What judges record, as plain data: a graded judgement of one document for one query, and a blind vote between
two contestants' lists for one query. `core.judging.store` keeps them; everything else reads them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

GRADES = {0: "not relevant", 1: "partly relevant", 2: "relevant"}
"""The graded scale judges use (TREC's 0–2)."""

JUDGED_NOTE = "metrics include"
"""How the note of a comparison evaluated on judgements made in the app begins (`core.judging.apply`)."""

Outcome = Literal["a", "b", "tie", "both bad"]
OUTCOMES: tuple[Outcome, ...] = ("a", "b", "tie", "both bad")


@dataclass(frozen=True)
class Judgement:
    """One judge's grade of one document for one query.

    Attributes:
        query_id / doc_id: What was judged.
        grade: 0 not relevant, 1 partly, 2 relevant (`GRADES`).
        judge: Who judged (the name typed on the Judge page; "" for nobody named).
        at: When, in seconds since the epoch.
    """

    query_id: str
    doc_id: str
    grade: int
    judge: str
    at: float


@dataclass(frozen=True)
class Vote:
    """One judge's blind verdict between contestant `a`'s and `b`'s top documents for one query.

    Attributes:
        query_id: The query both lists answered.
        a / b: The contestants' names, in the order they were shown (A on the left).
        outcome: "a" or "b" (that list is better), "tie" (equally good) or "both bad".
        judge: Who voted.
        at: When, in seconds since the epoch.
    """

    query_id: str
    a: str
    b: str
    outcome: Outcome
    judge: str
    at: float

    @property
    def winner(self) -> str | None:
        """The better contestant's name; None for a tie or "both bad"."""
        return {"a": self.a, "b": self.b}.get(self.outcome)
