"""Data: upload a corpus, queries and optional qrels (or a BEIR zip, or the sample data), then preview.

When a corpus or queries record has no text field, a field picker offers the keys the file has and
reloads the same uploads with the chosen mapping; the dataset loaded before stays until one loads.
"""

from __future__ import annotations

import streamlit as st

from app_pages import _shared as shared
from app_pages.views import data as data_views
from core.data import Dataset, FieldError, samples

ITEM_TYPES = ["csv", "tsv", "jsonl", "txt", "parquet", "gz"]
QRELS_TYPES = ["csv", "tsv", "txt", "qrels", "qrel", "trec", "gz"]
LIMITS = shared.GUARDS.limits
MAX_MB = max(1, LIMITS.max_file_bytes // 2**20)  # the widget's cap; core checks the exact byte count
PICKER = "data.picker"  # (which uploads, file, keys found) after a load found no text field
NO_TITLE = "(the usual: title)"


def upload(file) -> data_views.Upload | None:
    return None if file is None else (file.getvalue(), file.name)


def load(uploads: str, text_field: str | None = None, title_field: str | None = None) -> None:
    """Load the "files" or the "zip" uploads with a field mapping; a missing text field opens the picker."""
    def read() -> Dataset:
        st.session_state.pop(PICKER, None)
        try:
            if uploads == "zip":
                return data_views.dataset_from_zip(upload(archive), LIMITS, text_field=text_field,
                                                   title_field=title_field)
            return data_views.dataset_from_files(upload(corpus), upload(queries), upload(qrels), LIMITS,
                                                 text_field=text_field, title_field=title_field)
        except FieldError as error:
            if error.field == "text" and error.keys:
                st.session_state[PICKER] = (uploads, error.source, error.keys)
            raise
    def read_training() -> Dataset | None:
        if uploads == "zip":
            return data_views.training_split_from_zip(upload(archive), LIMITS, text_field=text_field,
                                                      title_field=title_field)
        return data_views.training_split_from_files(upload(corpus), upload(queries), upload(qrels), LIMITS,
                                                    text_field=text_field, title_field=title_field)

    shared.load_into_session(read, read_training, "qrels/train.tsv" if uploads == "zip" else "the qrels' split column")


def load_sample() -> Dataset:
    st.session_state.pop(PICKER, None)
    return samples.load_sample()


def load_lesson() -> tuple[Dataset, Dataset]:
    st.session_state.pop(PICKER, None)
    return samples.load_lesson()


st.title("Data")
st.markdown("Bring a **corpus** (the documents to search), **queries**, and optionally **qrels** (relevance "
            "judgements). Without qrels the app compares contestants by how much they agree, not by accuracy.")
st.caption(f"Limits: {data_views.limits_text(LIMITS)}")
with st.expander("Format examples: a working CSV of each file, to fill with your own"):
    st.markdown("`corpus.csv`: `doc_id,title,text` (title optional) · `queries.csv`: `query_id,text` · "
                "`qrels.csv`: `query_id,doc_id,relevance` (0 = not relevant, higher = more relevant). "
                "These are the sample data's.")
    with st.container(horizontal=True):
        for file_name, content in samples.format_examples().items():
            st.download_button(file_name, content, file_name, "text/csv", icon=":material/download:",
                               on_click="ignore", key=f"data.example_{file_name}")

files_tab, zip_tab, sample_tab = st.tabs(["Separate files", "BEIR zip", "Sample data"])
with files_tab, st.form("data.files_form"):
    corpus = st.file_uploader("Corpus: CSV/TSV (id, text, optional title), MS MARCO TSV (id, text; no header), "
                              "BEIR JSONL, Parquet, or TXT (one per line)",
                              type=ITEM_TYPES, key="data.corpus", max_upload_size=MAX_MB)
    queries = st.file_uploader("Queries: the same formats (id, text)",
                               type=ITEM_TYPES, key="data.queries", max_upload_size=MAX_MB)
    qrels = st.file_uploader("Qrels (optional): BEIR TSV or CSV with or without a header, or TREC (qid 0 docid "
                             "grade); a `split` column (train, test) gives the Train page a training split",
                             type=QRELS_TYPES, key="data.qrels", max_upload_size=MAX_MB)
    st.caption("Gzipped files (.jsonl.gz, .csv.gz, …) are read too.")
    if st.form_submit_button("Load these files", type="primary"):
        load("files")
with zip_tab, st.form("data.zip_form"):
    archive = st.file_uploader("A dataset as .zip: corpus.jsonl (or .csv, .tsv, .parquet, collection.tsv), "
                               "queries.*, optional qrels/test.tsv (and qrels/train.tsv: a training split for the "
                               "Train page)", type=["zip"], key="data.zip", max_upload_size=MAX_MB)
    if st.form_submit_button("Load the zip", type="primary"):
        if archive is None:
            st.error("Choose a .zip file first.")
        else:
            load("zip")
with sample_tab:
    st.markdown("A few hundred short documents on ten everyday topics (astronomy, medicine, cooking, finance, …) "
                "with a few dozen queries and graded relevance labels: quick to run on a CPU.")
    if st.button("Use the sample data", key="data.sample"):
        shared.load_into_session(load_sample)
    st.markdown("The **lesson data** of the Start page's demo: questions where reading query and document together "
                "matters (roles, negation, comparisons, two-part questions), with a training split for the Train page.")
    if st.button("Use the lesson data", key="data.lesson"):
        shared.load_into_session(lambda: load_lesson()[0], lambda: load_lesson()[1])

if PICKER in st.session_state:
    uploads, source, keys = st.session_state[PICKER]
    with st.form("data.fields_form"):
        st.warning(f"{shared.plain(source)} has no text field. Which of its fields holds the text?")
        text_field = st.selectbox("Text field (for the corpus and the queries)", keys, key="data.text_field")
        title_field = st.selectbox("Title field (corpus)", [NO_TITLE, *keys], key="data.title_field")
        if st.form_submit_button("Reload with these fields"):
            load(uploads, text_field, None if title_field == NO_TITLE else title_field)

shared.show_flash()
data = shared.dataset()
if data is None:
    st.info("No data loaded yet.")
    st.stop()

st.subheader(f"Loaded: {shared.plain(data.name or 'dataset')}")
judged = data.qrels or {}
cells = st.columns(4)
cells[0].metric("Documents", f"{len(data.corpus):,}")
cells[1].metric("Queries", f"{len(data.queries):,}")
cells[2].metric("Judged queries", f"{len(judged):,}")
cells[3].metric("Judgements", f"{sum(map(len, judged.values())):,}")
if data.qrels is None:
    st.info("No relevance labels: the comparison will report agreement between contestants instead of accuracy.")
for note in data.notes:
    st.caption(f"Note: {shared.plain(note)}")

corpus_tab, queries_tab, qrels_tab = st.tabs(["Corpus", "Queries", "Qrels"])
corpus_tab.dataframe(data_views.corpus_preview(data), hide_index=True)
queries_tab.dataframe(data_views.queries_preview(data), hide_index=True)
if data.qrels is None:
    qrels_tab.caption("No qrels loaded.")
else:
    qrels_tab.dataframe(data_views.qrels_preview(data), hide_index=True)
st.caption("Tables show the first 200 rows.")

with st.expander("Use a prebuilt index (encoded elsewhere, e.g. on a Ray cluster)"):
    st.markdown("`python -m core index DATA --out INDEX_DIR --engine ray` encodes a corpus once, on as many machines "
                "as a Ray cluster has, into an index directory. Opened here, the bi-encoder contestants it was built "
                "for take their document vectors from it instead of encoding this corpus; one built on other data or "
                "by another model is refused.")
    with st.form("data.index_form", border=False):
        folder = st.text_input("Index directory", key="data.index_dir", placeholder="/path/to/INDEX_DIR")
        opening = st.form_submit_button("Use this index") and folder.strip()
if opening:  # the outcome shows outside the expander, which folds again on the rerun
    from app_pages import _runs  # the model libraries, only for this

    try:
        st.session_state[shared.FLASH] = _runs.open_index(folder.strip())
    except shared.PAGE_ERRORS as error:
        st.error(f"Could not use the index: {shared.describe(error)}")
    else:
        st.rerun()

st.subheader("Read one document")
doc_id = st.selectbox("Document", data.corpus.ids[:200], key="data.doc")
title, text = data_views.document(data, doc_id)
if title:
    st.text(title)
st.text(text)
