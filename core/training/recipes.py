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

from core.devsets import shared_data_root
from core.models import load_bi_encoder, load_cross_encoder
from core.training.cross import bi_dev_score, train_cross
from core.training.lists import TrainingList, arguana_pairs, wikiqa_dev_lists, wikiqa_lists
from core.training.loop import TrainConfig, seed_everything
from core.training.poly import add_cross_teacher, train_poly
from core.training.teacher import add_teacher_scores, mine_lists

logger = logging.getLogger(__name__)
SOURCES = ("wikiqa", "arguana")

QUICK = {"lists": 24, "epochs": 3, "batch_lists": 4, "eval_every": 1000, "dev_lists": 8,
         "max_query_length": 32, "max_document_length": 64}
"""--quick: a few hundred pairs, under a minute on 2 CPU cores; proves the loop runs and the loss falls."""


def build_lists(root: Path, count: int, rng: random.Random, lexical_weight: float,
                sources: tuple[str, ...] = SOURCES) -> list[TrainingList]:
    """WikiQA lists (natural negatives) and ArguAna synthetic pairs with mined negatives, shared
    equally among `sources`, all scored by the hybrid teacher."""
    unknown = set(sources) - set(SOURCES)
    if unknown or not sources:
        raise ValueError(f"unknown training sources {sorted(unknown)}; choose from {', '.join(SOURCES)}")
    bi = load_bi_encoder()
    lists = wikiqa_lists(root, count // len(sources), rng) if "wikiqa" in sources else []
    pairs, corpus = arguana_pairs(root, count - len(lists), rng) if "arguana" in sources else ([], [])
    if pairs:
        lists += mine_lists(pairs, corpus, bi, rng, "arguana", pool_size=min(2000, 8 * len(pairs)))
    rng.shuffle(lists)
    add_teacher_scores(lists, bi, lexical_weight)
    return lists


def cached_lists(cache: Path | None, key: dict, rng: random.Random,
                 build: Callable[[], list[TrainingList]]) -> list[TrainingList]:
    """The teacher-scored lists that `build` makes, read from `cache` when it holds them for `key`.

    Building lists (mining, teacher scores) costs far more than training on them, so trying several
    hyper-parameters reuses one build. The random state after building is cached too, so a cached run
    trains exactly as an uncached one would.
    """
    name = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    path = cache / f"lists-{name}.json" if cache else None
    if path and path.is_file():
        stored = json.loads(path.read_text())
        rng.setstate((stored["rng"][0], tuple(stored["rng"][1]), stored["rng"][2]))
        logger.info("training lists read from %s", path)
        return [TrainingList(**item) for item in stored["lists"]]
    lists = build()
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"key": key, "rng": rng.getstate(), "lists": [asdict(item) for item in lists]}))
    return lists


def run_training(kind: str, out: Path, config: TrainConfig, quick: bool = False, n_codes: int = 16,
                 teacher: str = "embedded", lists_cache: Path | None = None) -> dict:
    """Train the `kind` ("cross" or "poly") model into `out` and write `out/training.json`.

    `lists_cache`: a folder that keeps the built, teacher-scored lists for reuse (see `cached_lists`).

    Returns:
        The training record: config, data, machine, wall time, history and first/last loss.
    """
    if kind == "cross" and config.freeze_backbone:
        raise ValueError("--freeze-backbone applies to the poly-encoder only")
    if quick:
        config = replace(config, **QUICK)
    rng = seed_everything(config.seed)
    root = shared_data_root()
    start = time.perf_counter()

    def build() -> list[TrainingList]:
        lists = build_lists(root, config.lists, rng, config.lexical_weight, config.sources)
        if kind == "poly":
            cross = load_cross_encoder(teacher)
            if not cross.trained:
                logger.warning("distilling from an UNTRAINED cross-encoder (%s)", teacher)
            add_cross_teacher(lists, cross, config.temperature)
        return lists

    key = {"kind": kind, "teacher": teacher if kind == "poly" else "hybrid", "seed": config.seed,
           "lists": config.lists, "sources": list(config.sources), "lexical_weight": config.lexical_weight,
           "temperature": config.temperature, "quick": quick}
    lists = cached_lists(lists_cache, key, rng, build)
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
        "data": {"training_lists": len(lists), "pairs": sum(len(item.passages) for item in lists),
                 "sources": sorted({item.source for item in lists}), "dev": f"WikiQA dev, {len(dev_lists)} questions"},
        "bi_encoder_dev_ndcg@10": bi_dev_score(dev_lists),
        "first_loss": float(np.mean(losses[:window])), "last_loss": float(np.mean(losses[-window:])),
        "wall_s": time.perf_counter() - start, "threads": torch.get_num_threads(),
        "history": history,
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "training.json").write_text(json.dumps(record, indent=2) + "\n")
    return record
