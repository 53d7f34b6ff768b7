"""Resolve model specs to loaded models, once per process.

A spec is "embedded" (the offline default shipped with the project), a named offline model (see
`core.models.offline`: "all-MiniLM-L6-v2", and "all-mpnet-base-v2" once its packages are installed), a local
folder, or a Hugging Face id. Every kind goes through the same loading code; only the first two are offline.
Weights are read from safetensors only, and remote code is never trusted.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable
from functools import lru_cache, wraps
from pathlib import Path
from typing import TypeVar

from huggingface_hub import snapshot_download
from sentence_transformers import CrossEncoder, SentenceTransformer

from core.config import BACKENDS, TRAINING_DIR, Backend, ModelPolicy
from core.models.backbone import backbone_path, read_arena_config
from core.models.errors import ModelError
from core.models.joint_cross_encoder import ARCHITECTURE as JOINT_ARCHITECTURE
from core.models.joint_cross_encoder import JointCrossEncoder
from core.models.offline import OFFLINE_MODELS, offline_name
from core.models.onnx_encoder import OnnxSentenceEncoder
from core.models.onnx_pairs import OnnxPairBackbone
from core.models.pair_scorer import PairScorer, SentenceTransformersCrossEncoder
from core.models.poly_encoder import ARCHITECTURE as POLY_ARCHITECTURE
from core.models.poly_encoder import PolyEncoder

EMBEDDED = "embedded"
PACKAGED_MODEL = "all-MiniLM-L6-v2"
"""The packaged model behind every "embedded" spec."""
WEIGHTS_DIR = Path(__file__).resolve().parents[1] / "weights"
EMBEDDED_CROSS_DIR = WEIGHTS_DIR / "cross-encoder"
EMBEDDED_POLY_DIR = WEIGHTS_DIR / "poly-encoder"
FINGERPRINTED = (".safetensors", ".json", ".onnx")
"""Files whose change makes a model's cached outputs stale."""
PICKLED_WEIGHTS = ("*.bin", "*.pt", "*.pth", "*.pkl", "*.pickle", "*.ckpt")
"""Weight files in pickle formats: never downloaded, and a local folder of only these is refused."""

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


def resolve(spec: str) -> str:
    """A local folder for `spec`: "embedded" → packaged MiniLM, a named offline model (from its installed
    packages, never downloaded), a path (checked), or a Hugging Face id downloaded.

    A Hugging Face id is downloaded without any pickle-format weight file, and a local folder holding one
    without a safetensors file beside it is refused, so no model file is ever unpickled.

    Raises:
        ModelError: For a missing path, a folder whose weights are pickles only, or a named offline model whose
            packages are not installed (the message gives the install command).
        OSError: If a download fails (the loaders turn it into a `ModelError`).
    """
    spec = spec.strip()
    if spec == EMBEDDED:
        return str(backbone_path())
    if (name := offline_name(spec)) is not None:
        try:
            return str(OFFLINE_MODELS[name]())
        except (OSError, ValueError) as error:
            raise ModelError(f"{name}: {error}") from error
    path = Path(spec).expanduser()
    if path.exists():
        _refuse_pickled_weights(path)
        return str(path.resolve())
    if spec.startswith((".", "/", "~")) or spec.count("/") > 1 or not spec:
        raise ModelError(f"model path {spec!r} does not exist")
    return snapshot_download(spec, ignore_patterns=list(PICKLED_WEIGHTS))


def model_title(spec: str) -> str:
    """The real name of a model spec for people: "embedded" → all-MiniLM-L6-v2, a named offline model → its
    name (also when given as a Hugging Face id), a path → its folder's name, a Hugging Face id as it is."""
    spec = spec.strip()
    if spec == EMBEDDED:
        return PACKAGED_MODEL
    if (name := offline_name(spec)) is not None:
        return name
    return Path(spec).name if Path(spec).expanduser().exists() else spec


def saved_module(spec: str, default_dir: Path) -> tuple[str, dict] | None:
    """(folder name, saved module config) of a project-trained checkpoint that `spec` names, without loading it;
    None when `spec` names a plain backbone (from which an untrained module is built)."""
    folder = default_dir if spec.strip() == EMBEDDED else Path(spec).expanduser()
    saved = read_arena_config(folder) if folder.is_dir() else None
    if saved is None:
        return None
    return ("embedded" if spec.strip() == EMBEDDED else folder.name), saved.get("config", {})


def model_fingerprint(spec: str, embedded_dir: Path | None = None) -> str | None:
    """A short hash of the weight files behind `spec` (names, sizes, modification times), so that caches keyed
    by it go stale when the weights change; `embedded_dir` is what "embedded" loads for this kind when it
    exists (else the packaged backbone). None when `spec` cannot be resolved without loading or downloading."""
    if spec.strip() == EMBEDDED:
        folder = embedded_dir if embedded_dir is not None and embedded_dir.is_dir() else backbone_path()
    elif offline_name(spec) is not None or Path(spec).expanduser().exists():
        try:
            folder = Path(resolve(spec))
        except (ModelError, OSError):
            return None
    else:
        return None  # a Hugging Face id: its files are not known without asking the hub
    files = sorted(file for file in Path(folder).rglob("*") if file.is_file() and file.suffix in FINGERPRINTED)
    stats = [(str(file.relative_to(folder)), file.stat().st_size, file.stat().st_mtime_ns) for file in files]
    return hashlib.sha256(repr((spec.strip(), stats)).encode()).hexdigest()[:16]


def checkpoint_name(folder: str) -> str:
    """A saved module's folder as its display name says it: nothing for the packaged one (its name would be the
    jargon "embedded"), " <folder>" for any other."""
    return "" if folder == EMBEDDED else f" {folder}"


def training_state(folder: str, config: dict) -> str:
    """How a saved module's weights came about, for people: "zero-shot" (the embedded heads, trained on other
    data), "fine-tuned on <dataset>", "trained" or "untrained"."""
    if folder == EMBEDDED:
        return "zero-shot"
    if config.get("fine_tuned_on"):
        return f"fine-tuned on {config['fine_tuned_on']}"
    return "trained" if config.get("trained") else "untrained"


def _refuse_pickled_weights(path: Path) -> None:
    """Refuse a model folder (or subfolder) holding pickled weights without safetensors beside them."""
    folders = [path, *(child for child in path.glob("*") if child.is_dir())] if path.is_dir() else []
    for folder in folders:
        pickled = [file.name for pattern in PICKLED_WEIGHTS for file in folder.glob(pattern)]
        if pickled and not any(folder.glob("*.safetensors")):
            raise ModelError(f"{str(folder)!r} holds weights as pickles only ({', '.join(sorted(pickled)[:3])}); "
                             "only safetensors are loaded")


def check_spec(spec: str, policy: ModelPolicy) -> None:
    """Refuse a spec that `policy` does not allow (it allows every spec unless restricted).

    A restricted policy allows "embedded", the named offline models, a Hugging Face id matching `policy.hub_ids`
    in full, and an existing path inside one of `policy.model_dirs`, the models fine-tuned on this server
    (`TRAINING_DIR`) or the project's own weights (`WEIGHTS_DIR`), after following links and "..".

    Raises:
        ModelError: Saying what is allowed instead.
    """
    spec = spec.strip()
    if not policy.restricted or spec == EMBEDDED or offline_name(spec) is not None:
        return
    path = Path(spec).expanduser()
    if path.exists():
        resolved = path.resolve()
        if any(resolved.is_relative_to(folder.resolve()) for folder in (*policy.model_dirs, TRAINING_DIR, WEIGHTS_DIR)):
            return
    elif policy.hub_ids and re.fullmatch(policy.hub_ids, spec) and ".." not in spec:
        return
    folders = ", ".join(str(folder) for folder in policy.model_dirs) or "none are set"
    raise ModelError(f"model {spec[:80]!r} is not allowed on this server: use \"embedded\", a named offline model "
                     f"({', '.join(OFFLINE_MODELS)}), a Hugging Face id "
                     f"matching {policy.hub_ids or 'nothing'}, or a path inside the allowed model folders "
                     f"({folders}; ARENA_MODEL_DIRS sets them)")


def _load(description: str, loader: Callable[[], T]) -> T:
    """Run `loader`, turning library errors into `ModelError`."""
    try:
        return loader()
    except (OSError, ValueError, KeyError, RuntimeError) as error:
        raise ModelError(f"cannot load {description}: {error}") from error


@_loaded_once
def load_bi_encoder(spec: str = EMBEDDED, backend: Backend = "torch") -> SentenceTransformer | OnnxSentenceEncoder:
    """A sentence-transformers bi-encoder, run by PyTorch or, for "onnx" / "onnx-int8", by ONNX Runtime.

    The ONNX backends encode faster on a CPU (see `core.models.onnx_encoder` and benchmarks/README.md) and
    offer `encode` only; the token-level views need the "torch" model.
    """
    if backend not in BACKENDS:
        raise ModelError(f"unknown bi-encoder backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if backend == "torch":
        return _load(f"bi-encoder {spec!r}", lambda: SentenceTransformer(
            resolve(spec), device="cpu", trust_remote_code=False, model_kwargs={"use_safetensors": True}))
    model = load_bi_encoder(spec)
    return _load(f"bi-encoder {spec!r} on {backend}",
                 lambda: OnnxSentenceEncoder(model, quantize=backend == "onnx-int8"))


@_loaded_once
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


@_loaded_once
def load_cross_encoder(spec: str = EMBEDDED, backend: Backend = "torch") -> PairScorer:
    """A pair scorer: the project's joint cross-encoder, or a sentence-transformers `CrossEncoder`.

    "embedded" is the project's trained joint cross-encoder when its weights are present, else an
    untrained one over the packaged MiniLM (which scores exactly like the bi-encoder). The "onnx" and
    "onnx-int8" backends run a joint cross-encoder's transformer with ONNX Runtime (`core.models.onnx_pairs`).
    """
    if backend not in BACKENDS:
        raise ModelError(f"unknown cross-encoder backend {backend!r}; choose one of {', '.join(BACKENDS)}")

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
        model = CrossEncoder(path, device="cpu", trust_remote_code=False, num_labels=None,
                             model_kwargs={"use_safetensors": True})
        return SentenceTransformersCrossEncoder(model)

    def load_on_backend() -> PairScorer:
        scorer = load()  # a model of its own: the torch backend's stays as it is
        if backend != "torch":
            scorer.runtime = OnnxPairBackbone(scorer, quantize=backend == "onnx-int8")
        return scorer

    return _load(f"cross-encoder {spec!r}", load_on_backend)
