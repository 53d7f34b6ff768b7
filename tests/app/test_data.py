"""Data page: uploads in every format core reads, the sample data, previews, readable errors, and the
field picker that maps a missing text field."""

from __future__ import annotations

import gzip
import io
import zipfile

from core.config import guards_from_env
from tests.app.helpers import no_exception, open_page
from tests.conftest import SAMPLE_BEIR
from tests.core.data.test_loading import parquet_bytes

CORPUS = b"id,title,text\nd1,Paris,Paris is the capital of France.\nd2,,Bread goes stale as starch recrystallises.\n"
QUERIES = b"capital of France\nwhy does bread go stale\n"
QRELS = b"q1 0 d1 1\nq2 0 d2 2\n"


def upload(at, corpus=None, queries=None, qrels=None):
    for key, file in (("data.corpus", corpus), ("data.queries", queries), ("data.qrels", qrels)):
        if file is not None:
            at.file_uploader(key=key).set_value((file[0], file[1], "application/octet-stream"))
    return at.get("form_submit_button")[0].click().run()


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def upload_over_sample(corpus, queries=("queries.txt", QUERIES)):
    """Load the sample data, then upload `corpus` and `queries`; return the page and the sample dataset."""
    at = open_page("data")
    at.button(key="data.sample").click().run()
    before = at.session_state["shared.dataset"]
    at = upload(at, corpus, queries)
    no_exception(at)
    return at, before


def submit(at, label: str):
    """Click the form submit button labelled `label` and run."""
    return next(b for b in at.get("form_submit_button") if b.label == label).click().run()


def notes(at) -> list[str]:
    return [c.value for c in at.caption if c.value.startswith("Note: ")]


def test_data_page_states_the_limits_and_starts_empty():
    at = open_page("data")
    no_exception(at)
    assert "Each file up to 200 MB" in at.caption[0].value
    assert at.info[0].value == "No data loaded yet."


def test_sample_data_loads_with_previews():
    at = open_page("data")
    at.button(key="data.sample").click().run()
    no_exception(at)
    assert metrics(at)["Documents"] == f"{len(at.session_state['shared.dataset'].corpus):,}"
    assert int(metrics(at)["Judged queries"]) > 0
    corpus, queries, qrels = (frame.value for frame in at.dataframe)
    assert list(corpus.columns) == ["doc id", "title", "text"] and len(corpus) == 200
    assert "judged docs" in queries.columns and list(qrels.columns) == ["query id", "doc id", "grade"]


def test_separate_csv_txt_and_trec_files_load():
    at = upload(open_page("data"), ("corpus.csv", CORPUS), ("queries.txt", QUERIES), ("test.qrels", QRELS))
    no_exception(at)
    data = at.session_state["shared.dataset"]
    assert data.corpus.ids == ("d1", "d2") and data.queries.ids == ("q1", "q2")
    assert data.qrels == {"q1": {"d1": 1}, "q2": {"d2": 2}}
    assert metrics(at) == {"Documents": "2", "Queries": "2", "Judged queries": "2", "Judgements": "2"}
    assert at.success[0].value == ("Loaded corpus: 2 documents, 2 queries and relevance labels (qrels) for 2 of them "
                                   "(2 judgements): contestants are scored on accuracy.")


def test_qrels_with_a_split_column_load_the_test_split_and_give_the_train_page_its_training_split():
    queries = b"id,text\nq1,capital of France\nq2,why does bread go stale\nq3,stale bread\n"
    qrels = b"query_id,doc_id,score,split\nq1,d1,1,train\nq2,d2,2,test\nq3,d2,1,test\n"
    at = upload(open_page("data"), ("corpus.csv", CORPUS), ("queries.csv", queries), ("qrels.csv", qrels))
    no_exception(at)
    data, (training, how) = at.session_state["shared.dataset"], at.session_state["shared.training"]
    assert (data.split, data.queries.ids, training.split, training.queries.ids) == ("test", ("q2", "q3"), "train", ("q1",))
    assert how == "the qrels' split column"
    assert at.success[0].value.endswith("It has a training split of 1 judged query, for the Train page.")


def test_msmarco_tsv_parquet_and_headerless_qrels_load_and_say_how_they_were_read():
    corpus = parquet_bytes({"_id": ["d1", "d2"], "title": ["Paris", None], "text": ["In France.", ""]})
    at = upload(open_page("data"), ("corpus.parquet", corpus), ("queries.tsv", b"q1\tcapital of France\n"),
                ("test.tsv", b"q1\td1\t1\n"))
    no_exception(at)
    data = at.session_state["shared.dataset"]
    assert data.corpus.ids == ("d1",) and data.qrels == {"q1": {"d1": 1}}
    assert notes(at) == [
        "Note: corpus.parquet: skipped 1 record with no text (line 2)",
        "Note: queries.tsv: no header line (line 1 names no known column); read its 2 columns as id text",
        "Note: test.tsv: no header line; read its 3 columns as query-id corpus-id score",
    ]


def test_a_missing_text_field_offers_the_keys_found_and_reloads_with_the_mapping():
    corpus = b'{"_id": "d1", "headline": "Paris", "body_text": "Paris is in France."}\n'
    at, before = upload_over_sample(("corpus.jsonl", corpus))
    assert at.error[0].value.startswith("Could not load the data: corpus.jsonl, line 1: no text key")
    assert at.session_state["shared.dataset"] is before
    assert at.selectbox(key="data.text_field").options == ["_id", "headline", "body_text"]
    at.selectbox(key="data.text_field").set_value("body_text")
    at.selectbox(key="data.title_field").set_value("headline")
    at = submit(at, "Reload with these fields")
    no_exception(at)
    assert at.session_state["shared.dataset"].corpus.passages() == ["Paris Paris is in France."]
    assert "data.picker" not in at.session_state and not at.warning
    assert at.success[0].value == ("Loaded corpus: 1 documents, 2 queries; no relevance labels (qrels): contestants "
                                   "are compared by how much they agree.")


def test_the_field_picker_maps_a_zip_and_a_successful_load_closes_it():
    files = {"corpus.parquet": parquet_bytes({"_id": ["d1"], "body_text": ["Paris is in France."]}),
             "queries.jsonl": b'{"_id": "q1", "text": "capital of France"}\n'}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    at = open_page("data")
    at.file_uploader(key="data.zip").set_value(("mine.zip", buffer.getvalue(), "application/zip"))
    at = submit(at, "Load the zip")
    no_exception(at)
    assert at.warning[0].value == r"mine.zip/corpus.parquet has no text field. Which of its fields holds the text?"
    at.selectbox(key="data.text_field").set_value("body_text")
    at = submit(at, "Reload with these fields")
    no_exception(at)
    assert at.session_state["shared.dataset"].corpus.texts == ("Paris is in France.",)
    assert not at.warning and "data.picker" not in at.session_state


def test_gzipped_jsonl_without_qrels_says_agreement_replaces_accuracy():
    corpus = gzip.compress(b'{"_id": "d1", "title": "", "text": "Paris is in France."}\n')
    at = upload(open_page("data"), ("corpus.jsonl.gz", corpus), ("queries.csv", b"id,text\nq1,capital\n"))
    no_exception(at)
    assert at.session_state["shared.dataset"].qrels is None
    assert any("No relevance labels" in i.value for i in at.info)


def test_a_bad_file_shows_the_file_line_and_problem_and_keeps_the_previous_data():
    at, before = upload_over_sample(("corpus.csv", b"id,title,text\nd1,Paris,In France.\nd1,Again,Duplicate id.\n"))
    message = at.error[0].value
    assert message.startswith("Could not load the data: corpus.csv") and "line 3" in message
    assert message.endswith("The previously loaded dataset is kept.")
    assert at.session_state["shared.dataset"] is before


def test_missing_queries_and_a_broken_zip_are_messages():
    at = upload(open_page("data"), ("corpus.csv", CORPUS))
    no_exception(at)
    assert "choose both a corpus file and a queries file" in at.error[0].value
    at.file_uploader(key="data.zip").set_value(("beir.zip", b"not a zip at all", "application/zip"))
    at.get("form_submit_button")[1].click().run()
    no_exception(at)
    assert at.error[0].value.startswith("Could not load the data: beir.zip")
    assert "shared.dataset" not in at.session_state


def test_a_beir_zip_loads():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in ("corpus.jsonl", "queries.jsonl", "qrels/test.tsv"):
            archive.write(SAMPLE_BEIR / name, f"beir/{name}")
    at = open_page("data")
    at.file_uploader(key="data.zip").set_value(("beir.zip", buffer.getvalue(), "application/zip"))
    at.get("form_submit_button")[1].click().run()
    no_exception(at)
    assert at.session_state["shared.dataset"].qrels


def test_user_text_is_shown_as_text(tmp_path):
    corpus = b'id,text\nd1,<script>window.__xss=1</script> and <img src=x onerror="window.__xss=1">\n'
    at = upload(open_page("data"), ("corpus.csv", corpus), ("queries.txt", b"<b>bold?</b>\n"))
    no_exception(at)
    assert at.text[-1].value == '<script>window.__xss=1</script> and <img src=x onerror="window.__xss=1">'
    assert not at.markdown or all("<script>" not in m.value for m in at.markdown)


def test_each_session_keeps_its_own_data():
    first = open_page("data")
    first.button(key="data.sample").click().run()
    second = open_page("data")
    assert "shared.dataset" in first.session_state and "shared.dataset" not in second.session_state


def test_configured_limits_are_stated_and_enforced(monkeypatch):
    monkeypatch.setattr("app_pages._shared.GUARDS", guards_from_env({"ARENA_MAX_DOCUMENTS": "1"}))
    at = open_page("data")
    assert "at most 1 documents" in at.caption[0].value
    at = upload(at, ("corpus.csv", CORPUS), ("queries.txt", QUERIES))
    no_exception(at)
    assert at.error[0].value == r"Could not load the data: corpus.csv, line 3: more than 1 documents (the limit)."


def test_an_unexpected_failure_is_a_message_and_keeps_the_data(monkeypatch):
    monkeypatch.setattr("app_pages.views.data.dataset_from_files", lambda *args, **kwargs: {}["boom"])
    at, before = upload_over_sample(("corpus.csv", CORPUS))
    assert at.error[0].value == ("Could not load the data: unexpected KeyError (logged for "
                                 "the maintainers). The previously loaded dataset is kept.")
    assert at.session_state["shared.dataset"] is before


def test_a_misconfigured_server_says_which_setting(monkeypatch):
    monkeypatch.setattr("app_pages._shared.SETUP_ERROR", "ARENA_MAX_QUERIES must be a positive number, not '-1'")
    at = open_page("data")
    no_exception(at)
    assert at.error[0].value.startswith("The server is misconfigured: ARENA\\_MAX\\_QUERIES must be a positive")
