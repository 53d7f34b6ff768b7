"""What judges look at: the pool of a query (every contestant's top k, together, in an order that gives nothing
away), which queries to judge, and which two contestants to set against each other blind next.

Orders are seeded by the judge's name and the query, so that one judge sees the same order again after a reload
while two judges see different ones (no judge learns a contestant's ranking from where documents sit).
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Literal

from core.comparison.results import Comparison
from core.judging.records import Vote
from core.types import Dataset

Choice = Literal["all", "sample", "disagree"]
CHOICES: dict[Choice, str] = {"all": "every query, in the data's order", "sample": "a random sample",
                              "disagree": "where the contestants disagree most first"}
SHOWN_IN_A_VOTE = 5


def pooled(comparison: Comparison, query_id: str, depth: int, seed: str = "") -> list[str]:
    """Every contestant's top `depth` for `query_id`, each document once, shuffled by `seed` and the query."""
    documents = list(dict.fromkeys(doc for result in comparison.results.values()
                                   for doc in list(result.run.get(query_id, {}))[:depth]))
    random.Random(f"{seed}|{query_id}").shuffle(documents)
    return documents


def disagreement(comparison: Comparison, query_id: str, depth: int) -> float:
    """1 − the mean share of top `depth` that two contestants have in common, over every pair (0: all agree)."""
    tops = [set(list(result.run.get(query_id, {}))[:depth]) for result in comparison.results.values()]
    shares = [len(a & b) / max(1, min(len(a), len(b))) for a, b in combinations(tops, 2) if a or b]
    return 1 - sum(shares) / len(shares) if shares else 0.0


def queries_to_judge(comparison: Comparison, query_ids: Sequence[str], choice: Choice, count: int, depth: int,
                     seed: str = "") -> list[str]:
    """Which of `query_ids` to judge, and in what order: all of them, `count` drawn at random (by `seed`), or the
    `count` where the contestants' top `depth` differ most (ties in the data's order)."""
    if choice == "all":
        return list(query_ids)
    if choice == "sample":
        return random.Random(seed).sample(list(query_ids), min(count, len(query_ids)))
    ranked = sorted(query_ids, key=lambda query_id: -disagreement(comparison, query_id, depth))
    return ranked[:count]


@dataclass(frozen=True)
class Matchup:
    """Two contestants' top documents for one query, to be shown as A (left) and B (right), names hidden."""

    query_id: str
    a: str
    b: str


def next_matchup(comparison: Comparison, votes: Sequence[Vote], query_ids: Sequence[str], seed: str) -> Matchup | None:
    """The next blind vote: the pair of contestants with the fewest votes so far, on a query where their top
    `SHOWN_IN_A_VOTE` differ (equal lists teach nothing) that this pair has not been voted on yet if one is left,
    sides drawn at random. None with fewer than two contestants or no query where any pair differs."""
    names = list(comparison.results)
    rng = random.Random(f"{seed}|{len(votes)}")
    counts = {frozenset(pair): 0 for pair in combinations(names, 2)}
    voted: dict[frozenset, set[str]] = {pair: set() for pair in counts}
    for vote in votes:
        pair = frozenset((vote.a, vote.b))
        if pair in counts:
            counts[pair] += 1
            voted[pair].add(vote.query_id)
    for pair in sorted(counts, key=lambda pair: (counts[pair], rng.random())):
        first, second = sorted(pair)
        differing = [query_id for query_id in query_ids if _top(comparison, first, query_id) !=
                     _top(comparison, second, query_id)]
        fresh = [query_id for query_id in differing if query_id not in voted[pair]] or differing
        if fresh:
            a, b = rng.sample([first, second], 2)
            return Matchup(rng.choice(fresh), a, b)
    return None


def _top(comparison: Comparison, name: str, query_id: str) -> list[str]:
    return list(comparison.results[name].run.get(query_id, {}))[:SHOWN_IN_A_VOTE]


POOL_COLUMNS = ("query-id", "corpus-id", "score", "query", "document")


def pool_tsv(comparison: Comparison, dataset: Dataset, depth: int) -> str:
    """Every query's pool as a TSV to judge elsewhere: query and document ids and texts, and an empty `score` column
    to fill with a grade 0–2 (`core.data` reads the file back as qrels, skipping the rows left empty). Already
    judged documents carry their grade."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\n")
    writer.writerow(POOL_COLUMNS)
    known = dataset.qrels or {}
    for query_id, text in zip(dataset.queries.ids, dataset.queries.texts):
        for doc_id in pooled(comparison, query_id, depth):
            grade = known.get(query_id, {}).get(doc_id)
            writer.writerow((query_id, doc_id, "" if grade is None else grade, _one_line(text),
                             _document(dataset, doc_id)))
    return out.getvalue()


def _document(dataset: Dataset, doc_id: str) -> str:
    """A document's passage on one line ("" for one a run file names that the corpus lacks)."""
    try:
        return _one_line(dataset.corpus.passage(doc_id))
    except KeyError:
        return ""


def _one_line(text: str) -> str:
    return " ".join(text.split())
