"""A corpus read as a stream of batches, never whole: BEIR JSONL (plain or gzipped) or Parquet, one file or a folder
of shards. Records are read as `core.data.read_corpus` reads them (`corpus_row`), so the streamed corpus hashes
like the loaded one (`Corpus.content_hash`) and a prebuilt index can be matched to the data it was built from.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from core.data import DataError, corpus_row
from core.data.formats import json_object
from core.types import RowDigest, passage

JSONL = (".jsonl", ".jsonl.gz")
PARQUET = (".parquet",)


@dataclass
class Batch:
    """Parallel columns of one batch of documents."""

    ids: list[str]
    titles: list[str]
    texts: list[str]

    def passages(self) -> list[str]:
        """What the encoders read: the title and the text, as `Corpus.passages`."""
        return [passage(title, text) for title, text in zip(self.titles, self.texts, strict=True)]

    def __len__(self) -> int:
        return len(self.ids)


def corpus_files(data: Path) -> list[Path]:
    """The corpus file(s) of `data`: a JSONL or Parquet file, a BEIR folder's corpus.jsonl(.gz), or a folder of
    JSONL or Parquet shards (read in name order).

    Raises:
        DataError: When there is no corpus, or the shards mix formats.
    """
    data = Path(data).expanduser()
    if data.is_file():
        files = [data]
    elif (data / "corpus.jsonl").is_file() or (data / "corpus.jsonl.gz").is_file():
        files = [data / "corpus.jsonl" if (data / "corpus.jsonl").is_file() else data / "corpus.jsonl.gz"]
    elif data.is_dir():
        files = sorted(file for file in data.iterdir() if file.name.endswith(JSONL + PARQUET))
    else:
        raise DataError(str(data), "no such file or folder")
    if not files or not all(file.name.endswith(JSONL + PARQUET) for file in files):
        raise DataError(str(data), "no corpus: give corpus.jsonl(.gz), a .parquet file, or a folder of such shards")
    if len({file.name.endswith(PARQUET) for file in files}) > 1:
        raise DataError(str(data), "the shards mix JSONL and Parquet; keep one format")
    return files


def is_parquet(files: list[Path]) -> bool:
    return files[0].name.endswith(PARQUET)


def records(files: list[Path]) -> Iterator[tuple[str, str, str]]:
    """(id, title, text) of every document with text, file after file."""
    for file in files:
        if file.name.endswith(PARQUET):
            yield from _parquet_records(file)
        else:
            yield from _jsonl_records(file)


def batches(files: list[Path], size: int) -> Iterator[Batch]:
    """`records` in batches of `size`."""
    batch = Batch([], [], [])
    for item_id, title, text in records(files):
        batch.ids.append(item_id)
        batch.titles.append(title)
        batch.texts.append(text)
        if len(batch) == size:
            yield batch
            batch = Batch([], [], [])
    if len(batch):
        yield batch


def corpus_hash(files: list[Path]) -> tuple[str, int]:
    """The corpus's `Corpus.content_hash` and its number of documents, streamed."""
    digest, count = RowDigest("corpus"), 0
    for row in records(files):
        digest.add(*row)
        count += 1
    return digest.hexdigest(), count


def _jsonl_records(file: Path) -> Iterator[tuple[str, str, str]]:
    opener = gzip.open if file.name.endswith(".gz") else open
    with opener(file, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            row = corpus_row(json_object(line, str(file), number), str(file), number)
            if row is not None:
                yield row


def _parquet_records(file: Path) -> Iterator[tuple[str, str, str]]:
    import pyarrow.parquet as pq

    number = 0
    for table in pq.ParquetFile(file).iter_batches(batch_size=4096):
        for record in table.to_pylist():
            number += 1
            row = corpus_row(record, str(file), number)
            if row is not None:
                yield row
