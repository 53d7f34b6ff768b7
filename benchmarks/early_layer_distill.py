"""A small dual encoder distilled from a cross-encoder's first ℓ layers, measured on the development sets that have
a training split.

For each set: export it from ../shared/data, distil (`python -m core train early-layer`: the embedded zero-shot
cross-encoder teaches a copy of its own first ℓ layers on the training split, within `--minutes`), then compare on
the test split's first `--queries` queries the full bi-encoder (all six layers of the same MiniLM), the first ℓ
layers undistilled, the distilled student, and the teacher re-ranking the bi-encoder's top `--depth`; and time
the encoding of a document (warm-up, fastest of 5, torch, this machine's threads) by the student and by the full
model, side by side.

    python -m benchmarks.early_layer_distill                  # wikiqa and nfcorpus, ℓ = 2, 8 min each: ~35 min
    python -m benchmarks.early_layer_distill --sets wikiqa --minutes 2 --queries 30
"""

from __future__ import annotations

import argparse
from functools import partial
from pathlib import Path

from benchmarks._machine import machine_record, markdown_table, report
from core.comparison.compare import compare
from core.contestants.registry import comparison, contestant
from core.data import first_queries, load_dataset
from core.data.devsets import SPLIT_SETS, export_dev_set
from core.models.loading import load_bi_encoder
from core.models.sources import EMBEDDED
from core.timing import fastest_ms, wall_ms
from core.training.in_domain import fine_tune

WORK = Path("out") / "early-layer-distill"
PROBE_DOCUMENTS = 64


def contestants(student: Path, layers: int, depth: int):
    """The full bi-encoder, the undistilled first ℓ layers, the student, and the teacher re-ranking bi."""
    return comparison([
        contestant({"name": "bi-encoder (6 layers)", "kind": "bi"}),
        contestant({"name": f"first {layers} layers (undistilled)", "kind": "early-layer", "layers": layers}),
        contestant({"name": f"first {layers} layers (distilled)", "kind": "bi", "model": str(student)}),
        contestant({"name": "cross-encoder (teacher) re-ranking bi", "kind": "cross",
                    "first": "bi-encoder (6 layers)", "depth": depth}),
    ], k=10)


def ms_per_document(model_spec: str, passages: list[str]) -> float:
    """Encoding cost of one document by a sentence-transformers model on torch: warm-up, then fastest of 5."""
    model = load_bi_encoder(model_spec, backend="torch")
    model.encode(passages[:8])
    return fastest_ms(partial(wall_ms, partial(model.encode, passages, batch_size=32)), repeats=5) / len(passages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", nargs="+", default=sorted(SPLIT_SETS), choices=sorted(SPLIT_SETS))
    parser.add_argument("--layers", type=int, default=2, help="ℓ, the teacher's layers the student keeps")
    parser.add_argument("--minutes", type=float, default=8.0, help="training budget per set")
    parser.add_argument("--queries", type=int, default=100, help="test queries compared")
    parser.add_argument("--depth", type=int, default=20, help="shortlist the teacher re-ranks")
    parser.add_argument("--reuse", action="store_true", help="keep a student already trained in out/ by this script")
    args = parser.parse_args()
    machine = machine_record()
    results, tables = {}, {}
    for name in args.sets:
        data, student = WORK / name, WORK / f"{name}-first-{args.layers}-layers-distilled"
        if not (data / "corpus.jsonl").is_file():
            export_dev_set(name, data)
        if not (args.reuse and (student / "training.json").is_file()):
            fine_tune("early-layer", data, student, args.minutes, EMBEDDED, layers=args.layers)
        test = first_queries(load_dataset(data, split="test"), args.queries)
        spec = contestants(student, args.layers, args.depth)
        outcome = compare(test, spec)
        probe = test.corpus.passages()[:PROBE_DOCUMENTS]
        full_ms, student_ms = ms_per_document(EMBEDDED, probe), ms_per_document(str(student), probe)
        rows = [{"contestant": entry.name, **outcome.results[entry.name].metrics} for entry in spec.contestants]
        results[name] = {"rows": rows, "ms_per_document": {"full": full_ms, "student": student_ms},
                         "speed_up": full_ms / student_ms, "test_queries": len(test.queries),
                         "documents": len(test.corpus)}
        tables[f"{name}: test split, {len(test.queries)} queries over {len(test.corpus):,} documents; encoding "
               f"{full_ms:.2f} ms per document (6 layers) vs {student_ms:.2f} ms (student): "
               f"{full_ms / student_ms:.1f}× faster"] = markdown_table(
            ["contestant", "nDCG@10", "MRR@10", "Recall@100"],
            [[row["contestant"], row.get("ndcg@10"), row.get("mrr@10"), row.get("recall@100")] for row in rows])
    settings = {**vars(args), "teacher": "embedded (Arena joint cross-encoder, zero-shot)",
                "timing": "torch, batch 32, fastest of 5 after a warm-up, per document of the test corpus's first 64"}
    report("early_layer_distill", machine, settings, results, tables)


if __name__ == "__main__":
    main()
