"""core.session, the pages' glue: keys, subsets and the tables the pages show (no Streamlit needed)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from core.attention_types import PairAttention
from core.data import DataError, first_queries, load_dataset
from core.session import (
    cross_attention_block,
    dataset_from_files,
    dataset_key,
    load_sample,
    rank_changes,
    ranking_table,
    significance_table,
)
from tests.conftest import SAMPLE_CSV


def test_equal_content_gives_an_equal_key_whatever_the_format():
    assert dataset_key(load_sample()) == dataset_key(load_dataset(SAMPLE_CSV))
    sample = load_sample()
    assert dataset_key(first_queries(sample, 3)) != dataset_key(sample)


def test_a_query_subset_keeps_only_its_own_judgements():
    sample = load_sample()
    subset = first_queries(sample, 4)
    assert len(subset.queries) == 4 and set(subset.qrels) == set(subset.queries.ids)
    assert first_queries(sample, 10_000) is sample


def test_uploads_need_both_corpus_and_queries():
    with pytest.raises(DataError, match="choose both a corpus file and a queries file"):
        dataset_from_files((b"id,text\nd1,x\n", "corpus.csv"), None)


def test_ranking_and_rank_change_tables(shared_state):
    data = shared_state["shared.dataset"]
    comparison = shared_state["shared.comparisons"][shared_state["shared.current"]].comparison
    query_id = data.queries.ids[0]
    table = ranking_table(data, comparison.results["bi"], query_id, 5)
    judged = data.qrels[query_id]
    assert list(table["doc id"]) == list(comparison.results["bi"].run[query_id])[:5]
    assert [None if pd.isna(g) else int(g) for g in table["grade"]] == [judged.get(d) for d in table["doc id"]]
    changes = rank_changes(comparison, data, query_id, 10)
    assert changes["largest change"].is_monotonic_decreasing and changes["doc id"].is_unique


def test_significance_rows_mark_identical_runs():
    report = {"model_names": ["a", "b"], "metrics": ["ndcg@10"],
              "a": {"scores": {"ndcg@10": 0.5}, "comparisons": {"b": {"ndcg@10": math.nan}},
                    "win_tie_loss": {"b": {"ndcg@10": {"W": 0, "T": 3, "L": 0}}}},
              "b": {"scores": {"ndcg@10": 0.5}, "comparisons": {"a": {"ndcg@10": math.nan}},
                    "win_tie_loss": {"a": {"ndcg@10": {"W": 0, "T": 3, "L": 0}}}}}
    row = significance_table(report).iloc[0]
    assert row["significant"] == "no (equal on every query)" and row["A wins / ties / losses"] == "0 / 3 / 0"


def test_the_cross_attention_block_is_query_rows_by_document_columns():
    weights = np.arange(2 * 3 * 5 * 5, dtype=float).reshape(2, 3, 5, 5)  # [layers, heads, tokens, tokens]
    attention = PairAttention(["[CLS]", "q", "[SEP]", "d1", "d2"], 3, weights)
    matrix, query_tokens, document_tokens = cross_attention_block(attention, 1, None)
    assert query_tokens == ["[CLS]", "q", "[SEP]"] and document_tokens == ["d1", "d2"]
    assert np.allclose(matrix, weights[1, :, :3, 3:].mean(axis=0))
    matrix, _, document_tokens = cross_attention_block(attention, 0, 2, max_document_tokens=1)
    assert matrix.shape == (3, 1) and document_tokens == ["d1"] and matrix[0, 0] == weights[0, 2, 0, 3]
