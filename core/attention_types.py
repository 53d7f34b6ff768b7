"""Plain containers for attention data: arrays plus token strings, no plotting."""

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
    """

    tokens: list[str]
    boundary: int
    weights: np.ndarray

    @property
    def query_to_document(self) -> np.ndarray:
        """`[layers, heads, query tokens, document tokens]`: how query tokens attend to the document."""
        return self.weights[:, :, : self.boundary, self.boundary:]
