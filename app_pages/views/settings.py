"""The Settings page's view-model: the contestants in words, the editable contestant table and the comparison it
describes, Duplicate, a run file added, the JSON export, and every kind's help."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd

from core.contestants.kind import DEPTH, FIRST
from core.contestants.kinds import RUN_FILE
from core.contestants.registry import comparison, contestant, kind_of, kinds
from core.contestants.spec import SPEC_KEYS, ComparisonSpec, ContestantSpec, Option, SpecError, parse_pairs, runs_on
from core.devices import device_title, resolve_device
from core.rankers.build import describe
from core.text import markdown_literal


def contestants_sentence(spec: ComparisonSpec) -> str:
    """The contestants of `spec` in words (markdown): "**bm25** (BM25), **bi → cross** (cross-encoder: …
    re-ranking bi-encoder's top 20)", …"""
    parts = []
    for entry in spec.contestants:
        first = entry.option(FIRST.name) or ""
        reranks = f", re-ranking {first}'s top {entry.option('depth')}" if first else ""
        plain_words = describe(entry).removesuffix(runs_on(entry))  # what runs a model is Settings' business
        parts.append(f"**{markdown_literal(entry.name)}** ({markdown_literal(plain_words + reranks)})")
    return ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]


# --- the contestant table of Settings -------------------------------------------------------------

CONTESTANT_COLUMNS = ["name", "kind", "model", "options"]


def options_text(entry: ContestantSpec) -> str:
    """The options a contestant sets as the Settings table shows them ("first=bi, depth=100"): those that differ
    from its kind's defaults, and a re-ranker's first stage and depth (left out, an option keeps its default)."""
    defaults = {option.name: option.default for option in kind_of(entry).all_options}
    reranks = bool(entry.option(FIRST.name))
    return ", ".join(f"{key}={value}" for key, value in entry.options
                     if value != defaults.get(key) or (reranks and key in (FIRST.name, DEPTH.name)))


def contestant_rows(spec: ComparisonSpec) -> pd.DataFrame:
    """The contestants of `spec` as the editable table of the Settings page (one row each)."""
    rows = [(entry.name, entry.kind, entry.model, options_text(entry)) for entry in spec.contestants]
    return pd.DataFrame(rows, columns=CONTESTANT_COLUMNS)


def spec_from_rows(rows: pd.DataFrame, **settings: object) -> ComparisonSpec:
    """The comparison an edited contestant table describes (empty rows skipped), with `settings`.

    Raises:
        SpecError: Naming the table row and what is wrong with it.
    """
    entries = []
    for number, row in enumerate(rows.fillna("").astype(str).itertuples(index=False), start=1):
        if not any(value.strip() for value in row):
            continue
        where = f"row {number} ({row.name.strip() or 'no name'})"
        options = parse_pairs(row.options, f"{where}, options") if row.options.strip() else {}
        clash = [key for key in options if key in SPEC_KEYS]
        if clash:
            raise SpecError(f"{where}: set {', '.join(clash)} in its own column, not among the options")
        values = {"name": row.name, "kind": row.kind, **({"model": row.model} if row.model.strip() else {}), **options}
        entries.append(contestant(values, where))
    return comparison(entries, **settings)


def duplicate(spec: ComparisonSpec, name: str) -> ComparisonSpec:
    """`spec` with a copy of contestant `name` added after it, named "<name> copy" (or "copy 2", ...)."""
    original = spec.contestant(name)
    copy_name = next(candidate for n in range(1, len(spec.contestants) + 2)
                     if (candidate := f"{name} copy" + (f" {n}" if n > 1 else "")) not in spec.names)
    entries = list(spec.contestants)
    entries.insert(entries.index(original) + 1, ContestantSpec(copy_name, original.kind, original.model, original.options))
    return replace(spec, contestants=tuple(entries))


def with_run_file(spec: ComparisonSpec, file_name: str, path: str) -> ComparisonSpec:
    """`spec` with a run-file contestant added, named after the file (made unique)."""
    stem = Path(file_name).stem.replace(",", " ").replace("=", " ").replace("+", " ").strip() or "run"
    name = next(candidate for n in range(1, len(spec.contestants) + 2)
                if (candidate := stem + (f" {n}" if n > 1 else "")) not in spec.names)
    return replace(spec, contestants=(*spec.contestants, contestant({"name": name, "kind": RUN_FILE.name, "path": path})))


def spec_json(spec: ComparisonSpec) -> str:
    """`spec` as the JSON comparison file that `--comparison` and Settings' import read."""
    return json.dumps(spec.to_dict(), indent=2, ensure_ascii=False) + "\n"


def kinds_help() -> str:
    """Every kind with what it is and the options it takes, for the Settings page: markdown that wraps at any
    width (a table cuts such sentences off)."""
    def option(option: Option) -> str:
        default = str(option.default).lower() if isinstance(option.default, bool) else option.default
        return f"`{option.name}` (default `{markdown_literal(str(default)) or '–'}`): {markdown_literal(option.help)}"

    return "\n".join(f"- **`kind={kind.name}`**, {markdown_literal(kind.title)}: {markdown_literal(kind.summary)}."
                     + "".join(f"\n    - {option(each)}" for each in kind.all_options)
                     for kind in kinds().values())


def device_choice(device: str) -> str:
    """A device as the Settings page offers it: "auto (here: the CPU)", "cuda:0: NVIDIA H200, bfloat16"."""
    if device == "auto":
        return f"auto (here: {device_title(resolve_device('auto'))})"
    return device_title(device)
