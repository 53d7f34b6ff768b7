"""Command line: `python -m core compare DATA --out OUT [...]`, `show FILE --data DATA`, `train` and `devset`.

`compare` writes `OUT/metrics.json`, the saved comparison `OUT/results.arena.json` (which `show` and the app's Export
page open again) and one TREC run file per ranker, prints a table, reports progress on
stderr, and turns bad input into a one-line error (exit code 2) instead of a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import time
from pathlib import Path

from transformers.utils import logging as transformers_logging

from core.analysis.per_query import TIE_MARGIN
from core.comparison.cache import keep_comparison, read_comparison
from core.comparison.compare import compare
from core.comparison.results import Comparison
from core.comparison.saved import SUFFIX, read_saved, read_saved_alone, saved_json
from core.contestants.kinds import EARLY_LAYER
from core.contestants.registry import (
    SHORTHAND_DEFAULT,
    comparison,
    comparison_from_dict,
    kinds,
    parse_contestant,
    shorthand_contestants,
    shorthand_flags,
    trainable_kinds,
)
from core.contestants.spec import ComparisonSpec, SpecError, read_comparison_file, settings
from core.data import DataError, first_queries, load_dataset
from core.data.devsets import DEV_SETS, SPLIT_SETS, export_dev_set
from core.data.trec_runs import run_file_names, write_trec_run
from core.evaluate import AGREEMENT, METRICS
from core.index import INDEX_TYPES
from core.judging.pool import pool_tsv
from core.models.errors import ModelError
from core.models.sources import EMBEDDED, TRAINING_RECORD
from core.present.analysis_text import analysis_text
from core.present.report import write_report
from core.scale.engine import ENGINES
from core.scale.index_job import DEFAULT_CONTESTANT, build
from core.scale.prebuilt import open_prebuilt
from core.scale.rerank_job import rerank
from core.training.loop import DEFAULT_MIX, TrainConfig
from core.training.model_card import add_test_table


class StderrProgress:
    """Progress callback printing a line to stderr whenever the step changes or 10% more is done."""

    def __init__(self) -> None:
        self._last = ("", -1.0)

    def __call__(self, message: str, fraction: float) -> None:
        step = message.split(":")[0]
        if step != self._last[0] or fraction - self._last[1] >= 0.1 or fraction >= 1.0 > self._last[1]:
            print(f"[{fraction:6.1%}] {message}", file=sys.stderr, flush=True)
            self._last = (step, fraction)


def _kind_list(value: str) -> tuple[str, ...]:
    chosen = tuple(part.strip() for part in value.split(",") if part.strip())
    unknown = [name for name in chosen if name not in kinds()]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"unknown kinds {unknown}; choose from {','.join(kinds())}")
    return chosen


def _add_compare_arguments(run: argparse.ArgumentParser) -> None:
    """`compare`'s flags: contestants, the comparison-wide settings, and each kind's shorthand flags."""
    run.add_argument("data", type=Path, help="BEIR folder or .zip, or a CSV folder (corpus, queries, optional qrels)")
    run.add_argument("--out", type=Path, required=True, help="folder for metrics.json, comparison.json, results.arena.json and run files")
    run.add_argument("--ranker", action="append", metavar="SPEC", dest="contestants",
                     help="a contestant, repeatable: name=NAME,kind=KIND[,model=SPEC][,option=value...]; kinds: "
                          + "; ".join(f"{kind.name} ({', '.join(o.name for o in kind.all_options) or 'no options'})"
                                      for kind in kinds().values()))
    run.add_argument("--comparison", type=Path, metavar="FILE",
                     help="a saved comparison (JSON or TOML, as the app exports and OUT/comparison.json holds)")
    for setting in settings():
        meta = setting.metadata["setting"]
        flag = "--" + setting.name.replace("_", "-")
        if setting.type in (bool, "bool"):
            run.add_argument(flag, action="store_true", default=None, help=meta.help)
        else:
            run.add_argument(flag, type=int if setting.type in (int, "int") else str, default=None,
                             help=f"{meta.help} (default {setting.default})")
    run.add_argument("--rankers", type=_kind_list, metavar="KINDS",
                     help=f"shorthand: one contestant per kind, named after it (default {','.join(SHORTHAND_DEFAULT)})")
    for shorthand in shorthand_flags():
        what = "model: 'embedded', a local path or a Hugging Face id" if shorthand.option is None else shorthand.option.help
        if shorthand.switch:
            run.add_argument(shorthand.flag, action="store_true", help=f"shorthand, {shorthand.kind.title}: rank the "
                             "whole corpus instead of a first stage's shortlist")
        else:
            run.add_argument(shorthand.flag, default=None, metavar="VALUE",
                             help=f"shorthand, {shorthand.kind.title}: {what}")
    run.add_argument("--text-field", metavar="KEY", help="corpus/query records keep their text under KEY")
    run.add_argument("--title-field", metavar="KEY", help="corpus records keep their title under KEY")
    run.add_argument("--qrels", type=Path, help="qrels file kept outside DATA (TREC, BEIR TSV or CSV)")
    run.add_argument("--split", default="test", help="qrels split inside DATA (default test)")
    run.add_argument("--max-queries", type=int, help="use only the first N queries (judged ones first)")
    run.add_argument("--recompute", action="store_true",
                     help="compute even if this comparison is in the cache (ARENA_CACHE_DIR) from an earlier run")
    run.add_argument("--report", action="store_true", help="also write OUT/report.html (self-contained figures)")
    run.add_argument("--index", type=Path, metavar="INDEX_DIR",
                     help="document vectors from a prebuilt index (python -m core index) instead of encoding")


def comparison_from_args(args: argparse.Namespace) -> ComparisonSpec:
    """The comparison the flags ask for: `--ranker` specs, else a `--comparison` file, else the shorthand flags
    (settings given as flags override the file's)."""
    given = {s.name: getattr(args, s.name) for s in settings() if getattr(args, s.name) is not None}
    if args.contestants:  # parsed here, not by argparse, so that a bad spec is a one-line error
        return comparison([parse_contestant(text) for text in args.contestants], **given)
    if args.comparison:
        saved = comparison_from_dict(read_comparison_file(args.comparison), args.comparison.name)
        return comparison(saved.contestants, **{s.name: getattr(saved, s.name) for s in settings()} | given)
    flags = {shorthand.flag: getattr(args, shorthand.flag.lstrip("-").replace("-", "_"))
             for shorthand in shorthand_flags()}
    return comparison(shorthand_contestants(args.rankers or SHORTHAND_DEFAULT, flags), **given)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    _add_compare_arguments(commands.add_parser("compare", help="run contestants side by side on a dataset"))
    indexer = commands.add_parser("index", help="encode and index a corpus once, in this process or on Ray, for "
                                                "compare --index and the app")
    indexer.add_argument("data", type=Path,
                         help="a BEIR folder, a corpus .jsonl(.gz) or .parquet, or a folder of shards")
    indexer.add_argument("--out", type=Path, required=True, help="the index directory to write")
    indexer.add_argument("--engine", choices=ENGINES, default="local", help="local: this process; ray: Ray Data")
    indexer.add_argument("--address", metavar="auto|ray://HOST:PORT",
                         help="a Ray cluster to join (default: a local Ray with this machine's cores)")
    indexer.add_argument("--contestant", default=DEFAULT_CONTESTANT, metavar="SPEC",
                         help=f"whose document encoder, as --ranker takes it (default {DEFAULT_CONTESTANT})")
    indexer.add_argument("--index-type", choices=INDEX_TYPES, default="ivf-sq8", help="FAISS index (default ivf-sq8)")
    indexer.add_argument("--batch-size", type=int, default=256, help="documents per encoding batch")
    indexer.add_argument("--workers", type=int, default=1, help="encoders at once on Ray (one model load each)")
    _add_device_arguments(indexer, "encoder")
    reranker = commands.add_parser("rerank", help="re-rank a first-stage run's shortlists with a contestant, in this "
                                                  "process or on Ray, into a TREC run (a kind=run contestant)")
    reranker.add_argument("data", type=Path, help="the dataset (as compare takes it)")
    reranker.add_argument("--run", type=Path, required=True, metavar="FIRST.trec", help="the first stage's TREC run")
    reranker.add_argument("--out", type=Path, required=True, metavar="RUN.trec", help="the re-ranked TREC run to write")
    reranker.add_argument("--contestant", required=True, metavar="SPEC",
                          help="the re-ranker, as --ranker takes it (e.g. name=cross,kind=cross)")
    reranker.add_argument("--depth", type=int, default=100, help="documents re-ranked per query (default 100)")
    reranker.add_argument("--k", type=int, default=100, help="documents kept per query (default 100): the re-ranked "
                          "ones, then the first stage's next ones in its order")
    reranker.add_argument("--cut", action="store_true", help="end each query's run at --depth (no first-stage tail)")
    reranker.add_argument("--split", default="test", help="qrels split inside DATA (default test)")
    reranker.add_argument("--engine", choices=ENGINES, default="local")
    reranker.add_argument("--workers", type=int, default=1, help="re-rankers at once on Ray (one model load each)")
    reranker.add_argument("--address", metavar="auto|ray://HOST:PORT", help="a Ray cluster to join")
    _add_device_arguments(reranker, "re-ranker")
    shower = commands.add_parser("show", help="show a saved comparison (OUT/results.arena.json, or one saved in the "
                                              "app) beside the data it ran on, and optionally write its report")
    shower.add_argument("file", type=Path, help="the saved comparison (*.arena.json)")
    shower.add_argument("--data", type=Path, required=True, help="the dataset it was computed on, as given to compare")
    shower.add_argument("--split", default="test", help="qrels split inside DATA (default test)")
    shower.add_argument("--max-queries", type=int, help="as given to compare")
    shower.add_argument("--report", type=Path, metavar="HTML", help="write the HTML report of it to this file")
    analyser = commands.add_parser("analyse", help="where and why the contestants of a finished comparison differ: "
                                                   "intervals, corrected pairwise tests, win/tie/loss, the most "
                                                   "disputed queries and slices")
    analyser.add_argument("out", type=Path, help="the folder compare wrote (its results.arena.json), or a saved "
                                                 "comparison (*.arena.json)")
    analyser.add_argument("--metric", default="ndcg@10", choices=METRICS, help="the metric compared (default ndcg@10)")
    analyser.add_argument("--margin", type=float, default=TIE_MARGIN,
                          help=f"values closer than this on a query are a tie (default {TIE_MARGIN})")
    analyser.add_argument("--data", type=Path, help="the dataset it was computed on, as given to compare: adds the "
                                                    "most disputed queries and the slices")
    analyser.add_argument("--split", default="test", help="qrels split inside DATA (default test)")
    analyser.add_argument("--max-queries", type=int, help="as given to compare")
    pooler = commands.add_parser("judge-pool", help="write the pool of a finished comparison to judge elsewhere: "
                                                    "every contestant's top documents per query, shuffled, with an "
                                                    "empty grade column (read back with compare --qrels)")
    pooler.add_argument("data", type=Path, help="the dataset it was computed on, as given to compare")
    pooler.add_argument("--comparison", type=Path, required=True, metavar="FILE",
                        help="the finished comparison: compare's OUT folder or a saved *.arena.json")
    pooler.add_argument("--depth", type=int, default=10, help="each contestant's top documents pooled (default 10)")
    pooler.add_argument("--out", type=Path, required=True, metavar="POOL.tsv", help="the TSV to write")
    pooler.add_argument("--split", default="test", help="qrels split inside DATA (default test)")
    pooler.add_argument("--max-queries", type=int, help="as given to compare")
    export = commands.add_parser("devset", help="export a development set from ../shared/data as a BEIR folder")
    export.add_argument("name", choices=sorted(DEV_SETS | SPLIT_SETS),
                        help=f"with a training split: {', '.join(SPLIT_SETS)}")
    export.add_argument("--out", type=Path, required=True, help="folder to write the BEIR files into")
    trainer = commands.add_parser("train", help="fine-tune a bi-, cross- or poly-encoder on a dataset's training split "
                                                "(all alike), distil an early-layer dual encoder, or train the "
                                                "embedded cross- or poly-encoder")
    trainer.add_argument("kind", choices=[kind.name for kind in trainable_kinds()],
                         help="which of the project's own models to train (without --data, the embedded recipe "
                              f"trains {' or '.join(DEFAULT_MIX)})")
    trainer.add_argument("--out", type=Path, required=True, help="folder for the weights, training.json and README.md")
    trainer.add_argument("--data", type=Path, metavar="DATA",
                         help="fine-tune on DATA's training split (a BEIR folder with qrels/train.tsv) instead of "
                              "the embedded recipe's WikiQA + ArguAna mix")
    trainer.add_argument("--pseudo-queries", type=int, default=0, metavar="N",
                         help="with --data: train on N pseudo-queries drawn from DATA's corpus alone (a sentence "
                              "taken out of a document is the query), for data without a training split")
    trainer.add_argument("--start", metavar="SPEC",
                         help="with --data: the model training starts from. bi: any sentence-transformers bi-encoder "
                              "(embedded, all-mpnet-base-v2, a folder, a Hugging Face id; default embedded); cross, poly: "
                              "a fine-tuned bi-encoder folder whose backbone it takes (default the packaged MiniLM)")
    trainer.add_argument("--cached-loss", action="store_true",
                         help="bi with --data: sentence-transformers' cached multiple negatives ranking loss "
                              "(GradCache), its memory flat in the batch size, for machines short of memory")
    trainer.add_argument("--compact", action="store_true",
                         help="with --data: train only biases and LayerNorm weights (BitFit) and save them as a small "
                              "delta over the packaged backbone")
    trainer.add_argument("--minutes", type=float, default=20.0,
                         help="with --data: time budget; training stops and keeps the best checkpoint by a dev split "
                              "carved from the training queries (default 20)")
    trainer.add_argument("--quick", action="store_true", help="a few hundred pairs: proves the loop, in a minute")
    trainer.add_argument("--lists", type=int, default=TrainConfig.lists, help="training lists (query + candidates)")
    trainer.add_argument("--epochs", type=int, default=TrainConfig.epochs)
    trainer.add_argument("--teacher-mix", default="", metavar="MIX",
                         help="teacher as signal=weight pairs over gold,bi,bm25,cross,dense "
                              f"(default: {'; '.join(f'{kind} {mix}' for kind, mix in DEFAULT_MIX.items())})")
    trainer.add_argument("--tie-weight", type=float, default=TrainConfig.tie_weight)
    trainer.add_argument("--backbone-lr", type=float, default=TrainConfig.backbone_lr)
    trainer.add_argument("--head-lr", type=float, default=TrainConfig.head_lr,
                         help="learning rate of the codes (poly) or the gate, scale and shift (cross)")
    trainer.add_argument("--batch-lists", type=int, default=TrainConfig.batch_lists, help="lists per step")
    trainer.add_argument("--lists-cache", type=Path, metavar="DIR",
                         help="keep the built, teacher-scored training lists here and reuse them")
    trainer.add_argument("--freeze-backbone", action="store_true",
                         help="train only the new parameters (poly: codes; cross: gate, scale, shift) "
                              "over the packaged backbone")
    trainer.add_argument("--query-bitfit", action="store_true",
                         help="poly with --freeze-backbone: also train the query side's biases and LayerNorm weights")
    trainer.add_argument("--pool-negatives", type=int, default=TrainConfig.pool_negatives,
                         help="poly with --freeze-backbone: random training passages per step, kept at their bi cosine")
    trainer.add_argument("--idf-prior", action="store_true",
                         help="weigh query tokens by their corpus IDF: in the cross's query pooling, "
                              "or in the poly's code attention (with --freeze-backbone)")
    trainer.add_argument("--bf16", action="store_true",
                         help="on the CPU, forward passes in bfloat16: about twice as fast on CPUs that compute it "
                              "natively (AVX-512 BF16, AMX); weights and optimiser stay float32 (an accelerator "
                              "computes at its own precision whatever this says)")
    trainer.add_argument("--device", default="auto", metavar="auto|cpu|cuda|cuda:N|mps",
                         help="where to train (and mine and score with the teacher): auto takes ARENA_DEVICE, else "
                              "CUDA, then Apple's MPS, then the CPU. On an accelerator the forward passes run under "
                              "autocast in bfloat16 (float16 where it lacks bfloat16; ARENA_GPU_PRECISION overrides) "
                              "and each step takes 4 times --batch-lists lists (default auto)")
    trainer.add_argument("--seed", type=int, default=TrainConfig.seed)
    trainer.add_argument("--sources", default=",".join(TrainConfig.sources),
                         help="comma-separated training data: wikiqa,arguana")
    trainer.add_argument("--poly-codes", type=int, default=16, help="m, the poly-encoder's number of codes")
    trainer.add_argument("--teacher", metavar="SPEC",
                         help="cross-encoder the poly-encoder (or the early-layer student) distils from: with --data, "
                              "the folder `train cross` wrote, or embedded (required); else the mix's cross signal "
                              "(default embedded)")
    trainer.add_argument("--layers", type=int, default=2,
                         help=f"{EARLY_LAYER.name}: ℓ, how many of the teacher's first layers the student keeps (default 2)")
    trainer.add_argument("--teacher-dense", metavar="SPEC",
                         help="bi-encoder of the mix's dense signal (training only), e.g. all-mpnet-base-v2")
    return parser


def run_train(args: argparse.Namespace) -> int:
    from core.devices import resolve_device

    logging.getLogger("core").setLevel(logging.INFO)
    args.device = resolve_device(args.device)  # a device this machine lacks is an error before any work
    if args.data is not None:
        return run_fine_tune(args)
    if args.kind not in DEFAULT_MIX:
        raise SystemExit(f"train {args.kind} fine-tunes on a dataset's training split: give --data DATA"
                         + (" and --teacher" if kinds()[args.kind].training.teacher else ""))
    from core.training.recipes import run_training  # training code loads only when asked for

    config = TrainConfig(lists=args.lists, epochs=args.epochs, teacher_mix=args.teacher_mix,
                         tie_weight=args.tie_weight, backbone_lr=args.backbone_lr, head_lr=args.head_lr,
                         batch_lists=args.batch_lists, freeze_backbone=args.freeze_backbone,
                         query_bitfit=args.query_bitfit, pool_negatives=args.pool_negatives, seed=args.seed,
                         idf_prior=args.idf_prior, bfloat16=args.bf16, device=args.device,
                         sources=tuple(part.strip() for part in args.sources.split(",") if part.strip()))
    record = run_training(args.kind, args.out, config, args.quick, args.poly_codes, args.teacher or EMBEDDED,
                          args.lists_cache, args.teacher_dense)
    dev = record["history"]["dev_ndcg@10"]
    print(f"{args.kind}: loss {record['first_loss']:.4f} -> {record['last_loss']:.4f}; WikiQA dev nDCG@10 "
          f"{dev[0][1]:.4f} -> {dev[-1][1]:.4f} (bi-encoder {record['bi_encoder_dev_ndcg@10']:.4f}); "
          f"{record['wall_s']:.0f} s on {record['device_title']} ({record['steps_per_minute']:,.0f} steps a minute); "
          f"saved to {args.out}")
    return 0


def run_fine_tune(args: argparse.Namespace) -> int:
    """`train KIND --data DATA --out DIR [--minutes M] [--teacher DIR]`: in-domain fine-tuning."""
    from core.training.in_domain import fine_tune

    record = fine_tune(args.kind, args.data, args.out, args.minutes, args.teacher, args.seed, args.poly_codes,
                       StderrProgress(), compact=args.compact, layers=args.layers, bfloat16=args.bf16,
                       pseudo_queries=args.pseudo_queries, device=args.device, start=args.start,
                       cached=args.cached_loss)
    history = record["history"]
    dev = dict(history["dev_ndcg@10"])
    print(f"{args.kind}: dev nDCG@10 {dev[0]:.4f} (start) -> {dev[history['best_step']]:.4f} (kept, step "
          f"{history['best_step']} of {history['steps']}); {record['wall_s'] / 60:.1f} min on {record['device_title']} "
          f"({record['steps_per_minute']:,.0f} steps a minute); saved to {args.out} "
          f"(model card: {args.out / 'README.md'})")
    if history["best_step"] == 0:
        print(f"warning: no checkpoint beat the untrained start beyond the dev split's noise; {args.out} holds the "
              "start (give more --minutes or more training queries)", file=sys.stderr)
    return 0


def format_table(comparison: Comparison) -> str:
    """A plain-text table: one row per contestant with metrics (or agreement) and latency."""
    columns = METRICS if comparison.has_qrels else AGREEMENT
    width = max(22, *(len(result.label) + 1 for result in comparison.results.values()))
    header = (f"{'contestant':<{width}} {'trained':<8}" + "".join(f"{c:>13}" for c in columns)
              + f"{'p50 ms':>10}{'p95 ms':>10}{'index s':>9}")
    lines = [header, "-" * len(header)]
    for result in comparison.results.values():
        values = result.metrics if comparison.has_qrels else result.agreement
        cells = "".join(f"{values[c]:>13.4f}" if not math.isnan(values.get(c, math.nan)) else f"{'-':>13}"
                        for c in columns)
        latency = result.latency_ms
        lines.append(f"{result.label:<{width}} {'yes' if result.trained else 'NO':<8}{cells}"
                     f"{_number(latency['p50'], 10, 1)}{_number(latency['p95'], 10, 1)}{result.index_s:>9.1f}")
    lines += [f"{result.label}: {result.kind_title}, {result.model}; {result.pipeline}"
              for result in comparison.results.values()]
    if not comparison.has_qrels:
        lines.append(f"no relevance labels: agreement with {comparison.reference}, not accuracy")
    lines += [f"note: {note}" for note in comparison.dataset["notes"] + comparison.notes]
    return "\n".join(lines)


def _number(value: float, width: int, decimals: int) -> str:
    return f"{'-':>{width}}" if math.isnan(value) else f"{value:>{width}.{decimals}f}"


def fine_tuned_folders(spec: ComparisonSpec) -> list[Path]:
    """The model folders of the comparison's contestants that `train --data` wrote (they hold training.json)."""
    folders = {Path(c.model).expanduser() for c in spec.contestants if c.model}
    return sorted(folder for folder in folders if (folder / TRAINING_RECORD).is_file() and (folder / "README.md").is_file())


def run_compare(args: argparse.Namespace) -> int:
    spec = comparison_from_args(args)
    progress = StderrProgress()
    progress(f"loading {args.data}", 0.0)
    dataset = load_dataset(args.data, qrels_path=args.qrels, split=args.split,
                           text_field=args.text_field, title_field=args.title_field)
    if args.max_queries:
        dataset = first_queries(dataset, args.max_queries)
    start = time.perf_counter()
    if args.index:
        manifest, users = open_prebuilt(args.index, dataset.corpus, spec)
        progress(f"document vectors of {', '.join(users)} from {args.index} ({manifest.documents:,} documents, "
                 f"encoded by {manifest.engine} in {manifest.encode_s:.0f} s)", 0.0)
    comparison = None if args.recompute else read_comparison(dataset, spec)
    if comparison is None:
        comparison = compare(dataset, spec, progress)
        keep_comparison(dataset, comparison)
    else:
        progress("answered from the cache: the same data, contestants and code were compared before "
                 "(latencies as measured then; --recompute runs it again)", 1.0)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "metrics.json").write_text(json.dumps(comparison.to_dict(), indent=2, ensure_ascii=False) + "\n")
    (args.out / "comparison.json").write_text(json.dumps(spec.to_dict(), indent=2, ensure_ascii=False) + "\n")
    (args.out / f"results{SUFFIX}").write_text(saved_json(comparison, dataset) + "\n", encoding="utf-8")
    for name, file_name in run_file_names(comparison.results).items():
        write_trec_run(comparison.results[name].run, args.out / file_name, name)
    if args.report:
        write_report(comparison, dataset, args.out / "report.html")
    table = format_table(comparison)
    print(table)
    if dataset.split == "test":  # a fine-tuned model's card gets its test table
        for folder in fine_tuned_folders(spec):
            add_test_table(folder, table, "python -m core " + " ".join(sys.argv[1:]))
    print(f"wrote {args.out / 'metrics.json'} and run files in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return 0


def _add_device_arguments(parser: argparse.ArgumentParser, model: str) -> None:
    """`index`'s and `rerank`'s devices: `--device` for the local engine, `--gpus-per-worker` for Ray's workers."""
    parser.add_argument("--device", metavar="auto|cpu|cuda|cuda:N|mps",
                        help=f"the local engine's device for the {model}: auto takes ARENA_DEVICE, else CUDA, then "
                             "Apple's MPS, then the CPU (default auto; on Ray, give --gpus-per-worker instead)")
    parser.add_argument("--gpus-per-worker", type=float, default=0.0, metavar="G",
                        help=f"GPUs each Ray worker reserves (num_gpus of its Ray Data actor; 0.5 puts two workers on "
                             f"a GPU), its {model} running on the GPU Ray gives it; 0 (the default) runs the workers "
                             "on CPUs. With --engine local, more than 0 is --device cuda: this process is the one "
                             "worker. Asking for GPUs where there are none is an error")


def _scale_device(args: argparse.Namespace) -> str:
    """The local engine's `--device` (auto when not given); on Ray `--device` is refused for `--gpus-per-worker`."""
    if args.engine == "ray" and args.device is not None:
        raise ValueError(f"--device {args.device} is the local engine's; Ray's workers run on the GPU each reserves "
                         "with --gpus-per-worker G, else on CPUs")
    return args.device or "auto"


def run_index(args: argparse.Namespace) -> int:
    """Build an index directory and print its manifest."""
    from core.devices import device_title

    manifest = build(args.data, args.out, args.contestant, args.engine, args.index_type, args.batch_size,
                     args.workers, args.address, StderrProgress(), _scale_device(args), args.gpus_per_worker)
    recall = "–" if manifest.recall_at_10 is None else f"{manifest.recall_at_10:.3f}"
    where = (device_title(manifest.device) if manifest.engine == "local" else
             f"{manifest.gpus_per_worker:g} GPU each" if manifest.gpus_per_worker else "CPUs")
    print(f"{manifest.documents:,} documents, {manifest.dim}-d, {manifest.index}; encoded in {manifest.encode_s:.1f} s "
          f"({manifest.engine}, {manifest.workers} worker(s), on {where}), indexed in {manifest.build_s:.1f} s; "
          f"recall@10 {recall}")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def run_rerank(args: argparse.Namespace) -> int:
    run = rerank(args.data, args.run, args.out, args.contestant, args.depth, args.k, args.split, args.engine,
                 args.workers, args.address, StderrProgress(), _scale_device(args), args.gpus_per_worker,
                 tail=not args.cut)
    print(f"wrote {args.out}: {len(run):,} queries re-ranked (use it as --ranker name=NAME,kind=run,path={args.out})")
    return 0


def run_show(args: argparse.Namespace) -> int:
    """Print a saved comparison's table (and write its report) after checking it belongs to the data."""
    dataset = load_dataset(args.data, split=args.split)
    if args.max_queries:
        dataset = first_queries(dataset, args.max_queries)
    try:
        text = args.file.read_bytes()
    except OSError as error:
        raise DataError(str(args.file), f"cannot be read ({error.strerror})") from None
    comparison, splits = read_saved(text, str(args.file), dataset)
    if splits is not None:
        dataset = splits.test
        print(f"computed on the test split of a hold-out: {splits.how}", file=sys.stderr)
    print(format_table(comparison))
    if args.report:
        write_report(comparison, dataset, args.report)
        print(f"wrote {args.report}", file=sys.stderr)
    return 0


def _saved_text(given: Path) -> tuple[Path, bytes]:
    """A saved comparison's file (compare's OUT folder names its results.arena.json) and its bytes."""
    file = given / f"results{SUFFIX}" if given.is_dir() else given
    try:
        return file, file.read_bytes()
    except OSError as error:
        raise DataError(str(file), f"cannot be read ({error.strerror})") from None


def run_judge_pool(args: argparse.Namespace) -> int:
    """Write the pool of a finished comparison (checked to be of the data) as a TSV to grade."""
    if args.depth < 1:
        raise SystemExit("--depth must be at least 1")
    dataset = load_dataset(args.data, split=args.split)
    if args.max_queries:
        dataset = first_queries(dataset, args.max_queries)
    file, text = _saved_text(args.comparison)
    comparison, splits = read_saved(text, str(file), dataset)
    dataset = splits.test if splits is not None else dataset
    pool = pool_tsv(comparison, dataset, args.depth)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(pool, encoding="utf-8")
    print(f"wrote {args.out}: {pool.count(chr(10)) - 1:,} (query, document) pairs of {len(dataset.queries):,} "
          f"queries to grade 0–2 in its score column; then: python -m core compare {args.data} --qrels {args.out} …",
          file=sys.stderr)
    return 0


def run_analyse(args: argparse.Namespace) -> int:
    """Print the per-query analysis of a saved comparison: with `--data` (checked to be its data) also the most
    disputed queries, the slices and what fine-tuning gained and lost."""
    file, text = _saved_text(args.out)
    dataset = None
    if args.data is not None:
        dataset = load_dataset(args.data, split=args.split)
        if args.max_queries:
            dataset = first_queries(dataset, args.max_queries)
        comparison, splits = read_saved(text, str(file), dataset)
        dataset = splits.test if splits is not None else dataset
    else:
        comparison = read_saved_alone(text, str(file))
    if not comparison.has_qrels:
        raise SystemExit(f"{file}: computed without relevance labels; there is no metric per query to analyse")
    print(analysis_text(comparison, dataset, args.metric, args.margin))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    transformers_logging.disable_progress_bar()  # our own progress lines replace per-file bars
    args = build_parser().parse_args(argv)
    try:
        if args.command == "train":
            return run_train(args)
        if args.command == "index":
            return run_index(args)
        if args.command == "rerank":
            return run_rerank(args)
        if args.command == "show":
            return run_show(args)
        if args.command == "analyse":
            return run_analyse(args)
        if args.command == "judge-pool":
            return run_judge_pool(args)
        if args.command == "devset":
            export_dev_set(args.name, args.out)
            print(f"wrote {args.name} to {args.out}", file=sys.stderr)
            return 0
        return run_compare(args)
    except (DataError, ModelError, SpecError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
