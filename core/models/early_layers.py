"""A cross-encoder's first layers as a text embedder: one text in, the mean of its ℓ-th layer's token states out.

A cross-encoder is trained on (query, document) pairs, yet its early layers, run on a single text, already
make useful embeddings, and an encoder cut after those layers costs a fraction of the whole (the 2025 study
of cross-encoders as embedders built ≈5× faster dual encoders this way). `EarlyLayerEncoder` keeps only the
first ℓ transformer layers, so a document costs ℓ/L of a full pass, and offers the `encode` of a
sentence-transformers model, so the bi-encoder's ranker and FAISS index serve it unchanged.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from core.models.backbone import masked_mean
from core.models.cross_encoder import JointCrossEncoder
from core.models.pair_scorer import PairScorer, SentenceTransformersCrossEncoder
from core.models.placement import as_numpy, computing_on, device_of, to_device


def transformer_of(scorer: PairScorer) -> tuple[PreTrainedTokenizerBase, PreTrainedModel, int]:
    """The tokenizer, the bare transformer encoder (no scoring head) and the pair length limit of a cross-encoder.

    Raises:
        ValueError: For a pair scorer whose transformer is not reachable.
    """
    if isinstance(scorer, JointCrossEncoder):
        return scorer.tokenizer, scorer.backbone, scorer.config.max_document_length
    if isinstance(scorer, SentenceTransformersCrossEncoder):
        model = scorer.model
        return model.tokenizer, model.model.base_model, model.max_seq_length
    raise ValueError(f"cannot take the layers of a {type(scorer).__name__}")


def layer_count(model: PreTrainedModel) -> int:
    """L, the number of transformer layers."""
    return int(model.config.num_hidden_layers)


def truncated(model: PreTrainedModel, layers: int) -> PreTrainedModel:
    """A copy of `model` that keeps its embeddings and its first `layers` transformer layers (shared weights).

    Raises:
        ValueError: If `layers` is not within 1..L, or the model keeps its layers somewhere unknown.
    """
    total = layer_count(model)
    if not 1 <= layers <= total:
        raise ValueError(f"layers must be within 1..{total} for this model, not {layers}")
    encoder = getattr(model, "encoder", None)
    if encoder is None or not isinstance(getattr(encoder, "layer", None), torch.nn.ModuleList):
        raise ValueError(f"cannot cut a {type(model).__name__}: its layers are not in encoder.layer")
    cut, cut_encoder = _shallow_copy(model), _shallow_copy(encoder)  # the weights stay the full model's own
    cut_encoder.layer = torch.nn.ModuleList(list(encoder.layer)[:layers])
    cut.encoder = cut_encoder
    cut.config = copy.copy(model.config)
    cut.config.num_hidden_layers = layers
    return cut.eval()


def mean_pooled(tokenizer: PreTrainedTokenizerBase, model: PreTrainedModel, texts: Sequence[str], max_length: int,
                normalize: bool = True) -> torch.Tensor:
    """`[len(texts), dim]` means of `model`'s last token states over each text's tokens, unit length if `normalize`
    (gradients flow: a student trains through it); computed on the model's device."""
    batch = to_device(tokenizer(list(texts), padding=True, truncation=True, max_length=max_length,
                                return_tensors="pt"), device_of(model))
    pooled = masked_mean(model(**batch).last_hidden_state.float(), batch["attention_mask"])
    return F.normalize(pooled, dim=-1) if normalize else pooled


def _shallow_copy(module: torch.nn.Module) -> torch.nn.Module:
    """A copy of `module` sharing its parameters, whose child modules can be replaced without touching it."""
    twin = copy.copy(module)
    twin._modules = dict(module._modules)  # copy.copy would share this dict with the original
    return twin


class EarlyLayerEncoder:
    """Embeds single texts with the first `layers` layers of a cross-encoder's transformer, mean-pooled.

    Args:
        tokenizer: The cross-encoder's tokenizer.
        model: Its bare transformer encoder.
        layers: ℓ, how many of its layers to run.
        max_length: Tokens kept per text.
    """

    def __init__(self, tokenizer: PreTrainedTokenizerBase, model: PreTrainedModel, layers: int,
                 max_length: int = 256) -> None:
        self.tokenizer = tokenizer
        self.layers = layers
        self.model = truncated(model, layers)
        self.max_seq_length = max_length
        self.device = device_of(model)  # where the cross-encoder it cuts was placed

    def get_embedding_dimension(self) -> int:
        return int(self.model.config.hidden_size)

    @torch.inference_mode()
    def token_states(self, texts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """`[batch, tokens, dim]` outputs of layer ℓ and the `[batch, tokens]` attention mask."""
        batch = to_device(self.tokenizer(list(texts), padding=True, truncation=True, max_length=self.max_seq_length,
                                         return_tensors="pt"), self.device)
        with computing_on(self.device):
            return self.model(**batch).last_hidden_state.float(), batch["attention_mask"]

    @torch.inference_mode()
    def encode(self, texts: Sequence[str], batch_size: int = 64, normalize_embeddings: bool = True,
               convert_to_numpy: bool = True, show_progress_bar: bool = False) -> np.ndarray:
        """`[len(texts), dim]` mean-pooled layer-ℓ embeddings (the signature of `SentenceTransformer.encode`)."""
        with computing_on(self.device):
            chunks = [mean_pooled(self.tokenizer, self.model, texts[start:start + batch_size], self.max_seq_length,
                                  normalize_embeddings) for start in range(0, len(texts), batch_size)]
        return as_numpy(torch.cat(chunks)) if chunks else np.empty((0, self.get_embedding_dimension()), np.float32)
