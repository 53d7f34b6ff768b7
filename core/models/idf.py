"""Inverse document frequency over WordPiece tokens, for the learned IDF prior on query pooling.

Both the poly-encoder (on its code attention) and the joint cross-encoder (on its query segment's pooling)
can add `idf_weight · log idf(token)` to the logits with which they weigh query tokens, so that rare,
specific words count more than "what" or "the". The IDF is the corpus being ranked's, counted once when it
is indexed (as BM25's is), and cached per corpus content.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from transformers import PreTrainedTokenizerBase

from core.caches.embeddings import corpus_embeddings
from core.types import Corpus

IDF_WEIGHT_INIT = 0.6
"""Where a trained IDF prior's weight starts: query token weights ∝ idf^0.6, about the best fixed exponent on
held-apart dev queries (docs/poly-encoder-trials.md)."""


def token_log_idf(tokenizer: PreTrainedTokenizerBase, texts: Sequence[str], max_length: int = 256,
                  batch_size: int = 512) -> torch.Tensor:
    """`log idf` per vocabulary id `[vocab]` over `texts`, with idf = ln((N + 1) / (df + 0.5)) and df the
    number of texts holding the token (a token never seen gets the largest idf); special tokens get 0."""
    counts = np.zeros(len(tokenizer), dtype=np.int64)
    for start in range(0, len(texts), batch_size):
        for ids in tokenizer(list(texts[start:start + batch_size]), truncation=True, max_length=max_length)["input_ids"]:
            counts[np.unique(ids)] += 1
    log_idf = np.log(np.log((len(texts) + 1) / (counts + 0.5)))
    log_idf[tokenizer.all_special_ids] = 0.0
    return torch.from_numpy(log_idf).float()


def corpus_log_idf(tokenizer: PreTrainedTokenizerBase, corpus: Corpus, max_length: int) -> torch.Tensor:
    """`token_log_idf` over `corpus`, counted once per corpus content, tokenizer and length."""
    log_idf = corpus_embeddings.get_or_compute(
        ("token-log-idf", tokenizer.name_or_path, max_length), corpus.content_hash,
        lambda: token_log_idf(tokenizer, corpus.passages(), max_length).numpy())
    return torch.from_numpy(log_idf.copy())


def idf_logits(weight: torch.Tensor, fallback_log_idf: torch.Tensor, input_ids: torch.Tensor,
               log_idf: torch.Tensor | None = None) -> torch.Tensor:
    """The prior's logits `weight · log idf` for `input_ids` (any shape) under a corpus's `log_idf`, or
    under `fallback_log_idf` (the training passages', stored with the model) without one."""
    return weight * (fallback_log_idf if log_idf is None else log_idf)[input_ids]


def idf_pool(states: torch.Tensor, logits: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """Token outputs `states` `[batch, tokens, dim]` pooled by `softmax(logits)` over the tokens where `keep`
    (`[batch, tokens]`, bool): the query vector the IDF prior gives `[batch, dim]`."""
    weights = logits.masked_fill(~keep, torch.finfo(logits.dtype).min).softmax(-1)
    return (weights.unsqueeze(-1) * states).sum(1)
