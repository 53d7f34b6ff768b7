"""Load the model a spec names (`core.models.sources` resolves it), once per process.

Every kind goes through the same loading code; "embedded" and the named offline models load offline. Weights are
read from safetensors only, and remote code is never trusted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import lru_cache, wraps
from pathlib import Path
from typing import TypeVar

from sentence_transformers import CrossEncoder, SentenceTransformer

from core.config import BACKENDS, PAIR_BACKENDS, Backend
from core.devices import accelerator_dtype, is_accelerator
from core.models.bf16_pairs import Bf16PairBackbone
from core.models.cross_encoder import ARCHITECTURE as JOINT_ARCHITECTURE
from core.models.cross_encoder import JointCrossEncoder
from core.models.errors import ModelError
from core.models.onnx_encoder import OnnxSentenceEncoder
from core.models.onnx_pairs import OnnxPairBackbone
from core.models.pair_scorer import PairScorer, SentenceTransformersCrossEncoder
from core.models.poly_encoder import ARCHITECTURE as POLY_ARCHITECTURE
from core.models.poly_encoder import PolyEncoder
from core.models.sources import (
    EMBEDDED,
    EMBEDDED_CROSS_DIR,
    EMBEDDED_POLY_DIR,
    backbone_path,
    read_arena_config,
    resolve,
)

T = TypeVar("T")
F = TypeVar("F", bound=Callable)
_load_lock = threading.RLock()


def _loaded_once(loader: F) -> F:
    """`loader` with its results cached per arguments, called by one thread at a time, so that threads asking for
    the same model at once (a server's warm-up and a first comparison) load it once."""
    cached = lru_cache(maxsize=4)(loader)

    @wraps(loader)
    def serial(*args, **kwargs):
        with _load_lock:
            return cached(*args, **kwargs)

    return serial  # type: ignore[return-value]


def _load(description: str, loader: Callable[[], T]) -> T:
    """Run `loader`, turning library errors into `ModelError`."""
    try:
        return loader()
    except (OSError, ValueError, KeyError, RuntimeError) as error:
        raise ModelError(f"cannot load {description}: {error}") from error


def load_bi_encoder(spec: str = EMBEDDED, backend: Backend = "torch",
                    device: str = "cpu") -> SentenceTransformer | OnnxSentenceEncoder:
    """A sentence-transformers bi-encoder on `device`, run by PyTorch or, for "onnx" / "onnx-int8" on the CPU, by
    ONNX Runtime. On an accelerator it runs in PyTorch at the device's precision, whatever the backend (the backends
    are the CPU's).

    The ONNX backends encode faster on a CPU (see `core.models.onnx_encoder` and benchmarks/README.md) and
    offer `encode` only; the token-level views need the "torch" model.
    """
    if backend not in BACKENDS:
        raise ModelError(f"unknown bi-encoder backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    return _load_bi_encoder(spec, "torch" if is_accelerator(device) else backend, device)


def trainable_bi_encoder(spec: str = EMBEDDED, device: str = "cpu") -> SentenceTransformer:
    """A fresh float32 copy of the sentence-transformers bi-encoder `spec` on `device`, for training (never the copy
    `load_bi_encoder` shares with every comparison).

    Raises:
        ModelError: When it cannot be found or read (pickled weights are refused: safetensors only).
    """
    return _load(f"bi-encoder {spec!r}", lambda: SentenceTransformer(
        resolve(spec), device=device, trust_remote_code=False, model_kwargs={"use_safetensors": True}))


@_loaded_once
def _load_bi_encoder(spec: str, backend: Backend, device: str) -> SentenceTransformer | OnnxSentenceEncoder:
    if backend == "torch":
        def load() -> SentenceTransformer:
            model = trainable_bi_encoder(spec, device)
            return model.to(accelerator_dtype(device)) if is_accelerator(device) else model

        return _load(f"bi-encoder {spec!r}", load)
    model = _load_bi_encoder(spec, "torch", "cpu")
    return _load(f"bi-encoder {spec!r} on {backend}",
                 lambda: OnnxSentenceEncoder(model, quantize=backend == "onnx-int8"))


@_loaded_once
def load_poly_encoder(spec: str = EMBEDDED, n_codes: int = 16, device: str = "cpu") -> PolyEncoder:
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

    return _load(f"poly-encoder {spec!r}", lambda: load().to(device))


def load_cross_encoder(spec: str = EMBEDDED, backend: Backend = "torch", device: str = "cpu") -> PairScorer:
    """A pair scorer on `device`: the project's joint cross-encoder, or a sentence-transformers `CrossEncoder`.

    "embedded" is the project's trained joint cross-encoder when its weights are present, else an
    untrained one over the packaged MiniLM (which scores exactly like the bi-encoder). On the CPU, the "onnx" and
    "onnx-int8" backends run a joint cross-encoder's transformer with ONNX Runtime (`core.models.onnx_pairs`), and
    "torch-bf16" runs it in bfloat16 (`core.models.bf16_pairs`); on an accelerator PyTorch runs it at the device's
    precision (`core.models.placement`), whatever the backend.
    """
    if backend not in PAIR_BACKENDS:
        raise ModelError(f"unknown cross-encoder backend {backend!r}; choose one of {', '.join(PAIR_BACKENDS)}")
    return _load_cross_encoder(spec, "torch" if is_accelerator(device) else backend, device)


@_loaded_once
def _load_cross_encoder(spec: str, backend: Backend, device: str) -> PairScorer:

    def load() -> PairScorer:
        if spec == EMBEDDED:
            if EMBEDDED_CROSS_DIR.is_dir():
                return JointCrossEncoder.load(EMBEDDED_CROSS_DIR)
            return JointCrossEncoder.from_backbone(backbone_path())
        path = resolve(spec)
        if (read_arena_config(Path(path)) or {}).get("architecture") == JOINT_ARCHITECTURE:
            return JointCrossEncoder.load(path)
        if backend != "torch":
            raise ModelError(f"the {backend} backend runs the project's joint cross-encoders; {spec!r} is another "
                             "kind of cross-encoder: use the torch backend")
        model = CrossEncoder(path, device=device, trust_remote_code=False, num_labels=None,
                             model_kwargs={"use_safetensors": True})
        if is_accelerator(device):
            model.model.to(accelerator_dtype(device))
        return SentenceTransformersCrossEncoder(model)

    def load_on_backend() -> PairScorer:
        scorer = load()  # a model of its own: the torch backend's stays as it is
        if isinstance(scorer, JointCrossEncoder):
            scorer.to(device)
        if backend == "torch-bf16":
            scorer.runtime = Bf16PairBackbone(scorer)
        elif backend != "torch":
            scorer.runtime = OnnxPairBackbone(scorer, quantize=backend == "onnx-int8")
        return scorer

    return _load(f"cross-encoder {spec!r}", load_on_backend)
