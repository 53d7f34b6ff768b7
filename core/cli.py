"""Command line: `python -m core compare DATA --out OUT [...]` and `python -m core devset NAME --out DIR`.

Writes `OUT/metrics.json` and one TREC run file per ranker, prints a table, reports progress on
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

from core.compare import Comparison, build_ranker, compare, estimate_cross_seconds
from core.config import BACKENDS, FIRST_STAGES, RANKER_KINDS, ArenaConfig
from core.data import DataError, first_queries, load_dataset
from core.devsets import DEV_SETS, export_beir, load_dev_set
from core.evaluate import AGREEMENT, METRICS
from core.index import INDEX_TYPES
from core.models import EMBEDDED, ModelError
from core.report import write_report
from core.runs import write_trec_run
from core.training.loop import DEFAULT_MIX, TrainConfig


class StderrProgress:
    """Progress callback printing a line to stderr whenever the step changes or 10% more is done."""

    def __init__(self) -> None:
        self._last = ("", -1.0)

    def __call__(self, message: str, fraction: float) -> None:
        step = message.split(":")[0]
        if step != self._last[0] or fraction - self._last[1] >= 0.1 or fraction >= 1.0 > self._last[1]:
            print(f"[{fraction:6.1%}] {message}", file=sys.stderr, flush=True)
            self._last = (step, fraction)


def _rankers(value: str) -> tuple[str, ...]:
    kinds = tuple(part.strip() for part in value.split(",") if part.strip())
    unknown = [k for k in kinds if k not in RANKER_KINDS]
    if unknown or not kinds:
        raise argparse.ArgumentTypeError(f"unknown rankers {unknown}; choose from {','.join(RANKER_KINDS)}")
    return kinds


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("compare", help="run rankers side by side on a BEIR folder or zip")
    run.add_argument("data", type=Path, help="BEIR folder or .zip (corpus, queries, optional qrels)")
    run.add_argument("--out", type=Path, required=True, help="folder for metrics.json and run files")
    run.add_argument("--rankers", type=_rankers, default=RANKER_KINDS, help="comma-separated: bi,poly,cross,bm25")
    run.add_argument("--k", type=int, default=100, help="documents kept per query (default 100)")
    run.add_argument("--rerank-depth", type=int, default=100, help="first-stage documents the cross-encoder re-ranks")
    run.add_argument("--first-stage", choices=FIRST_STAGES, default="bi")
    run.add_argument("--cross-full-corpus", action="store_true", help="score every document with the cross-encoder")
    for kind in ("bi", "poly", "cross"):
        run.add_argument(f"--{kind}-model", default=EMBEDDED, metavar="SPEC",
                         help="'embedded' (default), a local path or a Hugging Face id")
    run.add_argument("--poly-codes", type=int, default=16, help="m for an untrained poly-encoder")
    run.add_argument("--bi-backend", choices=BACKENDS, default="torch",
                     help="what runs the bi-encoder: torch, or ONNX Runtime fp32/int8 (faster on a CPU)")
    run.add_argument("--index", choices=INDEX_TYPES, default="flat", help="bi-encoder FAISS index")
    run.add_argument("--qrels", type=Path, help="qrels file kept outside DATA (TREC or BEIR TSV)")
    run.add_argument("--split", default="test", help="qrels split inside DATA (default test)")
    run.add_argument("--text-field", metavar="KEY", help="corpus/query records keep their text under KEY")
    run.add_argument("--title-field", metavar="KEY", help="corpus records keep their title under KEY")
    run.add_argument("--exclude-self", action="store_true",
                     help="drop a hit whose doc id equals the query id (BEIR/MTEB convention, e.g. ArguAna)")
    run.add_argument("--max-queries", type=int, help="use only the first N queries (judged ones first)")
    run.add_argument("--report", action="store_true", help="also write OUT/report.html (self-contained figures)")
    export = commands.add_parser("devset", help="export a development set from ../shared/data as a BEIR folder")
    export.add_argument("name", choices=sorted(DEV_SETS))
    export.add_argument("--out", type=Path, required=True, help="folder to write the BEIR files into")
    trainer = commands.add_parser("train", help="train the embedded cross-encoder or poly-encoder")
    trainer.add_argument("kind", choices=("cross", "poly"))
    trainer.add_argument("--out", type=Path, required=True, help="folder for the weights and training.json")
    trainer.add_argument("--quick", action="store_true", help="a few hundred pairs: proves the loop, in a minute")
    trainer.add_argument("--lists", type=int, default=TrainConfig.lists, help="training lists (query + candidates)")
    trainer.add_argument("--epochs", type=int, default=TrainConfig.epochs)
    trainer.add_argument("--teacher-mix", default="", metavar="MIX",
                         help="teacher as signal=weight pairs over gold,bi,bm25,cross,dense "
                              f"(default: cross {DEFAULT_MIX['cross']}; poly {DEFAULT_MIX['poly']})")
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
    trainer.add_argument("--seed", type=int, default=TrainConfig.seed)
    trainer.add_argument("--sources", default=",".join(TrainConfig.sources),
                         help="comma-separated training data: wikiqa,arguana")
    trainer.add_argument("--poly-codes", type=int, default=16, help="m, the poly-encoder's number of codes")
    trainer.add_argument("--teacher", default=EMBEDDED, metavar="SPEC", help="cross-encoder of the mix's cross signal")
    trainer.add_argument("--teacher-dense", metavar="SPEC",
                         help="bi-encoder of the mix's dense signal (training only), e.g. all-mpnet-base-v2")
    return parser


def run_train(args: argparse.Namespace) -> int:
    from core.training.recipes import run_training  # training code loads only when asked for

    logging.getLogger("core").setLevel(logging.INFO)
    config = TrainConfig(lists=args.lists, epochs=args.epochs, teacher_mix=args.teacher_mix,
                         tie_weight=args.tie_weight, backbone_lr=args.backbone_lr, head_lr=args.head_lr,
                         batch_lists=args.batch_lists, freeze_backbone=args.freeze_backbone,
                         query_bitfit=args.query_bitfit, pool_negatives=args.pool_negatives, seed=args.seed,
                         idf_prior=args.idf_prior,
                         sources=tuple(part.strip() for part in args.sources.split(",") if part.strip()))
    record = run_training(args.kind, args.out, config, args.quick, args.poly_codes, args.teacher,
                          args.lists_cache, args.teacher_dense)
    dev = record["history"]["dev_ndcg@10"]
    print(f"{args.kind}: loss {record['first_loss']:.4f} -> {record['last_loss']:.4f}; WikiQA dev nDCG@10 "
          f"{dev[0][1]:.4f} -> {dev[-1][1]:.4f} (bi-encoder {record['bi_encoder_dev_ndcg@10']:.4f}); "
          f"{record['wall_s']:.0f} s; saved to {args.out}")
    return 0


def format_table(comparison: Comparison) -> str:
    """A plain-text table: one row per ranker with metrics (or agreement) and latency."""
    columns = METRICS if comparison.has_qrels else AGREEMENT
    header = (f"{'ranker':<22} {'trained':<8}" + "".join(f"{c:>13}" for c in columns)
              + f"{'p50 ms':>10}{'p95 ms':>10}{'index s':>9}")
    lines = [header, "-" * len(header)]
    for result in comparison.results.values():
        values = result.metrics if comparison.has_qrels else result.agreement
        cells = "".join(f"{values[c]:>13.4f}" if not math.isnan(values.get(c, math.nan)) else f"{'-':>13}"
                        for c in columns)
        latency = result.latency_ms
        lines.append(f"{result.label:<22} {'yes' if result.trained else 'NO':<8}{cells}"
                     f"{latency['p50']:>10.1f}{latency['p95']:>10.1f}{result.index_s:>9.1f}")
    if "cross" in comparison.results:
        lines.append(f"cross-encoder pipeline: {comparison.results['cross'].pipeline}")
    if not comparison.has_qrels:
        lines.append(f"no relevance labels: agreement with {comparison.reference}, not accuracy")
    lines += [f"note: {note}" for note in comparison.dataset["notes"] + comparison.notes]
    return "\n".join(lines)


def run_compare(args: argparse.Namespace) -> int:
    config = ArenaConfig(rankers=args.rankers, k=args.k, rerank_depth=args.rerank_depth, first_stage=args.first_stage,
                         cross_full_corpus=args.cross_full_corpus, bi_model=args.bi_model,
                         poly_model=args.poly_model, cross_model=args.cross_model, poly_codes=args.poly_codes,
                         index_type=args.index, exclude_self=args.exclude_self, bi_backend=args.bi_backend)
    progress = StderrProgress()
    progress(f"loading {args.data}", 0.0)
    dataset = load_dataset(args.data, qrels_path=args.qrels, split=args.split,
                           text_field=args.text_field, title_field=args.title_field)
    if args.max_queries:
        dataset = first_queries(dataset, args.max_queries)
    if "cross" in config.rankers:
        pairs, seconds = estimate_cross_seconds(build_ranker("cross", config), dataset, config)
        progress(f"cross-encoder: {pairs:,} pairs to score, about {seconds:,.0f} s", 0.0)
    start = time.perf_counter()
    comparison = compare(dataset, config, progress)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "metrics.json").write_text(json.dumps(comparison.to_dict(), indent=2) + "\n")
    for name, result in comparison.results.items():
        write_trec_run(result.run, args.out / f"run_{name}.trec", name)
    if args.report:
        write_report(comparison, dataset, args.out / "report.html")
    print(format_table(comparison))
    print(f"wrote {args.out / 'metrics.json'} and run files in {time.perf_counter() - start:.1f} s", file=sys.stderr)
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
        if args.command == "devset":
            export_beir(load_dev_set(args.name), args.out)
            print(f"wrote {args.name} to {args.out}", file=sys.stderr)
            return 0
        return run_compare(args)
    except (DataError, ModelError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
