"""The comparison engine and CLI end to end on the sample data with the real embedded models."""

from __future__ import annotations

import json
import math

import pytest

from core.backbone import backbone_path
from core.cli import main
from core.compare import compare
from core.config import ArenaConfig
from core.data import Dataset, Queries
from core.evaluate import evaluate, kendall_tau, overlap_at_k
from core.rankers import CrossEncoderRanker, JointCrossEncoder
from tests.conftest import SAMPLE_BEIR

FAST = ArenaConfig(k=20, rerank_depth=10)


@pytest.fixture(scope="module")
def comparison(sample_dataset):
    return compare(sample_dataset, FAST)


def test_every_ranker_reports_metrics_and_timings(comparison, sample_dataset):
    assert list(comparison.results) == ["bm25", "bi", "poly", "cross"]
    for result in comparison.results.values():
        assert set(result.metrics) == {"ndcg@10", "mrr@10", "recall@100", "map@100"}
        assert all(0.0 <= value <= 1.0 for value in result.metrics.values())
        assert len(result.query_ms) == len(sample_dataset.queries) and result.latency_ms["p95"] > 0
        assert all(len(docs) <= 20 for docs in result.run.values())
    assert comparison.results["bi"].metrics["ndcg@10"] > 0.5  # MiniLM on data written to be searchable


def test_cross_encoder_reranks_the_first_stage_shortlist(comparison):
    cross, bi = comparison.results["cross"], comparison.results["bi"]
    assert cross.pipeline == "bi top-10 → cross"
    for query_id, docs in cross.run.items():
        assert set(docs) == set(list(bi.run[query_id])[:10])
    # its latency includes the first stage it depends on
    assert all(c >= b for c, b in zip(cross.query_ms, bi.query_ms))


def test_trained_and_untrained_models_are_labelled(comparison):
    assert comparison.results["bi"].trained and comparison.results["bm25"].trained
    assert comparison.results["cross"].trained and comparison.results["cross"].label == "cross"
    assert comparison.to_dict()["rankers"]["cross"]["trained"] is True
    poly = comparison.results["poly"]
    assert poly.label == ("poly" if poly.trained else "poly (untrained)")


def _untrained_cross() -> CrossEncoderRanker:
    return CrossEncoderRanker(JointCrossEncoder.from_backbone(backbone_path()), "untrained")


def test_without_qrels_agreement_replaces_accuracy(sample_dataset):
    unlabelled = Dataset(sample_dataset.corpus, sample_dataset.queries, None, "unlabelled")
    config = ArenaConfig(rankers=("bi", "bm25", "cross"), k=10, rerank_depth=10)
    result = compare(unlabelled, config, rankers={"cross": _untrained_cross()})
    assert result.reference == "cross" and not result.has_qrels
    assert all(not r.metrics for r in result.results.values())
    # the untrained cross-encoder re-ranks bi's top-10 with bi's own cosine: full agreement
    assert result.results["bi"].agreement["overlap@10"] == pytest.approx(1.0)
    assert result.results["bi"].agreement["kendall_tau@10"] == pytest.approx(1.0, abs=1e-6)
    assert 0.0 <= result.results["bm25"].agreement["overlap@10"] < 1.0
    trained = compare(unlabelled, config)  # the embedded, trained cross-encoder re-orders bi's top-10
    assert trained.results["bi"].agreement["overlap@10"] == pytest.approx(1.0)
    assert -1.0 <= trained.results["bi"].agreement["kendall_tau@10"] < 1.0


def test_metrics_match_hand_arithmetic():
    qrels = {"q1": {"a": 2, "c": 1}, "q2": {"b": 1}}
    run = {"q1": {"a": 0.9, "b": 0.8, "c": 0.7}, "q2": {"a": 0.5, "b": 0.4}}
    means, per_query = evaluate(qrels, run, ("ndcg@10", "mrr@10"))
    # linear gains, as trec_eval and BEIR: grade / log2(rank + 1)
    dcg_q1 = 2 / math.log2(2) + 1 / math.log2(4)
    ideal_q1 = 2 / math.log2(2) + 1 / math.log2(3)
    assert per_query["ndcg@10"]["q1"] == pytest.approx(dcg_q1 / ideal_q1)
    assert per_query["mrr@10"]["q2"] == pytest.approx(1 / 2)
    assert means["ndcg@10"] == pytest.approx((dcg_q1 / ideal_q1 + (1 / math.log2(3))) / 2)


def test_agreement_measures():
    assert overlap_at_k({"q": {"a": 3, "b": 2}}, {"q": {"b": 1, "c": 0}}, k=2) == pytest.approx(1 / 2)
    assert kendall_tau({"a": 3, "b": 2, "c": 1}, {"a": 0.3, "b": 0.2, "c": 0.1}) == pytest.approx(1.0)
    assert kendall_tau({"a": 3, "b": 2, "c": 1}, {"a": 0.1, "b": 0.2, "c": 0.3}) == pytest.approx(-1.0)


def test_exclude_self_drops_the_query_document(sample_dataset):
    corpus = sample_dataset.corpus
    queries = Queries(ids=(corpus.ids[0],), texts=(corpus.texts[0],))
    dataset = Dataset(corpus, queries, None, "self")
    kept = compare(dataset, ArenaConfig(rankers=("bi",), k=5))
    dropped = compare(dataset, ArenaConfig(rankers=("bi",), k=5, exclude_self=True))
    assert next(iter(kept.results["bi"].run[corpus.ids[0]])) == corpus.ids[0]
    assert corpus.ids[0] not in dropped.results["bi"].run[corpus.ids[0]]
    assert len(dropped.results["bi"].run[corpus.ids[0]]) == 5 and dropped.notes


def test_cli_writes_metrics_json_and_run_files(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["compare", str(SAMPLE_BEIR), "--out", str(out), "--rankers", "bi,bm25,cross",
                 "--k", "10", "--rerank-depth", "5", "--report"])
    assert code == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["rankers"]) == {"bi", "bm25", "cross"}
    bi = metrics["rankers"]["bi"]
    assert bi["kind"] == "bi" and bi["trained"] is True and set(bi["latency_ms"]) >= {"p50", "p95"}
    assert "ndcg@10" in bi["metrics"] and bi["index_s"] > 0
    assert metrics["dataset"]["documents"] >= 300
    line = (out / "run_cross.trec").read_text().splitlines()[0].split()
    assert line[1] == "Q0" and line[3] == "1" and line[5] == "cross"
    report = (out / "report.html").read_text()
    assert "<html" in report.lower() and "bi top-5 → cross" in report
    printed = capsys.readouterr()
    assert "ndcg@10" in printed.out and "bi top-5 → cross" in printed.out


def test_cli_reports_bad_input_without_a_traceback(tmp_path, capsys):
    (tmp_path / "corpus.jsonl").write_text('{"_id": "d1", "text": "fine"}\n{"_id": "d2", "text": \n')
    (tmp_path / "queries.jsonl").write_text('{"_id": "q1", "text": "a query"}\n')
    assert main(["compare", str(tmp_path), "--out", str(tmp_path / "out"), "--rankers", "bm25"]) == 2
    error = capsys.readouterr().err
    assert "corpus.jsonl" in error and "line 2" in error and "Traceback" not in error
