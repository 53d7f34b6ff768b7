"""What a comparison runs (rankers, models, depths: a frozen dataclass that round-trips through JSON), and the
app's guards: size caps, the cost confirmation threshold and which model specs users may type."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from core.data import DataLimits
from core.index import INDEX_TYPES, IndexType

RANKER_KINDS = ("bi", "poly", "cross", "bm25")
FIRST_STAGES = ("bi", "poly", "bm25")
Backend = Literal["torch", "onnx", "onnx-int8"]
BACKENDS: tuple[Backend, ...] = ("torch", "onnx", "onnx-int8")
"""How the bi-encoder runs: PyTorch, or ONNX Runtime in fp32 or int8 (see core.onnx_encoder, benchmarks/)."""
RUN_ORDER = ("bm25", "bi", "poly", "cross")  # cheapest first; the cross-encoder needs its first stage done


@dataclass(frozen=True)
class ArenaConfig:
    """Settings of one comparison.

    Attributes:
        rankers: Which of "bi", "poly", "cross", "bm25" to run.
        k: Documents kept per query in every run.
        rerank_depth: How many first-stage documents the cross-encoder re-ranks.
        first_stage: Ranker whose shortlist the cross-encoder re-ranks.
        cross_full_corpus: Score every document with the cross-encoder instead (slow; priced first).
        bi_model / poly_model / cross_model: Model specs ("embedded", a local path or a Hugging Face id).
        poly_codes: m for an untrained poly-encoder (a trained one keeps its own).
        index_type: FAISS index of the bi-encoder (see `core.index.INDEX_TYPES`).
        bi_backend: What runs the bi-encoder: "torch", or ONNX Runtime ("onnx", "onnx-int8"), faster on a CPU.
        exclude_self: Drop a hit whose doc id equals its query id (BEIR/MTEB convention for ArguAna).
    """

    rankers: tuple[str, ...] = RANKER_KINDS
    k: int = 100
    rerank_depth: int = 100
    first_stage: str = "bi"
    cross_full_corpus: bool = False
    bi_model: str = "embedded"
    poly_model: str = "embedded"
    cross_model: str = "embedded"
    poly_codes: int = 16
    index_type: IndexType = "flat"
    exclude_self: bool = False
    bi_backend: Backend = "torch"

    def __post_init__(self) -> None:
        unknown = [r for r in self.rankers if r not in RANKER_KINDS]
        if unknown or not self.rankers:
            raise ValueError(f"unknown rankers {unknown}; choose from {', '.join(RANKER_KINDS)}")
        if self.first_stage not in FIRST_STAGES:
            raise ValueError(f"first stage must be one of {', '.join(FIRST_STAGES)}, not {self.first_stage!r}")
        if self.bi_backend not in BACKENDS:
            raise ValueError(f"bi-encoder backend must be one of {', '.join(BACKENDS)}, not {self.bi_backend!r}")
        if self.index_type not in INDEX_TYPES:
            raise ValueError(f"index type must be one of {', '.join(INDEX_TYPES)}, not {self.index_type!r}")
        for name in ("k", "rerank_depth", "poly_codes"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")

    @property
    def needs_first_stage(self) -> bool:
        """Whether the cross-encoder re-ranks a shortlist that must be computed."""
        return "cross" in self.rankers and not self.cross_full_corpus

    @property
    def kinds_to_run(self) -> tuple[str, ...]:
        """The rankers a comparison runs, in `RUN_ORDER`: the chosen ones plus the cross-encoder's first stage."""
        wanted = set(self.rankers) | ({self.first_stage} if self.needs_first_stage else set())
        return tuple(kind for kind in RUN_ORDER if kind in wanted)

    def model_specs(self) -> dict[str, str]:
        """The model spec of each model-backed ranker in `kinds_to_run`, by kind."""
        specs = {"bi": self.bi_model, "poly": self.poly_model, "cross": self.cross_model}
        return {kind: specs[kind] for kind in self.kinds_to_run if kind in specs}

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rankers": list(self.rankers)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ArenaConfig:
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        if "rankers" in values:
            values["rankers"] = tuple(values["rankers"])
        return cls(**values)


# --- guards: limits and model policy, configured by environment variables (see SECURITY.md) ---------

SERVER_FLAG = "--server"
DEFAULT_HUB_IDS = r"(sentence-transformers|cross-encoder)/[A-Za-z0-9][A-Za-z0-9._-]*"
"""Hugging Face ids a user may type in server mode, by default: the two official sentence-transformers orgs."""


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
    "ARENA_SERVER": "1 turns on server mode, as `streamlit run app.py -- --server` does",
    "ARENA_MODEL_DIRS": "in server mode, folders allowed for local model paths (separated by ':')",
    "ARENA_HUB_IDS": "in server mode, a regular expression allowed Hugging Face ids match in full",
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
