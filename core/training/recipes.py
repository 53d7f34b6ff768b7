"""`python -m core train cross|poly`: build the lists, train, save the weights and a training record."""

from __future__ import annotations

import hashlib
import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import torch

from core.data.devsets import shared_data_root
from core.devices import device_title, resolve_device
from core.models.loading import load_bi_encoder, load_cross_encoder
from core.models.sources import TRAINING_RECORD
from core.training.cross import bi_dev_score, train_cross
from core.training.lists import TrainingList, arguana_pairs, wikiqa_dev_lists, wikiqa_lists
from core.training.loop import DEFAULT_MIX, TrainConfig, lists_per_step, seed_everything, teacher_lists_per_call
from core.training.poly import train_poly
from core.training.teacher import TeacherMix, add_bi_cosines, apply_mix, compute_signal, mine_lists

logger = logging.getLogger(__name__)
SOURCES = ("wikiqa", "arguana")

DENSE_TEACHER_MAX_LENGTH = 128
"""Tokens the dense teacher reads (all-mpnet-base-v2 was trained at 128; longer inputs cost CPU time for little)."""

QUICK = {"lists": 24, "epochs": 3, "batch_lists": 4, "eval_every": 1000, "dev_lists": 8,
         "max_query_length": 32, "max_document_length": 64}
"""--quick: a few hundred pairs, under a minute on 2 CPU cores; proves the loop runs and the loss falls."""


def build_lists(root: Path, count: int, rng: random.Random, sources: tuple[str, ...] = SOURCES,
                device: str = "cpu") -> list[TrainingList]:
    """WikiQA lists (natural negatives) and ArguAna synthetic pairs with mined negatives, shared
    equally among `sources`; the mining bi-encoder runs on `device` (a resolved device)."""
    unknown = set(sources) - set(SOURCES)
    if unknown or not sources:
        raise ValueError(f"unknown training sources {sorted(unknown)}; choose from {', '.join(SOURCES)}")
    bi = load_bi_encoder(device=device)
    lists = wikiqa_lists(root, count // len(sources), rng) if "wikiqa" in sources else []
    pairs, corpus = arguana_pairs(root, count - len(lists), rng) if "arguana" in sources else ([], [])
    if pairs:
        lists += mine_lists(pairs, corpus, bi, rng, "arguana", pool_size=min(2000, 8 * len(pairs)))
    rng.shuffle(lists)
    add_bi_cosines([item for item in lists if not item.bi_cosine], bi)
    return lists


def cached_json(cache: Path | None, prefix: str, key: dict, compute: Callable[[], object]) -> object:
    """`compute()`, stored as JSON in `cache` under a name made from `prefix` and `key`, and read back
    from there when it is already stored."""
    name = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    path = cache / f"{prefix}-{name}.json" if cache else None
    if path and path.is_file():
        logger.info("%s read from %s", prefix, path)
        return json.loads(path.read_text())["value"]
    value = compute()
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"key": key, "value": value}))
    return value


def cached_lists(cache: Path | None, key: dict, rng: random.Random,
                 build: Callable[[], list[TrainingList]]) -> list[TrainingList]:
    """The lists that `build` makes, read from `cache` when it holds them for `key`.

    Mining lists costs far more than training on them, so trying several hyper-parameters reuses one
    build. The random state after building is cached too, so a cached run trains exactly as an
    uncached one would.
    """
    def compute() -> dict:
        return {"rng": rng.getstate(), "lists": [asdict(item) for item in build()]}

    stored = cached_json(cache, "lists", key, compute)
    rng.setstate((stored["rng"][0], tuple(stored["rng"][1]), stored["rng"][2]))
    return [TrainingList(**item) for item in stored["lists"]]


def teacher_specs(teacher: str, teacher_dense: str | None) -> dict[str, str]:
    """What the "cross" and "dense" signals come from, as recorded and as cache keys."""
    return {"cross": teacher, "dense": f"{teacher_dense}, {DENSE_TEACHER_MAX_LENGTH} tokens"}


def attach_signals(lists: list[TrainingList], signals: tuple[str, ...], cache: Path | None, key: dict,
                   teacher: str, teacher_dense: str | None, device: str = "cpu") -> None:
    """Give every list the raw scores of each of `signals`, each computed once and kept in `cache`.

    `teacher` is the cross-encoder behind "cross" and `teacher_dense` the bi-encoder behind "dense", both run on
    `device` (a resolved device).
    """
    for name in signals:
        def compute(name: str = name) -> list[list[float]]:
            cross = load_cross_encoder(teacher, device=device) if name == "cross" else None
            if cross is not None and not cross.trained:
                logger.warning("distilling from an UNTRAINED cross-encoder (%s)", teacher)
            dense = load_bi_encoder(teacher_dense, device=device) if name == "dense" and teacher_dense else None
            if dense is not None:  # this process's copy only serves as the teacher
                dense.max_seq_length = min(dense.max_seq_length, DENSE_TEACHER_MAX_LENGTH)
            return compute_signal(name, lists, cross, dense, teacher_lists_per_call(device))

        spec = teacher_specs(teacher, teacher_dense).get(name)
        for item, scores in zip(lists, cached_json(cache, f"signal-{name}", {**key, "spec": spec}, compute)):
            item.signals[name] = scores


def run_training(kind: str, out: Path, config: TrainConfig, quick: bool = False, n_codes: int = 16,
                 teacher: str = "embedded", lists_cache: Path | None = None, teacher_dense: str | None = None) -> dict:
    """Train the `kind` ("cross" or "poly") model on `config.device` into `out` and write `out/training.json`.

    `teacher` is the cross-encoder and `teacher_dense` the bi-encoder that the mix's "cross" and "dense"
    signals come from. `lists_cache`: a folder that keeps the built lists with their teacher signals for
    reuse (see `cached_lists`); the mix's weights are applied after, so trying other weights costs nothing.

    Returns:
        The training record: config, data, machine (the device and its steps a minute), wall time, history and
        first/last loss.

    Raises:
        core.devices.DeviceError: For a `config.device` this machine does not have (before any work).
    """
    device = resolve_device(config.device)
    config = replace(config, device=device)
    if config.query_bitfit and not (kind == "poly" and config.freeze_backbone):
        raise ValueError("--query-bitfit applies to the poly-encoder with --freeze-backbone only")
    if config.idf_prior and kind == "poly" and not config.freeze_backbone:
        raise ValueError("the poly-encoder takes --idf-prior with --freeze-backbone only")
    if quick:
        config = replace(config, **QUICK)
    mix = TeacherMix.parse(config.teacher_mix or DEFAULT_MIX[kind])
    config = replace(config, teacher_mix=str(mix))
    rng = seed_everything(config.seed)
    root = shared_data_root()
    start = time.perf_counter()
    key = {"seed": config.seed, "lists": config.lists, "sources": list(config.sources), "quick": quick}
    lists = cached_lists(lists_cache, key, rng, lambda: build_lists(root, config.lists, rng, config.sources, device))
    specs = teacher_specs(teacher, teacher_dense)
    attach_signals(lists, mix.signals, lists_cache, key, teacher, teacher_dense, device)
    apply_mix(lists, mix)
    dev_lists = wikiqa_dev_lists(root, config.dev_lists)
    logger.info("%d training lists (%d pairs), %d dev lists; ready in %.0f s", len(lists),
                sum(len(item.passages) for item in lists), len(dev_lists), time.perf_counter() - start)
    if kind == "cross":
        _, history = train_cross(lists, dev_lists, config, out, rng)
    else:
        _, history = train_poly(lists, dev_lists, config, out, rng, n_codes)
    losses = [loss for _, loss in history["loss"]]
    window = max(1, len(losses) // 4)
    record = {
        "kind": kind, "quick": quick, "config": asdict(config), "n_codes": n_codes if kind == "poly" else None,
        "teachers": {name: specs[name] for name in mix.signals if name in specs},
        "data": {"training_lists": len(lists), "pairs": sum(len(item.passages) for item in lists),
                 "sources": sorted({item.source for item in lists}), "dev": f"WikiQA dev, {len(dev_lists)} questions"},
        "bi_encoder_dev_ndcg@10": bi_dev_score(dev_lists),
        "first_loss": float(np.mean(losses[:window])), "last_loss": float(np.mean(losses[-window:])),
        "wall_s": time.perf_counter() - start, "threads": torch.get_num_threads(), "device": device,
        "device_title": device_title(device), "steps_per_minute": history["steps_per_minute"],
        "lists_per_step": lists_per_step(config.batch_lists, device),
        "history": history,
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / TRAINING_RECORD).write_text(json.dumps(record, indent=2) + "\n")
    return record
