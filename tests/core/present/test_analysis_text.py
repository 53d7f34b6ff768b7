"""`python -m core analyse`: the per-query analysis of a saved comparison as text, without and with its data."""

from __future__ import annotations

from core.cli import main
from tests.conftest import SAMPLE_BEIR


def test_analyse_reads_the_compare_folder_and_adds_disputes_and_slices_with_the_data(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["compare", str(SAMPLE_BEIR), "--out", str(out), "--ranker", "name=bm25,kind=bm25",
                 "--ranker", "name=flat bm25,kind=bm25,k1=0.3,b=0.1"]) == 0
    capsys.readouterr()
    assert main(["analyse", str(out)]) == 0
    alone = capsys.readouterr().out
    assert alone.startswith("Can they be told apart? nDCG@10 on 59 judged queries")
    assert "Holm-adjusted" in alone and "Wins / ties / losses" in alone and "more queries needed" in alone
    assert "disagree on most" not in alone  # the texts are not known without the data
    assert main(["analyse", str(out / "results.arena.json"), "--data", str(SAMPLE_BEIR), "--metric", "mrr@10",
                 "--margin", "0.05"]) == 0
    full = capsys.readouterr().out
    assert "MRR@10 on 59 judged queries" in full and "ties: within 0.05" in full
    assert "queries they disagree on most" in full and "MRR@10 by query length" in full


def test_analyse_refuses_another_datasets_comparison_and_a_missing_file(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["compare", str(SAMPLE_BEIR), "--out", str(out), "--rankers", "bm25", "--max-queries", "5"]) == 0
    assert main(["analyse", str(out), "--data", str(SAMPLE_BEIR)]) == 2  # all queries: other data
    assert main(["analyse", str(tmp_path / "nothing")]) == 2
    assert "cannot be read" in capsys.readouterr().err
