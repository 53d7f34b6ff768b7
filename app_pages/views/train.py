"""The Train page's view-model: where a job trains and how fast it went, and the model card a fine-tuning run
wrote."""

from __future__ import annotations

import json
from pathlib import Path

from core.devices import DeviceError, device_title, resolve_device
from core.text import counted, duration_text
from core.training.in_domain import job_seconds, mining_seconds
from core.training.selection import dev_query_count
from core.types import Dataset


def model_card(folder: str) -> str | None:
    """The model card (README.md) a fine-tuning run wrote into `folder`, or None."""
    card = Path(folder) / "README.md"
    return card.read_text(encoding="utf-8") if card.is_file() else None


def estimate(training: Dataset, kinds: tuple[str, ...], minutes: float, device: str = "auto") -> str:
    """What a job started now would take, in a sentence that says where the time goes: mining (the corpus encoded
    once unless a comparison cached it), each model's training budget, saving; and where it trains."""
    where = where_it_trains(device)
    if not kinds:
        return f"Tick what to fine-tune. {where}"
    try:
        resolved = resolve_device(device)
    except DeviceError:
        return where
    encoding, listing = mining_seconds(training, resolved)
    total = job_seconds(training, kinds, minutes, resolved)[0]
    corpus = (f"encoding the {len(training.corpus):,} documents about {duration_text(encoding)}" if encoding
              else "the documents are already encoded (a comparison cached them)")
    judged = sum(1 for grades in (training.qrels or {}).values() if any(grades.values()))
    return (f"Estimate: about {duration_text(total)} in all: {duration_text(60 * minutes)} of training per model "
            f"(on the same lists, each keeps its best checkpoint on a dev split of {dev_query_count(judged)} of the "
            f"{judged:,} training queries, and only if it beats its start beyond their noise), mining negatives "
            f"({corpus}; {duration_text(listing)} a model for the lists) and saving. {where}")


def where_it_trains(device: str = "auto") -> str:
    """Where a job started now would train, in a sentence: "Trains on the CPU." or "Trains on NVIDIA H200
    (cuda:0), bfloat16." (`device`: `core.training.loop.TrainConfig.device`); what is wrong when it cannot."""
    try:
        return f"Trains on {device_title(resolve_device(device))}."
    except DeviceError as error:
        return f"Cannot train here: {error}."


def pace(folder: str) -> str | None:
    """How a finished model trained, from its `training.json`: "Trained on the CPU at 24 steps a minute (120 steps;
    5 min in all, mining included)."; None without a record (or one written before the pace was measured)."""
    record = Path(folder) / "training.json"
    if not record.is_file():
        return None
    training = json.loads(record.read_text(encoding="utf-8"))
    steps_per_minute = training.get("steps_per_minute")
    if not steps_per_minute:
        return None
    where = training.get("device_title", "the CPU")
    steps = counted(training["history"]["steps"], "step")
    return (f"Trained on {where} at {steps_per_minute:,.0f} steps a minute ({steps}; "
            f"{duration_text(training['wall_s'])} in all, mining included).")
