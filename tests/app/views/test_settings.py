"""app_pages.views.settings, the Settings page's view-model: the contestant table read back into a comparison,
Duplicate, and a run file added (no Streamlit needed)."""

from __future__ import annotations

import re

import pytest

from app_pages.views.settings import contestant_rows, duplicate, spec_from_rows, with_run_file
from core.contestants.registry import comparison, parse_contestant
from core.contestants.spec import SpecError
from tests.app.helpers import SMALL


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
