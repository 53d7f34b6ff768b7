"""`python -m core judge-pool`: the pool of a finished comparison written to grade elsewhere, and read back by
`compare --qrels` once graded."""

from __future__ import annotations

import csv
import json

from core.cli import main
from core.data import load_dataset
from tests.conftest import SAMPLE_BEIR


def test_a_pool_written_graded_and_read_back_gives_metrics(tmp_path, capsys):
    out, pool = tmp_path / "out", tmp_path / "pool.tsv"
    rankers = ["--ranker", "name=bm25,kind=bm25", "--ranker", "name=flat bm25,kind=bm25,k1=0.3,b=0.1"]
    assert main(["compare", str(SAMPLE_BEIR), "--out", str(out), "--max-queries", "4", *rankers]) == 0
    assert main(["judge-pool", str(SAMPLE_BEIR), "--comparison", str(out), "--depth", "3", "--out", str(pool),
                 "--max-queries", "4"]) == 0
    assert "to grade 0–2 in its score column" in capsys.readouterr().err
    rows = list(csv.DictReader(pool.open(encoding="utf-8"), delimiter="\t"))
    assert {row["query-id"] for row in rows} == {"q01", "q02", "q03", "q04"}
    assert all(3 <= sum(row["query-id"] == query for row in rows) <= 6 for query in ("q01", "q02"))  # 3 each, pooled
    known = load_dataset(SAMPLE_BEIR).qrels
    assert all(row["score"] == str(known.get(row["query-id"], {}).get(row["corpus-id"], "")) for row in rows)
    graded = tmp_path / "graded.tsv"
    with graded.open("w", encoding="utf-8", newline="") as file:  # a judge who graded the rest of q01's pool only
        writer = csv.DictWriter(file, fieldnames=list(rows[0]), delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows({**row, "score": row["score"] or ("0" if row["query-id"] == "q01" else "")} for row in rows)
    assert main(["compare", str(SAMPLE_BEIR), "--qrels", str(graded), "--max-queries", "4", "--out",
                 str(tmp_path / "judged"), *rankers]) == 0
    metrics = json.loads((tmp_path / "judged" / "metrics.json").read_text())
    graded_queries = {row["query-id"] for row in rows if row["score"] or row["query-id"] == "q01"}
    assert metrics["dataset"]["judged_queries"] == len(graded_queries) and metrics["dataset"]["judgements"] == sum(
        bool(row["score"]) or row["query-id"] == "q01" for row in rows)
    assert "ndcg@10" in metrics["rankers"]["bm25"]["metrics"]
    assert any("rows without a grade (not judged yet) skipped" in note for note in metrics["dataset"]["notes"])


def test_judge_pool_refuses_another_datasets_comparison(tmp_path):
    out = tmp_path / "out"
    assert main(["compare", str(SAMPLE_BEIR), "--out", str(out), "--rankers", "bm25", "--max-queries", "3"]) == 0
    assert main(["judge-pool", str(SAMPLE_BEIR), "--comparison", str(out), "--out", str(tmp_path / "p.tsv")]) == 2
    assert not (tmp_path / "p.tsv").exists()
