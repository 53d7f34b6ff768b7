"""The project's own code paths on whatever accelerator is present (or on the CPU, to check them): what a GPU
buys for each kind, and what its precision costs in quality.

Rows: the bi-encoder encoding documents (docs/s), the joint cross-encoder scoring pairs at ~250 tokens (pairs/s,
tokenising included) and re-ranking 1,000 candidates of one query (ms), the poly-encoder scoring 1k / 100k / 1M
cached document vectors (ms per query), and, unless `--no-training`, an in-domain cross-encoder fine-tuned on
WikiQA's training split on the device (steps per minute, and test nDCG@10 of bi → tuned cross against the zero-shot
bi-encoder), through `python -m core train` and `compare` themselves. Each timing is the median of `--repeats`
after a warm-up. The precision check: nDCG@10 of the zero-shot re-ranker at the device's precision against float32.

    python -m benchmarks.gpu                                  # the accelerator present, the packaged weights
    python -m benchmarks.gpu --random-weights --no-training   # same-shaped models from the packaged configs
    python -m benchmarks.gpu --device cpu --quick --no-training   # the code paths checked on a CPU, small sizes

`--random-weights` builds MiniLM-shaped models from the packaged configuration and tokenizer with random weights,
for machines the weights cannot travel to: speed does not depend on the weights' values (quality rows are then
left out).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from benchmarks._machine import machine_record, markdown_table, report
from core.devices import PRECISION_ENV, device_title, precision_name, resolve_device
from core.models.loading import load_bi_encoder, load_cross_encoder
from core.models.placement import as_numpy, computing_on
from core.models.poly_encoder import PolyEncoder
from core.models.sources import EMBEDDED, backbone_path

WORDS = ["retrieval", "ranking", "passage", "encoder", "transformer", "attention", "query", "document", "relevance", "corpus", "vector", "index", "latency", "quality", "training", "negative", "teacher", "student", "layer", "token", "batch"]
PASSAGE_WORDS = 190  # about 246 word pieces with MiniLM's tokenizer
TRAINING_MINUTES = 3.0


def passages(count: int, words: int, seed: int = 0) -> list[str]:
    """Synthetic passages of `words` words (the speed of a transformer depends on lengths, not on the words)."""
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS, words)) for _ in range(count)]


def median_seconds(call: Callable[[], object], repeats: int, device: str) -> float:
    """The median wall time of `call` after one warm-up call, the device synchronised around each."""
    def timed() -> float:
        synchronise(device)
        start = time.perf_counter()
        call()
        synchronise(device)
        return time.perf_counter() - start

    timed()
    return statistics.median(timed() for _ in range(repeats))


def synchronise(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize(device)


def random_backbone(folder: Path) -> str:
    """A MiniLM-shaped transformer with random weights, saved in `folder` with the packaged tokenizer."""
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    torch.manual_seed(0)
    AutoModel.from_config(AutoConfig.from_pretrained(backbone_path())).save_pretrained(folder)
    AutoTokenizer.from_pretrained(backbone_path()).save_pretrained(folder)
    return str(folder)


def speed(device: str, model: str, sizes: dict[str, int], repeats: int) -> dict[str, float]:
    """Docs/s, pairs/s, the 1,000-candidate re-rank and poly scoring, each through the project's code."""
    texts = passages(sizes["documents"], PASSAGE_WORDS)
    bi = load_bi_encoder(model, "onnx" if device == "cpu" else "torch", device)
    encode = (lambda: as_numpy(bi.encode(texts, batch_size=512, normalize_embeddings=True, convert_to_tensor=True))
              ) if device != "cpu" else (lambda: bi.encode(texts, batch_size=64, normalize_embeddings=True))
    results = {"bi_docs_per_s": len(texts) / median_seconds(encode, repeats, device)}
    cross = load_cross_encoder(model, "torch", device)
    pairs = [("how do encoders rank passages", text) for text in texts[:sizes["pairs"]]]
    batch = 1024 if device != "cpu" else 32
    results["cross_pairs_per_s"] = len(pairs) / median_seconds(lambda: cross.predict(pairs, batch_size=batch),
                                                                repeats, device)
    candidates = [("how do encoders rank passages", text) for text in passages(sizes["rerank"], PASSAGE_WORDS, 1)]
    results["rerank_ms"] = 1000 * median_seconds(lambda: cross.predict(candidates, batch_size=batch), repeats, device)
    results["rerank_candidates"] = len(candidates)
    poly = PolyEncoder.from_backbone(model if model != EMBEDDED else backbone_path(), 16).to(device).eval()
    with torch.inference_mode(), computing_on(device):
        context = poly.encode_context(["how do encoders rank passages"]).float()
    for count in sizes["poly"]:
        vectors = torch.nn.functional.normalize(torch.randn(count, context.shape[-1], device=device), dim=-1)
        with torch.inference_mode():
            seconds = median_seconds(lambda vectors=vectors: poly.score(context, vectors), repeats, device)
        results[f"poly_{count}_ms"] = 1000 * seconds
    return results


def precision_check(device: str, queries: int) -> dict[str, float] | None:
    """nDCG@10 of bi → zero-shot cross on the lesson data at the device's precision and in float32 (None on a
    CPU, whose backends benchmarks/backends.py checks)."""
    if device == "cpu":
        return None
    from core.data import first_queries
    from core.data.samples import load_lesson
    from core.evaluate import evaluate

    data = first_queries(load_lesson()[0], queries)
    bi = load_bi_encoder(EMBEDDED, "torch", device)
    documents = as_numpy(bi.encode(data.corpus.passages(), batch_size=512, normalize_embeddings=True,
                                   convert_to_tensor=True))
    cross, found = load_cross_encoder(EMBEDDED, "torch", device), {}
    for label in ("device", "float32"):
        os.environ[PRECISION_ENV] = "float32" if label == "float32" else ""  # read at each forward pass
        run = {}
        for query_id, text in zip(data.queries.ids, data.queries.texts):
            query = as_numpy(bi.encode([text], normalize_embeddings=True, convert_to_tensor=True))[0]
            top = np.argsort(-(documents @ query))[:20]
            scores = cross.predict([(text, data.corpus.passage(data.corpus.ids[row])) for row in top])
            run[query_id] = {data.corpus.ids[row]: float(score) for row, score in zip(top, scores)}
        found[label] = evaluate(data.qrels, run, ("ndcg@10",))[0]["ndcg@10"]
    os.environ.pop(PRECISION_ENV)
    return {"ndcg@10": found["device"], "ndcg@10_float32": found["float32"],
            "difference": found["device"] - found["float32"]}


def training(device: str, minutes: float, folder: Path) -> dict[str, float]:
    """Fine-tune the cross-encoder on WikiQA's training split on `device` with `python -m core train`, then compare
    bi → tuned cross with the zero-shot bi-encoder on its test split with `python -m core compare`."""
    data, model, out = folder / "wikiqa", folder / "tuned", folder / "compared"
    run = [sys.executable, "-m", "core"]
    subprocess.run([*run, "devset", "wikiqa", "--out", str(data)], check=True)
    subprocess.run([*run, "train", "cross", "--data", str(data), "--out", str(model), "--minutes", str(minutes),
                    "--device", device], check=True)
    subprocess.run([*run, "compare", str(data), "--split", "test", "--out", str(out), "--device", device,
                    "--ranker", "name=bi,kind=bi", "--ranker", f"name=tuned,kind=cross,model={model},first=bi,depth=20"],
                   check=True)
    record = json.loads((model / "training.json").read_text())
    metrics = json.loads((out / "metrics.json").read_text())["rankers"]
    return {"minutes": minutes, "steps_per_minute": record.get("steps_per_minute"),
            "bi_ndcg@10": metrics["bi"]["metrics"]["ndcg@10"], "tuned_cross_ndcg@10": metrics["tuned"]["metrics"]["ndcg@10"]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto", help="auto (the accelerator present), cpu, cuda, cuda:N, mps")
    parser.add_argument("--random-weights", action="store_true", help="same-shaped models with random weights")
    parser.add_argument("--quick", action="store_true", help="small sizes: checks the code paths, measures little")
    parser.add_argument("--no-training", action="store_true", help="leave out the WikiQA fine-tuning run")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    device = resolve_device(args.device)
    machine = {**machine_record(), "device": device_title(device),
               "precision": precision_name(device)}
    sizes = ({"documents": 64, "pairs": 64, "rerank": 100, "poly": (1_000, 10_000)} if args.quick else
             {"documents": 20_000 if device != "cpu" else 500, "pairs": 20_000 if device != "cpu" else 500,
              "rerank": 1_000, "poly": (1_000, 100_000, 1_000_000)})
    with tempfile.TemporaryDirectory() as temporary:
        model = random_backbone(Path(temporary) / "random") if args.random_weights else EMBEDDED
        results: dict = {"speed": speed(device, model, sizes, args.repeats if not args.quick else 1)}
        if not args.random_weights:
            results["precision"] = precision_check(device, 20 if args.quick else 115)
            if not args.no_training:
                results["training"] = training(device, TRAINING_MINUTES, Path(temporary))
    found = results["speed"]
    rows = [["bi-encoder, encode documents (docs/s)", found["bi_docs_per_s"]],
            ["cross-encoder, pairs/s at ~250 tokens (tokenising included)", found["cross_pairs_per_s"]],
            [f"re-rank {found['rerank_candidates']:,} candidates of one query (ms)", found["rerank_ms"]],
            *([f"poly-16 scoring over {count:,} cached vectors (ms)", found[f"poly_{count}_ms"]]
              for count in sizes["poly"])]
    if results.get("precision"):
        precision = results["precision"]
        rows.append([f"nDCG@10 of bi → cross, {machine['precision']} − float32", precision["difference"]])
    if results.get("training"):
        tuned = results["training"]
        rows += [["training steps per minute (cross, WikiQA)", tuned["steps_per_minute"]],
                 [f"WikiQA test nDCG@10: bi → cross tuned {tuned['minutes']:g} min / zero-shot bi",
                  f"{tuned['tuned_cross_ndcg@10']:.3f} / {tuned['bi_ndcg@10']:.3f}"]]
    settings = {"device": device, "random_weights": args.random_weights, "quick": args.quick, "sizes": sizes,
                "repeats": args.repeats, "passage_words": PASSAGE_WORDS}
    report("gpu", machine, settings, results, {f"On {device_title(device)}": markdown_table(["work", "measured"],
                                                                                            rows)})


if __name__ == "__main__":
    main()
