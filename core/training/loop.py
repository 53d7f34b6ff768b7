"""The training loop both recipes share: seeded, AdamW with warm-up and linear decay, gradient
clipping, periodic dev evaluation, and a JSON-ready history of losses and dev scores.

A run trains on one device (`TrainConfig.device`, resolved by `core.devices.resolve_device`): the recipes place their
model there (`module.to(device)`) and put each batch's own tensors beside it. On the CPU the forward passes
run in float32, or in bfloat16 with `TrainConfig.bfloat16`; on an accelerator they run under autocast at the device's
precision (`core.devices.accelerator_dtype`, with loss scaling for float16) and a step takes `ACCELERATOR_BATCH_SCALE`
times the lists. Weights, gradients and the optimiser stay float32 everywhere.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass

import numpy as np
import torch

from core.devices import accelerator_dtype, is_accelerator, resolve_device
from core.evaluate import evaluate
from core.models.idf import IDF_WEIGHT_INIT, token_log_idf
from core.models.placement import computing_on
from core.training.lists import TrainingList
from core.training.selection import DevSchedule, Keeper

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of one training run (recorded in the model card).

    Attributes:
        lists: Training lists (one query with its candidates) drawn from the sources.
        batch_lists: Lists per optimisation step.
        backbone_lr / head_lr: Learning rates of the transformer and of the small new parameters.
        temperature: Divides student scores (cosines) before the listwise softmax.
        tie_weight: Weight of the squared difference between the student's score and its starting point's
            (the bi-encoder's cosine; with `idf_prior`, the untrained IDF-weighted model's), which
            keeps small off-domain data from erasing what the backbone knew. The early-layer student: the weight of
            its cosine distance to the teacher's whole-transformer vectors.
        teacher_mix: The teacher as weighted signals (see `core.training.teacher.TeacherMix`);
            empty for the recipe's default (`DEFAULT_MIX`).
        sources: Training data: "wikiqa" (WikiQA train) and/or "arguana" (ArguAna synthetic pairs).
        freeze_backbone: Train only the new parameters over the packaged backbone, which is then not saved:
            the poly-encoder's codes (its document vectors stay the bi-encoder's), or the cross-encoder's gate,
            scale and shift.
        query_bitfit: Poly-encoder with `freeze_backbone` only: also train the biases and LayerNorm
            weights of a query-side copy of the backbone, at `backbone_lr`.
        pool_negatives: Poly-encoder with `freeze_backbone` only: random training passages added to
            every step's candidates, as negatives and tied to their bi-encoder cosine, so that the codes
            learn to keep a whole corpus in order and not only each short list.
        backbone_bitfit: Cross-encoder: train only the backbone's biases and LayerNorm weights (BitFit, at
            `backbone_lr`), saved as a compact delta over the packaged backbone.
        bfloat16: On the CPU, run the forward passes in bfloat16 (`torch.autocast`), dev scoring's too: about twice
            the steps per minute on CPUs that compute bfloat16 natively (and dev lists of full-length documents, 40 x
            20 pairs of Cranfield's, took 150 s in float32); the weights, gradients and optimiser stay float32. An
            accelerator ignores it: it computes at its own precision (`core.devices.accelerator_dtype`).
        device: Where to train: "auto" (`ARENA_DEVICE`, else CUDA, then Apple's MPS, then the CPU), "cpu", "cuda",
            "cuda:N" or "mps" (`core.devices`). On an accelerator each step takes `ACCELERATOR_BATCH_SCALE` times
            `batch_lists` lists (`lists_per_step`).
        idf_prior: Give the query side the learned IDF prior (`core.models.idf`): the poly-encoder's code attention
            (with `freeze_backbone` only) or the cross-encoder's query pooling; its weight starts at
            `IDF_WEIGHT_INIT` (the cross-encoder holds it there) and its IDF is counted over the training passages.
    """

    seed: int = 13
    lists: int = 1600
    batch_lists: int = 4
    epochs: int = 1
    backbone_lr: float = 2e-5
    head_lr: float = 2e-2
    warmup: float = 0.1
    temperature: float = 0.05
    tie_weight: float = 1.0
    teacher_mix: str = ""
    max_query_length: int = 48
    max_document_length: int = 160
    eval_every: int = 50
    dev_lists: int = 60
    sources: tuple[str, ...] = ("wikiqa", "arguana")
    freeze_backbone: bool = False
    query_bitfit: bool = False
    pool_negatives: int = 0
    idf_prior: bool = False
    backbone_bitfit: bool = False
    bfloat16: bool = False
    device: str = "auto"


DEFAULT_MIX = {"cross": "gold=2,bi=0.7,bm25=0.3", "poly": "cross=1"}
"""Each recipe's teacher unless `TrainConfig.teacher_mix` names another (see `core.training.teacher.TeacherMix`)."""

ACCELERATOR_BATCH_SCALE = 4
"""On an accelerator a step takes this many times `TrainConfig.batch_lists` lists: the CPU's 2-8 lists of 8 passages
(16-64 pairs) leave a GPU mostly idle, and 4 times as many still fit a few GB at the recipes' lengths. The learning
rates stay as they are (a larger batch gives steadier gradients over the same warm-up and decay)."""
ACCELERATOR_TEACHER_LISTS = 64
"""Lists a cross-encoder teacher scores in one call on an accelerator (512 pairs); on the CPU it scores one list a
call, its own batches being small there."""


def lists_per_step(batch_lists: int, device: str) -> int:
    """Lists in one optimisation step on `device` (a resolved device): `batch_lists`, times `ACCELERATOR_BATCH_SCALE`
    on an accelerator."""
    return batch_lists * (ACCELERATOR_BATCH_SCALE if is_accelerator(device) else 1)


def teacher_lists_per_call(device: str) -> int:
    """Lists a teacher scores in one call on `device` (see `ACCELERATOR_TEACHER_LISTS`)."""
    return ACCELERATOR_TEACHER_LISTS if is_accelerator(device) else 1


def precision(device: str, bfloat16: bool) -> AbstractContextManager:
    """What the forward passes compute in: on the CPU bfloat16 autocast when `bfloat16` (else float32, as always);
    on an accelerator its own precision (`core.models.placement.computing_on`)."""
    if is_accelerator(device):
        return computing_on(device)
    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=bfloat16)


def loss_scaler(device: str) -> torch.amp.GradScaler:
    """Loss scaling where the forward passes run in float16 (an accelerator without bfloat16), so that small
    gradients do not vanish; a pass-through everywhere else (the CPU, bfloat16, float32)."""
    float16 = is_accelerator(device) and accelerator_dtype(device) == torch.float16
    return torch.amp.GradScaler(device.split(":")[0], enabled=float16)


def warmup_then_decay(share: float, warmup: float) -> float:
    """The learning rate's factor when `share` of a run is behind it: linear warm-up over the first `warmup`, then
    linear decay to 0 at the end."""
    return share / warmup if share < warmup else max(0.0, (1 - share) / (1 - warmup))


def seed_everything(seed: int) -> random.Random:
    torch.manual_seed(seed)
    np.random.seed(seed)
    return random.Random(seed)


@torch.no_grad()
def start_idf_prior(model: torch.nn.Module, lists: Sequence[TrainingList], max_length: int) -> None:
    """Set a model's IDF prior (`idf_weight`, `fallback_log_idf`) to its training start: the weight at
    `IDF_WEIGHT_INIT` and the fallback IDF counted over the distinct passages of `lists`."""
    model.idf_weight.fill_(IDF_WEIGHT_INIT)
    passages = list(dict.fromkeys(passage for item in lists for passage in item.passages))
    model.fallback_log_idf.copy_(token_log_idf(model.tokenizer, passages, max_length))


def list_slices(batch: Sequence[TrainingList]) -> list[slice]:
    """Where each list's passages sit when a batch's passages are concatenated."""
    ends = np.cumsum([len(item.passages) for item in batch])
    return [slice(int(end) - len(item.passages), int(end)) for item, end in zip(batch, ends)]


def listwise_kl(student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
    """KL(teacher ‖ student) between the softmax distributions over one list's candidates."""
    return torch.sum(teacher.softmax(-1) * (teacher.log_softmax(-1) - student.log_softmax(-1)))


RERANKED_DEV = "nDCG@10 of each dev query's bi-encoder top 20 of the corpus"
"""What `dev_ndcg` measures, in a model card's words."""
POOLED_DEV = "nDCG@10 of each dev query retrieving from all the dev queries' shortlists pooled"
"""What `pooled_dev_ndcg` measures, in a model card's words."""


def dev_ndcg(score_list: Callable[[TrainingList], np.ndarray], lists: Sequence[TrainingList]) -> np.ndarray:
    """nDCG@10 of ranking each dev list by `score_list`, per list (0 for a list without a relevant passage, which a
    dev list of the bi-encoder's shortlist can be: every checkpoint scores it alike)."""
    qrels = {str(i): {str(j): int(g) for j, g in enumerate(item.gold) if g > 0} for i, item in enumerate(lists)}
    run = {str(i): {str(j): float(s) for j, s in enumerate(score_list(item))} for i, item in enumerate(lists)}
    return ndcg_per_list(qrels, run, len(lists))


def pooled_dev_ndcg(score_pool: Callable[[Sequence[str], Sequence[str]], np.ndarray],
                    lists: Sequence[TrainingList]) -> np.ndarray:
    """nDCG@10 per dev list of its query retrieving from the pool of all the dev lists' passages, as a bi- or
    poly-encoder retrieves from the corpus in a comparison (`score_pool(queries, pool)`: scores `[queries, pool]`).
    A checkpoint that orders its own shortlist better but pulls the other queries' passages above it loses here,
    where re-ranking the shortlist alone (`dev_ndcg`) would not tell.

    Example:
        >>> vectors = {"q": np.array([1.0, 0.0]), "p": np.array([0.9, 0.1]), "n": np.array([0.0, 1.0])}
        >>> def dot(queries, pool): return np.stack([vectors[q] for q in queries]) @ np.stack([vectors[p] for p in pool]).T
        >>> pooled_dev_ndcg(dot, [TrainingList("q", ["p", "n"], [1.0, 0.0], "demo")])
        array([1.])
    """
    pool = list(dict.fromkeys(passage for item in lists for passage in item.passages))
    position = {passage: i for i, passage in enumerate(pool)}
    scores = np.asarray(score_pool([item.query for item in lists], pool), dtype=float)
    shown = np.argsort(-scores, axis=1)[:, :100]
    qrels = {str(i): {str(position[p]): int(g) for p, g in zip(item.passages, item.gold) if g > 0}
             for i, item in enumerate(lists)}
    run = {str(i): {str(j): scores[i, j] for j in row} for i, row in enumerate(shown)}
    return ndcg_per_list(qrels, run, len(lists))


def ndcg_per_list(qrels: dict[str, dict[str, int]], run: dict[str, dict[str, float]], lists: int) -> np.ndarray:
    """nDCG@10 of `run` for the lists keyed "0" .. `lists` - 1, in that order (0 for a list without a relevant
    passage)."""
    per_query = evaluate(qrels, run, ("ndcg@10",))[1]["ndcg@10"]
    return np.array([per_query.get(str(i), 0.0) for i in range(lists)])


def train(model: torch.nn.Module, parameter_groups: list[dict], lists: Sequence[TrainingList],
          batch_loss: Callable[[Sequence[TrainingList]], tuple[torch.Tensor, dict[str, float]]],
          dev_score: Callable[[], np.ndarray], config: TrainConfig, rng: random.Random,
          checkpoint: Callable[[], None] = lambda: None, budget_s: float | None = None,
          on_step: Callable[[dict], None] | None = None, dev_measure: str = RERANKED_DEV,
          leave_start: Callable[[], None] = lambda: None) -> dict:
    """Optimise `batch_loss` over `lists`, evaluating every `eval_every` steps; `dev_score` gives per-query dev
    nDCG@10 (`dev_ndcg`, or `pooled_dev_ndcg` with `dev_measure=POOLED_DEV`).

    Without `budget_s`, every evaluation checkpoints and the last state is kept. With a time budget in
    seconds, training stops when it is spent (warm-up and linear decay follow whichever runs out first,
    steps or time), `checkpoint` runs only when the mean dev score improves, and the model ends in its best
    evaluated state if that beats the start beyond the dev queries' noise (`core.training.selection.select`), else
    in its start (checkpointed again). `on_step` sees the history after every step (live progress); it may
    raise to cancel.

    `leave_start` runs once the start has been evaluated and set aside, before the first step: a start that must be
    exact (a closed gate, zero codes) is moved off it there.

    The model is already on `config.device` (the recipe placed it); a step takes `lists_per_step` lists there and
    runs at that device's `precision`.

    Returns:
        `{"steps", "seconds", "steps_per_minute", "loss": [(step, loss)], "dev_ndcg@10": [(step, value)],
        "dev_measure", "parts": [...], "best_step", "stopped", "selection"}`; `stopped` says why training ended
        ("data", "time"); `selection` is the rule's verdict (`Selection.as_record`; None without a budget);
        `steps_per_minute` counts the optimisation steps' own time (dev evaluations left out).
    """
    device = resolve_device(config.device)
    size = lists_per_step(config.batch_lists, device)
    order = [i for _ in range(config.epochs) for i in rng.sample(range(len(lists)), len(lists))]
    batches = [order[i:i + size] for i in range(0, len(order), size)]
    optimizer = torch.optim.AdamW(parameter_groups, weight_decay=0.01)
    scaler = loss_scaler(device)
    start = time.perf_counter()
    clock = DevSchedule(budget_s) if budget_s else None
    done = {"steps": 0}

    def progress() -> float:  # the share of the run behind us: by steps, or by time when that is shorter
        return min(1.0, max(done["steps"] / len(batches), clock.share() if clock else 0.0))

    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda _: warmup_then_decay(progress(), config.warmup))

    def score_dev() -> np.ndarray:
        with precision(device, config.bfloat16):
            return clock.evaluate(dev_score) if clock else dev_score()

    start_scores = score_dev()
    history: dict = {"loss": [], "dev_ndcg@10": [(0, float(start_scores.mean()))], "dev_measure": dev_measure,
                     "parts": [], "best_step": 0, "stopped": "data", "steps_per_minute": 0.0, "selection": None}
    keeper = Keeper(model, start_scores) if budget_s else None
    leave_start()
    logger.info("step 0: dev nDCG@10 %.4f", start_scores.mean())
    stepping = 0.0  # seconds spent in the steps themselves, for the pace
    for step, batch in enumerate(batches, start=1):
        began = time.perf_counter()
        model.train()
        with precision(device, config.bfloat16):
            loss, parts = batch_loss([lists[i] for i in batch])
        optimizer.zero_grad()
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)  # clipping sees the true gradients
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        scaler.step(optimizer)
        scaler.update()
        done["steps"] = step
        schedule.step()
        history["loss"].append((step, loss.item()))  # .item() waits for the device: the pace is honest
        history["parts"].append((step, parts))
        stepping += time.perf_counter() - began
        history["steps_per_minute"] = 60 * step / stepping
        out_of_time = clock is not None and clock.out_of_time()
        due = clock.due() if clock else step % config.eval_every == 0
        if due or out_of_time or step == len(batches):
            model.eval()
            scores = score_dev()
            history["dev_ndcg@10"].append((step, float(scores.mean())))
            if keeper is None or keeper.offer(step, scores):
                history["best_step"] = step
                checkpoint()
            recent = np.mean([value for _, value in history["loss"][-config.eval_every:]])
            logger.info("step %d/%d: loss %.4f, dev nDCG@10 %.4f, %.0f s", step, len(batches), recent,
                        history["dev_ndcg@10"][-1][1], time.perf_counter() - start)
        if on_step is not None:
            on_step(history)
        if out_of_time:
            history["stopped"] = "time"
            break
    if keeper is None:
        history["best_step"] = len(batches)
    else:
        best_step = keeper.best_step
        history["selection"] = keeper.finish().as_record()
        history["best_step"] = keeper.best_step
        if best_step and not keeper.best_step:
            logger.info("step %d's dev gain is within the dev split's noise: keeping the start", best_step)
            checkpoint()
    model.eval()
    history.update(steps=done["steps"], seconds=time.perf_counter() - start)
    return history
