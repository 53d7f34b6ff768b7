"""The zero-shot poly- and cross-encoder, each with the IDF prior as its corpus's test decided
(`core.rankers.prior_check`, on pseudo-queries shaped like the set's queries), against the bi-encoder they start
from: nDCG@10 and MRR@10 over every judged query, and what the test decided and saw.

    nice -n 19 python -m benchmarks.zero_shot_prior [--sets lesson,nfcorpus-test,...] [--depth 20]

Sets: the lesson data (the cross-encoder re-ranks the bi-encoder's top 100 there, as the demo does), the development
sets of `core.data.devsets` (the cross-encoder re-ranks the bi-encoder's top `--depth`), and sets of name queries
built from a set's titles (`titles_as_queries`): "wikiqa-titles", each distinct Wikipedia page title of WikiQA's test
file (up to `--title-queries`, drawn seeded) as a query for that page's sentences, the corpus stripped of its titles;
"climate-fever-titles" likewise from Climate-FEVER's evidence sentences and their articles. Writes
`results/zero_shot_prior.json` (a record kept beside the run's commands and commit, not a timed benchmark) and
prints the table in docs/measurements.md.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import replace
from typing import Any

from benchmarks._machine import RESULTS_DIR, machine_record, markdown_table
from core.comparison.compare import compare
from core.contestants.registry import comparison, parse_contestant
from core.data import make_dataset
from core.data.devsets import load_dev_set
from core.data.pseudo_queries import query_shape
from core.data.samples import load_lesson
from core.types import Dataset, Queries

SETS = ("lesson", "nfcorpus-test", "wikiqa-test", "cranfield", "wikiqa-titles", "climate-fever-titles")
TITLE_SETS = {"wikiqa-titles": "wikiqa-test", "climate-fever-titles": "climate-fever"}


def titles_as_queries(dataset: Dataset, name: str, limit: int, seed: int = 0) -> Dataset:
    """Each distinct document title of `dataset` (up to `limit`, drawn seeded) as a query for every document that
    carries it (grade 1), over the corpus with every title removed (else each answer would hold its query)."""
    pages: dict[str, list[str]] = {}
    for doc_id, title in zip(dataset.corpus.ids, dataset.corpus.titles):
        if title.strip():
            pages.setdefault(title.strip(), []).append(doc_id)
    titles = sorted(pages)
    random.Random(seed).shuffle(titles)
    titles = titles[:limit]
    ids = tuple(f"title-{number}" for number in range(1, len(titles) + 1))
    corpus = replace(dataset.corpus, titles=("",) * len(dataset.corpus))
    qrels = {query_id: {doc_id: 1 for doc_id in pages[title]} for query_id, title in zip(ids, titles)}
    return make_dataset(corpus, Queries(ids, tuple(titles), f"titles of {dataset.name}"), qrels, name)


def judged(dataset: Dataset) -> Dataset:
    """`dataset` with only its judged queries."""
    qrels = dataset.qrels or {}
    keep = [row for row, query_id in enumerate(dataset.queries.ids) if qrels.get(query_id)]
    queries = Queries(tuple(dataset.queries.ids[row] for row in keep), tuple(dataset.queries.texts[row] for row in keep),
                      dataset.queries.source)
    return replace(dataset, queries=queries, qrels={query_id: qrels[query_id] for query_id in queries.ids})


def load(name: str, title_queries: int) -> Dataset:
    if name == "lesson":
        return load_lesson()[0]
    if name in TITLE_SETS:
        return titles_as_queries(load_dev_set(TITLE_SETS[name]), name, title_queries)
    return load_dev_set(name)


def measure(name: str, dataset: Dataset, depth: int) -> dict[str, Any]:
    """bi, poly and bi → cross on `dataset`'s judged queries, and what each zero-shot model's prior test decided."""
    spec = comparison([parse_contestant("name=bi,kind=bi"), parse_contestant("name=poly,kind=poly"),
                       parse_contestant(f"name=cross,kind=cross,first=bi,depth={depth}")], k=10)
    rankers: dict = {}
    start = time.perf_counter()
    result = compare(dataset, spec, rankers=rankers)
    shape = query_shape(dataset.queries)
    prior = rankers["poly"].prior
    return {
        "documents": len(dataset.corpus), "queries": len(dataset.queries),
        "query_shape": None if shape is None else {"form": shape.form, "median_words": shape.median,
                                                   "length_quantiles": list(shape.lengths)},
        "prior_test": None if prior is None else {
            "pseudo_queries": prior.queries, "drawn": prior.drawn, "median_words": prior.median_words,
            "mrr@10_with": round(prior.with_prior, 4), "mrr@10_without": round(prior.without_prior, 4),
            "difference_interval_95": [round(prior.low, 4), round(prior.high, 4)], "verdict": "on" if prior.keep else "off"},
        "rankers": {ranker: {"pipeline": outcome.pipeline, "ndcg@10": round(outcome.metrics["ndcg@10"], 4),
                             "mrr@10": round(outcome.metrics["mrr@10"], 4)}
                    for ranker, outcome in result.results.items()},
        "notes": [note for outcome in result.results.values() for note in outcome.notes],
        "wall_s": round(time.perf_counter() - start, 1),
    }


def table(sets: dict[str, dict[str, Any]]) -> str:
    rows = []
    for name, found in sets.items():
        prior, rankers = found["prior_test"], found["rankers"]
        test = (f"{prior['pseudo_queries']} {prior['drawn']}, median {prior['median_words']} words: "
                f"{prior['mrr@10_with']:.3f} / {prior['mrr@10_without']:.3f}") if prior else "–"
        rows.append([f"{name} ({found['queries']})", test, prior["verdict"] if prior else "–",
                     f"{rankers['bi']['ndcg@10']:.3f}", f"{rankers['poly']['ndcg@10']:.3f}",
                     f"{rankers['cross']['ndcg@10']:.3f}"])
    return markdown_table(["set (judged queries)", "the prior's test: pseudo-queries, MRR@10 with / without", "verdict",
                           "bi", "poly zero-shot", "bi → cross zero-shot"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated set names")
    parser.add_argument("--depth", type=int, default=20, help="the cross-encoder re-ranks the bi-encoder's top N "
                        "(the lesson data's top 100)")
    parser.add_argument("--title-queries", type=int, default=300, help="queries of a set built from titles")
    parser.add_argument("--out", default=str(RESULTS_DIR / "zero_shot_prior.json"))
    args = parser.parse_args()
    machine = machine_record()
    sets: dict[str, dict[str, Any]] = {}
    for name in args.sets.split(","):
        dataset = judged(load(name, args.title_queries))
        sets[name] = measure(name, dataset, 100 if name == "lesson" else args.depth)
        print(json.dumps({name: sets[name]}, indent=1), flush=True)
    record = {
        "what": ("zero-shot poly and bi → cross (the bi-encoder's top 20; the lesson data's top 100) against the "
                 "bi-encoder, every judged query, with the IDF prior as each corpus's test decided "
                 "(core/rankers/prior_check.py: pseudo-queries shaped like the set's queries, the prior off only "
                 "when worse beyond a paired bootstrap's 95% interval); wikiqa-titles and climate-fever-titles: "
                 "name queries built from titles (benchmarks/zero_shot_prior.py, titles_as_queries)"),
        "commands": ["nice -n 19 " + " ".join(["python -m benchmarks.zero_shot_prior", *sys.argv[1:]])],
        "git_commit": machine["git_commit"],
        "machine": {key: machine[key] for key in ("cpu", "cores_usable", "started")},
        "sets": sets,
        "table": table(sets),
    }
    with open(args.out, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(record, indent=1) + "\n")
    print("\n" + record["table"])


if __name__ == "__main__":
    main()
