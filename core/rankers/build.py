"""From a contestant's spec to its ranker: the kind's implementation module, imported on first use.

A kind's declaration (`core.contestants.kinds`) names its module under `core/rankers/`; that module defines
`build(spec, context) -> Ranker`, `describe_model(spec)` and, for a kind that scores (query, document) pairs,
`pair_calls(spec, documents)`. Importing it is what loads a model library, so this happens only when a contestant
of the kind is built or described, never while a spec is parsed.

Example:
    >>> from core.contestants.registry import parse_contestant
    >>> ranker = build_ranker(parse_contestant("name=bm25,kind=bm25"))
    >>> ranker.name, describe(parse_contestant("name=bm25,kind=bm25"))
    ('bm25', 'BM25: bm25s (k1 = 1.5, b = 0.75)')
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Protocol

from core.config import ModelPolicy
from core.contestants.registry import kind_of
from core.contestants.spec import ContestantSpec
from core.data.pseudo_queries import QueryShape
from core.types import Run

if TYPE_CHECKING:
    from core.rankers.base import Ranker


class Finished(Protocol):
    """What a ranker may read of a contestant that finished before it (a fusion reads its inputs')."""

    run: Run
    query_ms: list[float]


def _nothing_finished(name: str) -> Finished:
    raise KeyError(name)


@dataclass(frozen=True)
class BuildContext:
    """What building a ranker may need besides its spec.

    Attributes:
        policy: Which model specs and run-file paths this process allows.
        upstream: Finished contestants by name (inputs of a fusion).
        query_shape: What the queries to be ranked look like (`core.data.pseudo_queries.query_shape`), for the
            zero-shot IDF prior's test (`core.rankers.prior_check`), whose pseudo-queries are drawn like them; None
            when unknown (sentences or spans, then).
        device: Where the models run, resolved (`core.devices.resolve_device`: "cpu", "cuda:0", "mps").
    """

    policy: ModelPolicy = field(default_factory=ModelPolicy)
    upstream: Callable[[str], Finished] = _nothing_finished
    query_shape: QueryShape | None = None
    device: str = "cpu"


def implementation(spec: ContestantSpec) -> ModuleType:
    """The module implementing `spec`'s kind (imported now if it is not yet)."""
    return importlib.import_module(kind_of(spec).implementation)


def build_ranker(spec: ContestantSpec, context: BuildContext | None = None) -> Ranker:
    """The ranker of `spec`, named after it, over its model (loaded once per process)."""
    context = context or BuildContext()
    ranker = implementation(spec).build(spec, context)
    ranker.name, ranker.model_name = spec.name, describe_model(spec)
    ranker.device = context.device if kind_of(spec).has_model else "cpu"
    return ranker


def describe_model(spec: ContestantSpec) -> str:
    """The real model `spec` runs, as a user reads it ("all-MiniLM-L6-v2", never "embedded")."""
    return implementation(spec).describe_model(spec)


def describe(spec: ContestantSpec) -> str:
    """"<kind title>: <real model name>" for tables and legends."""
    return f"{kind_of(spec).title}: {describe_model(spec)}"


def pair_calls(spec: ContestantSpec, documents: int) -> tuple[int, int]:
    """(Calls at indexing, calls per query) of a pair-scoring contestant over `documents` documents."""
    return implementation(spec).pair_calls(spec, documents)
