"""Early-layer embedder: a cross-encoder's first ℓ layers, run on each text alone, as a bi-encoder.

Queries and documents are embedded separately (`core.models.early_layers.EarlyLayerEncoder`, mean-pooled
layer ℓ) and documents indexed once in FAISS, exactly as the bi-encoder does; a document costs ℓ/L of a
full pass of the cross-encoder's transformer. With the embedded cross-encoder (gate and IDF prior over the
packaged MiniLM) all six layers give the bi-encoder itself; fewer layers trade quality for speed.
"""

from __future__ import annotations

import torch.nn.functional as F

from core.attention_types import TokenSimilarity
from core.contestants.spec import ContestantSpec, SpecError
from core.devices import precision_key
from core.models.backbone import token_strings
from core.models.early_layers import EarlyLayerEncoder, transformer_of
from core.models.loading import load_cross_encoder
from core.models.placement import as_numpy
from core.models.sources import (
    EMBEDDED_CROSS_DIR,
    check_model,
    checkpoint_name,
    model_fingerprint,
    model_title,
    saved_module,
)
from core.rankers.bi_encoder import BiEncoderRanker
from core.rankers.build import BuildContext


class EarlyLayerRanker(BiEncoderRanker):
    """A bi-encoder ranker over an `EarlyLayerEncoder`; its embeddings are cached per (model, ℓ)."""

    kind = "early-layer"

    def __init__(self, encoder: EarlyLayerEncoder, model_name: str, index_type: str = "flat") -> None:
        super().__init__(encoder, model_name, index_type, name="early-layer", device=encoder.device)
        self.embedding_key = (self.kind, model_name, encoder.layers, precision_key(encoder.device))
        self.fingerprint = model_fingerprint(model_name, EMBEDDED_CROSS_DIR)

    def attention(self, query: str, document: str) -> TokenSimilarity:
        """Cosine of each query token with each document token at layer ℓ (encoded apart)."""
        encoder = self.model
        query_states, document_states = (encoder.token_states([text])[0][0] for text in (query, document))
        matrix = F.normalize(query_states, dim=-1) @ F.normalize(document_states, dim=-1).T
        return TokenSimilarity(token_strings(encoder.tokenizer, query, encoder.max_seq_length),
                               token_strings(encoder.tokenizer, document, encoder.max_seq_length), as_numpy(matrix))


def build(spec: ContestantSpec, context: BuildContext) -> EarlyLayerRanker:
    check_model(spec.model, context.policy)
    try:
        tokenizer, transformer, max_length = transformer_of(load_cross_encoder(spec.model, device=context.device))
        encoder = EarlyLayerEncoder(tokenizer, transformer, spec.option("layers"), max_length)
    except ValueError as error:
        raise SpecError(f"contestant {spec.name!r}: {error}") from None
    return EarlyLayerRanker(encoder, spec.model, spec.option("index"))


def describe_model(spec: ContestantSpec) -> str:
    saved = saved_module(spec.model, EMBEDDED_CROSS_DIR)
    source = f"Arena joint cross-encoder{checkpoint_name(saved[0])}" if saved else model_title(spec.model)
    return f"first {spec.option('layers')} layers of {source}"
