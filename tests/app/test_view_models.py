"""core.view_models, the pages' glue: keys, subsets and the tables the pages show (no Streamlit needed)."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from core.attention_types import PairAttention
from core.contestants.registry import comparison, parse_contestant
from core.contestants.spec import SpecError
from core.data import DataError, first_queries, load_dataset
from core.view_models import (
    contestant_rows,
    cross_attention_block,
    dataset_from_files,
    duplicate,
    load_sample,
    rank_changes,
    ranking_table,
    significance_table,
    spec_from_rows,
    with_run_file,
)
from tests.app.helpers import SMALL
from tests.conftest import SAMPLE_CSV


def test_equal_content_gives_an_equal_key_whatever_the_format():
    assert load_sample().content_hash == load_dataset(SAMPLE_CSV).content_hash
    sample = load_sample()
    assert first_queries(sample, 3).content_hash != sample.content_hash


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
    table = ranking_table(data, comparison.results["MiniLM"], query_id, 5)
    judged = data.qrels[query_id]
    assert list(table["doc id"]) == list(comparison.results["MiniLM"].run[query_id])[:5]
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


# --- the contestant table of Settings ---------------------------------------------------------------


def test_the_contestant_table_reads_back_to_the_same_comparison():
    rows = contestant_rows(SMALL)
    assert list(rows.columns) == ["name", "kind", "model", "options"]
    assert list(rows["name"]) == ["MiniLM", "BM25 <s>", "MiniLM → cross"]
    assert rows.loc[2, "options"] == "depth=5, first=MiniLM"
    assert spec_from_rows(rows, k=SMALL.k, exclude_self=SMALL.exclude_self) == SMALL


def test_edited_rows_make_the_comparison_and_blank_rows_are_skipped():
    rows = contestant_rows(SMALL)
    rows.loc[1, "name"] = "lexical"
    rows.loc[2, "options"] = "first=lexical, depth=7"
    rows.loc[3] = ["hybrid", "fusion", "", "of=MiniLM+lexical"]
    rows.loc[4] = [None, None, None, None]  # the empty row the editor adds at the bottom
    spec = spec_from_rows(rows, k=5, exclude_self=True)
    assert spec.names == ("MiniLM", "lexical", "MiniLM → cross", "hybrid")
    assert spec.contestant("MiniLM → cross").option("first") == "lexical"
    assert spec.contestant("MiniLM → cross").option("depth") == 7
    assert spec.contestant("hybrid").option("of") == "MiniLM+lexical" and spec.contestant("hybrid").model == ""
    assert (spec.k, spec.exclude_self) == (5, True)


@pytest.mark.parametrize(("row", "message"), [
    (["bad", "bi", "embedded", "depth"], "row 4 (bad), options: 'depth' is not key=value"),
    (["bad", "bi", "embedded", "name=other"], "row 4 (bad): set name in its own column, not among the options"),
    (["bad", "bi", "embedded", "depth=two"], "row 4 (bad): depth='two' is not a whole number"),
    (["bad", "bm25", "embedded", ""], "row 4 (bad): a BM25 takes no model"),
    (["bad", "bi", "embedded", "codes=4"], "row 4 (bad): a bi-encoder takes no option codes"),
    (["", "bi", "embedded", ""], "row 4 (no name): give it a name"),
    (["bad", "", "", ""], "row 4 (bad): give its kind"),
    (["MiniLM", "bm25", "", ""], "contestant names must be unique: MiniLM is used twice"),
])
def test_a_bad_row_is_an_error_naming_it(row, message):
    rows = contestant_rows(SMALL)
    rows.loc[3] = row
    with pytest.raises(SpecError, match=re.escape(message)):
        spec_from_rows(rows)


def test_renaming_a_first_stage_leaves_its_re_ranker_pointing_at_nothing():
    rows = contestant_rows(SMALL)
    rows.loc[0, "name"] = "mini"
    with pytest.raises(SpecError, match="'MiniLM → cross' needs 'MiniLM', which is neither a contestant nor a kind"):
        spec_from_rows(rows)


def test_a_duplicate_follows_its_original_with_a_fresh_name():
    once = duplicate(SMALL, "MiniLM")
    assert once.names == ("MiniLM", "MiniLM copy", "BM25 <s>", "MiniLM → cross")
    copy = once.contestant("MiniLM copy")
    original = SMALL.contestant("MiniLM")
    assert (copy.kind, copy.model, copy.options) == (original.kind, original.model, original.options)
    twice = duplicate(once, "MiniLM")
    assert twice.names[:3] == ("MiniLM", "MiniLM copy 2", "MiniLM copy")
    assert duplicate(twice, "MiniLM copy").names[3] == "MiniLM copy copy"


def test_a_run_file_joins_as_a_contestant_named_after_the_file():
    spec = with_run_file(SMALL, "prod,v2=final+x.trec", "/tmp/runs/abc.trec")
    added = spec.contestants[-1]
    assert spec.names[:3] == SMALL.names
    assert (added.name, added.kind, added.model, added.option("path")) == ("prod v2 final x", "run", "",
                                                                          "/tmp/runs/abc.trec")
    again = with_run_file(spec, "prod,v2=final+x.trec", "/tmp/runs/def.trec")
    assert again.names[-1] == "prod v2 final x 2"
    assert with_run_file(comparison([parse_contestant("name=bm25,kind=bm25")]), "+.trec", "/x").names[-1] == "run"
