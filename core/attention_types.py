"""Plain containers for attention data: arrays plus token strings, no plotting, no torch.

- cross-encoder: per-layer, per-head self-attention over the concatenated pair (`PairAttention`);
- poly-encoder: code → query-token attention and document → code attention (`PolyAttention`);
- bi-encoder: query-token × document-token cosine matrix (`TokenSimilarity`); a bi-encoder has no
  attention between query and document at all, so this shows what its pooled vectors are made of.
Every ranker gives one of these through `Ranker.attention`. Attention weights are not explanations
(Jain & Wallace 2019; Wiegreffe & Pinter 2019).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PairAttention:
    """Self-attention over a concatenated (query, document) input.

    Attributes:
        tokens: Token strings of the whole input, query segment first.
        boundary: Index of the first document token; `tokens[:boundary]` is the query segment.
        weights: `[layers, heads, tokens, tokens]`, row = attending token, column = attended token.
        idf_weight: The exponent of the IDF prior pooling the query's outputs (None without the prior).
        trained: Whether the model was trained to let query and document attend to each other.
    """

    tokens: list[str]
    boundary: int
    weights: np.ndarray
    idf_weight: float | None = None
    trained: bool = True

    @property
    def query_to_document(self) -> np.ndarray:
        """`[layers, heads, query tokens, document tokens]`: how query tokens attend to the document."""
        return self.weights[:, :, : self.boundary, self.boundary:]


@dataclass(frozen=True)
class TokenSimilarity:
    """Cosine similarity of every query token output with every document token output.

    Attributes:
        matrix: `[query tokens, document tokens]`.
    """

    query_tokens: list[str]
    document_tokens: list[str]
    matrix: np.ndarray


@dataclass(frozen=True)
class PolyAttention:
    """Both attention steps of a poly-encoder for one (query, document) pair.

    Attributes:
        code_weights: `[m, query tokens]`, how each code spreads over the query's tokens.
        document_weights: `[m]`, how the document weighs the m query vectors.
        score: The pair's poly-encoder score.
        idf_weight: The learned weight of the IDF prior in the code attention (None without the prior).
        trained: Whether the codes were trained (untrained ones attend uniformly).
        ranks_as_start: It ranks this corpus as its start, the bi-encoder's mean pooling (its IDF prior failed the
            corpus's test): the weights are still its m codes', and `score` is what it ranks by.
    """

    query_tokens: list[str]
    code_weights: np.ndarray
    document_weights: np.ndarray
    score: float
    idf_weight: float | None = None
    trained: bool = True
    ranks_as_start: bool = False


Attention = PairAttention | PolyAttention | TokenSimilarity
"""What `Ranker.attention` returns."""
