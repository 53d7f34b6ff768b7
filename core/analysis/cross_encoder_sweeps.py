"""Sweeps of a cross-encoder's two cheaper uses: its first ℓ layers as an embedder, and ANNCUR's budget.

`layer_sweep` ranks with the early-layer embedder for every ℓ = 1..L and times its encoding per document
beside the full cross-encoder's cost per pair. `calls_sweep` compares, at equal numbers of cross-encoder
calls per query, ANNCUR against re-ranking the shortlist of each given first stage. Both return tidy
frames for `core.present.figures`; scores of (query, document) pairs are computed once per sweep (`MemoScorer`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial

import numpy as np
import pandas as pd
import torch

from core.evaluate import evaluate
from core.models.early_layers import EarlyLayerEncoder, layer_count, transformer_of
from core.models.pair_scorer import PairScorer
from core.rankers.anncur import AnncurRanker
from core.rankers.base import Progress, Ranker, no_progress
from core.rankers.cross_encoder import CrossEncoderRanker
from core.rankers.early_layer import EarlyLayerRanker
from core.timing import fastest_ms, wall_ms
from core.types import Corpus, Dataset, Run

SWEEP_METRICS = ("ndcg@10", "recall@10")
PROBE_DOCUMENTS = 32
"""Documents encoded (or pairs scored) per timed call when pricing one document."""


class MemoScorer:
    """A pair scorer that scores each (query, document) pair once and answers repeats from memory."""

    def __init__(self, scorer: PairScorer) -> None:
        self.scorer, self.trained, self.kept_start, self.scores = scorer, scorer.trained, scorer.kept_start, {}

    def corpus_log_idf(self, corpus: Corpus) -> torch.Tensor | None:
        return self.scorer.corpus_log_idf(corpus)

    def predict(self, pairs: Sequence[tuple[str, str]], batch_size: int = 32,
                log_idf: torch.Tensor | None = None) -> np.ndarray:
        missing = list(dict.fromkeys(pair for pair in pairs if pair not in self.scores))
        if missing:
            self.scores.update(zip(missing, self.scorer.predict(missing, batch_size, log_idf).tolist()))
        return np.array([self.scores[pair] for pair in pairs], dtype=np.float32)

    def attention(self, query: str, document: str):
        return self.scorer.attention(query, document)


def _quality(dataset: Dataset, run: Run) -> dict[str, float]:
    return evaluate(dataset.qrels, run, SWEEP_METRICS)[0] if dataset.qrels else {}


def layer_sweep(dataset: Dataset, scorer: PairScorer, model_name: str, layers: Sequence[int] | None = None,
                progress: Progress = no_progress) -> pd.DataFrame:
    """nDCG@10 and Recall@10 of the early-layer embedder for each ℓ, with its encoding cost per document.

    The last row prices the full cross-encoder on the same documents: ms per (query, document) pair.

    Returns:
        Columns layers (None for the cross-encoder row), what, ndcg@10, recall@10, ms_per_document.
    """
    tokenizer, transformer, max_length = transformer_of(scorer)
    chosen = list(layers or range(1, layer_count(transformer) + 1))
    probe = dataset.corpus.passages()[:PROBE_DOCUMENTS]
    rows = []
    for step, ell in enumerate(chosen):
        encoder = EarlyLayerEncoder(tokenizer, transformer, ell, max_length)
        ranker = EarlyLayerRanker(encoder, model_name)
        ranker.index(dataset.corpus, lambda message, fraction, step=step: progress(message, (step + fraction / 2) / len(chosen)))
        run = ranker.search(dataset.queries, 10)
        encoder.encode(probe)  # warm-up
        ms = fastest_ms(partial(wall_ms, partial(encoder.encode, probe)), repeats=5) / len(probe)
        rows.append({"layers": ell, "what": f"first {ell} of {layer_count(transformer)} layers",
                     **_quality(dataset, run), "ms_per_document": ms})
        progress(f"early layers: ℓ = {ell} done", (step + 1) / len(chosen))
    pairs = [(dataset.queries.texts[0], passage) for passage in probe]
    log_idf = scorer.corpus_log_idf(dataset.corpus)
    scorer.predict(pairs[:4], log_idf=log_idf)  # warm-up
    ms = fastest_ms(partial(wall_ms, partial(scorer.predict, pairs, log_idf=log_idf)), repeats=3) / len(pairs)
    rows.append({"layers": None, "what": "cross-encoder (per pair)", "ms_per_document": ms})
    return pd.DataFrame(rows)


def calls_sweep(dataset: Dataset, scorer: PairScorer, model_name: str, first_stages: Mapping[str, Ranker],
                budgets: Sequence[int], anchors: int, progress: Progress = no_progress) -> pd.DataFrame:
    """At each budget of cross-encoder calls per query: ANNCUR (half the budget on anchor documents, half
    re-scored) against each indexed first stage whose top-`budget` the cross-encoder re-ranks.

    Returns:
        Columns method, budget, calls (measured per query), ndcg@10, recall@10; `attrs["index_calls"]` holds
        ANNCUR's indexing cost (anchors × N calls).
    """
    memo = MemoScorer(scorer)
    exact = CrossEncoderRanker(memo, model_name)
    exact.index(dataset.corpus)
    shortlists = {name: stage.search(dataset.queries, max(budgets)) for name, stage in first_stages.items()}
    rows = []
    for step, budget in enumerate(sorted(budgets)):
        anncur = AnncurRanker(memo, model_name, anchors, anchor_docs=max(1, budget // 2), depth=budget - budget // 2)
        anncur.index(dataset.corpus)  # the anchor matrix is computed once and cached for the other budgets
        rows.append({"method": "ANNCUR", "budget": budget, "calls": anncur.calls_per_query,
                     **_quality(dataset, anncur.search(dataset.queries, 10))})
        for name, shortlist in shortlists.items():
            cut = {q: list(docs)[:budget] for q, docs in shortlist.items()}
            run = exact.search(dataset.queries, 10, {q: dict.fromkeys(docs, 0.0) for q, docs in cut.items()})
            rows.append({"method": f"{name} → cross", "budget": budget,
                         "calls": float(np.mean([len(docs) for docs in cut.values()])), **_quality(dataset, run)})
        progress(f"budget {budget} done", (step + 1) / len(budgets))
    frame = pd.DataFrame(rows)
    frame.attrs["index_calls"] = min(anchors, len(dataset.corpus)) * len(dataset.corpus)
    return frame
