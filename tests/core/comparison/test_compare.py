"""The comparison engine and CLI end to end on the sample data with the real embedded models."""

from __future__ import annotations

import json
import math
import re

import pytest

from core.cli import main
from core.comparison.colours import PALETTE
from core.comparison.compare import compare, estimate_seconds, expensive
from core.comparison.saved import SavedComparisonError, read_saved, saved_json
from core.contestants.registry import comparison, contestant, shorthand_contestants
from core.contestants.spec import ComparisonSpec
from core.data import Dataset, Queries, first_queries
from core.data.splits import hold_out
from core.evaluate import evaluate, kendall_tau, overlap_at_k
from core.models.cross_encoder import JointCrossEncoder
from core.models.sources import backbone_path
from core.rankers.build import build_ranker
from core.rankers.cross_encoder import CrossEncoderRanker
from tests.conftest import SAMPLE_BEIR


def arena(kinds: tuple[str, ...], depth: int = 10, **settings) -> ComparisonSpec:
    """One contestant per kind, named after it (as `--rankers` gives); the cross-encoder re-ranks bi's top `depth`."""
    return comparison(shorthand_contestants(kinds, {"--rerank-depth": depth}), **settings)


# Most expensive first: results follow this order, not the cheapest-first order they run in.
FAST = arena(("cross", "poly", "bi", "bm25"), k=20)
QUERIES = 20


@pytest.fixture(scope="module")
def subset(sample_dataset):
    return first_queries(sample_dataset, QUERIES)


@pytest.fixture(scope="module")
def result(subset):
    return compare(subset, FAST)


def test_every_contestant_reports_metrics_and_timings_in_spec_order(result):
    assert list(result.results) == ["cross", "poly", "bi", "bm25"] == list(result.to_dict()["rankers"])
    assert result.spec == FAST and result.to_dict()["comparison"] == FAST.to_dict()
    for name, ranker in result.results.items():
        assert ranker.name == ranker.kind == name
        assert set(ranker.metrics) == {"ndcg@10", "mrr@10", "recall@100", "map@100"}
        assert all(0.0 <= value <= 1.0 for value in ranker.metrics.values())
        assert len(ranker.query_ms) == QUERIES and ranker.latency_ms["p95"] > 0
        assert all(len(docs) <= 20 for docs in ranker.run.values())
    assert result.results["bi"].metrics["ndcg@10"] > 0.5  # MiniLM on data written to be searchable
    assert [r.kind_title for r in result.results.values()] == ["cross-encoder", "poly-encoder", "bi-encoder", "BM25"]


def test_colours_follow_the_spec_order_and_are_distinct(result):
    assert [r.colour for r in result.results.values()] == list(PALETTE[:4])


def test_cross_encoder_reranks_the_first_stage_shortlist(result):
    cross, bi = result.results["cross"], result.results["bi"]
    assert cross.pipeline == "re-ranks bi's top 10; bi's next 10 follow in its order" and cross.scored_depth == 10
    for query_id, docs in cross.run.items():
        assert set(list(docs)[:10]) == set(list(bi.run[query_id])[:10])
        assert list(docs)[10:] == list(bi.run[query_id])[10:]  # bi's tail, in bi's order
    # its latency includes the first stage it depends on
    assert all(c >= b for c, b in zip(cross.query_ms, bi.query_ms))


def test_a_re_ranker_of_the_top_20_keeps_its_first_stage_s_recall_at_100(subset):
    """Recall@100 and MAP@100 compare: the re-ranked head, then BM25's next 80, as TREC re-ranking runs do."""
    rerankers = [contestant({"name": "bm25", "kind": "bm25"}),
                 contestant({"name": "bm25>cross", "kind": "cross", "first": "bm25", "depth": 20}),
                 contestant({"name": "cut", "kind": "cross", "first": "bm25", "depth": 20, "tail": "false"})]
    result = compare(subset, comparison(rerankers, k=100)).results
    assert result["bm25>cross"].metrics["recall@100"] == result["bm25"].metrics["recall@100"]
    assert all(len(result["bm25>cross"].run[q]) == len(result["bm25"].run[q]) for q in subset.queries.ids)
    assert result["cut"].label == "cut (top 20 only)" and "the run ends there" in result["cut"].pipeline
    assert all(len(docs) <= 20 for docs in result["cut"].run.values()) and result["cut"].scored_depth == 0
    assert result["cut"].metrics["recall@100"] <= result["bm25"].metrics["recall@100"]


def test_trained_and_untrained_models_are_labelled(result):
    assert result.results["bi"].trained and result.results["bm25"].trained
    assert result.results["cross"].trained and result.results["cross"].label == "cross"
    assert result.to_dict()["rankers"]["cross"]["trained"] is True
    assert result.results["bi"].model == "all-MiniLM-L6-v2, run by ONNX Runtime"  # the real model, never "embedded"
    poly = result.results["poly"]
    assert poly.label == ("poly" if poly.trained else "poly (untrained)")


def _untrained_cross() -> CrossEncoderRanker:
    return CrossEncoderRanker(JointCrossEncoder.from_backbone(backbone_path()), "untrained")


def test_without_qrels_agreement_replaces_accuracy(subset):
    unlabelled = Dataset(subset.corpus, first_queries(subset, 10).queries, None, "unlabelled")
    spec = arena(("bi", "bm25", "cross"), k=10)
    result = compare(unlabelled, spec, rankers={"cross": _untrained_cross()})
    assert result.reference == "cross" and not result.has_qrels
    assert all(not r.metrics for r in result.results.values()) and not result.results["cross"].agreement
    # the untrained cross-encoder re-ranks bi's top-10 with bi's own cosine: full agreement
    assert result.results["bi"].agreement["overlap@10"] == pytest.approx(1.0)
    assert result.results["bi"].agreement["kendall_tau@10"] == pytest.approx(1.0, abs=1e-6)
    assert 0.0 <= result.results["bm25"].agreement["overlap@10"] < 1.0
    trained = compare(unlabelled, spec)  # the embedded, trained cross-encoder re-orders bi's top-10
    assert trained.results["bi"].agreement["overlap@10"] == pytest.approx(1.0)
    assert -1.0 <= trained.results["bi"].agreement["kendall_tau@10"] < 1.0


def test_the_reference_is_the_first_of_the_most_expensive_kind_and_names_are_the_users(subset):
    unlabelled = Dataset(subset.corpus, subset.queries, None, "unlabelled")
    spec = comparison([contestant({"name": "lexical", "kind": "bm25"}),
                       contestant({"name": "dense <b>2</b>", "kind": "bi"}),
                       contestant({"name": "dense", "kind": "bi"})], k=10)
    result = compare(unlabelled, spec)
    assert list(result.results) == ["lexical", "dense <b>2</b>", "dense"]
    assert result.reference == "dense <b>2</b>" and not result.results["dense <b>2</b>"].agreement
    assert [r.kind for r in result.results.values()] == ["bm25", "bi", "bi"]
    assert result.results["dense"].agreement["overlap@10"] == pytest.approx(1.0)  # the same model twice
    assert 0.0 <= result.results["lexical"].agreement["overlap@10"] < 1.0
    assert len({r.colour for r in result.results.values()}) == 3
    assert result.to_dict()["agreement_reference"] == "dense <b>2</b>"


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
    assert evaluate(qrels, run, ("mrr@10",)) == ({"mrr@10": 0.75}, {"mrr@10": {"q1": 1.0, "q2": 0.5}})  # one metric
    assert evaluate(qrels, {"q1": run["q1"]})[1]["ndcg@10"]["q2"] == 0.0  # a judged query the run misses


def test_agreement_measures():
    assert overlap_at_k({"q": {"a": 3, "b": 2}}, {"q": {"b": 1, "c": 0}}, k=2) == pytest.approx(1 / 2)
    assert kendall_tau({"a": 3, "b": 2, "c": 1}, {"a": 0.3, "b": 0.2, "c": 0.1}) == pytest.approx(1.0)
    assert kendall_tau({"a": 3, "b": 2, "c": 1}, {"a": 0.1, "b": 0.2, "c": 0.3}) == pytest.approx(-1.0)


def test_exclude_self_drops_the_query_document(sample_dataset):
    corpus = sample_dataset.corpus
    queries = Queries(ids=(corpus.ids[0],), texts=(corpus.texts[0],))
    dataset = Dataset(corpus, queries, None, "self")
    kept = compare(dataset, arena(("bi",), k=5))
    dropped = compare(dataset, arena(("bi",), k=5, exclude_self=True))
    assert next(iter(kept.results["bi"].run[corpus.ids[0]])) == corpus.ids[0]
    assert corpus.ids[0] not in dropped.results["bi"].run[corpus.ids[0]]
    assert len(dropped.results["bi"].run[corpus.ids[0]]) == 5 and dropped.notes


def test_only_pair_scorers_are_expensive_and_their_pairs_are_counted(subset):
    spec = comparison([contestant({"name": "lexical", "kind": "bm25"}),
                       contestant({"name": "rerank", "kind": "cross", "first": "lexical", "depth": 7}),
                       contestant({"name": "everything", "kind": "cross", "first": ""})])
    assert [entry.name for entry in expensive(spec)] == ["rerank", "everything"]
    ranker = build_ranker(spec.contestant("rerank"))
    ranker.index(subset.corpus)
    pairs, seconds = estimate_seconds(ranker, subset, spec.contestant("rerank"), probe_pairs=4)
    assert pairs == 7 * QUERIES and seconds > 0
    pairs, _ = estimate_seconds(ranker, subset, spec.contestant("everything"), probe_pairs=4)
    assert pairs == len(subset.corpus) * QUERIES  # no first stage: the whole corpus per query
    assert expensive(arena(("bm25", "bi", "poly"))) == ()


def test_an_estimate_probes_a_few_pairs_without_the_work_of_indexing(subset, monkeypatch):
    """Settings asks for it on every change: it must not run the IDF prior's test over the corpus (minutes on a
    5,000-passage corpus) nor fill the score cache with probe pairs."""
    entry = contestant({"name": "bi → cross", "kind": "cross", "first": "bi", "depth": 20})
    ranker = build_ranker(entry)
    monkeypatch.setattr("core.rankers.cross_encoder.zero_shot_prior", lambda *args: pytest.fail("indexed"))
    pairs, seconds = estimate_seconds(ranker, subset, entry, probe_pairs=4)
    assert pairs == 20 * QUERIES and seconds > 0 and ranker.cache_namespace is None


def test_a_contestant_that_ranks_nothing_scores_zero_and_fuses_as_nothing(subset, tmp_path):
    path = tmp_path / "other.trec"  # a run file of another dataset: none of these queries
    path.write_text("not-a-query Q0 some-doc 1 1.0 other\n")
    spec = comparison([contestant({"name": "other", "kind": "run", "path": str(path)}),
                       contestant({"name": "lexical", "kind": "bm25"}),
                       contestant({"name": "hybrid", "kind": "fusion", "of": "other+lexical"})], k=5)
    result = compare(subset, spec)
    assert result.results["other"].metrics["ndcg@10"] == 0.0  # a judged query a run misses scores 0
    assert any("ranks nothing for 20 of the 20 queries" in note for note in result.notes)
    for query_id, docs in result.results["lexical"].run.items():
        assert list(result.results["hybrid"].run[query_id]) == list(docs)


def test_cli_writes_metrics_json_and_run_files(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["compare", str(SAMPLE_BEIR), "--out", str(out), "--rankers", "bi,bm25,cross",
                 "--k", "10", "--rerank-depth", "5", "--max-queries", "10", "--report"])
    assert code == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert list(metrics["rankers"]) == ["bi", "bm25", "cross"]
    bi = metrics["rankers"]["bi"]
    assert bi["kind"] == "bi" and bi["trained"] is True and set(bi["latency_ms"]) >= {"p50", "p95"}
    assert "ndcg@10" in bi["metrics"] and bi["index_s"] > 0
    assert metrics["dataset"]["documents"] >= 300 and metrics["dataset"]["queries"] == 10
    assert metrics["comparison"] == json.loads((out / "comparison.json").read_text())
    assert metrics["comparison"]["k"] == 10 and metrics["comparison"]["contestants"][2]["depth"] == 5
    line = (out / "run_cross.trec").read_text().splitlines()[0].split()
    assert line[1] == "Q0" and line[3] == "1" and line[5] == "cross"
    report = (out / "report.html").read_text()
    assert "<html" in report.lower() and "re-ranks bi&#x27;s top 5" in report
    printed = capsys.readouterr()
    assert "ndcg@10" in printed.out and "re-ranks bi's top 5" in printed.out


def test_a_saved_comparison_opens_again_only_beside_its_data(tmp_path, capsys, sample_dataset):
    out = tmp_path / "out"
    assert main(["compare", str(SAMPLE_BEIR), "--out", str(out), "--rankers", "bm25", "--max-queries", "5"]) == 0
    first = capsys.readouterr().out
    saved = out / "results.arena.json"
    assert main(["show", str(saved), "--data", str(SAMPLE_BEIR), "--max-queries", "5",
                 "--report", str(tmp_path / "again.html")]) == 0
    assert capsys.readouterr().out.strip() == first.strip()
    assert "What this shows" in (tmp_path / "again.html").read_text()
    assert main(["show", str(saved), "--data", str(SAMPLE_BEIR)]) == 2  # all queries: other data
    error = capsys.readouterr().err
    assert "results.arena.json: computed on other data" in error and "5 queries" in error and "Traceback" not in error
    comparison, splits = read_saved(saved.read_text(), "x.arena.json", first_queries(sample_dataset, 5))
    assert list(comparison.results) == ["bm25"] and comparison.results["bm25"].run and splits is None
    for text, problem in (("{", "not JSON (line 1"), ('{"format": "other"}', "not a saved Encoder Arena comparison")):
        with pytest.raises(SavedComparisonError, match=re.escape(problem)):
            read_saved(text, "x.arena.json", sample_dataset)
    fields = json.loads(saved.read_text())
    fields["results"]["bm25"]["colour"] = 'red"><img src=x onerror=alert(1)>'  # pages draw colours into HTML
    with pytest.raises(SavedComparisonError, match="damaged .contestant 'bm25': colour"):
        read_saved(json.dumps(fields), "x.arena.json", first_queries(sample_dataset, 5))


def test_a_comparison_on_a_hold_out_opens_again_on_the_whole_data_by_cutting_the_same_split(sample_dataset):
    splits = hold_out(sample_dataset, 40, seed=7)
    spec = comparison([contestant({"kind": "bm25"})])
    text = saved_json(compare(splits.test, spec), splits.test)
    assert json.loads(text)["dataset"]["held_out"] == [40, 7]
    opened, again = read_saved(text, "x.arena.json", sample_dataset)
    assert again.test.content_hash == splits.test.content_hash and again.training.queries == splits.training.queries
    assert opened.results["bm25"].metrics == compare(splits.test, spec).results["bm25"].metrics
    with pytest.raises(SavedComparisonError, match="computed on other data"):
        read_saved(text, "x.arena.json", first_queries(sample_dataset, 20))  # not the data it was cut from


def test_cli_reports_bad_input_without_a_traceback(tmp_path, capsys):
    (tmp_path / "corpus.jsonl").write_text('{"_id": "d1", "text": "fine"}\n{"_id": "d2", "text": \n')
    (tmp_path / "queries.jsonl").write_text('{"_id": "q1", "text": "a query"}\n')
    assert main(["compare", str(tmp_path), "--out", str(tmp_path / "out"), "--rankers", "bm25"]) == 2
    error = capsys.readouterr().err
    assert "corpus.jsonl" in error and "line 2" in error and "Traceback" not in error
