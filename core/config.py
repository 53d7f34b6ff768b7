"""What a comparison runs: rankers, models, depths. A frozen dataclass that round-trips through JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from core.index import INDEX_TYPES, IndexType

RANKER_KINDS = ("bi", "poly", "cross", "bm25")
FIRST_STAGES = ("bi", "poly", "bm25")


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
        index_type: FAISS index of the bi-encoder: "flat" (exact), "hnsw" or "ivf".
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

    def __post_init__(self) -> None:
        unknown = [r for r in self.rankers if r not in RANKER_KINDS]
        if unknown or not self.rankers:
            raise ValueError(f"unknown rankers {unknown}; choose from {', '.join(RANKER_KINDS)}")
        if self.first_stage not in FIRST_STAGES:
            raise ValueError(f"first stage must be one of {', '.join(FIRST_STAGES)}, not {self.first_stage!r}")
        if self.index_type not in INDEX_TYPES:
            raise ValueError(f"index type must be one of {', '.join(INDEX_TYPES)}, not {self.index_type!r}")
        for name in ("k", "rerank_depth", "poly_codes"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")

    @property
    def needs_first_stage(self) -> bool:
        """Whether the cross-encoder re-ranks a shortlist that must be computed."""
        return "cross" in self.rankers and not self.cross_full_corpus

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rankers": list(self.rankers)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ArenaConfig:
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        if "rankers" in values:
            values["rankers"] = tuple(values["rankers"])
        return cls(**values)
