"""What turns specs into checked contestants and rankers, over the kinds declared in `core.contestants.kinds`.

A kind is declared there (its options, cost rank and title: nothing heavy) and implemented by one module under
`core/rankers/`, imported when a contestant of that kind is first built or described. Nothing else in the code
names a kind.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from core.config import ModelPolicy
from core.contestants.spec import (
    EMBEDDED,
    SPEC_KEYS,
    ComparisonSpec,
    ContestantSpec,
    Option,
    SpecError,
    parse_pairs,
    settings,
)

if TYPE_CHECKING:
    from core.comparison.compare import RankerResult
    from core.rankers.base import Ranker

FIRST = Option("first", str, "", "contestant (or kind) whose top `depth` documents this one re-ranks; "
               "empty: rank the whole corpus")
DEPTH = Option("depth", int, 100, "how many first-stage documents are re-ranked", minimum=1)
RERANK_OPTIONS = (FIRST, DEPTH)
"""Options of every kind that can re-rank another contestant's shortlist ("first stage top-N → re-ranker")."""
NAME_MARKS = (",", "=", "+")
"""What a contestant name cannot hold: `--ranker` separators, and the "+" between a fusion's inputs."""


@dataclass(frozen=True)
class BuildContext:
    """What building a ranker may need besides its spec.

    Attributes:
        policy: Which model specs and run-file paths this process allows.
        upstream: Finished results of other contestants, by name (inputs of a fusion).
    """

    policy: ModelPolicy = field(default_factory=ModelPolicy)
    upstream: Callable[[str], RankerResult] = lambda name: (_ for _ in ()).throw(KeyError(name))


@dataclass(frozen=True)
class Kind:
    """A kind of contestant.

    Attributes:
        name: Key in specs (`kind=...`).
        title: Plain name for people ("bi-encoder").
        summary: One sentence for the Settings page and `--help`.
        cost: Rank from cheapest (0); the most expensive contestant present is the agreement reference.
        options: Its own options (the re-ranking ones are added when `reranks`).
        implementation: Its module, which defines `build(spec, context) -> Ranker` and `describe_model(spec)` (the
            real model name a user sees: "all-MiniLM-L6-v2", never "embedded"), `pair_calls` when `scores_pairs`
            and `check` when `checks_spec`. Imported on first use: model libraries load only when needed.
        has_model: Whether `model` means anything for this kind.
        reranks: Whether it can re-rank a first stage's shortlist (adds `first` and `depth`).
        default_first: The first stage used when a spec leaves `first` out ("" ranks the whole corpus).
        inputs_option: The option naming, joined by "+", the contestants whose results it needs besides its first
            stage (a fusion's inputs); "" for none.
        scores_pairs: Whether it runs a model on (query, document) pairs, priced before a run by its module's
            `pair_calls(spec, N) -> (calls at indexing, calls per query)`.
        checks_spec: Whether its module's `check(spec)` raises SpecError for options that do not fit together
            (called by `contestant`).
        shorthand: Legacy CLI flags of this kind, flag → option ("model" for the model; "option=value" for a
            flag that takes no value and sets one).
    """

    name: str
    title: str
    summary: str
    cost: int
    options: tuple[Option, ...]
    implementation: str
    has_model: bool = True
    reranks: bool = True
    default_first: str = ""
    inputs_option: str = ""
    scores_pairs: bool = False
    checks_spec: bool = False
    shorthand: Mapping[str, str] = field(default_factory=dict)

    @property
    def all_options(self) -> tuple[Option, ...]:
        if not self.reranks:
            return self.options
        return (*self.options, Option(FIRST.name, str, self.default_first, FIRST.help), DEPTH)

    @property
    def module(self) -> ModuleType:
        return importlib.import_module(self.implementation)

    def build(self, spec: ContestantSpec, context: BuildContext) -> Ranker:
        return self.module.build(spec, context)

    def describe_model(self, spec: ContestantSpec) -> str:
        return self.module.describe_model(spec)

    def pair_calls(self, spec: ContestantSpec, documents: int) -> tuple[int, int]:
        return self.module.pair_calls(spec, documents)

    def check(self, spec: ContestantSpec) -> None:
        if self.checks_spec:
            self.module.check(spec)

    def inputs(self, spec: ContestantSpec) -> tuple[str, ...]:
        if not self.inputs_option:
            return ()
        return tuple(part.strip() for part in (spec.option(self.inputs_option) or "").split("+") if part.strip())


_KINDS: dict[str, Kind] = {}


def kinds() -> dict[str, Kind]:
    """Every declared kind by name, cheapest first."""
    if not _KINDS:
        from core.contestants.kinds import KINDS

        _KINDS.update((kind.name, kind) for kind in sorted(KINDS, key=lambda kind: kind.cost))
    return _KINDS


def kind_of(spec: ContestantSpec) -> Kind:
    try:
        return kinds()[spec.kind]
    except KeyError:
        raise SpecError(f"contestant {spec.name!r}: unknown kind {spec.kind!r}; "
                        f"choose from {', '.join(kinds())}") from None


# --- specs from text and files --------------------------------------------------------------------


def contestant(values: Mapping[str, Any], where: str = "") -> ContestantSpec:
    """A checked contestant spec from `{name, kind, model, option: value}` (strings or typed values).

    The name defaults to the kind; options the kind does not take, and values of the wrong type, are errors.

    Raises:
        SpecError: Naming the contestant (or `where`) and the problem.
    """
    values = dict(values)
    kind_name = str(values.get("kind", "")).strip()
    name = str(values.get("name", kind_name)).strip()
    where = where or f"contestant {name or '?'!r}"
    if not kind_name:
        raise SpecError(f"{where}: give its kind (kind=...; one of {', '.join(kinds())})")
    if not name:
        raise SpecError(f"{where}: give it a name (name=...)")
    if any(mark in name for mark in NAME_MARKS):
        raise SpecError(f"{where}: a name cannot contain {' '.join(repr(m) for m in NAME_MARKS)} "
                        f"(they separate a spec's parts and a fusion's inputs), not {name!r}")
    kind = kind_of(ContestantSpec(name, kind_name))
    model = str(values.get("model", EMBEDDED if kind.has_model else "")).strip()
    if not kind.has_model and model:
        raise SpecError(f"{where}: a {kind.title} takes no model")
    if kind.has_model and not model:
        raise SpecError(f"{where}: give a model (\"embedded\", a local path or a Hugging Face id)")
    known = {option.name: option for option in kind.all_options}
    unknown = [key for key in values if key not in SPEC_KEYS and key not in known]
    if unknown:
        raise SpecError(f"{where}: a {kind.title} takes no option {', '.join(unknown)}; "
                        f"its options: {', '.join(known) or 'none'}")
    options = {option.name: option.default for option in kind.all_options}
    options.update({key: known[key].parse(value, where) for key, value in values.items() if key in known})
    spec = ContestantSpec(name, kind.name, model, tuple(sorted(options.items())))
    kind.check(spec)
    return spec


def parse_contestant(text: str) -> ContestantSpec:
    """A `--ranker` argument (`name=x,kind=bi,model=...,option=value`) as a checked spec."""
    return contestant(parse_pairs(text), f"ranker spec {text!r}")


def comparison(contestants: Iterable[ContestantSpec], **values: Any) -> ComparisonSpec:
    """A checked comparison: names unique, every first stage and fusion input resolvable.

    Settings not given keep their defaults. A re-ranker's `first` may name a contestant or, when none has
    that name, a kind: that kind then runs with its defaults as a first stage only (not shown as a result).

    Raises:
        SpecError: For a reference to nothing, or a cycle.
    """
    spec = ComparisonSpec(tuple(contestants), **values)
    names = set(spec.names)
    for entry in spec.contestants:
        for needed in dependencies(entry):
            if needed not in names and not (needed == entry.option(FIRST.name) and needed in kinds()):
                raise SpecError(f"contestant {entry.name!r} needs {needed!r}, which is neither a contestant "
                                f"nor a kind")
    run_order(spec)  # raises on a cycle
    return spec


def comparison_from_dict(data: Mapping[str, Any], source: str = "comparison file") -> ComparisonSpec:
    """A comparison from a parsed JSON/TOML file (see `core.contestants.spec.read_comparison_file`)."""
    known = {f.name for f in settings()}
    unknown = [key for key in data if key not in known and key != "contestants"]
    if unknown:
        raise SpecError(f"{source}: unknown setting {', '.join(unknown)}; settings: {', '.join(sorted(known))}")
    entries = data.get("contestants") or []
    if not all(isinstance(entry, Mapping) for entry in entries):
        raise SpecError(f"{source}: every contestant must be a table of name, kind, model and options")
    return comparison((contestant(entry, f"{source}, contestant {i + 1}") for i, entry in enumerate(entries)),
                      **{key: data[key] for key in known if key in data})


# --- running order --------------------------------------------------------------------------------


def dependencies(spec: ContestantSpec) -> tuple[str, ...]:
    """Names (or kinds) whose results `spec` needs: its first stage, then its kind's other inputs."""
    first = spec.option(FIRST.name) or ""
    return ((first,) if first else ()) + kind_of(spec).inputs(spec)


def run_order(spec: ComparisonSpec) -> tuple[ContestantSpec, ...]:
    """Every contestant to run, each after what it needs and otherwise cheapest first.

    Includes the implicit first stages (a kind named as `first` with no contestant of that name), under
    the kind's name.

    Raises:
        SpecError: If contestants depend on each other in a cycle.
    """
    by_name = {c.name: c for c in spec.contestants}
    for entry in spec.contestants:
        first = entry.option(FIRST.name) or ""
        if first and first not in by_name:
            by_name[first] = contestant({"kind": first, "name": first})
    ordered: list[ContestantSpec] = []
    visiting: set[str] = set()

    def visit(entry: ContestantSpec) -> None:
        if entry in ordered:
            return
        if entry.name in visiting:
            raise SpecError(f"contestant {entry.name!r} depends on itself (through {', '.join(sorted(visiting))})")
        visiting.add(entry.name)
        for needed in dependencies(entry):
            visit(by_name[needed])
        visiting.discard(entry.name)
        ordered.append(entry)

    for entry in sorted(by_name.values(), key=lambda c: kind_of(c).cost):
        visit(entry)
    return tuple(ordered)


def build_ranker(spec: ContestantSpec, context: BuildContext = BuildContext()) -> Ranker:
    """The ranker of `spec`, named after it, over its model (loaded once per process)."""
    ranker = kind_of(spec).build(spec, context)
    ranker.name, ranker.model_name = spec.name, kind_of(spec).describe_model(spec)
    return ranker


def describe(spec: ContestantSpec) -> str:
    """"<kind title>: <real model name>" for tables and legends."""
    return f"{kind_of(spec).title}: {kind_of(spec).describe_model(spec)}"


# --- presets and the shorthand flags ----------------------------------------------------------------

SHORTHAND_DEFAULT = ("bm25", "bi", "poly", "cross")
"""What the shorthand flags compare when `--rankers` is not given: one contestant of each of these kinds."""
PRESETS_FILE = Path(__file__).resolve().parent / "presets.json"
DEFAULT_PRESET = "Textbook: BM25, bi, poly-16, bi top-100 → cross"


def presets() -> dict[str, ComparisonSpec]:
    """The named comparisons offered in Settings (the first is the default of the CLI and the demo)."""
    entries = json.loads(PRESETS_FILE.read_text(encoding="utf-8"))
    return {name: comparison_from_dict(entry, f"preset {name!r}") for name, entry in entries.items()}


def shorthand_contestants(chosen: Iterable[str], given: Mapping[str, Any]) -> tuple[ContestantSpec, ...]:
    """Contestants of the legacy `--rankers bi,cross --bi-model X ...` flags: one per chosen kind, named after it.

    Args:
        chosen: Kind names.
        given: Values of the shorthand flags by flag (`"--bi-model"`); None or False when not given.
    """
    specs = []
    for kind_name in chosen:
        kind = kind_of(ContestantSpec(kind_name, kind_name))
        values: dict[str, Any] = {"name": kind_name, "kind": kind_name}
        for flag, target in kind.shorthand.items():
            option, equals, constant = target.partition("=")
            if given.get(flag) not in (None, False):
                values[option] = constant if equals else given[flag]
        specs.append(contestant(values, f"--rankers {kind_name}"))
    return tuple(specs)


@dataclass(frozen=True)
class ShorthandFlag:
    """A legacy CLI flag: which kind it sets, its option (None for the model), and whether it takes no value."""

    flag: str
    kind: Kind
    option: Option | None
    switch: bool


def shorthand_flags() -> tuple[ShorthandFlag, ...]:
    """Every legacy shorthand flag of every kind."""
    flags = []
    for kind in kinds().values():
        options = {option.name: option for option in kind.all_options}
        for flag, target in kind.shorthand.items():
            option, equals, _ = target.partition("=")
            flags.append(ShorthandFlag(flag, kind, options.get(option), bool(equals)))
    return tuple(flags)
