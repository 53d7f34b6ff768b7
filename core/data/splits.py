"""Training and test splits of one dataset: a split read with it (`qrels/train.tsv`), or judged queries held
out at random (seeded), so that evaluation never ranks a query the models were fine-tuned on."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from core.types import Dataset

HOLD_OUT_SEED = 13


@dataclass(frozen=True)
class Splits:
    """A dataset cut in two over the same corpus.

    Attributes:
        training: The training queries and their judgements (`split` "train").
        test: Every other query, with the other judgements (`split` names how it was cut).
        how: In words, for the pages and the model card.
    """

    training: Dataset
    test: Dataset
    how: str


def hold_out(dataset: Dataset, training_percent: int, seed: int = HOLD_OUT_SEED) -> Splits:
    """`training_percent` % of `dataset`'s judged queries, drawn with `seed`, become the training split; the
    rest of the queries (unjudged ones too) stay for evaluation.

    Raises:
        ValueError: Without judgements, for a percentage outside 1..99, or when either side would be empty.
    """
    if not dataset.qrels:
        raise ValueError("holding queries out for training needs relevance judgements (qrels)")
    if not 1 <= training_percent <= 99:
        raise ValueError(f"training share {training_percent} %: choose 1 to 99")
    judged = sorted(dataset.qrels)
    count = round(len(judged) * training_percent / 100)
    if not 0 < count < len(judged):
        raise ValueError(f"{training_percent} % of {len(judged)} judged queries leaves one side empty")
    chosen = set(random.Random(seed).sample(judged, count))
    how = f"{training_percent} % of the judged queries held out for training (seed {seed})"
    rest = f"test: the other {100 - training_percent} %"
    return Splits(_keep(dataset, lambda query_id: query_id in chosen, "train", (training_percent, seed)),
                  _keep(dataset, lambda query_id: query_id not in chosen, rest, (training_percent, seed)), how)


def _keep(dataset: Dataset, wanted, split: str, held_out: tuple[int, int]) -> Dataset:
    queries = dataset.queries
    rows = [i for i, query_id in enumerate(queries.ids) if wanted(query_id)]
    kept = queries.subset(rows)
    qrels = {query_id: grades for query_id, grades in (dataset.qrels or {}).items() if wanted(query_id)}
    note = f"split {split}: {len(rows)} of {len(queries)} queries"
    return replace(dataset, queries=kept, qrels=qrels or None, split=split, notes=(*dataset.notes, note),
                   held_out=held_out)
