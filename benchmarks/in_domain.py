"""The Poly-encoder paper's table on development sets with a training split: the zero-shot and the fine-tuned bi-,
poly- and cross-encoder, trained alike (`core.training.in_domain`: the same mined lists, time budget, dev split and
checkpoint rule), compared on the test split.

For each set: export it from ../shared/data (the lesson data is the project's own `sample_data/lesson`), fine-tune
the bi-encoder, the cross-encoder (starting from that bi-encoder) and the poly-encoder (starting from that
bi-encoder, distilled from that cross-encoder) for `--minutes` each, then compare on the test split BM25 and the paper's table
(`core.contestants.presets.paper_table`: the fine-tuned cross-encoder re-ranks the fine-tuned bi-encoder's top
`--depth`, the zero-shot one the zero-shot bi-encoder's).

    python -m benchmarks.in_domain                                   # wikiqa and lesson, 20 min a model: ~75 min
    python -m benchmarks.in_domain --sets lesson --minutes 5
    python -m benchmarks.in_domain --work /tmp/bench --reuse         # compare models already trained there
    python -m benchmarks.in_domain --sets wikiqa nfcorpus --queries nfcorpus=100   # the first 100 of its test queries
    python -m benchmarks.in_domain --sets wikiqa --keep-others       # re-measure one set, keep the file's others
    python -m benchmarks.in_domain --sets climate-fever-split        # a set cut as the app cuts a user's data

Each set's result names the run that measured it (`measured`: command, commit, start), so a file whose sets were
measured by different runs says so.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from benchmarks._machine import RESULTS_DIR, machine_record, markdown_table, report
from core.comparison.compare import compare
from core.contestants.presets import paper_table
from core.contestants.registry import comparison, kinds
from core.data import first_queries, load_dataset
from core.data.devsets import SPLIT_SETS, export_dev_set
from core.models.sources import EMBEDDED, TRAINING_RECORD
from core.training.in_domain import fine_tune, kept_start

ROOT = Path(__file__).resolve().parents[1]
LESSON = ROOT / "sample_data" / "lesson"
KINDS = ("bi", "cross", "poly")
"""In training order: the poly-encoder starts from the bi-encoder and distils from the cross-encoder."""
EARLIER = " — measured by an earlier run: "
"""Marks a kept set's table title (`--keep-others`)."""


def data_folder(name: str, work: Path) -> Path:
    """The set as a BEIR folder with its training split, exported into `work` unless it is the lesson data."""
    if name == "lesson":
        return LESSON
    folder = work / name / name  # the folder's name is the dataset's: the models say "fine-tuned on wikiqa"
    if not (folder / "corpus.jsonl").is_file():
        export_dev_set(name, folder)
    return folder


def trained(name: str, data: Path, work: Path, minutes: float, reuse: bool) -> dict[str, dict]:
    """Each kind's training record, fine-tuning it unless `reuse` finds it already trained in `work`."""
    records: dict[str, dict] = {}
    for kind in KINDS:
        out = work / name / kind
        if not (reuse and (out / TRAINING_RECORD).is_file()):
            training = kinds()[kind].training
            fine_tune(kind, data, out, minutes, teacher=str(work / name / training.teacher) if training.teacher else None,
                      start=str(work / name / training.starts_from) if training.starts_from else None)
        records[kind] = json.loads((out / TRAINING_RECORD).read_text())
    return records


def training_summary(record: dict) -> dict:
    """What a model's training did: its time, dev split, dev scores of the start and the kept weights, and the rule."""
    history = record["history"]
    dev = dict(history["dev_ndcg@10"])
    return {"training_minutes": history["seconds"] / 60, "wall_minutes": record["wall_s"] / 60,
            "budget_minutes": record["budget_minutes"], "steps": history["steps"],
            "steps_per_minute": record["steps_per_minute"], "queries": record["queries"],
            "dev_split": record.get("dev_split"),
            "dev_start": dev[0], "dev_kept": dev[history["best_step"]], "dev_best": max(dev.values()),
            "best_step": history["best_step"], "kept_start": kept_start(record), "selection": history["selection"],
            "start": record.get("start"), "teacher": record.get("teacher"), "rule": record.get("dev_rule")}


def start_of(record: dict) -> str:
    """What a cross- or poly-encoder started from: the fine-tuned bi-encoder, or the packaged MiniLM."""
    return "the fine-tuned bi-encoder" if record.get("start") else "the packaged MiniLM"


def query_counts(given: list[str]) -> dict[str, int]:
    """`--queries` as {set: count}, "" for every set.

    Example:
        >>> query_counts(["0", "nfcorpus=100"])
        {'': 0, 'nfcorpus': 100}
    """
    return {name: int(count) for name, _, count in (item.rpartition("=") for item in given)}


def run_of(machine: dict) -> dict:
    """What names the run that measured a set: its command, commit and start."""
    return {key: machine.get(key) for key in ("command", "git_commit", "started")}


def earlier_sets(measured: list[str]) -> tuple[dict, dict[str, str]]:
    """The result file's sets other than `measured`: (their results, their tables), each result and table title naming
    the run that measured it."""
    path = RESULTS_DIR / "in_domain.json"
    if not path.is_file():
        return {}, {}
    earlier = json.loads(path.read_text())
    run = run_of(earlier["machine"])
    results = {name: {"measured": run, **result} for name, result in earlier["results"].items() if name not in measured}
    tables = {}
    for title, table in earlier["tables"].items():
        name = title.split(":")[0]
        if name in results:
            by = results[name]["measured"]
            tables[title if EARLIER in title else
                   f"{title}{EARLIER}`{by['command']}` ({by['started']}, commit {by['git_commit']})"] = table
    return results, tables


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", nargs="+", default=["wikiqa", "lesson"], choices=[*sorted(SPLIT_SETS), "lesson"])
    parser.add_argument("--minutes", type=float, default=20.0, help="training budget per model")
    parser.add_argument("--depth", type=int, default=100, help="shortlist the cross-encoders re-rank")
    parser.add_argument("--queries", nargs="+", default=["0"], metavar="N|SET=N",
                        help="test queries compared, for every set or for one (0: all)")
    parser.add_argument("--work", type=Path, default=ROOT / "out" / "in-domain")
    parser.add_argument("--reuse", action="store_true", help="compare models already trained in --work")
    parser.add_argument("--keep-others", action="store_true",
                        help="keep the result file's sets not in --sets, as an earlier run measured them")
    args = parser.parse_args()
    machine = machine_record()
    results, tables = earlier_sets(args.sets) if args.keep_others else ({}, {})
    run = run_of(machine)
    counts = query_counts(args.queries)
    for name in args.sets:
        data = data_folder(name, args.work)
        records = trained(name, data, args.work, args.minutes, args.reuse)
        test = load_dataset(data, split="test")
        count = counts.get(name, counts.get("", 0))
        test = first_queries(test, count) if count else test
        models = {kind: str(args.work / name / kind) for kind in KINDS}
        table = paper_table(models, test.name, [kind for kind in KINDS if kept_start(records[kind])])
        spec = comparison((entry.with_options(depth=args.depth) if entry.kind == "cross" else entry
                           for entry in table.contestants), k=100)
        outcome = compare(test, spec)
        rows = []
        for entry in spec.contestants:
            result = outcome.results[entry.name]
            tuned = next((kind for kind, folder in models.items() if entry.model == folder), None)
            rows.append({"contestant": entry.name, "kind": entry.kind, "fine_tuned": bool(tuned),
                         "pipeline": result.pipeline, "training": result.training, **result.metrics,
                         "training_minutes": records[tuned]["history"]["seconds"] / 60 if tuned else None})
        fine = {row["kind"]: row["ndcg@10"] for row in rows if row["fine_tuned"]}
        zero = {row["kind"]: row["ndcg@10"] for row in rows if not row["fine_tuned"]}
        results[name] = {
            "measured": run, "test_queries": len(test.queries), "documents": len(test.corpus), "rows": rows,
            "training": {kind: training_summary(record) for kind, record in records.items()},
            "targets": {"cross_fine_tuned_minus_bi_zero_shot": fine["cross"] - zero["bi"],
                        "poly_fine_tuned_minus_bi_fine_tuned": fine["poly"] - fine["bi"],
                        "fine_tuned_minus_start": {"bi": fine["bi"] - zero["bi"],
                                                   **{f"{kind} (its start: {start_of(records[kind])})":
                                                      fine[kind] - (fine["bi"] if records[kind].get("start") else
                                                                    zero[kind]) for kind in ("cross", "poly")}}}}
        budgets = " / ".join(sorted({f"{record['budget_minutes']:g}" for record in records.values()}))
        tables[f"{name}: test split, {len(test.queries)} queries over {len(test.corpus):,} documents; "
               f"{budgets} min of training per model"] = markdown_table(
            ["contestant", "training", "nDCG@10", "MRR@10", "Recall@100", "training time (min)"],
            [[row["contestant"], row["training"], row["ndcg@10"], row["mrr@10"], row["recall@100"],
              row["training_minutes"]] for row in rows])
    settings = {**{key: str(value) if isinstance(value, Path) else value for key, value in vars(args).items()},
                "protocol": "core.training.in_domain: mined lists (bi-encoder and BM25, 7 negatives), the same budget "
                            "per model, dev split = the data's own (qrels/dev.tsv) where it has one, else "
                            "core.training.selection.dev_query_count of the training queries, paired-bootstrap rule",
                "teacher": "the cross-encoder fine-tuned in the same run", "zero_shot": EMBEDDED}
    report("in_domain", machine, settings, results, tables)


if __name__ == "__main__":
    main()
