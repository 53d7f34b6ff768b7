"""app_pages.views.attention, the Attention page's view-model: the query × document block of a cross-encoder's
attention (no Streamlit needed)."""

from __future__ import annotations

import numpy as np

from app_pages.views.attention import cross_attention_block
from core.attention_types import PairAttention


def test_the_cross_attention_block_is_query_rows_by_document_columns():
    weights = np.arange(2 * 3 * 5 * 5, dtype=float).reshape(2, 3, 5, 5)  # [layers, heads, tokens, tokens]
    attention = PairAttention(["[CLS]", "q", "[SEP]", "d1", "d2"], 3, weights)
    matrix, query_tokens, document_tokens = cross_attention_block(attention, 1, None)
    assert query_tokens == ["[CLS]", "q", "[SEP]"] and document_tokens == ["d1", "d2"]
    assert np.allclose(matrix, weights[1, :, :3, 3:].mean(axis=0))
    matrix, _, document_tokens = cross_attention_block(attention, 0, 2, max_document_tokens=1)
    assert matrix.shape == (3, 1) and document_tokens == ["d1"] and matrix[0, 0] == weights[0, 2, 0, 3]
