"""Transformer backbones shared by the poly-encoder and the joint cross-encoder.

Both project-trained architectures start from the same MiniLM backbone as the bi-encoder, so they
share tokenisation, mean pooling and the safetensors checkpoint format defined here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn
from transformers import AutoConfig, AutoModel, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from core.models.offline import WEIGHTS_FILE, backbone_path
from core.models.sources import ARENA_CONFIG_FILE, read_arena_config

BACKBONE_PREFIX = "backbone."
PACKAGED_BACKBONE = "packaged all-MiniLM-L6-v2"


def load_backbone(path: str | Path) -> tuple[PreTrainedTokenizerBase, PreTrainedModel]:
    """Load a tokenizer and transformer encoder from a local folder or a Hugging Face id.

    Weights are read from safetensors only and no remote code is ever run.
    """
    tokenizer = AutoTokenizer.from_pretrained(str(path))
    model = AutoModel.from_pretrained(str(path), use_safetensors=True, trust_remote_code=False)
    return tokenizer, model.eval()


def token_strings(tokenizer: PreTrainedTokenizerBase, text: str, max_length: int) -> list[str]:
    """The token strings `tokenizer` makes of `text`, special tokens included, as a model sees them."""
    ids = tokenizer(text, truncation=True, max_length=max_length)["input_ids"]
    return tokenizer.convert_ids_to_tokens(ids)


def masked_mean(token_states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of token states over unmasked positions.

    Args:
        token_states: `[batch, tokens, dim]`.
        mask: `[batch, tokens]`, 1 for real tokens and 0 for padding.

    Returns:
        `[batch, dim]`, the same pooling as sentence-transformers' `Pooling(mean)`.
    """
    weights = mask.unsqueeze(-1).to(token_states.dtype)
    return (token_states * weights).sum(1) / weights.sum(1).clamp(min=1e-9)


def is_backbone_tensor(name: str) -> bool:
    return name.startswith(BACKBONE_PREFIX)


def is_bitfit_parameter(name: str) -> bool:
    """Whether `name` is a bias or LayerNorm weight: what BitFit trains (Ben Zaken et al., 2022)."""
    return name.endswith(".bias") or ".LayerNorm." in name


def save_checkpoint(folder: Path, module: nn.Module, backbone: PreTrainedModel,
                    tokenizer: PreTrainedTokenizerBase, arena_config: dict[str, Any],
                    include_backbone: bool = True, packaged: Callable[[str], bool] = is_backbone_tensor,
                    full_precision: bool = False) -> None:
    """Write `module`'s weights (fp16 safetensors; float32 with `full_precision`) and arena config.

    With `include_backbone` the backbone's weights, config and tokenizer are written too. Without it
    (a module trained over a frozen packaged backbone) only the tensors for which `packaged(name)` is
    false are written, a few kilobytes, and loading takes the rest from the packaged MiniLM.
    """
    folder.mkdir(parents=True, exist_ok=True)
    dtype = torch.float32 if full_precision else torch.float16
    state = {name: tensor.detach().to(dtype).contiguous() for name, tensor in module.state_dict().items()
             if include_backbone or not packaged(name)}
    save_file(state, str(folder / WEIGHTS_FILE))
    if include_backbone:
        backbone.config.save_pretrained(str(folder))
        tokenizer.save_pretrained(str(folder))
    arena_config = {**arena_config, "backbone": "included" if include_backbone else PACKAGED_BACKBONE}
    (folder / ARENA_CONFIG_FILE).write_text(json.dumps(arena_config, indent=2) + "\n")


def open_checkpoint(folder: Path, architecture: str) -> tuple[PreTrainedTokenizerBase, PreTrainedModel, dict[str, Any]]:
    """Tokenizer, backbone and saved module config of a checkpoint written by `save_checkpoint`;
    fill the module with `load_weights`.

    The backbone is empty (shaped by the saved config) when the checkpoint includes its weights, and
    the packaged MiniLM when the checkpoint was trained over it frozen.

    Raises:
        ValueError: If `folder` holds no checkpoint of `architecture`.
    """
    arena_config = read_arena_config(folder)
    if arena_config is None or arena_config.get("architecture") != architecture:
        raise ValueError(f"{folder} is not a saved {architecture} (no matching {ARENA_CONFIG_FILE})")
    if arena_config.get("backbone") == PACKAGED_BACKBONE:
        tokenizer, backbone = load_backbone(backbone_path())
        return tokenizer, backbone, arena_config["config"]
    backbone = AutoModel.from_config(AutoConfig.from_pretrained(str(folder))).eval()
    return AutoTokenizer.from_pretrained(str(folder)), backbone, arena_config["config"]


def load_weights(folder: Path, module: nn.Module, packaged: Callable[[str], bool] = is_backbone_tensor) -> None:
    """Load safetensors weights saved by `save_checkpoint` (fp16 or float32) into `module` (float32).

    Every saved tensor must match; only tensors for which `packaged(name)` holds may be absent, and only
    from a packaged-backbone checkpoint.

    Raises:
        ValueError: If a saved tensor is unknown to `module` or one of its own parameters is missing.
    """
    state = {name: tensor.float() for name, tensor in load_file(str(folder / WEIGHTS_FILE)).items()}
    packaged_backbone = not any(packaged(name) for name in state)
    result = module.load_state_dict(state, strict=False)
    missing = [name for name in result.missing_keys if not (packaged_backbone and packaged(name))]
    if result.unexpected_keys or missing:
        raise ValueError(f"{folder / WEIGHTS_FILE} does not fit the model: unexpected tensors "
                         f"{result.unexpected_keys[:5]}, missing {missing[:5]}")
