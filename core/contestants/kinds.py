"""Every kind of contestant, declared once: what specs may say about it, every other fact about it (`Kind`), and
which module implements it.

A declaration is cheap to import (no model library), so that specs are parsed and checked, and BM25's first
result shown, before torch and sentence-transformers have loaded; a kind's implementation module under
`core/rankers/` is imported when one of its contestants is first built or described (`core.rankers.build`).
Adding a kind is a declaration here and its ranker module, nothing else.
"""

from __future__ import annotations

from core.config import FAST_PAIR_BACKEND, PAIR_BACKENDS
from core.contestants.kind import Kind, Training
from core.contestants.spec import ContestantSpec, Option, SpecError, backend_option
from core.index import INDEX_TYPES

INDEX_OPTION = Option("index", str, "flat", "FAISS index: flat (exact), hnsw, ivf or ivf-sq8", INDEX_TYPES)
FUSION_METHODS = ("rrf", "wsum")
EARLY_LAYERS = 6
"""All of them: on wikiqa-test and cranfield fewer layers of the embedded model lose 0.34-0.53 and 0.26-0.29
nDCG@10 (benchmarks/results/cross_encoder_ideas.json), since its backbone was trained to embed at layer 6."""

BM25 = Kind(
    name="bm25", title="BM25", cost=0, implementation="core.rankers.bm25", has_model=False,
    summary="term-frequency statistics of shared words (bm25s, English stop words, Snowball stemming)",
    options=(Option("k1", float, 1.5, "term-frequency saturation", minimum=0),
             Option("b", float, 0.75, "length normalisation, 0 to 1", minimum=0)))

BI = Kind(
    name="bi", title="bi-encoder", cost=1, implementation="core.rankers.bi_encoder",
    summary="query and documents embedded separately; documents indexed once in FAISS; cosine similarity",
    options=(backend_option("onnx"), INDEX_OPTION), prebuilt_index=True, attention="tokens",
    training=Training("Bi-encoder (sentence-transformers' trainer, multiple negatives ranking loss)"),
    shorthand={"--bi-model": "model", "--bi-backend": "backend", "--index-type": "index"})

POLY = Kind(
    name="poly", title="poly-encoder", cost=2, implementation="core.rankers.poly_encoder",
    summary="m learned codes attend over the query's tokens; each cached document vector attends over those m "
            "vectors; dot product",
    options=(Option("codes", int, 16, "m, the number of codes of an untrained poly-encoder (a trained one keeps its "
                    "own)", minimum=1),),
    training=Training("Poly-encoder (16 codes): starts from that bi-encoder, distilled from that cross-encoder",
                      teacher="cross", starts_from="bi"),
    attention="codes", shorthand={"--poly-model": "model", "--poly-codes": "codes"})

CROSS = Kind(
    name="cross", title="cross-encoder", cost=4, implementation="core.rankers.cross_encoder",
    summary="query and document read together by one transformer: one forward pass per pair, so it re-ranks a "
            "first stage's shortlist",
    options=(backend_option(FAST_PAIR_BACKEND, PAIR_BACKENDS),), default_first="bi", scores_pairs=True,
    training=Training("Cross-encoder (joint module): starts as that bi-encoder, learns from the model it was "
                      "fine-tuned from", starts_from="bi"), attention="pair",
    shorthand={"--cross-model": "model", "--cross-backend": "backend", "--first-stage": "first",
               "--rerank-depth": "depth", "--cross-full-corpus": "first="})


def fusion_weights(spec: ContestantSpec) -> tuple[float, ...]:
    """The weights of a fusion's inputs (equal unless `weights` gives one per input).

    Raises:
        SpecError: Unless `of` names at least two distinct contestants, with one number each in `weights` if given.
    """
    names, raw = FUSION.inputs(spec), spec.option("weights", "")
    if len(names) < 2 or len(set(names)) < len(names):
        raise SpecError(f"contestant {spec.name!r}: fuse at least two different contestants (of=a+b)")
    if not raw:
        return tuple(1.0 / len(names) for _ in names)
    try:
        weights = tuple(float(part) for part in raw.split("+"))
    except ValueError:
        raise SpecError(f"contestant {spec.name!r}: weights={raw!r} must be numbers joined by '+'") from None
    if len(weights) != len(names):
        raise SpecError(f"contestant {spec.name!r}: {len(weights)} weights for {len(names)} fused contestants")
    return weights


def check_fusion(spec: ContestantSpec) -> None:
    """Raises SpecError unless `of` names at least two distinct contestants, with one weight each if given."""
    fusion_weights(spec)


FUSION = Kind(
    name="fusion", title="fusion", cost=3, implementation="core.rankers.fusion", has_model=False, reranks=False,
    summary="a hybrid: other contestants' runs fused by reciprocal rank fusion or a normalised weighted sum",
    options=(Option("of", str, "", "the contestants fused, joined by '+' (e.g. minilm+bm25)"),
             Option("method", str, "rrf", "rrf (reciprocal rank fusion, k = 60) or wsum (min-max normalised "
                    "weighted sum)", FUSION_METHODS),
             Option("weights", str, "", "wsum's weights joined by '+' (default: equal)")),
    inputs_option="of", check=check_fusion)

RUN_FILE = Kind(
    name="run", title="run file", cost=0, implementation="core.rankers.run_file", has_model=False, reranks=False,
    summary="a TREC run file (query Q0 doc rank score tag): your production system or a paper's released run",
    options=(Option("path", str, "", "the TREC run file"),))

EARLY_LAYER = Kind(
    name="early-layer", title="early-layer embedder", cost=1, implementation="core.rankers.early_layer",
    summary="a cross-encoder's first ℓ layers run on each text alone, mean-pooled: a bi-encoder at ℓ/L of the cost",
    options=(Option("layers", int, EARLY_LAYERS, "ℓ, how many of the cross-encoder's layers embed each text",
                    minimum=1),
             INDEX_OPTION),
    training=Training("Early-layer dual encoder: the cross-encoder's first 2 of 6 layers, distilled from it (about 3× "
                      "cheaper per text than the bi-encoder; from the zero-shot cross-encoder if the cross-encoder is "
                      "not ticked)", competes_as="bi", teacher="cross", untrained_teacher=True, ticked=False),
    attention="tokens")

ANNCUR = Kind(
    name="anncur", title="ANNCUR (cross-encoder kNN)", cost=3, implementation="core.rankers.anncur", reranks=False,
    summary="a cross-encoder's own nearest neighbours without a bi-encoder: scores against anchor queries are "
            "indexed once; a query scores a few anchor documents, approximates the rest (CUR), re-scores the best",
    options=(Option("anchors", int, 20, "k_q, pseudo-queries from the corpus scored against every document at "
                    "indexing (index cost: k_q × N cross-encoder calls)", minimum=1),
             Option("anchor_docs", int, 20, "k_i, anchor documents every query is scored against", minimum=1),
             Option("depth", int, 30, "documents re-scored exactly after the approximation", minimum=0)),
    scores_pairs=True)

KINDS = (BM25, BI, POLY, CROSS, FUSION, RUN_FILE, EARLY_LAYER, ANNCUR)

