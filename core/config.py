"""The app's guards (size caps, the cost confirmation threshold, which model specs users may type), the cache
folder and the encoder backends; what a comparison runs is in `core.contestants`."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

CACHE_DIR = Path(os.environ.get("ARENA_CACHE_DIR", Path.home() / ".cache" / "encoder-arena")).expanduser()
"""Files kept between runs (uploaded run files, corpus embeddings, models fine-tuned on the Train page);
ARENA_CACHE_DIR moves it."""
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
"""The project's own shipped weights (embedded models and heads fine-tuned on the lesson data)."""
TRAINING_DIR = CACHE_DIR / "training"
"""Fine-tuning jobs of the Train page, with the models they write (allowed as model paths in server mode)."""
Backend = Literal["torch", "torch-bf16", "onnx", "onnx-int8"]
BACKENDS: tuple[Backend, ...] = ("torch", "onnx", "onnx-int8")
"""How a sentence-transformers encoder runs: PyTorch, or ONNX Runtime in fp32 or int8 (see core.models.onnx_encoder)."""
PAIR_BACKENDS: tuple[Backend, ...] = ("torch", "torch-bf16", "onnx", "onnx-int8")
"""How the joint cross-encoder's transformer runs: the encoder backends, or PyTorch in bfloat16
(see core.models.bf16_pairs)."""


def native_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether this CPU computes in bfloat16 natively (AVX-512 BF16 or AMX), read without importing torch: elsewhere
    PyTorch emulates bfloat16, slower than float32."""
    try:
        flags = next((line for line in cpuinfo.read_text().splitlines() if line.startswith("flags")), "").split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


FAST_PAIR_BACKEND: Backend = "torch-bf16" if native_bf16() else "onnx"
"""The cross-encoder's default: PyTorch in bfloat16 where the CPU computes it natively, else ONNX Runtime float32,
the fastest backends whose nDCG@10 stays within 0.005 of PyTorch float32 on the development sets
(benchmarks/backends.py)."""


# --- guards: limits and model policy, configured by environment variables (see SECURITY.md) ---------

SERVER_FLAG = "--server"
DEFAULT_HUB_IDS = r"(sentence-transformers|cross-encoder)/[A-Za-z0-9][A-Za-z0-9._-]*"
"""Hugging Face ids a user may type in server mode, by default: the two official sentence-transformers orgs."""


@dataclass(frozen=True)
class DataLimits:
    """Size limits that keep a hostile or mistaken upload from exhausting memory."""

    max_file_bytes: int = 200 * 2**20
    max_uncompressed_bytes: int = 1 * 2**30  # zip and gzip bomb guard
    max_documents: int = 2_000_000
    max_queries: int = 100_000


@dataclass(frozen=True)
class ModelPolicy:
    """Which model specs a user may type; enforced only when `restricted` (server mode).

    Attributes:
        restricted: Enforce the rules below; otherwise any local path or Hugging Face id is allowed.
        model_dirs: Folders under which local model paths are allowed (none by default).
        hub_ids: A regular expression a Hugging Face id must match in full ("" allows none).
    """

    restricted: bool = False
    model_dirs: tuple[Path, ...] = ()
    hub_ids: str = DEFAULT_HUB_IDS


OPEN_POLICY = ModelPolicy()
"""The policy outside server mode (the CLI, a local app): any local path or Hugging Face id."""


@dataclass(frozen=True)
class Guards:
    """The app's resource and security settings.

    Attributes:
        limits: Caps on upload size, unpacked size, documents and queries.
        confirm_above_s: A cross-encoder run estimated to take longer needs a confirmation.
        models: Which model specs users may type.
    """

    limits: DataLimits = field(default_factory=DataLimits)
    confirm_above_s: float = 60.0
    models: ModelPolicy = field(default_factory=ModelPolicy)


ENVIRONMENT = {
    "ARENA_MAX_FILE_MB": "size cap of each uploaded file, in MB (default 200)",
    "ARENA_MAX_UNPACKED_MB": "cap on what a zip or gzip file unpacks to, in MB (default 1024)",
    "ARENA_MAX_DOCUMENTS": "most documents in a corpus (default 2,000,000)",
    "ARENA_MAX_QUERIES": "most queries (default 100,000)",
    "ARENA_CONFIRM_ABOVE_S": "estimated cross-encoder seconds above which a run needs a confirmation (default 60)",
    "ARENA_CACHE_DIR": "folder for files kept between runs: uploaded run files, corpus embeddings, fine-tuned models "
                       "(default ~/.cache/encoder-arena)",
    "ARENA_SERVER": "1 turns on server mode, as `streamlit run app.py -- --server` does",
    "ARENA_MODEL_DIRS": "in server mode, folders allowed for local model paths (separated by ':')",
    "ARENA_HUB_IDS": "in server mode, a regular expression allowed Hugging Face ids match in full",
    "ARENA_WARM_UP": "0 skips loading the demo's models and compiling the evaluation code when the server starts",
    "ARENA_CONCURRENT_RUNS": "comparisons computed at once; later ones wait in line (default: 1 per 2 CPU cores)",
}
"""The `ARENA_*` environment variables the app reads, with what each sets."""


def guards_from_env(environ: Mapping[str, str] = os.environ, argv: Sequence[str] = ()) -> Guards:
    """The guards set by `ARENA_*` environment variables (see `ENVIRONMENT`) and a `--server` argument.

    Raises:
        ValueError: If a variable's value is not a positive number or a valid regular expression; the
            message names the variable.
    """
    mb = 2**20
    defaults = Guards()
    limits = DataLimits(
        max_file_bytes=int(_positive(environ, "ARENA_MAX_FILE_MB", defaults.limits.max_file_bytes / mb) * mb),
        max_uncompressed_bytes=int(_positive(environ, "ARENA_MAX_UNPACKED_MB",
                                             defaults.limits.max_uncompressed_bytes / mb) * mb),
        max_documents=int(_positive(environ, "ARENA_MAX_DOCUMENTS", defaults.limits.max_documents)),
        max_queries=int(_positive(environ, "ARENA_MAX_QUERIES", defaults.limits.max_queries)))
    hub_ids = environ.get("ARENA_HUB_IDS", DEFAULT_HUB_IDS)
    try:
        re.compile(hub_ids)
    except re.error as error:
        raise ValueError(f"ARENA_HUB_IDS is not a valid regular expression ({error})") from error
    models = ModelPolicy(
        restricted=SERVER_FLAG in argv or environ.get("ARENA_SERVER", "0").strip().lower() in ("1", "true", "yes"),
        model_dirs=tuple(Path(folder).expanduser().resolve()
                         for folder in environ.get("ARENA_MODEL_DIRS", "").split(os.pathsep) if folder.strip()),
        hub_ids=hub_ids)
    return Guards(limits, _positive(environ, "ARENA_CONFIRM_ABOVE_S", defaults.confirm_above_s), models)


def _positive(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not value > 0 or math.isinf(value):
        raise ValueError(f"{name} must be a positive number, not {raw[:40]!r}")
    return value
