"""Choose among poly-encoders trained over the frozen packaged backbone, on queries the reported table never uses.

`python -m scripts.poly_selection MODEL [MODEL ...] [--sets cranfield,...] [--queries 50:200]`

Every such poly-encoder (and the bi-encoder) shares one set of document vectors: the packaged MiniLM's
mean-pooled, normalised outputs. They are computed once per dev set, so each model costs only its query
encodings. The selection queries are the judged queries from position 50 on (`--queries 50:200`), in the order
`core.data.first_queries` uses; the model cards' tables use the first 50, so selecting never sees them.
Models with the IDF prior get each set's own corpus IDF, as the ranker gives them at indexing. Document
vectors are kept in `--vectors-cache` between runs. Prints nDCG@10 (points) per set for the bi-encoder and
each model, and the change against bi.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

from core.data import load_dataset
from core.evaluate import evaluate
from core.models.backbone import PACKAGED_BACKBONE
from core.models.poly_encoder import PolyEncoder
from core.models.sources import backbone_path, read_arena_config
from core.rankers.base import top_k
from core.types import Dataset

DEV = Path("out/devsets")
DEPTH = 100


def selection_queries(dataset: Dataset, start: int, stop: int) -> tuple[list[str], list[str]]:
    """Ids and texts of the judged queries at positions `start:stop` (judged ones in file order)."""
    judged = [i for i, query_id in enumerate(dataset.queries.ids) if dataset.qrels.get(query_id)]
    chosen = judged[start:stop]
    return [dataset.queries.ids[i] for i in chosen], [dataset.queries.texts[i] for i in chosen]


@torch.inference_mode()
def ndcg(model: PolyEncoder, doc_vectors: torch.Tensor, dataset: Dataset, ids: list[str], texts: list[str]) -> float:
    log_idf = model.corpus_log_idf(dataset.corpus)
    run = {}
    for query_id, text in zip(ids, texts):
        scores = model.score(model.encode_context([text], log_idf), doc_vectors)[0][0].numpy()
        run[query_id] = top_k(dataset.corpus.ids, scores, DEPTH)
    qrels = {query_id: dataset.qrels[query_id] for query_id in ids}
    return 100 * evaluate(qrels, run, ("ndcg@10",))[0]["ndcg@10"]


@torch.inference_mode()
def document_vectors(model: PolyEncoder, dataset: Dataset, cache: Path, batch_size: int = 64) -> torch.Tensor:
    path = cache / f"{dataset.corpus.content_hash}.pt"
    if path.is_file():
        return torch.load(path)
    passages = dataset.corpus.passages()
    vectors = torch.cat([model.encode_candidates(passages[i:i + batch_size]) for i in range(0, len(passages), batch_size)])
    cache.mkdir(parents=True, exist_ok=True)
    torch.save(vectors, path)
    return vectors


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", type=Path)
    parser.add_argument("--sets", default="cranfield,nfcorpus-test,climate-fever,wikiqa-test")
    parser.add_argument("--queries", default="50:200", help="START:STOP over the judged queries")
    parser.add_argument("--vectors-cache", type=Path, default=Path("out/selection-vectors"))
    args = parser.parse_args(argv)
    start, stop = (int(part) for part in args.queries.split(":"))
    bi = PolyEncoder.from_backbone(backbone_path(), n_codes=1)  # zero codes: exactly the bi-encoder
    models = {str(path): PolyEncoder.load(path) for path in args.models}
    shared = [path for path in args.models if read_arena_config(path).get("backbone") != PACKAGED_BACKBONE]
    if shared:
        raise SystemExit(f"{shared[0]}: its documents are not the packaged MiniLM's vectors; use `core compare`")
    table: dict[str, dict[str, float]] = {"bi": {}, **{name: {} for name in models}}
    for name in args.sets.split(","):
        dataset = load_dataset(DEV / name)
        ids, texts = selection_queries(dataset, start, stop)
        vectors = document_vectors(bi, dataset, args.vectors_cache)
        table["bi"][name] = ndcg(bi, vectors, dataset, ids, texts)
        for model_name, model in models.items():
            table[model_name][name] = ndcg(model, vectors, dataset, ids, texts)
        print(f"{name}: {len(ids)} selection queries", file=sys.stderr)
    sets = args.sets.split(",")
    print("| model | " + " | ".join(sets) + " | mean Δ |")
    print("|---" * (len(sets) + 2) + "|")
    for model_name, row in table.items():
        deltas = [row[s] - table["bi"][s] for s in sets]
        cells = " | ".join(f"{row[s]:.2f}" + ("" if model_name == "bi" else f" ({d:+.2f})") for s, d in zip(sets, deltas))
        print(f"| {model_name} | {cells} | {np.mean(deltas):+.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
