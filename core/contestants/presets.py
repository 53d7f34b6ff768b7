"""Named comparisons: the presets Settings offers (`presets.json`), the Start page's demo (`demo_spec`), and a
comparison with fine-tuned models added beside their zero-shot contestants (`with_fine_tuned`)."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import replace
from pathlib import Path

from core.config import WEIGHTS_DIR
from core.contestants.kind import FIRST
from core.contestants.registry import NAME_MARKS, comparison, comparison_from_dict, contestant, kinds
from core.contestants.spec import MAX_CONTESTANTS, ComparisonSpec, SpecError, settings

PRESETS_FILE = Path(__file__).resolve().parent / "presets.json"
DEFAULT_PRESET = "Textbook: BM25, bi, poly-16, bi top-100 → cross"
PAPER_TABLE = "The paper's table: zero-shot bi, poly, bi → cross (fine-tune them on Train to add their rows)"


def presets() -> dict[str, ComparisonSpec]:
    """The named comparisons offered in Settings (the first is the default of the CLI and the demo)."""
    entries = json.loads(PRESETS_FILE.read_text(encoding="utf-8"))
    return {name: comparison_from_dict(entry, f"preset {name!r}") for name, entry in entries.items()}


LESSON_MODELS = {"cross": WEIGHTS_DIR / "lesson-cross"}
"""The heads fine-tuned (compact) on the lesson data's training split, shipped for the demo. No poly-encoder: its
document vectors are the bi-encoder's, which cannot tell "A acquired B" from "B acquired A", and fine-tuned on the
lesson it never beat its start on the dev split."""


def demo_spec() -> ComparisonSpec:
    """The Start page's quick demo: the textbook preset with the embedded (zero-shot) models, shallow enough for a
    CPU, beside the shipped heads fine-tuned on the lesson data's training split (`LESSON_MODELS`)."""
    textbook = presets()[DEFAULT_PRESET]
    zero_shot = comparison((c.with_options(depth=20) if c.option(FIRST.name) else c for c in textbook.contestants),
                           k=20)
    shipped = {kind: as_typed(folder) for kind, folder in LESSON_MODELS.items() if folder.is_dir()}
    if not shipped:
        return zero_shot
    named = comparison((replace(c, name=f"{c.name} · zero-shot") if c.kind in shipped else c
                        for c in zero_shot.contestants), k=zero_shot.k)
    return with_fine_tuned(named, shipped, "lesson")[0]


def as_typed(folder: Path) -> str:
    """`folder` as a user would type it: relative to the working directory when inside it ("core/weights/lesson-cross",
    where the app runs from the project), else absolute."""
    return str(folder.relative_to(Path.cwd())) if folder.is_relative_to(Path.cwd()) else str(folder)


def with_fine_tuned(spec: ComparisonSpec, models: dict[str, str], dataset_name: str,
                    kept: Collection[str] = ()) -> tuple[ComparisonSpec, list[str]]:
    """`spec` plus one contestant per fine-tuned model (trained kind -> folder), named "cross-encoder · fine-tuned on
    <data>" ("cross-encoder · tried on <data>" for a kind in `kept`, whose training kept the untrained start: its
    label then says "no gain: kept the untrained start"), of the kind it competes as (`Kind.competes_as`), with the options of the spec's zero-shot contestant of that
    kind (its first stage too), else the kind's defaults; replaces contestants of the same name. Returns the spec
    and the names added.

    Raises:
        SpecError: When the comparison would exceed its contestant limit (the message says what to do instead).
    """
    added, entries = [], list(spec.contestants)
    for trained, folder in models.items():
        name = f"{kinds()[trained].title} · {'tried' if trained in kept else 'fine-tuned'} on {dataset_name}"
        for mark in NAME_MARKS:
            name = name.replace(mark, " ")
        kind = kinds()[trained].competes_as
        zero_shot = next((entry for entry in spec.contestants if entry.kind == kind), None)
        values = {"name": name, "kind": kind, "model": folder}
        if zero_shot is not None:
            values |= {option: value for option, value in zero_shot.options if option != "codes"}
        entries = [entry for entry in entries if entry.name != name] + [contestant(values)]
        added.append(name)
    if len(entries) > MAX_CONTESTANTS:
        raise SpecError(f"adding {len(added)} fine-tuned models makes {len(entries)} contestants, and at most "
                        f"{MAX_CONTESTANTS} compete at once: remove some first (Settings), or compare them in the "
                        "paper's table (zero-shot and fine-tuned bi, poly and cross)")
    return comparison(entries, **{field.name: getattr(spec, field.name) for field in settings()}), added


def paper_table(models: dict[str, str], dataset_name: str, kept: Collection[str] = ()) -> ComparisonSpec:
    """The Poly-encoder paper's table on the user's data: the `PAPER_TABLE` preset's zero-shot bi-, poly- and
    cross-encoder with the models fine-tuned on `dataset_name` beside them (`with_fine_tuned`), trained alike: the
    fine-tuned cross-encoder re-ranks the fine-tuned bi-encoder's shortlist when both are there."""
    zero_shot = presets()[PAPER_TABLE]
    order = [entry.kind for entry in zero_shot.contestants]  # each row in the zero-shot rows' order of kinds
    models = dict(sorted(models.items(), key=lambda item: order.index(item[0]) if item[0] in order else len(order)))
    spec, added = with_fine_tuned(zero_shot, models, dataset_name, kept)
    by_kind = dict(zip(models, added))  # trained kind -> its contestant
    if "cross" not in by_kind or "bi" not in by_kind:
        return spec
    return comparison((entry.with_options(first=by_kind["bi"]) if entry.name == by_kind["cross"] else entry
                       for entry in spec.contestants),
                      **{field.name: getattr(spec, field.name) for field in settings()})
