"""Attention data for the app's attention views: plain arrays plus token strings, no plotting.

- cross-encoder: per-layer, per-head self-attention over the concatenated pair (`PairAttention`);
- poly-encoder: code → query-token attention and document → code attention (`PolyAttention`);
- bi-encoder: query-token × document-token cosine matrix (`TokenSimilarity`); a bi-encoder has no
  attention between query and document at all, so this shows what its pooled vectors are made of.
Attention weights are not explanations (Jain & Wallace 2019; Wiegreffe & Pinter 2019).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from sentence_transformers import SentenceTransformer

from core.attention_types import PairAttention
from core.data import Corpus
from core.rankers.cross_encoder import PairScorer
from core.rankers.poly_encoder import PolyEncoder

__all__ = ["PairAttention", "PolyAttention", "TokenSimilarity", "bi_token_similarity", "cross_attention",
           "poly_attention"]


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
    """

    query_tokens: list[str]
    code_weights: np.ndarray
    document_weights: np.ndarray
    score: float


def _tokens(tokenizer, text: str, max_length: int) -> list[str]:
    ids = tokenizer(text, truncation=True, max_length=max_length)["input_ids"]
    return tokenizer.convert_ids_to_tokens(ids)


def bi_token_similarity(model: SentenceTransformer, query: str, document: str) -> TokenSimilarity:
    """Token-level cosine matrix of a bi-encoder's (separate) query and document encodings."""
    query_states, document_states = model.encode([query, document], output_value="token_embeddings",
                                                 convert_to_numpy=False, show_progress_bar=False)
    matrix = F.normalize(query_states, dim=-1) @ F.normalize(document_states, dim=-1).T
    return TokenSimilarity(_tokens(model.tokenizer, query, model.max_seq_length),
                           _tokens(model.tokenizer, document, model.max_seq_length), matrix.numpy())


@torch.inference_mode()
def poly_attention(model: PolyEncoder, query: str, document: str, corpus: Corpus | None = None) -> PolyAttention:
    """Code→query-token and document→code attention of a poly-encoder; a model with the IDF prior weighs
    the query's tokens by their IDF in `corpus` (default: its training corpus's)."""
    context, code_weights = model.attend_query([query], None if corpus is None else model.corpus_log_idf(corpus))
    scores, document_weights = model.score(context, model.encode_candidates([document]))
    return PolyAttention(_tokens(model.tokenizer, query, model.config.max_length), code_weights[0].numpy(),
                         document_weights[0, 0].numpy(), float(scores[0, 0]))


def cross_attention(scorer: PairScorer, query: str, document: str) -> PairAttention:
    """Per-layer, per-head attention of a cross-encoder over the concatenated pair."""
    return scorer.attention(query, document)
