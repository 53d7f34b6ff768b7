"""Retrieval data in and out: corpora, queries and qrels from files, folders and archives; splits; TREC run files;
the development sets of `../shared/data`, pseudo-queries drawn from a corpus, and the sample data."""

from core.config import DataLimits
from core.data.errors import DataError, FieldError
from core.data.formats import corpus_row
from core.data.loading import (
    first_queries,
    load_corpus,
    load_dataset,
    load_qrels,
    load_queries,
    make_dataset,
    read_beir_zip,
    read_corpus,
    read_qrels,
    read_queries,
)
from core.data.qrels import Judgements, hold_apart, split_judgements
from core.types import Corpus, Dataset, Queries

__all__ = ["Corpus", "DataError", "DataLimits", "Dataset", "FieldError", "Judgements", "Queries", "corpus_row",
           "first_queries", "hold_apart", "load_corpus", "load_dataset", "load_qrels", "load_queries", "make_dataset",
           "read_beir_zip", "read_corpus", "read_qrels", "read_queries", "split_judgements"]
