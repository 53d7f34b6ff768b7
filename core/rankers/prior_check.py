"""Whether a zero-shot model's IDF prior earns its place on a corpus, judged on pseudo-queries drawn from it.

The embedded poly- and cross-encoder weigh query tokens by `softmax(w · log idf)` (`core.models.idf`). On the development
sets that helps a little, but on a held-out entity-search set, whose queries are names, it ranked below the
bi-encoder the models start from. So before a zero-shot model ranks a corpus, its prior is put to a test on that
corpus alone: sentences (or word spans) taken out of documents (`core.data.pseudo_queries`) are searched for
among all the documents by the models' common start, the bi-encoder, once with its plain mean pooling and once
with the prior's weighting at the model's weight. The prior stays on only when it finds their own documents
better (MRR@10); otherwise the poly-encoder ranks that corpus as its start and the cross-encoder pools its query by
the plain mean (see their rankers), and the run says so.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

import numpy as np
import torch

from core.caches.embeddings import corpus_embeddings
from core.contestants.kinds import BI
from core.data.pseudo_queries import inverse_cloze
from core.models.idf import idf_pool
from core.models.loading import load_bi_encoder
from core.models.pair_scorer import PairScorer
from core.models.poly_encoder import PolyEncoder
from core.models.sources import EMBEDDED, model_fingerprint
from core.rankers.base import Progress
from core.rankers.bi_encoder import BiEncoderRanker
from core.types import Corpus, Dataset, Queries

PSEUDO_QUERIES = 200
"""Pseudo-queries drawn per corpus (fewer where fewer documents offer one); seeded, so a corpus always gets the same
test."""
SEED = 13
DEPTH = 10


@dataclass(frozen=True)
class PriorVerdict:
    """The test's outcome: MRR@10 of finding each pseudo-query's document with and without the prior."""

    with_prior: float
    without_prior: float
    queries: int

    @property
    def keep(self) -> bool:
        """The prior earns its place by finding the documents strictly better."""
        return self.with_prior > self.without_prior

    def note(self, label: str, instead: str) -> str:
        """What the test decided for the contestant `label`, for people; `instead` says how it ranks when the prior
        is off."""
        if not self.queries:
            return (f"{label}: IDF prior off for this corpus, {instead} (no document has two sentences or enough words "
                    "to test it on)")
        figures = (f"on {self.queries} sentences or spans drawn from this corpus, MRR@10 {self.with_prior:.3f} with "
                   f"it and {self.without_prior:.3f} without")
        return (f"{label}: IDF prior on ({figures})" if self.keep
                else f"{label}: IDF prior off for this corpus, {instead} ({figures})")


def zero_shot_prior(model: PolyEncoder | PairScorer, log_idf: torch.Tensor | None, corpus: Corpus,
                    progress: Progress) -> PriorVerdict | None:
    """The test's verdict on `corpus` for a zero-shot `model` with the IDF prior (`log_idf`: the corpus's, as the
    model counts it; its weight rounded to 0.01, so that models with nearly the same prior share one test); None for
    a model without the prior or fine-tuned on a dataset, whose prior stays as trained."""
    if log_idf is None or getattr(model.config, "fine_tuned_on", ""):
        return None
    return judge_prior(corpus, round(model.idf_weight.item(), 2), log_idf, progress)


def judge_prior(corpus: Corpus, weight: float, log_idf: torch.Tensor, progress: Progress) -> PriorVerdict:
    """Test the IDF prior at `weight` over the corpus's `log_idf` on `corpus`, computed once per corpus, weight and
    IDF table (and kept on disk beside the corpus embeddings)."""
    def compute() -> np.ndarray:
        backend = next(option.default for option in BI.options if option.name == "backend")
        documents = BiEncoderRanker(load_bi_encoder(EMBEDDED, backend), EMBEDDED, backend=backend)  # the app's
        bi = BiEncoderRanker(load_bi_encoder(), EMBEDDED)  # token outputs, for pooling queries both ways
        vectors = documents.encode_corpus(corpus, progress)
        progress("testing the IDF prior on sentences drawn from the corpus (once per corpus)", 0.0)
        return np.array(_mrr_with_and_without(bi, documents, corpus, vectors, weight, log_idf))

    table = hashlib.sha256(log_idf.numpy().tobytes()).hexdigest()[:16]
    with_prior, without_prior, queries = corpus_embeddings.get_or_compute(
        ("idf-prior-test", weight, table, PSEUDO_QUERIES, SEED), corpus.content_hash, compute,
        model_fingerprint(EMBEDDED))
    return PriorVerdict(float(with_prior), float(without_prior), int(queries))


def _mrr_with_and_without(bi: BiEncoderRanker, documents: BiEncoderRanker, corpus: Corpus, vectors: np.ndarray,
                          weight: float, log_idf: torch.Tensor) -> tuple[float, float, int]:
    try:
        pseudo = inverse_cloze(Dataset(corpus, Queries((), ()), None, corpus.source), PSEUDO_QUERIES,
                               random.Random(SEED))
    except ValueError:  # no document offers a pseudo-query: nothing to test on, and the prior stays off
        return 0.0, 0.0, 0
    sources = [corpus.position(next(iter(pseudo.qrels[query_id]))) for query_id in pseudo.queries.ids]
    rests = documents.encode_queries([pseudo.corpus.passage(corpus.ids[row]) for row in sources])
    reciprocal = {True: [], False: []}
    for prior, queries in ((False, bi.encode_queries(list(pseudo.queries.texts))),
                           (True, _idf_pooled(bi, list(pseudo.queries.texts), weight, log_idf))):
        for query, row, rest in zip(queries, sources, rests):
            scores = vectors @ query
            scores[row] = rest @ query  # the document without its sentence
            rank = 1 + int((scores > scores[row]).sum())
            reciprocal[prior].append(1.0 / rank if rank <= DEPTH else 0.0)
    return float(np.mean(reciprocal[True])), float(np.mean(reciprocal[False])), len(sources)


@torch.inference_mode()
def _idf_pooled(bi: BiEncoderRanker, texts: list[str], weight: float, log_idf: torch.Tensor) -> np.ndarray:
    """The bi-encoder's query vectors with its mean pooling replaced by the prior's weighting (normalised)."""
    model = bi.model
    features = model.preprocess(texts)
    states = model.forward(features)["token_embeddings"]
    pooled = idf_pool(states, weight * log_idf[features["input_ids"]], features["attention_mask"].bool())
    return torch.nn.functional.normalize(pooled, dim=-1).numpy()
