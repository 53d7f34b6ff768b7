"""The Data page's view-model: datasets from uploaded files or a zip, the upload limits in words, and previews of
the corpus, queries, qrels and one document."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from core.data import (
    DataError,
    DataLimits,
    make_dataset,
    read_beir_zip,
    read_corpus,
    read_qrels,
    read_queries,
    split_judgements,
)
from core.types import Dataset

SNIPPET_CHARS = 160
LIMITS = DataLimits()
Upload = tuple[bytes, str]
"""An uploaded file as (content, file name)."""


def dataset_from_files(corpus: Upload | None, queries: Upload | None, qrels: Upload | None = None,
                       limits: DataLimits = LIMITS, *, text_field: str | None = None,
                       title_field: str | None = None, split: str = "test") -> Dataset:
    """A dataset from separately uploaded corpus, queries and optional qrels files.

    `text_field` and `title_field` name the keys or columns holding the text (corpus and queries) and the
    title, tried before the usual names (see `core.data.read_corpus`). Qrels with a `split` column give `split`'s
    judgements, and queries judged only in other splits are held apart.

    Raises:
        FieldError: If a corpus or queries record has no text field (the error lists the keys it has).
        DataError: If the corpus or queries are missing, or any file cannot be read.
    """
    if corpus is None or queries is None:
        raise DataError("upload", "choose both a corpus file and a queries file (qrels are optional)")
    documents = read_corpus(corpus[0], corpus[1], limits, text_field=text_field, title_field=title_field)
    questions = read_queries(queries[0], queries[1], limits, text_field=text_field)
    judgements = None if qrels is None else read_qrels(qrels[0], qrels[1], limits)
    if judgements is None or not judgements.splits:
        return make_dataset(documents, questions, judgements, name=Path(corpus[1]).stem)
    judgements, questions, held_apart = split_judgements(judgements, split, questions)
    dataset = make_dataset(documents, questions, judgements, name=Path(corpus[1]).stem)
    return replace(dataset, notes=held_apart + dataset.notes, split=split)


def training_split_from_files(corpus: Upload | None, queries: Upload | None, qrels: Upload | None = None,
                              limits: DataLimits = LIMITS, *, text_field: str | None = None,
                              title_field: str | None = None) -> Dataset | None:
    """The training split of separately uploaded files (qrels with a `split` column), or None when there is none."""
    if qrels is None or "train" not in read_qrels(qrels[0], qrels[1], limits).splits:
        return None
    return dataset_from_files(corpus, queries, qrels, limits, text_field=text_field, title_field=title_field,
                              split="train")


def dataset_from_zip(upload: Upload, limits: DataLimits = LIMITS, *, text_field: str | None = None,
                     title_field: str | None = None) -> Dataset:
    """A dataset from an uploaded zip (corpus, queries, optional qrels/test.tsv), fields mapped as in
    `dataset_from_files`."""
    dataset = read_beir_zip(upload[0], upload[1], limits, text_field=text_field, title_field=title_field)
    return dataset if dataset.name else replace(dataset, name=Path(upload[1]).stem or "upload")


def training_split_from_zip(upload: Upload, limits: DataLimits = LIMITS, *, text_field: str | None = None,
                            title_field: str | None = None) -> Dataset | None:
    """The training split (`qrels/train.tsv`) of an uploaded zip, or None when it has none."""
    dataset = read_beir_zip(upload[0], upload[1], limits, "train", text_field=text_field, title_field=title_field)
    return dataset if dataset.split == "train" and dataset.qrels else None


def limits_text(limits: DataLimits = LIMITS) -> str:
    """The upload limits in words, for the Data page."""
    return (f"Each file up to {limits.max_file_bytes / 2**20:,.0f} MB; zip and gzip files up to "
            f"{limits.max_uncompressed_bytes / 2**30:,.0f} GB once unpacked; at most "
            f"{limits.max_documents:,} documents and {limits.max_queries:,} queries.")


def snippet(text: str, chars: int = SNIPPET_CHARS) -> str:
    """`text` on one line, cut to `chars` characters (marked "…" where cut)."""
    text = " ".join(text.split())
    return text if len(text) <= chars else text[: chars - 1].rstrip() + "…"


def corpus_preview(dataset: Dataset, rows: int = 200) -> pd.DataFrame:
    """The first `rows` documents: id, title and a snippet of the text."""
    corpus = dataset.corpus
    return pd.DataFrame({"doc id": corpus.ids[:rows], "title": corpus.titles[:rows],
                         "text": [snippet(t) for t in corpus.texts[:rows]]})


def queries_preview(dataset: Dataset, rows: int = 200) -> pd.DataFrame:
    """The first `rows` queries with the number of judged documents each has (blank without qrels)."""
    queries, qrels = dataset.queries, dataset.qrels
    frame = pd.DataFrame({"query id": queries.ids[:rows], "text": queries.texts[:rows]})
    if qrels is not None:
        frame["judged docs"] = [len(qrels.get(q, {})) for q in queries.ids[:rows]]
    return frame


def qrels_preview(dataset: Dataset, rows: int = 200) -> pd.DataFrame:
    """The first `rows` judgements as query id, doc id, grade."""
    triples = [(q, d, g) for q, docs in (dataset.qrels or {}).items() for d, g in docs.items()][:rows]
    return pd.DataFrame(triples, columns=["query id", "doc id", "grade"])


def document(dataset: Dataset, doc_id: str) -> tuple[str, str]:
    """(title, text) of one document."""
    position = dataset.corpus.position(doc_id)
    return dataset.corpus.titles[position], dataset.corpus.texts[position]
