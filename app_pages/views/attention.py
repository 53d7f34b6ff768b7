"""The Attention page's view-model: the documents worth looking at for a query, and the query × document block
of a cross-encoder's attention."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from core.attention_types import PairAttention
    from core.comparison.results import Comparison


def candidate_documents(comparison: Comparison, query_id: str, k: int = 10) -> list[str]:
    """Doc ids in any contestant's top-`k` for the query, the reference's (the most expensive) first."""
    names = sorted(comparison.results, key=lambda name: name != comparison.reference)
    return list(dict.fromkeys(d for name in names for d in list(comparison.results[name].run.get(query_id, {}))[:k]))


def cross_attention_block(attention: PairAttention, layer: int, head: int | None,
                          max_document_tokens: int | None = None) -> tuple[np.ndarray, list[str], list[str]]:
    """The query-token × document-token block of one layer, for one head or the mean over heads.

    Returns:
        (`[query tokens, document tokens]` weights, query tokens, document tokens).
    """
    block = attention.query_to_document[layer]  # [heads, query tokens, document tokens]
    matrix = block.mean(axis=0) if head is None else block[head]
    query_tokens = attention.tokens[: attention.boundary]
    document_tokens = attention.tokens[attention.boundary:]
    if max_document_tokens is not None:
        matrix, document_tokens = matrix[:, :max_document_tokens], document_tokens[:max_document_tokens]
    return matrix, query_tokens, document_tokens
