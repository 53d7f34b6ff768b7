"""Recipe for fine-tuning a sentence-transformers bi-encoder (the embedded MiniLM, mpnet, any local folder or Hugging
Face id): sentence-transformers' own trainer with its multiple negatives ranking loss (every other passage of the
batch is a negative, and each query brings its mined hard negatives), or the cached variant (GradCache) that keeps
memory flat in the batch size. It trains under the same time budget, warm-up and decay, dev evaluations and
checkpoint rule as the other recipes (`core.training.loop`, `core.training.selection`), and is saved as a
sentence-transformers folder that competes as `kind=bi`.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from datasets import Dataset as HFDataset
from sentence_transformers import SentenceTransformer, SentenceTransformerTrainer, SentenceTransformerTrainingArguments
from sentence_transformers.sentence_transformer.losses import (
    CachedMultipleNegativesRankingLoss,
    MultipleNegativesRankingLoss,
)
from sentence_transformers.sentence_transformer.training_args import BatchSamplers
from transformers import TrainerCallback
from transformers.trainer_callback import PrinterCallback

from core.devices import is_accelerator, resolve_device
from core.models.loading import trainable_bi_encoder
from core.models.sources import EMBEDDED
from core.training.lists import TrainingList
from core.training.loop import POOLED_DEV, TrainConfig, lists_per_step, pooled_dev_ndcg, warmup_then_decay
from core.training.selection import DevSchedule, Keeper

logger = logging.getLogger(__name__)
CACHED_MINI_BATCH = 8
"""Texts per forward pass of the cached loss: its memory is that of 8 texts, whatever the batch."""


def mnrl_columns(lists: Sequence[TrainingList]) -> dict[str, list[str]]:
    """The trainer's columns: anchor (the query), positive (its best-graded passage) and negative_1..n, n being the
    fewest negatives any list has (lists without one are left out).

    Example:
        >>> item = TrainingList("q", ["p", "n1", "n2"], [1.0, 0.0, 0.0], "demo")
        >>> mnrl_columns([item])
        {'anchor': ['q'], 'positive': ['p'], 'negative_1': ['n1'], 'negative_2': ['n2']}
    """
    usable = [item for item in lists if any(grade == 0 for grade in item.gold) and any(item.gold)]
    count = min((sum(grade == 0 for grade in item.gold) for item in usable), default=0)
    columns: dict[str, list[str]] = {"anchor": [item.query for item in usable],
                                     "positive": [item.passages[int(np.argmax(item.gold))] for item in usable]}
    negatives = [[p for p, grade in zip(item.passages, item.gold) if grade == 0][:count] for item in usable]
    for number in range(count):
        columns[f"negative_{number + 1}"] = [row[number] for row in negatives]
    return columns


class Budget(TrainerCallback):
    """Stops the trainer when the time budget is spent, evaluates the dev lists on the way (`DevSchedule`, keeping
    the best weights in `keeper`), and keeps the history the other recipes keep."""

    def __init__(self, clock: DevSchedule, dev_score: Callable[[], np.ndarray], keeper: Keeper, history: dict,
                 on_step: Callable[[dict], None] | None) -> None:
        self.clock, self.dev_score, self.keeper, self.history, self.on_step = clock, dev_score, keeper, history, on_step
        self.began = time.perf_counter()
        self.stepping = 0.0

    def on_train_begin(self, args, state, control, **kwargs) -> None:
        self.clock.restart()

    def on_step_begin(self, args, state, control, **kwargs) -> None:
        self.began = time.perf_counter()

    def on_step_end(self, args, state, control, **kwargs) -> None:
        step = state.global_step
        self.stepping += time.perf_counter() - self.began
        self.history["steps"] = step
        self.history["steps_per_minute"] = 60 * step / self.stepping
        out_of_time = self.clock.out_of_time()
        if self.clock.due():
            scores = self.clock.evaluate(self.dev_score)
            self.history["dev_ndcg@10"].append((step, float(scores.mean())))
            if self.keeper.offer(step, scores):
                self.history["best_step"] = step
            logger.info("step %d: dev nDCG@10 %.4f, %.0f s", step, scores.mean(), self.clock.elapsed())
        if out_of_time:
            self.history["stopped"] = "time"
            control.should_training_stop = True

    def on_log(self, args, state, control, logs=None, **kwargs) -> None:
        if logs and "loss" in logs:
            self.history["loss"].append((state.global_step, float(logs["loss"])))
            if self.on_step is not None:
                self.on_step(self.history)


def train_bi(lists: Sequence[TrainingList], dev_lists: Sequence[TrainingList], config: TrainConfig, out: Path,
             budget_s: float, on_step: Callable[[dict], None] | None = None, model: str = EMBEDDED,
             cached: bool = False) -> tuple[SentenceTransformer, dict]:
    """Fine-tune the bi-encoder `model` on `lists` on `config.device` for `budget_s` seconds with
    sentence-transformers' trainer (`cached`: the cached loss) and save the weights the checkpoint rule keeps to
    `out` as a sentence-transformers folder (safetensors). `on_step` sees the history after every step and may raise
    to cancel. Returns the model and the history `core.training.loop.train` returns.

    Raises:
        ValueError: When no list has both a relevant passage and a negative.
    """
    device = resolve_device(config.device)
    student = trainable_bi_encoder(model, device)
    ranking_length = student.max_seq_length  # it trains on shorter texts and ranks, as its start did, at this length
    student.max_seq_length = min(ranking_length, config.max_document_length)
    columns = mnrl_columns(lists)
    if not columns["anchor"] or "negative_1" not in columns:
        raise ValueError("no training list holds both a relevant passage and a negative")
    scale = 1 / config.temperature
    loss = (CachedMultipleNegativesRankingLoss(student, scale=scale, mini_batch_size=CACHED_MINI_BATCH) if cached
            else MultipleNegativesRankingLoss(student, scale=scale))

    @torch.inference_mode()
    def dev_score() -> np.ndarray:
        texts = list(dict.fromkeys(text for item in dev_lists for text in (item.query, *item.passages)))
        vectors = dict(zip(texts, student.encode(texts, batch_size=64, normalize_embeddings=True,
                                                 convert_to_numpy=True, show_progress_bar=False)))
        return pooled_dev_ndcg(lambda queries, pool: np.stack([vectors[q] for q in queries])
                               @ np.stack([vectors[p] for p in pool]).T, dev_lists)

    history: dict = {"loss": [], "dev_ndcg@10": [], "dev_measure": POOLED_DEV, "parts": [], "best_step": 0,
                     "stopped": "data", "steps_per_minute": 0.0, "steps": 0, "selection": None}
    clock = DevSchedule(budget_s)
    start_scores = clock.evaluate(dev_score)
    history["dev_ndcg@10"].append((0, float(start_scores.mean())))
    keeper = Keeper(student, start_scores)
    budget = Budget(clock, dev_score, keeper, history, on_step)
    optimizer = torch.optim.AdamW(student.parameters(), lr=config.backbone_lr, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda _: warmup_then_decay(clock.share(), config.warmup))
    scratch = Path(tempfile.mkdtemp(prefix="arena-bi-"))
    try:
        arguments = SentenceTransformerTrainingArguments(
            output_dir=str(scratch), per_device_train_batch_size=lists_per_step(config.batch_lists, device),
            num_train_epochs=config.epochs, seed=config.seed, data_seed=config.seed, max_grad_norm=1.0,
            batch_sampler=BatchSamplers.NO_DUPLICATES, save_strategy="no", eval_strategy="no", logging_steps=1,
            report_to="none", disable_tqdm=True, use_cpu=not is_accelerator(device),
            bf16=config.bfloat16 or is_accelerator(device), dataloader_num_workers=0)
        trainer = SentenceTransformerTrainer(model=student, args=arguments, train_dataset=HFDataset.from_dict(columns),
                                             loss=loss, callbacks=[budget], optimizers=(optimizer, schedule))
        trainer.remove_callback(PrinterCallback)  # each step's loss reaches `on_step`, not stdout
        started = time.perf_counter()
        trainer.train()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    history["selection"] = keeper.finish().as_record()
    history.update(best_step=keeper.best_step, seconds=time.perf_counter() - started)
    student.eval()
    out.mkdir(parents=True, exist_ok=True)
    student.max_seq_length = ranking_length  # a kept start is the start itself
    student.save(str(out))
    return student, history
