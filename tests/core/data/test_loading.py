"""Tests for core.data.

Every format loads, with and without a header where both exist; every malformed input raises a DataError
naming the file and the line; no input at all escapes as another exception type; and a record without
text is either mapped to another field, or skipped and listed in the notes.
"""

import contextlib
import gzip
import io
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.data import (
    Corpus,
    DataError,
    DataLimits,
    FieldError,
    Queries,
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

ROOT = Path(__file__).resolve().parents[3]
ARGUANA = ROOT.parent / "shared" / "data" / "arguana" / "data"

CORPUS_JSONL = (
    '{"_id": "d1", "title": "Paris", "text": "Paris is the capital of France."}\n'
    '{"_id": "d2", "title": "", "text": "Berlin is in Germany."}\n'
    '{"_id": "d3", "text": "Rome is old.", "metadata": {}}\n'
)
QUERIES_JSONL = '{"_id": "q1", "text": "capital of France"}\n{"_id": "q2", "text": "old city"}\n'
QRELS_TSV = "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td3\t2\n"


def write(folder: Path, name: str, content: str | bytes) -> Path:
    """Write text (UTF-8) or bytes to folder/name, creating parent folders."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def zip_bytes(files: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def parquet_bytes(columns: dict[str, list]) -> bytes:
    """A Parquet file holding `columns` (name → values)."""
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer)
    return buffer.getvalue()


def raises_data_error(call, *args, **kwargs) -> DataError:
    """Run call, assert it raises DataError and return the error."""
    with pytest.raises(DataError) as caught:
        call(*args, **kwargs)
    return caught.value


# --- formats that load -----------------------------------------------------------------------


def test_csv_corpus_with_titles_and_quoted_fields():
    data = b'id,title,text\nd1,Paris,"Paris, the capital."\nd2,,"Two\nlines"\n'
    corpus = read_corpus(data, "corpus.csv")
    assert corpus.ids == ("d1", "d2")
    assert corpus.titles == ("Paris", "")
    assert corpus.texts == ("Paris, the capital.", "Two\nlines")
    assert corpus.source == "corpus.csv"
    assert len(corpus) == 2


def test_tsv_corpus_accepts_aliases_case_and_spaces_in_header():
    corpus = read_corpus(" DocID \t Passage \nd 1\tSpaced id\nđ2\tUnicode id\n".encode(), "CORPUS.TSV")
    assert corpus.ids == ("d 1", "đ2")
    assert corpus.titles == ("", "")


@pytest.mark.parametrize("header", ["_id,text", "doc_id,body", "corpus-id,contents", "ID,TEXT"])
def test_csv_corpus_column_aliases(header):
    assert read_corpus(f"{header}\nd1,hello\n".encode(), "c.csv").texts == ("hello",)


def test_jsonl_corpus_beir_fields():
    corpus = read_corpus(CORPUS_JSONL.encode(), "corpus.jsonl")
    assert corpus.ids == ("d1", "d2", "d3")
    assert corpus.titles == ("Paris", "", "")


def test_jsonl_accepts_id_key_integer_ids_and_null_title():
    corpus = read_corpus(b'{"id": 7, "title": null, "text": "seven"}\n', "c.jsonl")
    assert corpus.ids == ("7",)
    assert corpus.titles == ("",)


def test_jsonl_gz_corpus():
    corpus = read_corpus(gzip.compress(CORPUS_JSONL.encode()), "corpus.jsonl.gz")
    assert corpus.ids == ("d1", "d2", "d3")


def test_multi_member_gzip_reads_every_member():
    data = gzip.compress(b"one\n") + gzip.compress(b"two\n")
    assert read_corpus(data, "c.txt.gz").texts == ("one", "two")


def test_txt_corpus_and_queries_generate_ids_and_skip_blank_lines():
    corpus = read_corpus(b"first doc\n\n  \nsecond doc\n", "docs.txt")
    assert corpus.ids == ("d1", "d2")
    assert corpus.texts == ("first doc", "second doc")
    queries = read_queries(b"what?\nwhy?\n", "queries.txt")
    assert queries.ids == ("q1", "q2")


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("queries.csv", b"qid,query\nq1,capital of France\nq2,old city\n"),
        ("queries.tsv", b"query-id\ttext\nq1\tcapital of France\nq2\told city\n"),
        ("queries.jsonl", QUERIES_JSONL.encode()),
    ],
)
def test_queries_formats(name, data):
    queries = read_queries(data, name)
    assert queries.ids == ("q1", "q2")
    assert queries.text("q1") == "capital of France"


def test_crlf_and_bom_load_in_every_format():
    bom = b"\xef\xbb\xbf"
    assert read_corpus(bom + b'_id,text\r\nd1,hello\r\nd2,"a\r\nb"\r\n', "c.csv").texts == (
        "hello",
        "a\r\nb",
    )
    assert read_corpus(bom + b'{"_id": "d1", "text": "hi"}\r\n', "c.jsonl").ids == ("d1",)
    assert read_corpus(bom + b"one\r\ntwo\r\n", "c.txt").texts == ("one", "two")
    assert read_qrels(bom + b"query-id\tcorpus-id\tscore\r\nq1\td1\t1\r\n", "q.tsv") == {"q1": {"d1": 1}}
    assert read_qrels(bom + b"q1 0 d1 1\r\n", "q.txt") == {"q1": {"d1": 1}}


def test_ten_megabyte_csv_field_loads():
    text = "x" * 10_000_000
    assert read_corpus(f"id,text\nd1,{text}\n".encode(), "big.csv").texts == (text,)


def test_ids_and_texts_are_stripped():
    corpus = read_corpus(b"id,text\n  d1  ,  hello  \n", "c.csv")
    assert (corpus.ids, corpus.texts) == (("d1",), ("hello",))


def test_row_of_empty_cells_is_skipped_like_a_blank_line():
    assert read_corpus(b"id,text\n,\nd1,hello\n", "c.csv").ids == ("d1",)


# --- qrels -----------------------------------------------------------------------------------


def test_beir_qrels_tsv():
    assert read_qrels(QRELS_TSV.encode(), "test.tsv") == {"q1": {"d1": 1}, "q2": {"d3": 2}}


@pytest.mark.parametrize("name", ["qrels.txt", "qrels.qrels", "qrels.qrel", "qrels.trec", "qrels.tsv"])
def test_trec_qrels(name):
    data = b"q1 0 d1 2\nq1\t0\td2\t0\n\nq2 Q0 d1 1\n"
    assert read_qrels(data, name) == {"q1": {"d1": 2, "d2": 0}, "q2": {"d1": 1}}


@pytest.mark.parametrize(
    "header",
    ["query-id,corpus-id,score", "query_id,doc_id,relevance", "qid,docid,rel", "QID,DocID,Grade"],
)
def test_csv_qrels_column_aliases(header):
    assert read_qrels(f"{header}\nq1,d1,1\n".encode(), "qrels.csv") == {"q1": {"d1": 1}}


def test_trec_negative_grade_is_stored_as_zero():
    assert read_qrels(b"1 0 184 -1\n", "cran.qrels") == {"1": {"184": 0}}


def test_beir_negative_grade_is_an_error():
    error = raises_data_error(read_qrels, b"query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td2\t-1\n", "test.tsv")
    assert (error.source, error.line) == ("test.tsv", 3)
    assert "negative relevance grade -1" in str(error)


def test_integral_float_grade_is_accepted_and_fractional_is_not():
    assert read_qrels(b"q1 0 d1 1.0\n", "q.txt") == {"q1": {"d1": 1}}
    error = raises_data_error(read_qrels, b"q1 0 d1 1\nq1 0 d2 0.5\n", "q.txt")
    assert error.line == 2
    assert "'0.5' is not an integer" in str(error)


def test_non_numeric_grade_names_the_line():
    error = raises_data_error(read_qrels, b"qid,docid,score\nq1,d1,yes\n", "q.csv")
    assert str(error) == "q.csv, line 2: relevance grade 'yes' is not an integer"


def test_repeated_judgement_is_fine_but_conflicting_grades_are_not():
    assert read_qrels(b"q1 0 d1 1\nq1 0 d1 1\n", "q.txt") == {"q1": {"d1": 1}}
    error = raises_data_error(read_qrels, b"q1 0 d1 1\nq1 0 d1 2\n", "q.txt")
    assert error.line == 2
    assert "conflicting grades" in error.problem


def test_trec_qrels_with_wrong_field_count_names_the_line():
    error = raises_data_error(read_qrels, b"q1 0 d1 1\nq1 d2 1\n", "q.trec")
    assert (error.source, error.line) == ("q.trec", 2)
    assert error.problem == "3 fields, but line 1 (query-id iteration doc-id grade) has 4"


def test_tsv_with_partial_qrels_header_reports_the_missing_column():
    error = raises_data_error(read_qrels, b"query-id\tcorpus-id\nq1\td1\n", "test.tsv")
    assert error.line == 1
    assert "no grade column" in error.problem


BEIR_NOTE = "no header line; read its 3 columns as query-id corpus-id score"
TREC_NOTE = "no header line; read its 4 columns as query-id iteration doc-id grade"


@pytest.mark.parametrize(
    ("name", "data", "note"),
    [
        ("test.tsv", b"query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td3\t2\n", None),  # BEIR
        ("test.tsv", b"q1\td1\t1\nq2\td3\t2\n", BEIR_NOTE),  # BEIR without its header (MTEB exports)
        ("test.tsv.gz", gzip.compress(b"q1\td1\t1\r\nq2\td3\t2\r\n"), BEIR_NOTE),
        ("qrels.dev.tsv", b"q1\t0\td1\t1\nq2\t0\td3\t2\n", TREC_NOTE),  # MS MARCO
        ("qrels.trec", b"q1 0 d1 1\nq2 Q0 d3 2\n", None),
        ("qrels.txt", b"q1 d1 1\nq2 d3 2\n", BEIR_NOTE),
        ("qrels.txt", b"query-id corpus-id score\nq1 d1 1\nq2 d3 2\n", None),
        ("qrels.csv", b"query_id,doc_id,relevance\nq1,d1,1\nq2,d3,2\n", None),
        ("qrels.csv", b"q1,d1,1\nq2,d3,2\n", BEIR_NOTE),
        ("qrels.csv", b"q1,0,d1,1\nq2,0,d3,2\n", TREC_NOTE),
    ],
)
def test_qrels_layouts_with_and_without_header(name, data, note):
    qrels = read_qrels(data, name)
    assert qrels == {"q1": {"d1": 1}, "q2": {"d3": 2}}
    assert qrels.notes == (() if note is None else (f"{name}: {note}",))


def test_headerless_layouts_differ_on_negative_grades():
    assert read_qrels(b"q1\t0\td1\t-1\n", "r.tsv") == {"q1": {"d1": 0}}  # TREC's "judged, not relevant"
    assert "negative relevance grade -1" in raises_data_error(read_qrels, b"q1\td1\t-1\n", "r.tsv").problem


def test_a_first_line_not_ending_in_a_number_is_a_header_and_the_message_says_so():
    error = raises_data_error(read_qrels, b"q1 0 d1 high\nq1 0 d2 1\n", "r.qrels")
    assert error.line == 1 and "no query id column" in error.problem
    assert "line 1 is taken as a header, its last field 'high' not being a number" in error.problem


@pytest.mark.parametrize(
    ("data", "line", "problem"),
    [
        (b"q1 x 0 d1 1\n", 1, ("5 whitespace-separated fields and no header; expected 3 (query-id corpus-id score) or "
                              "4 (query-id iteration doc-id grade)")),
        (b"q1\td1\t1\nq2 d2 1\n", 2, "1 field, but line 1 (query-id corpus-id score) has 3 (another delimiter?)"),
        (b"q1\td1\t1\nq2\td2\t1\t\n", 2, ("4 fields, but line 1 (query-id corpus-id score) has 3 "
                                        "(an unquoted delimiter in a field?)")),
    ],
)
def test_headerless_qrels_with_a_wrong_field_count_name_the_line(data, line, problem):
    error = raises_data_error(read_qrels, data, "r.tsv")
    assert (error.line, error.problem) == (line, problem)


# --- MS MARCO TSV and Parquet ----------------------------------------------------------------

MSMARCO_NOTE = "no header line (line 1 names no known column); read its 2 columns as id text"


def test_msmarco_collection_and_queries_without_header():
    corpus = read_corpus(b'0\tThe "Manhattan Project" began.\n1\tIt ended in 1946.\n', "collection.tsv")
    assert corpus.ids == ("0", "1") and corpus.texts == ('The "Manhattan Project" began.', "It ended in 1946.")
    assert corpus.notes == (f"collection.tsv: {MSMARCO_NOTE}",)
    queries = read_queries(b"1048585\twhat is paula deen's brother\n2\tandrogen receptor define\n", "queries.tsv")
    assert queries.ids == ("1048585", "2") and queries.notes == (f"queries.tsv: {MSMARCO_NOTE}",)


def test_a_tsv_whose_first_line_names_a_column_has_a_header():
    assert read_queries(b"qid\tquery\nq1\tx\n", "q.tsv").notes == ()
    error = raises_data_error(read_corpus, b"pid\tpassage\n1\tx\n", "c.tsv")
    assert (error.field, error.line, error.keys) == ("id", 1, ("pid", "passage"))


@pytest.mark.parametrize(
    ("data", "line", "problem"),
    [
        (b"1\ta\n2\ta\tb\n", 2, "3 tab-separated fields, but line 1 has 2 (id, text)"),
        (b"1\ta\n2 no tab\n", 2, "1 tab-separated fields, but line 1 has 2 (id, text)"),
        (b"1\ta\n\tb\n", 2, "empty id"),
    ],
)
def test_headerless_tsv_errors_name_the_line(data, line, problem):
    error = raises_data_error(read_queries, data, "queries.tsv")
    assert (error.line, error.problem) == (line, problem)


BEIR_PARQUET = {"_id": ["d1", "d2", "d3"], "title": ["Paris", None, ""], "text": ["In France.", "Berlin.", "Rome."]}


def test_parquet_corpus_and_queries():
    corpus = read_corpus(parquet_bytes(BEIR_PARQUET), "corpus.parquet")
    assert corpus.ids == ("d1", "d2", "d3") and corpus.titles == ("Paris", "", "")
    assert corpus.passages() == ["Paris In France.", "Berlin.", "Rome."]
    queries = read_queries(parquet_bytes({"_id": [1, 2], "text": ["first", "second"]}), "queries.parquet")
    assert queries.ids == ("1", "2")
    assert read_corpus(gzip.compress(parquet_bytes(BEIR_PARQUET)), "corpus.parquet.gz").ids == corpus.ids


def test_parquet_column_names_ignore_case_and_unused_columns_are_not_read():
    data = parquet_bytes({"ID": ["d1"], " Text ": ["x"], "embedding": [[0.5] * 8]})
    assert read_corpus(data, "c.parquet").texts == ("x",)


def test_parquet_nulls_are_skipped_and_noted_by_row():
    corpus = read_corpus(parquet_bytes({"_id": ["d1", "d2", "d3"], "text": ["x", None, " "]}), "c.parquet")
    assert corpus.ids == ("d1",) and corpus.notes == ("c.parquet: skipped 2 records with no text (lines 2, 3)",)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"PAR1 not really parquet PAR1", "not a valid Parquet file"),
        (parquet_bytes(BEIR_PARQUET)[:-12], "not a valid Parquet file"),
        (parquet_bytes({"_id": ["d1"], "text": [["a", "b"]]}), 'text must be a string, found ["a", "b"]'),
        (parquet_bytes({"_id": ["d1"], "text": [b"raw"]}), "text must be a string, found \"b'raw'\""),
    ],
)
def test_bad_parquet_is_a_data_error(data, problem):
    assert raises_data_error(read_corpus, data, "c.parquet").problem == problem


def test_parquet_size_is_checked_before_reading():
    limits = DataLimits(max_uncompressed_bytes=10)
    error = raises_data_error(read_corpus, parquet_bytes(BEIR_PARQUET), "c.parquet", limits)
    assert "over the 10-byte limit" in error.problem


# --- field mapping ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "found", "line"),
    [
        ("c.jsonl", b'{"_id": "d1", "headline": "H", "body_text": "B"}\n', ("_id", "headline", "body_text"), 1),
        ("c.csv", b"id,headline,body_text\nd1,H,B\n", ("id", "headline", "body_text"), 1),
        ("c.tsv", b"id\theadline\tbody_text\nd1\tH\tB\n", ("id", "headline", "body_text"), 1),
        ("c.parquet", parquet_bytes({"_id": ["d1"], "headline": ["H"], "body_text": ["B"]}),
         ("_id", "headline", "body_text"), None),
    ],
)
def test_a_missing_text_field_names_the_keys_found_and_can_be_mapped(name, data, found, line):
    error = raises_data_error(read_corpus, data, name)
    assert isinstance(error, FieldError) and (error.field, error.keys, error.line) == ("text", found, line)
    assert "no text" in error.problem and "'headline', 'body_text'" in error.problem
    corpus = read_corpus(data, name, text_field="body_text", title_field="headline")
    assert corpus.passages() == ["H B"]


def test_a_mapped_field_is_tried_first_and_the_usual_names_still_work():
    data = b'{"_id": "q1", "text": "usual", "question": "mapped"}\n{"_id": "q2", "text": "only usual"}\n'
    assert read_queries(data, "q.jsonl", text_field="question").texts == ("mapped", "only usual")


def test_a_mapped_field_missing_from_a_record_names_that_record():
    data = b'{"_id": "d1", "body_text": "B"}\n{"_id": "d2", "other": "x"}\n'
    error = raises_data_error(read_corpus, data, "c.jsonl", text_field="body_text")
    assert (error.line, error.keys) == (2, ("_id", "other"))
    assert error.problem.startswith("no text key (expected one of body_text, text, passage, body, contents)")


def test_field_error_offers_only_names_one_could_map_and_pickles():
    error = raises_data_error(read_corpus, f'{{"_id": "d1", "{"k" * 200}": 1, "short": 2}}\n'.encode(), "c.jsonl")
    assert error.keys == ("_id", "short")
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), str(copy), copy.field, copy.keys) == (FieldError, str(error), "text", ("_id", "short"))


# --- Corpus, Queries and hashing -------------------------------------------------------------


def test_passages_follow_the_beir_title_convention():
    corpus = Corpus(("a", "b", "c"), ("text a", "text b", ""), ("Title A", "", "Only title"))
    assert corpus.passages() == ["Title A text a", "text b", "Only title"]


def test_title_without_text_loads_but_neither_is_skipped_and_noted():
    corpus = read_corpus(b'{"_id": "d1", "title": "T", "text": ""}\n', "c.jsonl")
    assert corpus.passages() == ["T"] and corpus.notes == ()
    corpus = read_corpus(b'{"_id": "d1", "text": "x"}\n{"_id": "d2", "text": " "}\n', "c.jsonl")
    assert corpus.ids == ("d1",)
    assert corpus.notes == ("c.jsonl: skipped 1 record with no text (line 2)",)


def test_position_and_query_text_lookups():
    corpus = read_corpus(CORPUS_JSONL.encode(), "c.jsonl")
    assert corpus.position("d3") == 2
    with pytest.raises(KeyError):
        corpus.position("nope")
    queries = read_queries(QUERIES_JSONL.encode(), "q.jsonl")
    assert queries.text("q2") == "old city"
    with pytest.raises(KeyError):
        queries.text("nope")


def test_constructors_freeze_lists_and_validate():
    corpus = Corpus(["d1"], ["x"], [""])
    assert corpus.ids == ("d1",) and isinstance(corpus.texts, tuple)
    with pytest.raises(ValueError, match="length"):
        Corpus(("d1", "d2"), ("x",), ("", ""))
    with pytest.raises(ValueError, match="unique"):
        Queries(("q1", "q1"), ("a", "b"))


def test_content_hash_is_stable_across_formats_and_sensitive_to_content():
    from_jsonl = read_corpus(b'{"_id": "d1", "title": "T", "text": "x"}\n', "c.jsonl")
    from_csv = read_corpus(b"id,title,text\nd1,T,x\n", "other.csv")
    assert from_jsonl.content_hash == from_csv.content_hash
    assert len(from_jsonl.content_hash) == 64
    variants = [
        Corpus(("d1",), ("y",), ("T",)),  # text changed
        Corpus(("d1",), ("x",), ("",)),  # title dropped
        Corpus(("d2",), ("x",), ("T",)),  # id changed
        Corpus(("d1",), ("Tx",), ("",)),  # the same characters, split differently
    ]
    hashes = {from_csv.content_hash, *(corpus.content_hash for corpus in variants)}
    assert len(hashes) == 1 + len(variants)


def test_queries_content_hash():
    queries = Queries(("q1", "q2"), ("a", "b"))
    assert queries.content_hash == Queries(("q1", "q2"), ("a", "b"), source="elsewhere").content_hash
    assert queries.content_hash != Queries(("q2", "q1"), ("b", "a")).content_hash
    assert queries.content_hash != Corpus(("q1", "q2"), ("a", "b"), ("", "")).content_hash


def test_data_error_message_and_pickling():
    error = DataError("corpus.csv", "empty text for id 'd3'", line=4)
    assert str(error) == "corpus.csv, line 4: empty text for id 'd3'"
    assert str(DataError("corpus.csv", "no rows")) == "corpus.csv: no rows"
    assert isinstance(error, ValueError)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.source, copy.problem, copy.line) == ("corpus.csv", "empty text for id 'd3'", 4)


# --- malformed files -------------------------------------------------------------------------


def test_missing_column_lists_the_columns_found():
    error = raises_data_error(read_corpus, b"key,body\nd1,x\n", "corpus.csv")
    assert (error.source, error.line) == ("corpus.csv", 1)
    assert "no id column" in error.problem
    assert "'key', 'body'" in error.problem


def test_missing_column_hints_at_semicolons_in_csv():
    error = raises_data_error(read_corpus, b"id;text\nd1;x\n", "corpus.csv")
    assert "semicolons" in error.problem and "comma-separated" in error.problem


def test_missing_column_hints_at_commas_in_tsv():
    error = raises_data_error(read_queries, b"id,text\nq1,x\n", "queries.tsv")
    assert "commas" in error.problem and "tab-separated" in error.problem


def test_missing_text_key_in_jsonl_names_the_line():
    error = raises_data_error(read_queries, b'{"_id": "q1", "text": "a"}\n{"_id": "q2", "body": "b"}\n', "q.jsonl")
    assert error.line == 2
    assert "no text key" in error.problem and "'body'" in error.problem


def test_empty_text_is_noted_with_the_line_after_a_multiline_record():
    data = b'id,text\nd1,"spans\ntwo lines"\nd2,\n'
    assert read_corpus(data, "corpus.csv").notes == ("corpus.csv: skipped 1 record with no text (line 4)",)


def test_records_without_text_are_counted_with_their_first_ten_lines():
    data = "".join(f'{{"_id": "q{i}", "text": "{"" if i % 2 else "x"}"}}\n' for i in range(30)).encode()
    queries = read_queries(data, "q.jsonl")
    assert len(queries) == 15
    assert queries.notes == (
        "q.jsonl: skipped 15 records with no text (lines 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, …)",
    )


def test_a_file_where_no_record_has_text_is_an_error():
    error = raises_data_error(read_queries, b"id,text\nq1,\nq2, \n", "q.csv")
    assert str(error) == "q.csv: no record has any text (2 empty: lines 2, 3)"


def test_notes_of_every_part_reach_the_dataset():
    corpus = read_corpus(b"id,text\nd1,x\nd2,\n", "c.csv")
    queries = read_queries(b"q1\tfind x\n", "q.tsv")
    dataset = make_dataset(corpus, queries, read_qrels(b"q1\td1\t1\nq1\td2\t1\n", "r.tsv"))
    assert dataset.notes == (
        "c.csv: skipped 1 record with no text (line 3)",
        "q.tsv: no header line (line 1 names no known column); read its 2 columns as id text",
        "r.tsv: no header line; read its 3 columns as query-id corpus-id score",
        "qrels: 1 judgement names a doc id not in the corpus; ignored",
    )


def test_empty_id():
    error = raises_data_error(read_corpus, b"id,text\nd1,x\n  ,y\n", "c.csv")
    assert (error.line, error.problem) == (3, "empty id")


def test_duplicate_id_names_both_lines():
    error = raises_data_error(read_corpus, b"id,text\nd1,x\nd2,y\nd1,z\n", "c.csv")
    assert error.line == 4
    assert "duplicate id 'd1'" in error.problem and "line 2" in error.problem


def test_field_count_mismatch():
    error = raises_data_error(read_corpus, b"id,text\nd1,a,b\n", "c.csv")
    assert error.line == 2
    assert "3 fields, but the header has 2" in error.problem


def test_unclosed_quote_is_reported_where_the_record_starts():
    error = raises_data_error(read_corpus, b'id,text,title\nd1,"never closed,t\nd2,x,t\n', "c.csv")
    assert error.line == 2
    assert "quote" in error.problem


def test_undecodable_bytes_report_the_line_of_the_first_bad_byte():
    data = b"id,text\nd1,fine\nd2,caf\xe9\n"
    error = raises_data_error(read_corpus, data, "latin1.csv")
    assert str(error) == "latin1.csv, line 3: not UTF-8 text (byte 0xE9; try saving as UTF-8)"


def test_utf16_with_a_byte_order_mark_loads():
    text = "id,text\r\nd1,café\r\n"
    for encoding in ("utf-16", "utf-16-be"):
        data = text.encode(encoding) if encoding == "utf-16" else b"\xfe\xff" + text.encode(encoding)
        assert read_corpus(data, "excel.csv").texts == ("café",)


def test_undecodable_bytes_inside_gzip():
    error = raises_data_error(read_corpus, gzip.compress(b"ok\n\xff\n"), "c.txt.gz")
    assert (error.source, error.line) == ("c.txt.gz", 2)


def test_invalid_json_names_the_line():
    data = b'{"_id": "d1", "text": "x"}\n{"_id": "d2", "text": \n'
    error = raises_data_error(read_corpus, data, "c.jsonl")
    assert (error.source, error.line) == ("c.jsonl", 2)
    assert error.problem.startswith("invalid JSON")


def test_deeply_nested_json_is_a_data_error():
    error = raises_data_error(read_corpus, b"[" * 100_000, "c.jsonl")
    assert error.line == 1


@pytest.mark.parametrize(("line", "kind"), [(b"[1, 2]", "list"), (b'"text"', "str"), (b"3", "int")])
def test_json_line_that_is_not_an_object(line, kind):
    error = raises_data_error(read_corpus, b'{"_id": "d1", "text": "x"}\n' + line + b"\n", "c.jsonl")
    assert error.line == 2
    assert f"expected a JSON object, found {kind}" in error.problem


def test_json_text_that_is_not_a_string():
    error = raises_data_error(read_corpus, b'{"_id": "d1", "text": ["x"]}\n', "c.jsonl")
    assert 'text must be a string, found ["x"]' in str(error)


def test_json_lone_surrogate_is_rejected():
    error = raises_data_error(read_corpus, b'{"_id": "d1", "text": "bad \\ud800"}\n', "c.jsonl")
    assert error.line == 1
    assert "surrogate" in error.problem


def test_truncated_gzip():
    data = gzip.compress(CORPUS_JSONL.encode() * 50)
    error = raises_data_error(read_corpus, data[: len(data) // 2], "corpus.jsonl.gz")
    assert error.source == "corpus.jsonl.gz" and error.line is None
    assert "truncated gzip" in error.problem


def test_not_gzip_data():
    error = raises_data_error(read_corpus, b"plain text, not gzip", "c.jsonl.gz")
    assert error.problem == "not valid gzip data"


def test_gzip_decompression_is_capped():
    limits = DataLimits(max_uncompressed_bytes=10_000)
    error = raises_data_error(read_corpus, gzip.compress(b"x" * 10_001), "bomb.txt.gz", limits)
    assert "more than 10,000 bytes" in error.problem


@pytest.mark.parametrize("data", [b"", b" \n\r\n\t", b"\xef\xbb\xbf", gzip.compress(b"")])
def test_empty_file(data):
    error = raises_data_error(read_corpus, data, "c.jsonl.gz" if data.startswith(b"\x1f\x8b") else "c.csv")
    assert error.problem == "empty file"


@pytest.mark.parametrize(
    ("reader", "name", "data"),
    [
        (read_corpus, "c.csv", b"id,text\n"),
        (read_queries, "q.tsv", b"id\ttext\r\n\r\n"),
        (read_qrels, "r.tsv", b"query-id\tcorpus-id\tscore\n"),
    ],
)
def test_header_only_means_no_rows(reader, name, data):
    assert str(raises_data_error(reader, data, name)) == f"{name}: no rows"


def test_unsupported_extension():
    error = raises_data_error(read_corpus, b"x", "corpus.xlsx")
    assert "unsupported file type '.xlsx'" in error.problem
    assert "unsupported" in raises_data_error(read_qrels, b"x", "qrels.jsonl").problem


def test_file_size_limit():
    error = raises_data_error(read_corpus, b"0123456789\n", "c.txt", DataLimits(max_file_bytes=10))
    assert "11 bytes, over the 10-byte limit" in error.problem


def test_count_limits_name_the_first_line_over():
    error = raises_data_error(read_corpus, b"a\nb\nc\n", "c.txt", DataLimits(max_documents=2))
    assert (error.line, error.problem) == (3, "more than 2 documents (the limit)")
    error = raises_data_error(read_queries, b"a\nb\n", "q.txt", DataLimits(max_queries=1))
    assert error.problem == "more than 1 queries (the limit)"


# The list of hostile files: each loads as stated, or fails with a message naming file, line and problem.
TEN_MB = "x" * 10_000_000
HOSTILE_LOADS = [
    ("ids with spaces and unicode", read_corpus, "c.tsv", "id\ttext\nmy doc 1\tä\n文書-2\tß\n".encode(),
     lambda c: c.ids == ("my doc 1", "文書-2")),
    ("a 10 MB JSONL line", read_corpus, "c.jsonl", f'{{"_id": "d1", "text": "{TEN_MB}"}}\n'.encode(),
     lambda c: len(c.texts[0]) == 10_000_000),
    ("a 10 MB text line", read_queries, "q.txt", TEN_MB.encode() + b"\n", lambda q: len(q.texts[0]) == 10_000_000),
    ("CRLF TREC qrels", read_qrels, "r.trec", b"q1 0 d1 1\r\nq1 0 d2 0\r\n", lambda r: r == {"q1": {"d1": 1, "d2": 0}}),
]
HOSTILE_ERRORS = [
    ("random bytes", read_corpus, "c.jsonl", b"\x8f\x00\xfe\x13random", 1, "not UTF-8 text"),
    ("truncated JSONL", read_corpus, "c.jsonl", CORPUS_JSONL.encode()[:110], 2, "invalid JSON"),
    ("semicolons in a CSV", read_corpus, "c.csv", b"id;text\nd1;hello\n", 1, "separated"),
    ("commas in a TSV", read_queries, "q.tsv", b"id,text\nq1,hello\n", 1, "separated"),
    ("latin-1", read_queries, "q.csv", "id,text\nq1,café\n".encode("latin-1"), 2, "not UTF-8 text"),
    ("duplicate ids", read_queries, "q.jsonl", QUERIES_JSONL.encode() * 2, 3, "duplicate id 'q1'"),
    ("header only", read_corpus, "c.tsv", b"_id\ttitle\ttext\r\n", None, "no rows"),
    ("negative grade", read_qrels, "r.csv", b"query_id,doc_id,relevance\nq1,d1,-2\n", 2, "negative"),
    ("non-numeric grade", read_qrels, "r.tsv", b"query-id\tcorpus-id\tscore\nq1\td1\thigh\n", 2, "'high'"),
    ("a 10 MB id repeated", read_corpus, "c.tsv", f"id\ttext\n{TEN_MB}\ta\n{TEN_MB}\tb\n".encode(), 3,
     "duplicate id 'xxxx"),
]


@pytest.mark.parametrize(("case", "reader", "name", "data", "check"), HOSTILE_LOADS, ids=[c[0] for c in HOSTILE_LOADS])
def test_hostile_files_that_load(case, reader, name, data, check):
    assert check(reader(data, name))


@pytest.mark.parametrize(("case", "reader", "name", "data", "line", "problem"), HOSTILE_ERRORS,
                         ids=[c[0] for c in HOSTILE_ERRORS])
def test_hostile_files_name_the_file_line_and_problem_briefly(case, reader, name, data, line, problem):
    error = raises_data_error(reader, data, name)
    assert (error.source, error.line) == (name, line)
    assert problem in error.problem and len(str(error)) < 300


def test_a_huge_header_is_summarised_in_the_message():
    header = ",".join(f"column{i}" for i in range(10_000))
    error = raises_data_error(read_corpus, f"{header}\n".encode(), "wide.csv")
    assert "(10,000 in all)" in error.problem and len(str(error)) < 600


def test_qrels_naming_unknown_ids_are_counted_and_ignored():
    corpus, queries = read_corpus(CORPUS_JSONL.encode(), "c.jsonl"), read_queries(QUERIES_JSONL.encode(), "q.jsonl")
    dataset = make_dataset(corpus, queries, read_qrels(b"q1 0 d1 1\nq1 0 nope 1\nq9 0 d1 1\n", "r.txt"))
    assert dataset.qrels == {"q1": {"d1": 1}}
    assert "qrels: 1 judgement names a query id not in the queries; ignored" in dataset.notes


# --- BEIR zips -------------------------------------------------------------------------------

BEIR_FILES = {
    "corpus.jsonl": CORPUS_JSONL,
    "queries.jsonl": QUERIES_JSONL,
    "qrels/test.tsv": QRELS_TSV,
}


def test_beir_zip_flat():
    dataset = read_beir_zip(zip_bytes(BEIR_FILES), "tiny.zip")
    assert dataset.name == "tiny"
    assert dataset.corpus.ids == ("d1", "d2", "d3")
    assert dataset.queries.ids == ("q1", "q2")
    assert dataset.qrels == {"q1": {"d1": 1}, "q2": {"d3": 2}}
    assert dataset.corpus.source == "tiny.zip/corpus.jsonl"
    assert dataset.notes == ()


def test_beir_zip_nested_folder_gz_members_and_macos_junk():
    files = {
        "SciFact/corpus.jsonl.gz": gzip.compress(CORPUS_JSONL.encode()),
        "SciFact/queries.jsonl": QUERIES_JSONL,
        "SciFact/qrels/test.tsv": QRELS_TSV,
        "__MACOSX/SciFact/._corpus.jsonl.gz": b"\x00\x05junk",
    }
    dataset = read_beir_zip(zip_bytes(files), "download.zip")
    assert dataset.name == "SciFact"
    assert len(dataset.corpus) == 3
    assert dataset.qrels == {"q1": {"d1": 1}, "q2": {"d3": 2}}


def test_beir_zip_finds_the_shallowest_dataset_at_any_depth():
    files = {f"downloads/beir/scifact/{name}": content for name, content in BEIR_FILES.items()}
    files["downloads/beir/scifact/old/corpus.jsonl"] = "not read"
    dataset = read_beir_zip(zip_bytes(files), "deep.zip")
    assert (dataset.name, len(dataset.corpus)) == ("scifact", 3)
    assert dataset.qrels == {"q1": {"d1": 1}, "q2": {"d3": 2}}


def test_beir_zip_split_and_missing_qrels():
    files = {**BEIR_FILES, "qrels/dev.tsv": "query-id\tcorpus-id\tscore\nq2\td2\t1\n"}
    assert read_beir_zip(zip_bytes(files), "t.zip", split="dev").qrels == {"q2": {"d2": 1}}
    dataset = read_beir_zip(zip_bytes(files), "t.zip", split="train")
    assert dataset.qrels is None
    assert any("none found" in note and "qrels/train.tsv" in note for note in dataset.notes)


def test_beir_zip_malformed_member_names_the_member_and_line():
    files = {**BEIR_FILES, "queries.jsonl": QUERIES_JSONL + "not json\n"}
    error = raises_data_error(read_beir_zip, zip_bytes(files), "t.zip")
    assert (error.source, error.line) == ("t.zip/queries.jsonl", 3)


@pytest.mark.parametrize("data", [b"PK\x03\x04 not really a zip", b"hello"])
def test_bad_zip(data):
    error = raises_data_error(read_beir_zip, data, "bad.zip")
    assert str(error) == "bad.zip: not a valid zip file"


@pytest.mark.parametrize("member", ["../evil/corpus.jsonl", "/abs/corpus.jsonl", "C:/x.txt", "a/../../b"])
def test_zip_with_unsafe_path_is_rejected(member):
    error = raises_data_error(read_beir_zip, zip_bytes({**BEIR_FILES, member: "x"}), "evil.zip")
    assert error.source == "evil.zip"
    assert "unsafe path" in error.problem


def test_an_unsafe_zip_writes_no_file(tmp_path, monkeypatch):
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    raises_data_error(read_beir_zip, zip_bytes({**BEIR_FILES, "../escaped.txt": "x"}), "evil.zip")
    read_beir_zip(zip_bytes(BEIR_FILES), "fine.zip")
    assert [path.name for path in tmp_path.rglob("*")] == ["work"]


def test_a_zip_whose_header_understates_a_member_is_rejected():
    data = bytearray(zip_bytes({**BEIR_FILES, "corpus.jsonl": CORPUS_JSONL + " " * 5_000_000}))
    central = data.rindex(b"PK\x01\x02", 0, data.rindex(b"corpus.jsonl"))  # central directory entry of corpus.jsonl
    data[central + 24 : central + 28] = (100).to_bytes(4, "little")  # its uncompressed size: 100 bytes
    error = raises_data_error(read_beir_zip, bytes(data), "liar.zip")
    assert error.source == "liar.zip/corpus.jsonl" and "corrupt zip entry" in error.problem


def test_zip_over_uncompressed_limit_is_rejected_before_reading():
    data = zip_bytes({**BEIR_FILES, "padding.bin": b"\x00" * 100_000})
    error = raises_data_error(read_beir_zip, data, "big.zip", DataLimits(max_uncompressed_bytes=50_000))
    assert "over the 50,000-byte limit" in error.problem


@pytest.mark.parametrize(("missing", "word"), [("corpus.jsonl", "corpus"), ("queries.jsonl", "queries")])
def test_zip_without_corpus_or_queries_says_which(missing, word):
    files = {name: content for name, content in BEIR_FILES.items() if name != missing}
    error = raises_data_error(read_beir_zip, zip_bytes(files), "part.zip")
    assert error.source == "part.zip"
    assert f"no {word}" in error.problem


def test_zip_with_two_datasets_is_ambiguous():
    files = {f"{name}/{path}": content for name in ("a", "b") for path, content in BEIR_FILES.items()}
    assert "several datasets" in raises_data_error(read_beir_zip, zip_bytes(files), "two.zip").problem


def test_corrupt_zip_member_is_a_data_error():
    data = bytearray(zip_bytes({"corpus.jsonl": CORPUS_JSONL * 20, "queries.jsonl": QUERIES_JSONL}))
    start = data.index(b"corpus.jsonl") + len("corpus.jsonl")  # the first local header's data follows
    data[start + 5 : start + 15] = b"\xff" * 10
    error = raises_data_error(read_beir_zip, bytes(data), "corrupt.zip")
    assert error.source == "corrupt.zip/corpus.jsonl"


def test_zip_member_with_unsupported_compression_is_a_data_error():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_BZIP2) as archive:
        for name, content in BEIR_FILES.items():
            archive.writestr(name, content)
    error = raises_data_error(read_beir_zip, buffer.getvalue(), "bz.zip")
    assert error.source == "bz.zip/corpus.jsonl"
    assert "unsupported zip compression" in error.problem


def test_parquet_zip_with_headerless_qrels():
    files = {
        "nq/corpus.parquet": parquet_bytes(BEIR_PARQUET),
        "nq/queries.parquet": parquet_bytes({"_id": ["q1"], "text": ["capital of France"]}),
        "nq/qrels/test.tsv": "q1\td1\t1\n",
    }
    dataset = read_beir_zip(zip_bytes(files), "nq.zip")
    assert (dataset.name, len(dataset.corpus), dataset.qrels) == ("nq", 3, {"q1": {"d1": 1}})
    assert dataset.notes == (f"nq.zip/nq/qrels/test.tsv: {BEIR_NOTE}",)


# --- folders and path wrappers ---------------------------------------------------------------


def test_beir_folder(tmp_path):
    for name, content in BEIR_FILES.items():
        write(tmp_path / "tiny", name, content)
    dataset = load_dataset(tmp_path / "tiny")
    assert dataset.name == "tiny"
    assert dataset.qrels == {"q1": {"d1": 1}, "q2": {"d3": 2}}


def test_beir_folder_with_split_file_at_top_level_and_gz(tmp_path):
    write(tmp_path, "corpus.jsonl.gz", gzip.compress(CORPUS_JSONL.encode()))
    write(tmp_path, "queries.jsonl.gz", gzip.compress(QUERIES_JSONL.encode()))
    write(tmp_path, "test.tsv", QRELS_TSV)
    assert load_dataset(tmp_path).qrels == {"q1": {"d1": 1}, "q2": {"d3": 2}}


def test_csv_variant_folder(tmp_path):
    write(tmp_path, "corpus.csv", "id,title,text\nd1,T,x\nd2,,y\n")
    write(tmp_path, "queries.csv", "id,text\nq1,find x\n")
    write(tmp_path, "qrels.csv", "query_id,doc_id,score\nq1,d1,1\n")
    dataset = load_dataset(tmp_path)
    assert dataset.qrels == {"q1": {"d1": 1}}
    assert dataset.corpus.passages() == ["T x", "y"]


SPLIT_QRELS = "query_id,doc_id,score,split\nq1,d1,1,train\nq2,d2,1,test\nq3,d1,2,Test\n"


def test_a_split_column_in_csv_qrels_gives_each_split_and_holds_the_others_queries_apart(tmp_path):
    write(tmp_path, "corpus.csv", "id,text\nd1,x\nd2,y\n")
    write(tmp_path, "queries.csv", "id,text\nq1,find x\nq2,find y\nq3,x again\nq4,unjudged\n")
    write(tmp_path, "qrels.csv", SPLIT_QRELS)
    test = load_dataset(tmp_path)
    assert (test.split, test.qrels, test.queries.ids) == ("test", {"q2": {"d2": 1}, "q3": {"d1": 2}}, ("q2", "q3", "q4"))
    assert "split test: 3 queries; 1 judged only in train are held apart" in test.notes
    train = load_dataset(tmp_path, split="train")
    assert (train.split, train.qrels, train.queries.ids) == ("train", {"q1": {"d1": 1}}, ("q1", "q4"))
    error = raises_data_error(load_dataset, tmp_path, split="dev")
    assert (error.source, str(error)) == (str(tmp_path / "qrels.csv"), (f"{tmp_path / 'qrels.csv'}: no rows of split "
                                          "'dev' in its split column (it has test, train)"))


def test_separate_files_with_a_split_column_give_a_training_split_for_the_train_page():
    from app_pages.views.data import dataset_from_files, training_split_from_files

    files = ((b"id,text\nd1,x\nd2,y\n", "corpus.csv"), (b"id,text\nq1,find x\nq2,find y\nq3,x again\n", "queries.csv"),
             (SPLIT_QRELS.encode(), "qrels.csv"))
    test, train = dataset_from_files(*files), training_split_from_files(*files)
    assert (test.split, sorted(test.qrels), test.queries.ids) == ("test", ["q2", "q3"], ("q2", "q3"))
    assert (train.split, sorted(train.qrels), train.queries.ids) == ("train", ["q1"], ("q1",))
    assert training_split_from_files(*files[:2], (b"query_id,doc_id,score\nq1,d1,1\n", "qrels.csv")) is None
    error = raises_data_error(read_qrels, b"query_id,doc_id,score,split\nq1,d1,1,\n", "qrels.csv")
    assert (error.line, str(error)) == (2, "qrels.csv, line 2: empty split (expected a name such as train or test)")


def test_msmarco_folder_with_a_split(tmp_path):
    write(tmp_path, "collection.tsv", "0\tParis is in France.\n1\tBread goes stale.\n")
    write(tmp_path, "queries.dev.tsv", "10\tcapital of France\n")
    write(tmp_path, "qrels.dev.tsv", "10\t0\t0\t1\n")
    dataset = load_dataset(tmp_path, split="dev")
    assert (len(dataset.corpus), dataset.queries.ids, dataset.qrels) == (2, ("10",), {"10": {"0": 1}})
    assert dataset.notes == (
        f"{tmp_path / 'collection.tsv'}: {MSMARCO_NOTE}",
        f"{tmp_path / 'queries.dev.tsv'}: {MSMARCO_NOTE}",
        f"{tmp_path / 'qrels.dev.tsv'}: {TREC_NOTE}",
    )


def test_field_mapping_through_folder_and_zip(tmp_path):
    files = {"corpus.jsonl": '{"_id": "d1", "headline": "H", "body_text": "B"}\n',
             "queries.jsonl": '{"_id": "q1", "text": "find B"}\n'}
    for name, content in files.items():
        write(tmp_path, name, content)
    error = raises_data_error(load_dataset, tmp_path)
    assert isinstance(error, FieldError) and error.source == str(tmp_path / "corpus.jsonl")
    dataset = load_dataset(tmp_path, text_field="body_text", title_field="headline")
    assert dataset.corpus.passages() == ["H B"] and dataset.queries.texts == ("find B",)
    assert read_beir_zip(zip_bytes(files), "z.zip", text_field="body_text").corpus.texts == ("B",)


def test_cli_maps_fields_with_text_field_and_title_field(tmp_path):
    """`python -m core compare --text-field --title-field` reads a corpus it refuses without them (see above)."""
    write(tmp_path / "news", "corpus.jsonl", '{"_id": "d1", "headline": "Paris", "body_text": "Paris is in France."}\n'
                                             '{"_id": "d2", "headline": "Bread", "body_text": "Bread goes stale."}\n')
    write(tmp_path / "news", "queries.tsv", "q1\tcapital of France\n")
    write(tmp_path / "news", "qrels/test.tsv", "q1\td1\t1\n")
    command = [sys.executable, "-m", "core", "compare", str(tmp_path / "news"), "--out", str(tmp_path / "out"),
               "--rankers", "bm25", "--text-field", "body_text", "--title-field", "headline"]
    mapped = subprocess.run(command, cwd=ROOT, check=False, capture_output=True, text=True, timeout=300)
    assert mapped.returncode == 0, mapped.stderr
    assert f"note: {tmp_path / 'news' / 'qrels' / 'test.tsv'}: {BEIR_NOTE}" in mapped.stdout.splitlines()
    (run,) = (tmp_path / "out").glob("run_*.trec")
    assert run.read_text().split()[:3] == ["q1", "Q0", "d1"]  # the title and text it was given rank d1 first


def test_qrels_path_overrides_the_folder_qrels(tmp_path):
    for name, content in {**BEIR_FILES, "qrels/test.tsv": "broken"}.items():
        write(tmp_path / "ds", name, content)
    other = write(tmp_path, "mine.qrels", "q2 0 d2 3\n")
    assert load_dataset(tmp_path / "ds", qrels_path=other).qrels == {"q2": {"d2": 3}}


def test_load_dataset_from_zip_path(tmp_path):
    path = write(tmp_path, "tiny.zip", zip_bytes(BEIR_FILES))
    dataset = load_dataset(path)
    assert (dataset.name, len(dataset.corpus)) == ("tiny", 3)


def test_load_dataset_rejects_missing_and_non_zip_paths(tmp_path):
    assert raises_data_error(load_dataset, tmp_path / "nowhere").problem == "no such file or folder"
    other = write(tmp_path, "corpus.csv", "id,text\nd1,x\n")
    assert "BEIR folder or a .zip" in raises_data_error(load_dataset, other).problem
    (tmp_path / "empty").mkdir()
    assert "no corpus file" in raises_data_error(load_dataset, tmp_path / "empty").problem


def test_path_loaders(tmp_path):
    corpus = load_corpus(write(tmp_path, "c.tsv", "_id\ttitle\ttext\nd1\tT\tx\n"))
    assert corpus.source == str(tmp_path / "c.tsv")
    assert load_queries(write(tmp_path, "q.txt", "hello\n")).ids == ("q1",)
    assert load_qrels(write(tmp_path, "r.trec", "q1 0 d1 1\n")) == {"q1": {"d1": 1}}


def test_path_loader_errors_name_the_path(tmp_path):
    error = raises_data_error(load_corpus, tmp_path / "missing.csv")
    assert (error.source, error.problem) == (str(tmp_path / "missing.csv"), "no such file")
    error = raises_data_error(load_corpus, write(tmp_path, "c.csv", "id,text\nd1,x\nd1,y\n"))
    assert (error.source, error.line) == (str(tmp_path / "c.csv"), 3)
    path = write(tmp_path, "big.txt", "x" * 100)
    assert "over the 10-byte limit" in raises_data_error(load_corpus, path, DataLimits(max_file_bytes=10)).problem


# --- make_dataset ----------------------------------------------------------------------------


def test_make_dataset_drops_unknown_ids_and_counts_them():
    corpus = read_corpus(CORPUS_JSONL.encode(), "c.jsonl")
    queries = read_queries(QUERIES_JSONL.encode(), "q.jsonl")
    qrels = {"q1": {"d1": 1, "d9": 1, "d8": 0}, "q2": {"d3": 1}, "q7": {"d1": 1}}
    dataset = make_dataset(corpus, queries, qrels, name="tiny")
    assert dataset.qrels == {"q1": {"d1": 1}, "q2": {"d3": 1}}
    assert dataset.notes == (
        "qrels: 1 judgement names a query id not in the queries; ignored",
        "qrels: 2 judgements name doc ids not in the corpus; ignored",
    )
    assert qrels["q1"] == {"d1": 1, "d9": 1, "d8": 0}  # the caller's dict is untouched


def test_make_dataset_keeps_unjudged_queries_and_notes_them():
    corpus = read_corpus(CORPUS_JSONL.encode(), "c.jsonl")
    queries = read_queries(QUERIES_JSONL.encode(), "q.jsonl")
    dataset = make_dataset(corpus, queries, {"q1": {"d1": 1}})
    assert len(dataset.queries) == 2
    assert dataset.notes == ("qrels: no judgements for 1 of 2 queries",)


def test_make_dataset_without_any_matching_judgement_has_no_qrels():
    corpus = Corpus(("d1",), ("x",), ("",))
    dataset = make_dataset(corpus, Queries(("q1",), ("y",)), {"q1": {"d2": 1}})
    assert dataset.qrels is None
    assert "evaluation unavailable" in dataset.notes[-1]
    assert make_dataset(corpus, Queries(("q1",), ("y",))).notes == ()


def test_make_dataset_notes_query_ids_that_are_doc_ids():
    corpus = Corpus(("a", "b"), ("x", "y"), ("", ""))
    dataset = make_dataset(corpus, Queries(("a", "q"), ("x", "z")))
    note = "query ids that are also corpus doc ids: 1 of 2 (BEIR evaluation ignores a query's own id in its ranking)"
    assert dataset.notes == (note,)


# --- robustness ------------------------------------------------------------------------------

NAMES = [
    "c.csv",
    "c.tsv",
    "c.jsonl",
    "c.txt",
    "c.qrels",
    "c.trec",
    "c.jsonl.gz",
    "c.csv.gz",
    "c.parquet",
    "c.bin",
]
PREFIXES = [
    b"",
    b"_id,title,text\n",
    b"_id\ttext\n",
    b"query-id\tcorpus-id\tscore\n",
    b"\xef\xbb\xbf",
]
TEXTISH = st.text(alphabet=list('_idtexq,;\t"\n\r {}[]:019-.\\uée\ufeff\x00'), max_size=200).map(str.encode)


@settings(max_examples=400, deadline=None)
@given(
    prefix=st.sampled_from(PREFIXES),
    body=st.one_of(st.binary(max_size=300), TEXTISH),
    name=st.sampled_from(NAMES),
    reader=st.sampled_from([read_corpus, read_queries, read_qrels]),
)
def test_arbitrary_bytes_raise_only_data_error(prefix, body, name, reader):
    data = prefix + body
    if name.endswith(".gz") and body[:1] != b"\x1f":
        data = gzip.compress(data)  # mostly valid gzip, so the inner parser is exercised too
    with contextlib.suppress(DataError):
        reader(data, name)


VALID_ZIP = zip_bytes(BEIR_FILES)


@settings(max_examples=200, deadline=None)
@given(position=st.integers(0, len(VALID_ZIP) - 1), value=st.integers(0, 255), cut=st.booleans())
def test_damaged_zip_raises_only_data_error(position, value, cut):
    data = bytearray(VALID_ZIP)
    data[position] = value
    with contextlib.suppress(DataError):
        read_beir_zip(bytes(data[:position] if cut else data), "damaged.zip")


@pytest.mark.skipif(not ARGUANA.is_dir(), reason="shared ArguAna data not present")
def test_real_arguana_folder():
    dataset = load_dataset(ARGUANA)
    assert len(dataset.corpus) == 8674
    assert len(dataset.queries) == 1406
    assert "qrels: 5 judgements name doc ids not in the corpus; ignored" in dataset.notes
    assert dataset.qrels is not None and len(dataset.qrels) == 1401
    assert sum(len(judged) for judged in dataset.qrels.values()) == 1401
