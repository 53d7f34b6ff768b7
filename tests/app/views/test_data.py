"""app_pages.views.data, the Data page's view-model: datasets from uploads (no Streamlit needed)."""

from __future__ import annotations

import pytest

from app_pages.views.data import dataset_from_files
from core.data import DataError


def test_uploads_need_both_corpus_and_queries():
    with pytest.raises(DataError, match="choose both a corpus file and a queries file"):
        dataset_from_files((b"id,text\nd1,x\n", "corpus.csv"), None)
