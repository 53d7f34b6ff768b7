"""Contestants: spec parsing and checks, running order, comparison files, and named comparisons end to end.

Real kinds and the embedded models on slices of the sample data; the CLI runs in-process through `main`.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from core.cli import main
from core.comparison.compare import compare
from core.contestants.presets import DEFAULT_PRESET, presets
from core.contestants.registry import comparison, comparison_from_dict, contestant, parse_contestant, plan
from core.contestants.spec import ContestantSpec, SpecError, comparison_to_toml, parse_comparison_text
from core.data import Corpus, DataError, Dataset, first_queries, load_dataset, make_dataset
from core.data.devsets import export_beir
from core.data.trec_runs import load_trec_run

ARENA = ("name=bm25,kind=bm25", "name=bi,kind=bi", "name=bm25>cross,kind=cross,first=bm25,depth=5",
         "name=rrf,kind=fusion,of=bi+bm25", "name=wsum,kind=fusion,of=bi+bm25,method=wsum,weights=0.7+0.3")


def specs(*texts: str) -> list[ContestantSpec]:
    return [parse_contestant(text) for text in texts]


def sample_slice(dataset: Dataset, queries: int, every: int) -> Dataset:
    """The first `queries` judged queries over their judged documents and every `every`-th other document."""
    subset = first_queries(dataset, queries)
    judged = {doc for docs in subset.qrels.values() for doc in docs}
    corpus = dataset.corpus
    keep = [i for i, doc in enumerate(corpus.ids) if doc in judged or i % every == 0]
    columns = (tuple(column[i] for i in keep) for column in (corpus.ids, corpus.texts, corpus.titles))
    return make_dataset(Corpus(*columns), subset.queries, subset.qrels, "sample slice")


def write_prod_run(dataset: Dataset, path: Path, queries: int = 3) -> Path:
    """A 'production' TREC run for the first `queries` queries: five unjudged documents, then up to three judged
    ones; the first query starts with a document the corpus lacks, and one more query is not in the dataset."""
    judged = {doc for docs in dataset.qrels.values() for doc in docs}
    junk = [doc for doc in dataset.corpus.ids if doc not in judged][:5]
    lines = []
    for query_id in dataset.queries.ids[:queries]:
        stray = ["no-such-doc"] if query_id == dataset.queries.ids[0] else []
        ranking = stray + junk + list(dataset.qrels[query_id])[:3]
        lines += [f"{query_id} Q0 {doc} {rank} {20 - rank} prod" for rank, doc in enumerate(ranking, start=1)]
    path.write_text("\n".join([*lines, "q-unknown Q0 astro-001 1 1.0 prod"]) + "\n")
    return path


@pytest.fixture(scope="module")
def small(sample_dataset) -> Dataset:
    return sample_slice(sample_dataset, queries=10, every=4)


@pytest.fixture(scope="module")
def arena(small):
    return compare(small, comparison(specs(*ARENA), k=10))


# --- specs ----------------------------------------------------------------------------------------


def test_a_ranker_spec_reads_into_typed_options_and_back():
    spec = parse_contestant("name=bm25>cross,kind=cross,first=bm25,depth=20")
    assert (spec.name, spec.kind, spec.model) == ("bm25>cross", "cross", "embedded")
    assert spec.option("first") == "bm25" and spec.option("depth") == 20 and type(spec.option("depth")) is int
    assert parse_contestant(spec.to_text()) == spec
    bm25 = parse_contestant("kind=bm25, k1=1.2")  # the name defaults to the kind; bm25 has no model
    assert (bm25.name, bm25.model, bm25.option("k1"), bm25.option("b")) == ("bm25", "", 1.2, 0.75)


@pytest.mark.parametrize("text, problem", [
    ("name=x,kind=colbert", "unknown kind 'colbert'"),
    ("name=x,kind=bi,codes=4", "a bi-encoder takes no option codes"),
    ("name=x,kind=cross,depth=abc", "depth='abc' is not a whole number"),
    ("name=x,kind=cross,depth=0", "depth must be at least 1"),
    ("name=x,kind=cross,depth", "'depth' is not key=value"),
    ("name=x,kind=bm25,name=y", "name is given twice"),
    ("name=x,kind=bm25,model=all-MiniLM-L6-v2", "a BM25 takes no model"),
    ("name=x,kind=fusion,of=a+b,method=max", "method must be one of rrf, wsum"),
    ("name=x,kind=fusion,of=bm25", "fuse at least two different contestants"),
    ("name=x,kind=fusion,of=a+b,method=wsum,weights=0.7", "1 weights for 2 fused contestants"),
])
def test_a_bad_ranker_spec_is_a_spec_error_naming_the_contestant_and_problem(text, problem):
    with pytest.raises(SpecError) as error:
        parse_contestant(text)
    assert problem in str(error.value) and re.search(r"'x'|name=x", str(error.value))


@pytest.mark.parametrize("values, problem", [
    ({"kind": "cross", "depth": 2.5}, "depth=2.5 is not a whole number"),  # not silently cut to 2
    ({"kind": "cross", "depth": True}, "depth=True is not a whole number"),  # not silently read as 1
    ({"kind": "bm25", "k1": "nan"}, "k1='nan' is not a finite number"),
    ({"kind": "bm25", "name": "a,b"}, "a name cannot contain"),
    ({"kind": "bm25", "name": "k1=2"}, "a name cannot contain"),
    ({"kind": "bm25", "name": "bm25+rm3"}, "a name cannot contain"),  # "+" joins a fusion's inputs
    ({"kind": "bm25", "name": "  "}, "give it a name"),
])
def test_a_bad_value_from_a_comparison_file_is_a_spec_error(values, problem):
    with pytest.raises(SpecError, match=re.escape(problem)):
        contestant(values)


@pytest.mark.parametrize("texts, problem", [
    (("name=x,kind=bm25", "name=x,kind=bi"), "x is used twice"),
    (tuple(f"name=b{i},kind=bm25" for i in range(9)), "at most 8 contestants can compete at once, not 9"),
    (("name=r,kind=cross,first=ghost",), "contestant 'r' needs 'ghost'"),
    (("name=bm25,kind=bm25", "name=h,kind=fusion,of=bm25+ghost"), "contestant 'h' needs 'ghost'"),
    (("name=a,kind=cross,first=b", "name=b,kind=cross,first=a"), "depends on itself"),
])
def test_a_comparison_that_cannot_run_is_a_spec_error(texts, problem):
    with pytest.raises(SpecError, match=re.escape(problem)):
        comparison(specs(*texts))


@pytest.mark.parametrize("setting, problem", [
    ({"k": "10"}, "k must be a int"), ({"k": 0}, "k must be at least 1"),
    ({"exclude_self": "no"}, "exclude_self must be a bool"), ({"colour": "red"}, "unknown setting colour"),
])
def test_a_bad_setting_in_a_comparison_file_is_a_spec_error(setting, problem):
    with pytest.raises(SpecError, match=re.escape(problem)):
        comparison_from_dict({**setting, "contestants": [{"kind": "bm25"}]})


# --- running order --------------------------------------------------------------------------------


def test_first_stages_and_fusion_inputs_run_before_what_needs_them():
    spec = comparison(specs("name=rerank,kind=cross,first=hybrid,depth=10", "name=hybrid,kind=fusion,of=dense+lexical",
                            "name=dense,kind=bi", "name=lexical,kind=bm25"))
    order = [step.name for step in plan(spec)]
    assert sorted(order) == sorted(spec.names)
    assert max(order.index("dense"), order.index("lexical")) < order.index("hybrid") < order.index("rerank")


def test_a_first_stage_named_by_its_kind_runs_implicitly_and_is_not_shown(small):
    spec = comparison(specs("name=tuned,kind=bm25,k1=0.5,first=bm25,depth=8"), k=3)
    steps = plan(spec)
    assert [(step.name, step.kind.name, step.contestant.option("k1"), step.shown) for step in steps] == [
        ("bm25", "bm25", 1.5, False), ("tuned", "bm25", 0.5, True)]
    assert (steps[0].depth, steps[1].first, steps[1].shortlist, steps[1].depth) == (8, "bm25", 8, 3)
    assert [step.name for step in plan(comparison(specs("name=c,kind=cross")))] == ["bi", "c"]  # its default
    result = compare(small, spec)
    assert list(result.results) == ["tuned"] and result.results["tuned"].pipeline == "re-ranks bm25's top 8"


# --- comparison files -----------------------------------------------------------------------------


def test_a_comparison_round_trips_through_toml_and_json():
    entries = [contestant({"name": "lexical 🚀", "kind": "bm25", "k1": 1.2}),
               contestant({"name": 'dense "v2" \\ hnsw', "kind": "bi", "index": "hnsw"}),
               contestant({"name": "hybrid", "kind": "fusion", "of": 'lexical 🚀+dense "v2" \\ hnsw',
                           "method": "wsum", "weights": "0.7+0.3"}),
               contestant({"name": "hybrid → cross", "kind": "cross", "first": "hybrid", "depth": 20})]
    spec = comparison(entries, k=15, exclude_self=True)
    assert comparison_from_dict(parse_comparison_text(comparison_to_toml(spec), "x.toml")) == spec
    assert comparison_from_dict(parse_comparison_text(json.dumps(spec.to_dict()), "x.json")) == spec


def test_every_preset_loads_orders_and_round_trips():
    loaded = presets()
    assert next(iter(loaded)) == DEFAULT_PRESET and len(loaded) >= 4
    for title, spec in loaded.items():
        assert set(spec.names) <= {step.name for step in plan(spec)}, title
        assert comparison_from_dict(parse_comparison_text(comparison_to_toml(spec), "p.toml")) == spec, title


# --- a real comparison ----------------------------------------------------------------------------


LIGHT_FIRST_RESULT = """
import sys
import app_pages._runs
from core.comparison.compare import compare
from core.contestants.presets import demo_spec
from core.contestants.registry import comparison, contestant, plan, shorthand_flags
from core.data.samples import load_sample
from core.rankers.build import describe
plan(demo_spec())
shorthand_flags()
spec = comparison([contestant({"kind": "bm25"})])
print(describe(spec.contestants[0]), round(compare(load_sample(), spec).results["bm25"].metrics["ndcg@10"], 3))
print(sorted(m for m in ("torch", "transformers", "sentence_transformers", "onnxruntime") if m in sys.modules))
"""


def test_declaring_every_kind_and_running_bm25_loads_no_model_library():
    """The demo's first result (BM25) must not wait seconds for torch: a kind's module loads when first built."""
    done = subprocess.run([sys.executable, "-c", LIGHT_FIRST_RESULT], check=False, cwd=Path(__file__).parents[3],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    described, loaded = done.stdout.splitlines()
    assert described.startswith("BM25: bm25s (k1 = 1.5") and float(described.split()[-1]) > 0.3
    assert loaded == "[]"


def test_results_are_keyed_by_name_in_spec_order_with_distinct_colours(arena):
    assert list(arena.results) == ["bm25", "bi", "bm25>cross", "rrf", "wsum"]
    report = arena.to_dict()
    assert list(report["rankers"]) == list(arena.results) and report["comparison"] == arena.spec.to_dict()
    assert all(0.0 <= ranker["metrics"]["ndcg@10"] <= 1.0 for ranker in report["rankers"].values())
    assert len({result.colour for result in arena.results.values()}) == 5


def test_a_reranker_reorders_its_first_stages_top_depth_and_adds_its_latency(arena):
    bm25, cross = arena.results["bm25"], arena.results["bm25>cross"]
    assert cross.pipeline == "re-ranks bm25's top 5; bm25's next 5 follow in its order"
    for query_id, docs in cross.run.items():
        assert set(list(docs)[:5]) == set(list(bm25.run[query_id])[:5])
        assert list(docs)[5:] == list(bm25.run[query_id])[5:]
    assert len(cross.query_ms) == len(bm25.query_ms) == 10
    assert all(own >= first for own, first in zip(cross.query_ms, bm25.query_ms))


def test_rrf_adds_one_over_60_plus_rank_from_each_input(arena, small):
    query_id = small.queries.ids[0]
    expected: dict[str, float] = {}
    for run in (arena.results["bi"].run[query_id], arena.results["bm25"].run[query_id]):
        for rank, doc in enumerate(run, start=1):
            expected[doc] = expected.get(doc, 0.0) + 1 / (60 + rank)
    fused = arena.results["rrf"].run[query_id]
    assert fused == {doc: pytest.approx(expected[doc]) for doc in fused}
    assert list(fused.values()) == pytest.approx(sorted(expected.values(), reverse=True)[:len(fused)])


def test_wsum_weighs_min_max_normalised_scores_and_costs_both_inputs(arena, small):
    query_id = small.queries.ids[0]

    def normalised(run: dict[str, float]) -> dict[str, float]:
        low, high = min(run.values()), max(run.values())
        return {doc: (score - low) / (high - low) for doc, score in run.items()}

    bi, bm25 = (normalised(arena.results[name].run[query_id]) for name in ("bi", "bm25"))
    fused = arena.results["wsum"].run[query_id]
    assert fused == {doc: pytest.approx(0.7 * bi.get(doc, 0.0) + 0.3 * bm25.get(doc, 0.0)) for doc in fused}
    inputs = zip(arena.results["bi"].query_ms, arena.results["bm25"].query_ms)
    assert all(own >= a + b for own, (a, b) in zip(arena.results["wsum"].query_ms, inputs))


# --- run files ------------------------------------------------------------------------------------


def test_a_run_file_is_evaluated_noted_and_feeds_a_reranker_deeper_than_k(small, tmp_path):
    path = write_prod_run(small, tmp_path / "prod.trec")
    spec = comparison(specs(f"name=prod,kind=run,path={path}", "name=prod>cross,kind=cross,first=prod,depth=9"), k=3)
    result = compare(small, spec)
    prod, cross = result.results["prod"], result.results["prod>cross"]
    assert prod.metrics["ndcg@10"] == 0.0  # its top 3 hold no judged document
    assert cross.metrics["ndcg@10"] > 0.0  # the judged ones (ranks 6-9) are reached only through depth 9 > k
    whole = load_trec_run(path)
    assert all(set(docs) <= set(whole.get(query_id, {})) - {"no-such-doc"} for query_id, docs in cross.run.items())
    assert prod.query_ms == [] and cross.pipeline.endswith("(latency: re-ranking only; the first stage's is unknown)")
    notes = "\n".join(result.notes)
    assert "prod.trec ranks nothing for 7 of the 10 queries" in notes
    assert "prod.trec ranks 1 queries the dataset does not have" in notes
    assert "prod.trec names 1 documents missing from the corpus" in notes


def test_a_malformed_run_file_is_an_error_naming_file_and_line(small, tmp_path):
    query_id, (first, second) = small.queries.ids[0], small.corpus.ids[:2]
    path = tmp_path / "bad.trec"
    path.write_text(f"{query_id} Q0 {first} 1 2.0 prod\n{query_id} Q0 {second} 2 prod\n")
    with pytest.raises(DataError, match=r"bad\.trec, line 2: expected 6 whitespace-separated fields"):
        compare(small, comparison(specs(f"name=bad,kind=run,path={path}")))


# --- the command line -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def beir_folder(sample_dataset, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("beir")
    export_beir(sample_slice(sample_dataset, queries=5, every=10), folder)
    return folder


def cli(capsys, *argv) -> tuple[int, str]:
    """`python -m core compare ...` in-process: the exit code and what it wrote to stderr."""
    try:
        code = main(["compare", *map(str, argv)])
    except SystemExit as exit_:  # argparse's own errors
        code = exit_.code
    return code, capsys.readouterr().err


def rankers_flags(*texts: str) -> list[str]:
    return [part for text in texts for part in ("--ranker", text)]


def test_cli_writes_metrics_for_exactly_the_named_contestants(beir_folder, tmp_path, capsys):
    names = ["minilm", "minilm-copy", "bm25", "bm25>cross", "rrf"]
    code, err = cli(capsys, beir_folder, "--out", tmp_path, *rankers_flags(
        "name=minilm,kind=bi", "name=minilm-copy,kind=bi", "name=bm25,kind=bm25",
        "name=bm25>cross,kind=cross,first=bm25,depth=20", "name=rrf,kind=fusion,of=minilm+bm25"))
    assert code == 0, err
    rankers = json.loads((tmp_path / "metrics.json").read_text())["rankers"]
    assert list(rankers) == names
    assert all(set(rankers[name]["metrics"]) >= {"ndcg@10", "mrr@10"} for name in names)
    assert rankers["minilm"]["metrics"] == rankers["minilm-copy"]["metrics"]  # same model, same run
    assert rankers["bm25>cross"]["pipeline"] == "re-ranks bm25's top 20; bm25's next 80 follow in its order"


def test_cli_comparison_file_reproduces_the_ranker_flags_including_a_run_file(beir_folder, tmp_path, capsys):
    run_file = write_prod_run(load_dataset(beir_folder), tmp_path / "prod.trec")
    texts = ("name=bm25,kind=bm25,k1=1.2", f"name=prod,kind=run,path={run_file}",
             "name=hybrid,kind=fusion,of=bm25+prod")
    code, err = cli(capsys, beir_folder, "--out", tmp_path / "flags", "--k", 20, *rankers_flags(*texts))
    assert code == 0, err
    toml = tmp_path / "arena.toml"
    toml.write_text(comparison_to_toml(comparison(specs(*texts), k=20)))
    code, err = cli(capsys, beir_folder, "--out", tmp_path / "file", "--comparison", toml)
    assert code == 0, err
    by_flags, by_file = (json.loads((tmp_path / out / "metrics.json").read_text()) for out in ("flags", "file"))
    assert by_flags["comparison"] == by_file["comparison"]
    metrics = {name: ranker["metrics"] for name, ranker in by_flags["rankers"].items()}
    assert list(metrics) == ["bm25", "prod", "hybrid"] and metrics["bm25"]["ndcg@10"] > 0.0
    assert metrics == {name: ranker["metrics"] for name, ranker in by_file["rankers"].items()}


@pytest.mark.parametrize("argv, problem", [
    (["--ranker", "name=x,kind=colbert"], "contestant 'x': unknown kind 'colbert'"),
    (["--ranker", "name=x,kind=cross,depth=abc"], "depth='abc' is not a whole number"),
    (["--ranker", "name=r,kind=cross,first=ghost"], "contestant 'r' needs 'ghost'"),
    (["--comparison", "missing.toml"], "missing.toml: cannot read the comparison file"),
])
def test_cli_turns_a_bad_spec_into_one_line_and_exit_code_2(beir_folder, tmp_path, capsys, argv, problem):
    code, err = cli(capsys, beir_folder, "--out", tmp_path / "out", *argv)
    assert code == 2 and err.strip().startswith("error: ") and problem in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_cli_legacy_rankers_flag_still_runs_one_contestant_per_kind(beir_folder, tmp_path, capsys):
    code, err = cli(capsys, beir_folder, "--out", tmp_path, "--rankers", "bm25,bi")
    assert code == 0, err
    assert list(json.loads((tmp_path / "metrics.json").read_text())["rankers"]) == ["bm25", "bi"]
