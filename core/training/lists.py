"""Training lists: one query with candidate passages, gold labels and (later) teacher scores.

Sources, all from ../shared/data (see its README for licences):
- WikiQA train: a question with the sentences of its Wikipedia page; label-1 sentences are
  positives and the page's other sentences natural hard negatives (13 malformed rows are skipped).
- ArguAna synthetic pairs (`train.jsonl.gz`): a machine-generated query with the argument it was
  written for; negatives are mined from the ArguAna corpus (so ArguAna test is in-domain).
NFCorpus, Cranfield and Climate-FEVER are never trained on: they stay out-of-training dev sets.
"""

from __future__ import annotations

import csv
import gzip
import json
import logging
import random
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)


@dataclass
class TrainingList:
    """A query and its candidates.

    Attributes:
        gold: Relevance label per passage (0 for a negative, mined or natural).
        teacher: Teacher score per passage (higher is better); empty until a teacher scores it.
        bi_cosine: The starting bi-encoder's cosine per passage (the students' anchor).
        signals: Raw scores per passage from each teacher signal ("bm25", "cross", ...), which a
            `TeacherMix` weighs into `teacher`.
    """

    query: str
    passages: list[str]
    gold: list[float]
    source: str
    teacher: list[float] = field(default_factory=list)
    bi_cosine: list[float] = field(default_factory=list)
    signals: dict[str, list[float]] = field(default_factory=dict)


def wikiqa_lists(root: Path, limit: int, rng: random.Random, negatives: int = 7) -> list[TrainingList]:
    """Questions with a correct sentence, each with up to `negatives` same-page sentences."""
    path = root / "wikiqa" / "SiemensHalske_DataAlchemist" / "data" / "WikiQA-train.tsv"
    # This file's QuestionID is unique per row, so sentences are grouped by the question text.
    questions: dict[str, tuple[list[str], list[str]]] = {}
    skipped = 0
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) != 5 or row[4] not in ("0", "1"):
                skipped += row[0] != "QuestionID"
                continue
            positives, others = questions.setdefault(row[1], ([], []))
            (positives if row[4] == "1" else others).append(row[3])
    logger.info("WikiQA train: skipped %d malformed rows", skipped)
    lists = [TrainingList(question, positives[:1] + rng.sample(others, min(negatives, len(others))),
                          [1.0] + [0.0] * min(negatives, len(others)), "wikiqa")
             for question, (positives, others) in questions.items() if positives and others]
    rng.shuffle(lists)
    return lists[:limit]


def arguana_pairs(root: Path, limit: int, rng: random.Random) -> tuple[list[tuple[str, str]], list[str]]:
    """Up to `limit` synthetic (query, argument) pairs, one per argument, and the ArguAna corpus."""
    with gzip.open(root / "arguana" / "data" / "corpus.jsonl.gz", "rt", encoding="utf-8") as handle:
        corpus = [_passage(json.loads(line)) for line in handle if line.strip()]
    by_argument: dict[str, list[tuple[str, str]]] = defaultdict(list)
    with gzip.open(root / "arguana" / "data" / "train.jsonl.gz", "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            by_argument[record["_id"]].append((record["query"], _passage(record)))
    pairs = [rng.choice(options) for options in by_argument.values()]
    rng.shuffle(pairs)
    return pairs[:limit], corpus


def _passage(record: dict) -> str:
    title, text = record.get("title", ""), record["text"]
    return f"{title} {text}" if title else text


def wikiqa_dev_lists(root: Path, limit: int) -> list[TrainingList]:
    """WikiQA dev questions with a correct sentence, each with all sentences of its page (for monitoring)."""
    path = root / "wikiqa" / "yizhongw_WikiQA-Selection" / "data" / "raw" / "WikiQA-dev.tsv"
    lists: dict[str, TrainingList] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            item = lists.setdefault(row["QuestionID"], TrainingList(row["Question"], [], [], "wikiqa-dev"))
            item.passages.append(row["Sentence"])
            item.gold.append(float(row["Label"]))
    return [item for item in lists.values() if any(item.gold) and not all(item.gold)][:limit]
