"""Resolve model specs to loaded models, once per process.

A spec is "embedded" (the offline default shipped with the project), a local folder, or a Hugging
Face id. Every kind goes through the same loading code; only "embedded" is guaranteed offline.
Weights are read from safetensors only, and remote code is never trusted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from sentence_transformers import CrossEncoder, SentenceTransformer

from core.backbone import backbone_path, read_arena_config
from core.rankers.cross_encoder import PairScorer, SentenceTransformersCrossEncoder
from core.rankers.joint_cross_encoder import ARCHITECTURE as JOINT_ARCHITECTURE
from core.rankers.joint_cross_encoder import JointCrossEncoder
from core.rankers.poly_encoder import ARCHITECTURE as POLY_ARCHITECTURE
from core.rankers.poly_encoder import PolyEncoder

EMBEDDED = "embedded"
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
EMBEDDED_CROSS_DIR = WEIGHTS_DIR / "cross-encoder"
EMBEDDED_POLY_DIR = WEIGHTS_DIR / "poly-encoder"

T = TypeVar("T")
_load_lock = threading.Lock()


class ModelError(ValueError):
    """A model spec that cannot be resolved or loaded; the message says which and why."""


def resolve(spec: str) -> str:
    """A local path (checked to exist) or a Hugging Face id for `spec`; "embedded" → packaged MiniLM."""
    spec = spec.strip()
    if spec == EMBEDDED:
        return str(backbone_path())
    path = Path(spec).expanduser()
    if path.exists():
        return str(path.resolve())
    if spec.startswith((".", "/", "~")) or spec.count("/") > 1 or not spec:
        raise ModelError(f"model path {spec!r} does not exist")
    return spec


def _load(description: str, loader: Callable[[], T]) -> T:
    """Run `loader` serially (threads share the cache) and turn library errors into `ModelError`."""
    with _load_lock:
        try:
            return loader()
        except (OSError, ValueError, KeyError, RuntimeError) as error:
            raise ModelError(f"cannot load {description}: {error}") from error


@lru_cache(maxsize=4)
def load_bi_encoder(spec: str = EMBEDDED) -> SentenceTransformer:
    """A sentence-transformers bi-encoder."""
    return _load(f"bi-encoder {spec!r}", lambda: SentenceTransformer(
        resolve(spec), device="cpu", trust_remote_code=False, model_kwargs={"use_safetensors": True}))


@lru_cache(maxsize=4)
def load_poly_encoder(spec: str = EMBEDDED, n_codes: int = 16) -> PolyEncoder:
    """A saved poly-encoder, or an untrained one (`n_codes` codes) over a backbone.

    "embedded" is the project's trained poly-encoder when its weights are present, else an untrained
    one over the packaged MiniLM. A folder with a poly-encoder `arena_config.json` loads as saved
    (`n_codes` is then fixed by the weights); any other model becomes the backbone of an untrained one.
    """
    def load() -> PolyEncoder:
        if spec == EMBEDDED:
            if EMBEDDED_POLY_DIR.is_dir():
                return PolyEncoder.load(EMBEDDED_POLY_DIR)
            return PolyEncoder.from_backbone(backbone_path(), n_codes)
        path = resolve(spec)
        if (read_arena_config(Path(path)) or {}).get("architecture") == POLY_ARCHITECTURE:
            return PolyEncoder.load(path)
        return PolyEncoder.from_backbone(path, n_codes)

    return _load(f"poly-encoder {spec!r}", load)


@lru_cache(maxsize=4)
def load_cross_encoder(spec: str = EMBEDDED) -> PairScorer:
    """A pair scorer: the project's joint cross-encoder, or a sentence-transformers `CrossEncoder`.

    "embedded" is the project's trained joint cross-encoder when its weights are present, else an
    untrained one over the packaged MiniLM (which scores exactly like the bi-encoder).
    """
    def load() -> PairScorer:
        if spec == EMBEDDED:
            if EMBEDDED_CROSS_DIR.is_dir():
                return JointCrossEncoder.load(EMBEDDED_CROSS_DIR)
            return JointCrossEncoder.from_backbone(backbone_path())
        path = resolve(spec)
        if (read_arena_config(Path(path)) or {}).get("architecture") == JOINT_ARCHITECTURE:
            return JointCrossEncoder.load(path)
        model = CrossEncoder(path, device="cpu", trust_remote_code=False, num_labels=None,
                             model_kwargs={"use_safetensors": True})
        return SentenceTransformersCrossEncoder(model)

    return _load(f"cross-encoder {spec!r}", load)
