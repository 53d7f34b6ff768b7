"""The sample data shipped with the project (`sample_data/`): the ten-topic sample (BEIR and CSV variants) and
the lesson data of the Start page's demo, read once per process."""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path

from core.data import load_dataset
from core.types import Dataset

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "sample_data" / "beir"
LESSON_DIR = SAMPLE_DIR.parent / "lesson"
CSV_DIR = SAMPLE_DIR.parent / "csv"


@cache
def load_lesson() -> tuple[Dataset, Dataset]:
    """The lesson data (`sample_data/lesson`, written to show what reading query and document together buys):
    its test split, which the demo ranks, and its training split, which the shipped heads were fine-tuned on
    (read once per process: the files ship with the project)."""
    return (replace(load_dataset(LESSON_DIR, split="test"), name="lesson"),
            replace(load_dataset(LESSON_DIR, split="train"), name="lesson"))


def is_lesson(dataset: Dataset) -> bool:
    """Whether `dataset` is the lesson data's test split, which a link can name (`?data=lesson`) for anyone to open."""
    return dataset.content_hash == load_lesson()[0].content_hash


def format_examples() -> dict[str, bytes]:
    """The sample data as CSV files, by name: a working example of each file the Data page reads."""
    return {name: (CSV_DIR / name).read_bytes() for name in ("corpus.csv", "queries.csv", "qrels.csv")}


def load_sample(path: Path = SAMPLE_DIR) -> Dataset:
    """The sample dataset shipped with the project (BEIR folder with qrels), named "sample"."""
    return replace(load_dataset(path), name="sample")
