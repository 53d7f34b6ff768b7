"""A finished comparison as one JSON file to keep or share, and read back: the contestants, every result (runs,
metrics, latencies as measured) and the hash of the data it ran on, so that it is only ever shown beside that
data. The same fields serve the server's cache of comparisons (`core.comparison.cache`).
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

from core.comparison.results import Comparison, RankerResult
from core.contestants.registry import comparison_from_dict
from core.contestants.spec import ComparisonSpec, SpecError
from core.data.splits import Splits, hold_out
from core.types import Dataset

FORMAT = "encoder-arena comparison"
VERSION = 1
SUFFIX = ".arena.json"
COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")


class SavedComparisonError(ValueError):
    """A saved comparison that cannot be read, or belongs to other data; the message names the file."""


def comparison_fields(comparison: Comparison) -> dict[str, Any]:
    """Everything `comparison` holds but its spec, as JSON-ready fields."""
    return {"dataset": comparison.dataset, "reference": comparison.reference, "notes": comparison.notes,
            "results": {name: dataclasses.asdict(result) for name, result in comparison.results.items()}}


def comparison_from_fields(spec: ComparisonSpec, fields: dict[str, Any]) -> Comparison:
    """The comparison `comparison_fields` wrote.

    Raises:
        KeyError / TypeError: If a field is missing or has another shape.
    """
    results = {name: RankerResult(**result) for name, result in fields["results"].items()}
    return Comparison(spec, fields["dataset"], results, fields["reference"], list(fields["notes"]))


def saved_json(comparison: Comparison, dataset: Dataset, judging_log: list[dict[str, Any]] | None = None) -> str:
    """`comparison` (computed on `dataset`) as the text of a saved-comparison file, with the judgements and votes
    made on the data (`core.judging.store.JudgingStore.log`), when there are any."""
    saved = {"format": FORMAT, "version": VERSION, "data_hash": dataset.content_hash,
             "comparison": comparison.spec.to_dict(), **comparison_fields(comparison)}
    if judging_log:
        saved["judging_log"] = judging_log
    return json.dumps(saved, ensure_ascii=False)


def read_saved(text: str | bytes, source: str, dataset: Dataset) -> tuple[Comparison, Splits | None]:
    """The comparison a saved file holds, checked to belong to `dataset`, or to the test split of the hold-out it
    was computed on (`core.data.splits.hold_out`, cut again with the saved share and seed; those splits are returned
    too, else None).

    Raises:
        SavedComparisonError: Not JSON, not a saved comparison, a damaged one, or one of other data.
    """
    saved = _parse(text, source)
    summary = saved.get("dataset") if isinstance(saved.get("dataset"), dict) else {}
    splits = None if saved.get("data_hash") == dataset.content_hash else _held_out_again(dataset, summary)
    if saved.get("data_hash") != dataset.content_hash and (splits is None or
                                                           splits.test.content_hash != saved.get("data_hash")):
        raise SavedComparisonError(
            f"{source}: computed on other data ({summary.get('name') or 'unnamed'}, {summary.get('documents', '?')} "
            f"documents, {summary.get('queries', '?')} queries), not on the loaded "
            f"{dataset.name or 'data'} ({len(dataset.corpus)} documents, {len(dataset.queries)} queries); "
            f"load the data it was computed on first")
    return _comparison(saved, source), splits


def read_saved_alone(text: str | bytes, source: str) -> Comparison:
    """The comparison a saved file holds, without the data it ran on: its numbers (metrics, per-query values, runs)
    are all there, but nothing can be checked against the data, so only what reads the numbers should use it.

    Raises:
        SavedComparisonError: Not JSON, not a saved comparison, or a damaged one.
    """
    return _comparison(_parse(text, source), source)


def _parse(text: str | bytes, source: str) -> dict[str, Any]:
    """A saved comparison file as JSON, checked to be one of this version."""
    try:
        saved = json.loads(text)
    except json.JSONDecodeError as error:
        raise SavedComparisonError(f"{source}: not JSON (line {error.lineno}: {error.msg})") from None
    except UnicodeDecodeError:
        raise SavedComparisonError(f"{source}: not a text file") from None
    if not isinstance(saved, dict) or saved.get("format") != FORMAT:
        raise SavedComparisonError(f"{source}: not a saved Encoder Arena comparison (save one on the Export page, "
                                   f"or with `python -m core compare … --out DIR`)")
    if saved.get("version") != VERSION:
        raise SavedComparisonError(f"{source}: saved by another version of Encoder Arena ({saved.get('version')!r})")
    return saved


def _comparison(saved: dict[str, Any], source: str) -> Comparison:
    """The comparison of a parsed saved file, each result checked."""
    try:
        comparison = comparison_from_fields(comparison_from_dict(saved["comparison"], source), saved)
    except SpecError:
        raise
    except (KeyError, TypeError, AttributeError) as error:
        raise SavedComparisonError(f"{source}: damaged ({type(error).__name__}: {error})") from None
    for name, result in comparison.results.items():
        problem = _problem(result)
        if problem:
            raise SavedComparisonError(f"{source}: damaged (contestant {name!r}: {problem})")
    return comparison


def _held_out_again(dataset: Dataset, summary: dict[str, Any]) -> Splits | None:
    """The hold-out a saved comparison's data summary records, cut again from `dataset` (None if it records none or
    it cannot be cut)."""
    held = summary.get("held_out")
    if not (isinstance(held, list) and len(held) == 2 and all(isinstance(value, int) for value in held)):
        return None
    try:
        return hold_out(dataset, *held)
    except ValueError:
        return None


def _problem(result: RankerResult) -> str:
    """What is wrong with a result read from a file, or "" (pages draw its fields into HTML and figures)."""
    if not isinstance(result.colour, str) or not COLOUR.fullmatch(result.colour):
        return f"colour {str(result.colour)[:20]!r} is not #RRGGBB"
    numbers = (int, float)
    if not (isinstance(result.run, dict) and all(isinstance(docs, dict) and all(
            isinstance(score, numbers) for score in docs.values()) for docs in result.run.values())):
        return "its run is not {query: {document: score}}"
    if not all(isinstance(ms, numbers) for ms in result.query_ms) or not isinstance(result.index_s, numbers):
        return "its timings are not numbers"
    if not all(isinstance(value, numbers) for value in (*result.metrics.values(), *result.agreement.values())):
        return "its metrics are not numbers"
    if not (isinstance(result.per_query, dict) and all(isinstance(values, dict) and all(
            isinstance(value, numbers) for value in values.values()) for values in result.per_query.values())):
        return "its per-query metrics are not {metric: {query: number}}"
    if not (isinstance(result.notes, list) and all(isinstance(note, str) for note in result.notes)):
        return "its notes are not a list of texts"
    if not isinstance(result.device, str):
        return "its device is not a text"
    if not isinstance(result.scored_depth, int) or result.scored_depth < 0:
        return "its scored depth is not a whole number"
    return ""


def saved_judging_log(text: str | bytes) -> list[dict[str, Any]]:
    """The judgements and votes a saved comparison carries (`saved_json`'s `judging_log`; empty without)."""
    try:
        log = json.loads(text).get("judging_log", [])
    except (ValueError, AttributeError):
        return []
    return [event for event in log if isinstance(event, dict)] if isinstance(log, list) else []
