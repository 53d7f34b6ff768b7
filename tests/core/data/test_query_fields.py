"""Fields a queries file carries besides id and text (a JSONL record's other keys and its `metadata` object, a
table's other columns) are kept per query, survive every subset, and change no hash."""

from __future__ import annotations

from core.data import first_queries, load_dataset, make_dataset, read_corpus, read_queries
from core.data.splits import hold_out
from core.types import Queries
from tests.conftest import ROOT
from tests.core.data.test_loading import parquet_bytes

JSONL = (b'{"_id": "q1", "text": "who bought acme", "metadata": {"form": "question", "year": 2021}, "lang": "en"}\n'
         b'{"_id": "q2", "text": "acme", "metadata": {"form": "name", "tags": ["a"]}}\n'
         b'{"_id": "q3", "text": "", "metadata": {"form": "skipped"}}\n')


def test_jsonl_metadata_and_other_keys_become_fields_aligned_with_the_kept_queries():
    queries = read_queries(JSONL, "queries.jsonl")
    assert queries.ids == ("q1", "q2")  # q3 has no text: skipped, and so are its fields
    assert queries.fields == {"lang": ("en", ""), "form": ("question", "name"), "year": ("2021", "")}  # no list


def test_csv_tsv_and_parquet_columns_become_fields():
    csv = read_queries(b"id,text,form\nq1,who bought acme,question\nq2,acme,name\n", "queries.csv")
    tsv = read_queries(b"_id\ttext\tform\nq1\twho bought acme\tquestion\nq2\tacme\tname\n", "queries.tsv")
    parquet = read_queries(parquet_bytes({"id": ["q1", "q2"], "text": ["who bought acme", "acme"],
                                          "form": ["question", "name"]}), "queries.parquet")
    assert csv.fields == tsv.fields == parquet.fields == {"form": ("question", "name")}
    assert read_corpus(b"id,text,form\nd1,a text,x\n", "corpus.csv").texts == ("a text",)  # documents keep none


def test_fields_survive_subsets_and_change_no_hash():
    queries = read_queries(JSONL, "queries.jsonl")
    plain = Queries(queries.ids, queries.texts, queries.source, queries.notes)
    assert queries.content_hash == plain.content_hash and queries == plain  # no ranking depends on them
    corpus = read_corpus(b'{"_id": "d1", "text": "acme was bought"}\n', "corpus.jsonl")
    dataset = make_dataset(corpus, queries, {"q1": {"d1": 1}, "q2": {"d1": 1}}, "fields")
    assert first_queries(dataset, 1).queries.fields == {"lang": ("en",), "form": ("question",), "year": ("2021",)}
    splits = hold_out(dataset, 50, seed=1)
    for part in (splits.training, splits.test):
        assert part.queries.fields["form"] == tuple(
            dict(zip(queries.ids, queries.fields["form"]))[q] for q in part.queries.ids)


def test_the_lesson_data_carries_each_querys_family():
    lesson = load_dataset(ROOT / "sample_data" / "lesson", split="test")
    families = set(lesson.queries.fields["family"])
    assert "Ordinary topical queries" in families and len(families) == 6
