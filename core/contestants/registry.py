"""The one registry of kinds, and what turns specs into checked contestants, comparisons and a comparison's plan.

Every kind is declared once in `core.contestants.kinds` (a `Kind`: options, cost, training, views; nothing heavy);
this module reads those declarations and never a ranker: `core.rankers.build` builds rankers from them. A
comparison's `plan` resolves, once, what `core.comparison.compare` then walks: each contestant with its kind, its
first stage and how many documents it must rank.

Example:
    >>> spec = comparison([parse_contestant("name=bm25,kind=bm25"),
    ...                    parse_contestant("name=bm25>cross,kind=cross,first=bm25,depth=20")], k=10)
    >>> [(step.name, step.first, step.depth) for step in plan(spec)]
    [('bm25', '', 20), ('bm25>cross', 'bm25', 10)]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from core.contestants.kind import DEPTH, FIRST, TAIL, Kind
from core.contestants.kinds import KINDS
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
from core.devices import resolve_device

__all__ = ["DEPTH", "FIRST", "NAME_MARKS", "TAIL", "Step", "comparison", "comparison_from_dict", "contestant", "dependencies",
           "kind_of", "kinds", "parse_contestant", "plan", "trainable_kinds"]

NAME_MARKS = (",", "=", "+")
"""What a contestant name cannot hold: `--ranker` separators, and the "+" between a fusion's inputs."""


_KINDS: dict[str, Kind] = {kind.name: kind for kind in sorted(KINDS, key=lambda kind: kind.cost)}


def kinds() -> dict[str, Kind]:
    """Every declared kind by name, cheapest first."""
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
    plan(spec)  # raises on a cycle
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


# --- the plan of a comparison ----------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One contestant's turn in a comparison, resolved from its spec.

    Attributes:
        contestant: Its spec.
        kind: Its kind's declaration.
        first: The contestant whose top `shortlist` documents it re-ranks ("" ranks the whole corpus).
        shortlist: How many of the first stage's documents it re-ranks (0 without a first stage).
        tail: Whether its run goes on below the re-ranked documents with the first stage's next ones.
        depth: Documents it must rank per query: the comparison's k, or more when a later re-ranker takes a deeper
            shortlist from it.
        position: Its place in the comparison's display order (its colour); None for an implicit first stage (a
            kind named as `first`, run with its defaults and not shown).
    """

    contestant: ContestantSpec
    kind: Kind
    first: str
    shortlist: int
    tail: bool
    depth: int
    position: int | None

    @property
    def name(self) -> str:
        return self.contestant.name

    @property
    def shown(self) -> bool:
        return self.position is not None


def dependencies(spec: ContestantSpec) -> tuple[str, ...]:
    """Names (or kinds) whose results `spec` needs: its first stage, then its kind's other inputs."""
    first = spec.option(FIRST.name) or ""
    return ((first,) if first else ()) + kind_of(spec).inputs(spec)


def plan(spec: ComparisonSpec) -> tuple[Step, ...]:
    """Every contestant to run, each after what it needs and otherwise cheapest first, with what it runs as.

    Includes the implicit first stages (a kind named as `first` with no contestant of that name), under the
    kind's name.

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
    depths = {entry.name: spec.k for entry in ordered}
    for entry in ordered:
        if entry.option(FIRST.name):
            depths[entry.option(FIRST.name)] = max(depths[entry.option(FIRST.name)], entry.option(DEPTH.name))
    return tuple(Step(entry, kind_of(entry), entry.option(FIRST.name) or "",
                      entry.option(DEPTH.name) if entry.option(FIRST.name) else 0,
                      bool(entry.option(FIRST.name)) and entry.option(TAIL.name), depths[entry.name],
                      spec.names.index(entry.name) if entry.name in spec.names else None)
                 for entry in ordered)


def trainable_kinds() -> tuple[Kind, ...]:
    """The kinds that can be fine-tuned, in training order: each after the kinds it distils from or starts from
    (otherwise in the order they are declared)."""
    waiting = [kind for kind in KINDS if kind.training is not None]
    order: list[Kind] = []
    while waiting:
        placed = {kind.name for kind in order}
        ready = next(kind for kind in waiting if set(kind.training.after) <= placed)
        order.append(ready)
        waiting.remove(ready)
    return tuple(order)


# --- the shorthand flags ----------------------------------------------------------------

SHORTHAND_DEFAULT = ("bm25", "bi", "poly", "cross")
"""What the shorthand flags compare when `--rankers` is not given: one contestant of each of these kinds."""


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


def device(spec: ComparisonSpec) -> str:
    """Where `spec`'s models run on this machine (`core.devices.resolve_device`); "cpu" when none has a model,
    without importing torch (a BM25-only comparison stays light).

    Raises:
        DeviceError: For a device this machine does not have.
    """
    if not any(kind_of(entry).has_model for entry in spec.contestants):
        return "cpu"
    return resolve_device(spec.device)
