"""Whether a zero-shot model's IDF prior earns its place on a corpus, judged on pseudo-queries drawn from it.

The embedded poly- and cross-encoder weigh query tokens by `softmax(w · log idf)` (`core.models.idf`). On the development
sets that helps a little, but on a held-out entity-search set, whose queries are names, it ranked below the
bi-encoder the models start from. So before a zero-shot model ranks a corpus, its prior is put to a test on that
corpus alone: pseudo-queries taken out of documents (`core.data.pseudo_queries`), shaped like the queries loaded
with it where they are known (as long, and titles or short spans where those are names or titles, sentences where
they are questions or claims), are searched for among all the documents by the models' common start, the
bi-encoder, once with its plain mean pooling and once with the prior's weighting at the model's weight. The prior
stays on unless it finds their own documents worse (MRR@10) beyond the test's own noise: a paired bootstrap over the
pseudo-queries of the difference in reciprocal rank, whose 95 % interval must lie below 0 to switch it off; a tie
keeps it. When it is off, the poly-encoder ranks that corpus as its start and the cross-encoder pools its query by
the plain mean (see their rankers), and the run says so.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from core.caches.embeddings import corpus_embeddings
from core.contestants.kinds import BI
from core.data.pseudo_queries import QueryShape, kinds_in_words, pseudo_queries
from core.models.idf import idf_pool
from core.models.loading import load_bi_encoder
from core.models.pair_scorer import PairScorer
from core.models.poly_encoder import PolyEncoder
from core.models.sources import EMBEDDED, model_fingerprint
from core.rankers.base import Progress
from core.rankers.bi_encoder import BiEncoderRanker
from core.types import Corpus

PSEUDO_QUERIES = 200
"""Pseudo-queries drawn per corpus (fewer where fewer documents offer one); seeded, so a corpus always gets the same
test."""
SEED = 13
DEPTH = 10
BOOTSTRAP = 2000
"""Resamples of the pseudo-queries in the paired bootstrap (seeded with `SEED`)."""
CONFIDENCE = 0.95
"""The bootstrap interval's coverage: the prior is switched off when the whole interval lies below 0."""
KINDS = ("sentence", "span", "title")
"""A pseudo-query's kind, stored by its position here beside its reciprocal ranks."""


@dataclass(frozen=True)
class PriorVerdict:
    """The test's outcome: MRR@10 of finding each pseudo-query's document with and without the prior.

    Attributes:
        with_prior: MRR@10 with the prior's weighting.
        without_prior: MRR@10 with plain mean pooling.
        queries: Pseudo-queries tested on (0: no document offered one, and the prior is off).
        low: The lower end of the paired bootstrap's interval for the difference, with − without.
        high: Its upper end.
        drawn: What the pseudo-queries were, in words ("titles or name-like spans", "sentences", ...).
        median_words: Their median length in words.
    """

    with_prior: float
    without_prior: float
    queries: int
    low: float = 0.0
    high: float = 0.0
    drawn: str = "pseudo-queries"
    median_words: int = 0

    @property
    def keep(self) -> bool:
        """The prior stays on unless it is worse beyond the test's noise (the whole interval below 0): a tie keeps
        it. With nothing to test on, it is off."""
        return self.queries > 0 and self.high >= 0.0

    def note(self, label: str, instead: str) -> str:
        """What the test decided for the contestant `label`, for people; `instead` says how it ranks when the prior
        is off."""
        if not self.queries:
            return (f"{label}: IDF prior off for this corpus, {instead} (no document has two sentences or enough words "
                    "to test it on)")
        figures = (f"tested on {self.queries} {self.drawn} from this corpus, median {self.median_words} words: MRR@10 "
                   f"{self.with_prior:.3f} with it, {self.without_prior:.3f} without; "
                   f"{'no worse' if self.keep else 'worse'} beyond the test's noise (the difference's "
                   f"{CONFIDENCE:.0%} interval: {self.low:+.3f} to {self.high:+.3f})")
        return (f"{label}: IDF prior on ({figures})" if self.keep
                else f"{label}: IDF prior off for this corpus, {instead} ({figures})")


def decide(with_prior: Sequence[float], without_prior: Sequence[float], drawn: str = "pseudo-queries",
           median_words: int = 0) -> PriorVerdict:
    """The verdict on each pseudo-query's reciprocal rank with and without the prior (the same queries, in the same
    order): their means, and the `CONFIDENCE` interval of the mean difference from a paired bootstrap (`BOOTSTRAP`
    resamples of the queries, seeded)."""
    ranks_with, ranks_without = np.asarray(with_prior, dtype=float), np.asarray(without_prior, dtype=float)
    if ranks_with.shape != ranks_without.shape:
        raise ValueError(f"{len(ranks_with)} reciprocal ranks with the prior but {len(ranks_without)} without")
    if not len(ranks_with):
        return PriorVerdict(0.0, 0.0, 0, drawn=drawn, median_words=median_words)
    differences = ranks_with - ranks_without
    resamples = np.random.default_rng(SEED).integers(0, len(differences), (BOOTSTRAP, len(differences)))
    low, high = np.quantile(differences[resamples].mean(axis=1), [(1 - CONFIDENCE) / 2, (1 + CONFIDENCE) / 2])
    return PriorVerdict(float(ranks_with.mean()), float(ranks_without.mean()), len(differences), float(low),
                        float(high), drawn, median_words)


def zero_shot_prior(model: PolyEncoder | PairScorer, log_idf: torch.Tensor | None, corpus: Corpus,
                    progress: Progress, shape: QueryShape | None = None) -> PriorVerdict | None:
    """The test's verdict on `corpus` for a zero-shot `model` with the IDF prior (`log_idf`: the corpus's, as the
    model counts it; its weight rounded to 0.01, so that models with nearly the same prior share one test), on
    pseudo-queries shaped like `shape` (None: sentences or spans, as for a corpus whose queries are unknown); None
    for a model without the prior or fine-tuned on a dataset, whose prior stays as trained (one whose fine-tuning
    kept the untrained start is tested as that start)."""
    if log_idf is None:  # a model without the prior (a sentence-transformers cross-encoder has no config either)
        return None
    if getattr(model.config, "fine_tuned_on", "") and not getattr(model.config, "kept_start", False):
        return None
    return judge_prior(corpus, round(model.idf_weight.item(), 2), log_idf, progress, shape)


def judge_prior(corpus: Corpus, weight: float, log_idf: torch.Tensor, progress: Progress,
                shape: QueryShape | None = None) -> PriorVerdict:
    """Test the IDF prior at `weight` over the corpus's `log_idf` on `corpus` with pseudo-queries shaped like
    `shape`; the reciprocal ranks are computed once per corpus, weight, IDF table and shape (and kept on disk beside
    the corpus embeddings), so that different shapes never share a verdict."""
    def compute() -> np.ndarray:
        backend = next(option.default for option in BI.options if option.name == "backend")
        documents = BiEncoderRanker(load_bi_encoder(EMBEDDED, backend), EMBEDDED, backend=backend)  # the app's
        bi = BiEncoderRanker(load_bi_encoder(), EMBEDDED)  # token outputs, for pooling queries both ways
        vectors = documents.encode_corpus(corpus, progress)
        progress("testing the IDF prior on pseudo-queries drawn from the corpus (once per corpus)", 0.0)
        return _reciprocal_ranks(bi, documents, corpus, vectors, weight, log_idf, shape)

    table = hashlib.sha256(log_idf.numpy().tobytes()).hexdigest()[:16]
    ranks_with, ranks_without, kinds, lengths = corpus_embeddings.get_or_compute(
        ("idf-prior-ranks", weight, table, PSEUDO_QUERIES, SEED, shape), corpus.content_hash, compute,
        model_fingerprint(EMBEDDED))
    drawn = kinds_in_words({KINDS[int(kind)] for kind in kinds}, None if shape is None else shape.form)
    return decide(ranks_with, ranks_without, drawn, int(np.median(lengths)) if len(lengths) else 0)


def _reciprocal_ranks(bi: BiEncoderRanker, documents: BiEncoderRanker, corpus: Corpus, vectors: np.ndarray,
                      weight: float, log_idf: torch.Tensor, shape: QueryShape | None) -> np.ndarray:
    """Rows: each pseudo-query's reciprocal rank (0 below `DEPTH`) with the prior and without, its kind (an index
    of `KINDS`) and its length in words; no columns when no document offers a pseudo-query."""
    drawn = pseudo_queries(corpus, PSEUDO_QUERIES, random.Random(SEED), shape)
    if not drawn:  # nothing to test on, and the prior stays off
        return np.zeros((4, 0))
    texts = [query.text for query in drawn]
    rests = documents.encode_queries([query.document for query in drawn])
    reciprocal: dict[bool, list[float]] = {True: [], False: []}
    for prior, encoded in ((False, bi.encode_queries(texts)), (True, _idf_pooled(bi, texts, weight, log_idf))):
        for vector, query, rest in zip(encoded, drawn, rests):
            scores = vectors @ vector
            scores[query.row] = rest @ vector  # the document without its pseudo-query
            rank = 1 + int((scores > scores[query.row]).sum())
            reciprocal[prior].append(1.0 / rank if rank <= DEPTH else 0.0)
    return np.array([reciprocal[True], reciprocal[False], [KINDS.index(query.kind) for query in drawn],
                     [len(text.split()) for text in texts]])


@torch.inference_mode()
def _idf_pooled(bi: BiEncoderRanker, texts: list[str], weight: float, log_idf: torch.Tensor) -> np.ndarray:
    """The bi-encoder's query vectors with its mean pooling replaced by the prior's weighting (normalised)."""
    model = bi.model
    features = model.preprocess(texts)
    states = model.forward(features)["token_embeddings"]
    pooled = idf_pool(states, weight * log_idf[features["input_ids"]], features["attention_mask"].bool())
    return torch.nn.functional.normalize(pooled, dim=-1).numpy()
