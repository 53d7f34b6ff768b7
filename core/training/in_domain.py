"""Fine-tuning on a dataset's own training split (`python -m core train bi|cross|poly|early-layer --data DATA`).

The Poly-encoder paper's setting: each architecture learns from the task's own judged queries and is tested on
its held-out split, all of them trained alike: the same lists (one judged positive plus negatives mined from the
user's corpus by the bi-encoder and BM25), the same time budget, and the same dev split: the data's own
(``qrels/dev.tsv``) where it has one, else one carved from the training queries
(`core.training.selection.dev_query_count`); each dev query with a bi-encoder's top 20, which a cross-encoder
re-ranks and a bi- or poly-encoder retrieves from, pooled. Its checkpoint rule keeps the untrained start unless a
checkpoint beats it beyond the dev queries' noise. The bi-encoder learns with sentence-transformers' own trainer
(`core.training.bi`); the cross-encoder is the project's joint module, which starts ranking exactly as the bi-encoder
fine-tuned in the same job (else the packaged one), checked on that bi-encoder's shortlists, and learns from what that
bi-encoder was fine-tuned from (`learning_start`), its cross-segment gate opening as it learns; the poly-encoder
starts from that bi-encoder too and is distilled from the fine-tuned cross-encoder (its scores as soft labels, with
in-batch and mined negatives), and so is the early-layer dual encoder (that cross-encoder's first ℓ layers,
`core.training.early_layers`).
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch

from core.caches.embeddings import corpus_embeddings
from core.config import FAST_PAIR_BACKEND
from core.contestants.registry import contestant, kinds
from core.contestants.spec import ContestantSpec
from core.data import load_dataset
from core.data.pseudo_queries import inverse_cloze
from core.devices import device_title, resolve_device
from core.models.errors import ModelError
from core.models.loading import load_bi_encoder, load_cross_encoder, trainable_bi_encoder
from core.models.sources import (
    ARENA_CONFIG_FILE,
    EMBEDDED,
    TRAINING_RECORD,
    backbone_path,
    model_fingerprint,
    resolve,
    training_record,
)
from core.rankers.bi_encoder import BiEncoderRanker, vectors_key
from core.rankers.bm25 import BM25Ranker
from core.timing import Countdown
from core.training.cross import train_cross
from core.training.early_layers import train_early_layers
from core.training.lists import TrainingList
from core.training.loop import TrainConfig, lists_per_step, seed_everything, teacher_lists_per_call
from core.training.model_card import write_model_card
from core.training.poly import train_poly
from core.training.selection import (
    CARVED_DEV_SPLIT,
    DEV_MOST,
    DEV_SHORTLIST,
    OWN_DEV_SPLIT,
    dev_query_count,
    kept_start,
    rule_text,
)
from core.training.teacher import TeacherMix, add_bi_cosines, apply_mix, compute_signal, score_lists
from core.types import Dataset

logger = logging.getLogger(__name__)
Progress = Callable[[str, float], None]

IN_DOMAIN = {
    "bi": TrainConfig(lists=100_000, epochs=100, batch_lists=8, backbone_lr=2e-5, teacher_mix="gold=1",
                      max_query_length=48, max_document_length=160),
    "cross": TrainConfig(lists=100_000, epochs=100, batch_lists=2, backbone_lr=2e-5, head_lr=1e-2, tie_weight=5.0,
                         teacher_mix="gold=10", max_query_length=48, max_document_length=160),
    "poly": TrainConfig(lists=100_000, epochs=100, batch_lists=4, backbone_lr=2e-5, head_lr=2e-2, tie_weight=1.0,
                        teacher_mix="cross=1,gold=2", max_query_length=48, max_document_length=160),
    "early-layer": TrainConfig(lists=100_000, epochs=100, batch_lists=8, backbone_lr=1e-4, head_lr=0.0,
                               tie_weight=10.0, teacher_mix="cross=1,gold=2", max_query_length=48,
                               max_document_length=160),
}
"""Each kind's in-domain recipe (`lists` and `epochs` are caps: the time budget decides how much is seen). The
bi-encoder's batch of 8 queries gives each query 63 in-batch negatives besides its own 7 mined ones.

The poly-encoder does not gain yet. Started from the packaged MiniLM it improved its 40 dev lists (0.779 → 0.818
nDCG@10) but fell below the bi-encoder over the whole test corpus (0.749 against 0.792; `--compact` 0.734). Started
from the bi-encoder fine-tuned on WikiQA (a job's default), its best dev gain (+0.6 points) was within the noise of
174 dev queries, so it kept its start and ranks like that bi-encoder (0.793; docs/measurements.md)."""

COMPACT = {
    "cross": {"backbone_bitfit": True, "backbone_lr": 1e-3},
    "poly": {"freeze_backbone": True, "query_bitfit": True, "backbone_lr": 1e-3},
}
"""`--compact`: train only biases and LayerNorm weights (BitFit; the poly-encoder's on its query side, its documents
keeping the bi-encoder's vectors) and save them as a delta over the packaged backbone: tens of kilobytes, not 45 MB."""

PSEUDO_QUERY_MIX = {"cross": "gold=2,bi=0.7,bm25=0.3"}
"""What labels a pseudo-query's list for the cross-encoder: its source document (gold) with the bi-encoder's and
BM25's scores (the embedded cross-encoder's mix), as a corpus-only teacher; distilled kinds keep their cross teacher."""

MIN_MINUTES = 0.25
"""The least training time per model; mining and saving come on top (`job_seconds`)."""
ENCODED_CHARS_PER_S = 10_000
"""The embedded bi-encoder's pace encoding text with ONNX Runtime on 2 idle CPU cores (the lesson and sample corpora:
10.2k and 11.4k characters a second). A busy server is slower; a job's time left follows the pace it sees."""
ENCODED_CHARS = 1_000
"""What the bi-encoder reads of a text at most: 256 word pieces, about 1,000 characters of English."""
LISTING_S_PER_QUERY = 0.01
"""Drawing one query's negatives from the bi-encoder's and BM25's scores of the whole corpus (a 5k corpus)."""
SAVING_S = 5.0
"""Writing a model, its card and its record."""
TEACHER_SHARE = 0.35
"""A distilled student's share of its budget spent having the cross-encoder score the training lists."""
DISTILLED = ("poly", "early-layer")
"""The kinds that learn from a cross-encoder teacher's scores."""
STARTS = {"bi": EMBEDDED, "cross": "", "poly": ""}
"""The kinds that start from a model one names (`fine_tune`'s `start`), with their default: the bi-encoder from any
sentence-transformers bi-encoder (the embedded MiniLM), the cross- and poly-encoder from a bi-encoder's backbone
("": the packaged MiniLM; a job gives them the bi-encoder it fine-tuned, so that each starts by ranking as that
bi-encoder does and, by the checkpoint rule, ends at least there; the cross-encoder learns from what that bi-encoder
was fine-tuned from, `learning_start`)."""
SENTENCE_TRANSFORMERS = ("bi", "early-layer")
"""The kinds saved as sentence-transformers folders (they compete as bi-encoders), not as Arena modules."""


@dataclass(frozen=True)
class ListSplits:
    """Training lists and the dev lists drawn from the same judged queries (never the test split's)."""

    train: list[TrainingList]
    dev: list[TrainingList]
    queries: dict[str, int]  # judged queries: training, dev
    dev_source: str  # OWN_DEV_SPLIT or CARVED_DEV_SPLIT


def mining_spec(model: str | None = None) -> ContestantSpec:
    """The comparison's default bi-encoder (model and backend), or `model` on that backend."""
    return contestant({"kind": "bi", **({"model": model} if model else {})})


def mining_encoder(device: str = "cpu", model: str | None = None) -> BiEncoderRanker:
    """The bi-encoder that mines negatives: `mining_spec`'s, so that the corpus vectors a comparison on the same
    corpus cached are read back, not encoded again."""
    spec = mining_spec(model)
    return BiEncoderRanker(load_bi_encoder(spec.model, spec.option("backend"), device), spec.model,
                           backend=spec.option("backend"), device=device)


def encoding_seconds(dataset: Dataset, device: str = "cpu", model: str | None = None) -> float:
    """About how long the bi-encoder `mining_encoder(device, model)` takes to encode `dataset`'s corpus: nothing when
    a comparison or an earlier job cached those vectors (its cache key is known without loading it)."""
    spec = mining_spec(model)
    cached = corpus_embeddings.holds(vectors_key(spec.model, spec.option("backend"), device),
                                     dataset.corpus.content_hash, model_fingerprint(spec.model))
    return 0.0 if cached else corpus_seconds(dataset)


def corpus_seconds(dataset: Dataset) -> float:
    """About how long a bi-encoder takes to encode `dataset`'s corpus (`ENCODED_CHARS_PER_S`)."""
    return sum(min(len(text), ENCODED_CHARS) for text in dataset.corpus.passages()) / ENCODED_CHARS_PER_S


def mining_seconds(dataset: Dataset, device: str = "cpu", first_stage: str | None = None) -> tuple[float, float]:
    """About how long `mine` takes on `dataset`, in two parts: encoding its corpus (with the mining bi-encoder and the
    dev lists' `first_stage`, each unless cached) and drawing the lists (its queries encoded, BM25 indexed, negatives
    drawn)."""
    encoding = encoding_seconds(dataset, device) + (encoding_seconds(dataset, device, first_stage) if first_stage else 0)
    listing = sum(min(len(text), ENCODED_CHARS) for text in dataset.queries.texts)
    return encoding, listing / ENCODED_CHARS_PER_S + LISTING_S_PER_QUERY * len(dataset.queries)


def job_seconds(dataset: Dataset, kinds: Sequence[str], minutes: float, device: str = "cpu") -> tuple[float, float]:
    """About how long fine-tuning `kinds` on `dataset` takes: (in all, for each model after the first). Mining runs
    once per model (the corpus encoded only by the first, when not cached), then each model's `minutes` of training
    and its saving; a kind checked on the shortlists of a bi-encoder fine-tuned in the job encodes the corpus with it."""
    encoding, listing = mining_seconds(dataset, device)
    each = listing + 60 * minutes + SAVING_S
    shortlists = sum(reranks_its_start(kind) and starts_from(kind) in kinds for kind in kinds)
    return encoding + len(kinds) * each + shortlists * corpus_seconds(dataset), each


def mine(dataset: Dataset, rng: random.Random, negatives: int, depth: int = 30,
         shortlist: int = DEV_SHORTLIST, progress: Progress = lambda message, fraction: None,
         device: str = "cpu", encoding: Progress | None = None, first_stage: str | None = None,
         dev_set: Dataset | None = None) -> ListSplits:
    """Training lists and dev lists: the dev queries are `dev_set`'s judged queries (the data's own dev split,
    `own_dev_split`; at most `DEV_MOST`, drawn at random), else `dev_query_count` of the training queries drawn first;
    the bi-encoder (`mining_encoder`) encodes on `device` (a resolved device), telling `encoding` (else `progress`)
    how far it is. `first_stage`: the bi-encoder whose shortlists the dev lists are (default the mining one), as the
    model trained will re-rank them in a comparison.

    A training list is a best-graded relevant document, then `negatives` unjudged documents drawn from the
    bi-encoder's and BM25's top `depth` in turn (both over the whole corpus), with bi cosines. A dev list is what a
    comparison re-ranks: the first stage's top `shortlist` documents of the whole corpus with their grades, so that
    the kept checkpoint is the one that orders a corpus's shortlist best, not only lists of one positive among
    mined negatives (on NFCorpus those rose while test nDCG@10 fell from 0.32 to 0.10).
    """
    bi = mining_encoder(device)
    report = encoding or progress
    parts = 1 if first_stage is None else 2  # the mining bi-encoder's encoding, then the first stage's
    bi.index(dataset.corpus, lambda message, fraction: report(message, fraction / parts))
    bm25 = BM25Ranker()
    bm25.index(dataset.corpus)
    texts = dataset.corpus.passages()
    row = {doc_id: i for i, doc_id in enumerate(dataset.corpus.ids)}
    queries = judged_queries(dataset)
    if dev_set is None:
        dev_rows = set(rng.sample(range(len(queries)), dev_query_count(len(queries))))
        dev_queries = [queries[i] for i in sorted(dev_rows)]
        queries = [query for i, query in enumerate(queries) if i not in dev_rows]
    else:
        own = judged_queries(dev_set)
        dev_queries = [own[i] for i in sorted(rng.sample(range(len(own)), min(DEV_MOST, len(own))))]
    dev_stage = bi
    if first_stage is not None:
        dev_stage = mining_encoder(device, first_stage)
        dev_stage.index(dataset.corpus, lambda message, fraction: report(message, (1 + fraction) / parts))
    dev_judged = (dev_set or dataset).qrels or {}
    dev = []
    for (query_id, text), vector in zip(dev_queries, dev_stage.encode_queries([text for _, text in dev_queries])):
        cosine = dev_stage.embeddings @ vector
        rows = list(np.argsort(-cosine)[:shortlist])
        dev.append(TrainingList(text, [texts[i] for i in rows],
                                [float(dev_judged[query_id].get(dataset.corpus.ids[i], 0)) for i in rows],
                                dataset.name, bi_cosine=[float(cosine[i]) for i in rows]))
    judged = dataset.qrels or {}
    train = []
    vectors = bi.encode_queries([text for _, text in queries])
    for done, ((query_id, text), vector) in enumerate(zip(queries, vectors), start=1):
        grades = judged[query_id]
        cosine = bi.embeddings @ vector
        top = max(grades.values())
        positive = row[rng.choice(sorted(d for d, g in grades.items() if g == top))]
        pools = [[i for i in np.argsort(-scores)[:depth] if dataset.corpus.ids[i] not in grades]
                 for scores in (cosine, bm25.all_scores(text))]
        picked: list[int] = []
        for i in range(depth):  # alternate bi, BM25, bi, ... each drawing at random from what is left
            pool = [j for j in pools[i % 2] if j not in picked]
            if pool and len(picked) < negatives:
                picked.append(rng.choice(pool[:max(negatives, 1)]))
        rows = [positive, *picked]
        train.append(TrainingList(text, [texts[i] for i in rows], [float(top)] + [0.0] * len(picked), dataset.name,
                                  bi_cosine=[float(cosine[i]) for i in rows]))
        if done % 50 == 0:
            progress(f"mining negatives: query {done}/{len(queries)}", done / len(queries))
    return ListSplits(train, dev, {"training": len(train), "dev": len(dev)},
                      OWN_DEV_SPLIT if dev_set is not None else CARVED_DEV_SPLIT)


def judged_queries(dataset: Dataset) -> list[tuple[str, str]]:
    """(id, text) of `dataset`'s queries with at least one relevant judgement, in file order."""
    judged = dataset.qrels or {}
    return [(q, t) for q, t in zip(dataset.queries.ids, dataset.queries.texts) if any(judged.get(q, {}).values())]


def own_dev_split(data: Path) -> Dataset | None:
    """`data`'s own dev split (``qrels/dev.tsv``, its queries held apart from the training split's), or None.

    A split its makers drew, as they drew the test split, predicts the test better than queries carved from the
    training split: on WikiQA, whose dev and test questions ask about pages no training question does, a fine-tuned
    bi-encoder gained 5.0 nDCG@10 points on 174 carved questions, 2.9 on the 126 dev questions, 2.1 on the test
    (docs/measurements.md)."""
    dev = load_dataset(data, split="dev")
    return dev if dev.split == "dev" and judged_queries(dev) else None


def attach_teacher(lists: list[TrainingList], teacher: str, budget_s: float, progress: Progress,
                   device: str = "cpu") -> list[TrainingList]:
    """Score lists with the cross-encoder `teacher` on `device` (a resolved device) until `budget_s` is spent;
    returns the scored ones. It scores one list a call on the CPU, `teacher_lists_per_call` on an accelerator."""
    try:  # the cross-encoder's fast default backend on the CPU (benchmarks/backends.py); an accelerator's own
        cross = load_cross_encoder(teacher, FAST_PAIR_BACKEND, device)
    except ModelError:  # a sentence-transformers CrossEncoder runs on torch only
        cross = load_cross_encoder(teacher, device=device)
    start = time.perf_counter()
    scored: list[TrainingList] = []
    at_once = teacher_lists_per_call(device)
    for first in range(0, len(lists), at_once):
        chunk = lists[first:first + at_once]
        for item, scores in zip(chunk, score_lists(cross, chunk)):
            item.signals["cross"] = scores
        scored += chunk
        elapsed = time.perf_counter() - start
        progress(f"the cross-encoder teacher scored {len(scored)} of {len(lists)} lists", min(1.0, elapsed / budget_s))
        if elapsed >= budget_s:
            break
    return scored


def fine_tune(kind: str, data: Path, out: Path, minutes: float, teacher: str | None = None, seed: int = 13,
              n_codes: int = 16, progress: Progress = lambda message, fraction: None,
              on_step: Callable[[dict], None] | None = None, compact: bool = False, layers: int = 2,
              bfloat16: bool = False, pseudo_queries: int = 0, device: str = "auto", start: str | None = None,
              cached: bool = False) -> dict:
    """Fine-tune the `kind` ("bi", "cross", "poly" or "early-layer", the latter keeping the teacher's first `layers`
    layers) from `start` (`STARTS`; None for the kind's default) on `data`'s training split for `minutes` of
    training (mining negatives before it and saving after it come on top: `job_seconds`), save the checkpoint the
    dev split's rule keeps (`core.training.selection`) to `out` with a model card, and return the training record. `progress` gets the fraction of this whole run done, by `core.timing.Countdown`.
    `compact` trains and saves a small delta (see `COMPACT`); `bfloat16` computes the forward passes in bfloat16 on
    the CPU (see `TrainConfig.bfloat16`). With `pseudo_queries` > 0 the training split is that many pseudo-queries
    drawn from `data`'s corpus alone (`inverse_cloze`), labelled as `PSEUDO_QUERY_MIX` says, and `data`'s own
    queries are never read. `device` (`TrainConfig.device`) is where the mining bi-encoder, the teacher and the
    student run; the record says which and how many steps a minute it took. `cached`: the bi-encoder learns with
    the cached loss, its memory flat in the batch size (`core.training.bi`).

    Raises:
        ValueError: Without a training split, for a distilled kind without a `teacher`, a `start` or `compact` the
            kind does not take, or a budget under `MIN_MINUTES`; `core.devices.DeviceError` for a device this
            machine does not have.
    """
    if kind in DISTILLED and not teacher:
        raise ValueError(f"train {kind} --data distils from a cross-encoder: give --teacher DIR (or embedded)")
    if compact and kind not in COMPACT:
        raise ValueError(f"--compact is for the {' and '.join(COMPACT)} kinds: the {kind} model is saved whole")
    if start is not None and kind not in STARTS:
        raise ValueError(f"--start is for the {' and '.join(STARTS)} kinds: {kind} starts from its teacher")
    if compact and start:
        raise ValueError("--compact saves a small delta over the packaged MiniLM, so it cannot start from another "
                         "model: leave out --start or --compact")
    if minutes < MIN_MINUTES:
        raise ValueError(f"a training budget of {minutes:g} minutes is too short: give at least {MIN_MINUTES:g}")
    device = resolve_device(device)
    where = device_title(device)
    began = time.perf_counter()
    rng = seed_everything(seed)
    config = replace(IN_DOMAIN[kind], seed=seed, bfloat16=bfloat16, device=device,
                     **(COMPACT[kind] if compact else {}))
    if pseudo_queries:
        progress(f"drawing {pseudo_queries} pseudo-queries from the corpus", 0.0)
        dataset = inverse_cloze(load_dataset(data), pseudo_queries, rng)
        config = replace(config, teacher_mix=PSEUDO_QUERY_MIX.get(kind, config.teacher_mix))
    else:
        dataset = load_dataset(data, split="train")
        if dataset.split != "train" or not dataset.qrels:
            raise ValueError(f"{data}: no training split (expected qrels/train.tsv with judgements)")
    budget_s = minutes * 60
    first_stage = start if start and reranks_its_start(kind) else None  # the shortlists it re-ranks in a comparison
    countdown = Countdown([*mining_seconds(dataset, device, first_stage), budget_s, SAVING_S])

    def phase(number: int) -> Progress:
        return lambda message, fraction: progress(message, countdown.update(number, fraction)[0])

    phase(0)(f"encoding the corpus with the bi-encoder (on {where}) to mine negatives", 0.0)
    splits = mine(dataset, rng, negatives=7, progress=phase(1), device=device, encoding=phase(0),
                  first_stage=first_stage, dev_set=None if pseudo_queries else own_dev_split(data))
    dev = splits.dev
    train_lists = splits.train
    training = phase(2)
    train_start = time.perf_counter()
    if kind in DISTILLED:
        train_lists = attach_teacher(train_lists, teacher, TEACHER_SHARE * budget_s,
                                     lambda message, fraction: training(message, TEACHER_SHARE * fraction), device)
    mix = TeacherMix.parse(config.teacher_mix)
    for name in set(mix.signals) - {"cross"}:  # the cross-encoder's scores are attached above, within a budget
        for item, scores in zip(train_lists, compute_signal(name, train_lists)):
            item.signals[name] = scores
    apply_mix(train_lists, mix)
    training(f"training the {kind} student on {len(train_lists)} lists on {where}" if kind == "early-layer"
             else f"training the {kind}-encoder on {len(train_lists)} lists on {where}",
             (time.perf_counter() - train_start) / budget_s)

    def watch(history: dict) -> None:
        loss = history["loss"][-1][1]
        training(f"training: step {history['loss'][-1][0]}, loss {loss:.3f}, dev nDCG@10 "
                 f"{history['dev_ndcg@10'][-1][1]:.3f}; {pace_text(history['steps_per_minute'], where)}",
                 min(1.0, (time.perf_counter() - train_start) / budget_s))
        if on_step is not None:
            on_step(history)

    learns_from = learning_start(kind, start)
    if learns_from not in (None, mining_spec().model):  # the tie's anchor: the cosines of the model it learns from
        add_bi_cosines(train_lists, trainable_bi_encoder(learns_from, device))
    left_s = max(1.0, budget_s - (time.perf_counter() - train_start))
    if kind == "bi":
        from core.training.bi import train_bi  # its trainer (datasets, accelerate) loads only when a job needs it

        _, history = train_bi(train_lists, dev, config, out, left_s, watch, start or EMBEDDED, cached)
    elif kind == "cross":
        _, history = train_cross(train_lists, dev, config, out, rng, left_s, watch, dataset.name,
                                 backbone=resolve(learns_from) if learns_from else backbone_path(),
                                 start=resolve(start) if start else None)
    elif kind == "poly":
        _, history = train_poly(train_lists, dev, config, out, rng, n_codes, left_s, watch, dataset.name,
                                backbone=resolve(learns_from) if learns_from else backbone_path())
    else:
        _, history = train_early_layers(train_lists, dev, config, out, rng, teacher, layers, left_s, watch)
    phase(3)("saving the model and its card", 0.0)
    step_lists = lists_per_step(config.batch_lists, device)
    record = {
        "kind": kind, "data": str(data), "dataset": dataset.name, "split": dataset.split, "seed": seed,
        "recipe": asdict(config), "n_codes": n_codes if kind == "poly" else None, "teacher": teacher,
        "layers": layers if kind == "early-layer" else None, "start": start or STARTS.get(kind, ""),
        "learned_from": learns_from if reranks_its_start(kind) else None, "dev_first_stage": first_stage,
        "cached_loss": cached if kind == "bi" else None, "dev_rule": rule_text(),
        "queries": splits.queries, "dev_split": splits.dev_source, "training_lists": len(train_lists), "lists_seen": history["steps"] * step_lists,
        "lists_per_step": step_lists, "pairs_per_list": 1 + 7, "budget_minutes": minutes,
        "wall_s": time.perf_counter() - began, "threads": torch.get_num_threads(), "device": device,
        "device_title": where, "steps_per_minute": history["steps_per_minute"],
        "history": {key: value for key, value in history.items() if key != "parts"},
    }
    if kind not in SENTENCE_TRANSFORMERS:
        finish_saved_config(out, record)
    write_model_card(out, record)
    return record


def learning_start(kind: str, start: str | None) -> str | None:
    """What a kind started from the bi-encoder `start` learns from (None without a `start`): the poly-encoder from
    `start` itself; the cross-encoder from what `start` was fine-tuned from, when `core train --data` fine-tuned it
    (its record's start), since a bi-encoder fitted to these very lists leaves a cross-encoder little to learn from
    them (WikiQA: started from its weights, no checkpoint gained on the dev split; started from the packaged MiniLM,
    +5.1 nDCG@10 on the test). The cross-encoder still starts ranking exactly as `start` (`train_cross`).

    Example:
        >>> learning_start("poly", "/models/wikiqa-bi"), learning_start("cross", None)
        ('/models/wikiqa-bi', None)
    """
    if start is None or not starts_from(kind):
        return None
    record = training_record(Path(resolve(start))) if reranks_its_start(kind) else None
    return (record.get("start") or EMBEDDED) if record else start


def starts_from(kind: str) -> str:
    """The kind whose fine-tuned model `kind` starts from ("" for none)."""
    training = kinds()[kind].training
    return training.starts_from if training is not None else ""


def reranks_its_start(kind: str) -> bool:
    """Whether `kind` re-ranks a first stage (it scores pairs) and starts from a bi-encoder, the first stage it then
    re-ranks in a comparison: its dev lists are that bi-encoder's shortlists (`mine`'s `first_stage`), and it learns
    from what that bi-encoder was fine-tuned from (`learning_start`)."""
    return kinds()[kind].scores_pairs and bool(starts_from(kind))


def pace_text(steps_per_minute: float, where: str) -> str:
    """How fast a run trains, and where: "42 steps a minute on the CPU"."""
    return f"{steps_per_minute:,.0f} steps a minute on {where}"


def dev_change(record: dict) -> tuple[float, float]:
    """(dev nDCG@10 of the start, of the kept checkpoint) of a training record."""
    dev = dict(record["history"]["dev_ndcg@10"])
    return dev[0], dev[record["history"]["best_step"]]


def finish_saved_config(folder: Path, record: dict) -> None:
    """Keep the saved model's config small (the full record is `training.json`), and mark the model as the start
    kept when no step beat it on the dev split (`kept_start`: it is then labelled so, never as fine-tuned)."""
    saved = json.loads((folder / ARENA_CONFIG_FILE).read_text())
    saved["training"] = {"record": TRAINING_RECORD, "best_step": record["history"]["best_step"]}
    if kept_start(record):
        saved["config"].update(trained=False, kept_start=True)
    (folder / ARENA_CONFIG_FILE).write_text(json.dumps(saved, indent=2) + "\n")
