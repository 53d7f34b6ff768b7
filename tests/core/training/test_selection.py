"""The checkpoint rule: a fine-tuned model is kept only when it beats its start on the dev queries beyond their
noise (a paired bootstrap), and the training loop hands back the start's own weights otherwise."""

from __future__ import annotations

import random
import time

import numpy as np
import torch

from core.training.lists import TrainingList
from core.training.loop import TrainConfig, train
from core.training.selection import CONFIDENCE, DEV_LEAST, DEV_MOST, Keeper, dev_query_count, select


def test_the_dev_split_is_a_fifth_of_the_training_queries_within_its_bounds():
    assert dev_query_count(500) == 100
    assert dev_query_count(5000) == DEV_MOST
    assert dev_query_count(100) == DEV_LEAST  # a fifth would be 20: too few to tell a gain from noise
    assert dev_query_count(45) == 15  # never more than a third: the rest must train
    assert all(dev_query_count(n) <= n // 3 or dev_query_count(n) <= round(0.2 * n) for n in range(3, 2000))


def test_a_gain_within_the_dev_queries_noise_keeps_the_start():
    rng = np.random.default_rng(1)
    start = rng.uniform(0, 1, 40)
    noisy = np.clip(start + rng.normal(0.01, 0.3, 40), 0, 1)  # a point up on average, thirty points of noise
    verdict = select(start, [noisy])
    assert verdict.kept == "start" and verdict.confidence < CONFIDENCE and verdict.queries == 40
    steady = np.clip(start + 0.03 + rng.normal(0, 0.01, 40), 0, 1)  # three points up on nearly every query
    assert select(start, [steady]).kept == "checkpoint" and select(start, [steady]).gain > 0.02
    assert select(start, [start]).kept == "start"  # a tie is no gain


def test_the_best_of_several_noisy_checkpoints_is_kept_no_more_often_than_one_test_allows():
    """Six checkpoints whose dev scores are independent noise: the best of them looks like a gain in about half of
    the runs, and the rule keeps it in about 5 % (its confidence), as it would a single checkpoint."""
    rng = np.random.default_rng(5)
    runs = [(start := rng.uniform(0, 1, 40), [start + rng.normal(0, 0.2, 40) for _ in range(6)]) for _ in range(300)]
    kept = np.mean([select(start, checkpoints).kept == "checkpoint" for start, checkpoints in runs])
    assert kept <= 1 - CONFIDENCE + 0.03


def test_checkpoints_that_agree_ask_no_more_than_one():
    """A run's checkpoints are close relatives: six evaluations of the same weights ask what one does, where
    Bonferroni's correction would ask 99.2 % of the resamples."""
    rng = np.random.default_rng(5)
    start = rng.uniform(0, 1, 40)
    gained = start + 0.04 + rng.normal(0, 0.12, 40)
    once, six = select(start, [gained]), select(start, [gained] * 6)
    assert CONFIDENCE <= once.confidence < 1 - (1 - CONFIDENCE) / 6
    assert six.confidence == once.confidence and six.kept == "checkpoint" and six.compared == 6


def test_the_keeper_loads_the_weights_the_rule_chose():
    model = torch.nn.Linear(2, 1)
    start_weights = model.weight.detach().clone()
    keeper = Keeper(model, np.full(50, 0.5))
    with torch.no_grad():
        model.weight.add_(1.0)
    assert keeper.offer(7, np.full(50, 0.8)) and keeper.best_step == 7
    assert not keeper.offer(9, np.full(50, 0.6))  # not better than the best so far
    assert keeper.finish().kept == "checkpoint" and torch.equal(model.weight, start_weights + 1.0)

    keeper = Keeper(model, np.full(50, 0.5))
    kept = model.weight.detach().clone()
    with torch.no_grad():
        model.weight.add_(1.0)
    noisy = np.where(np.arange(50) % 2 == 0, 0.9, 0.15)  # better on average, but worse on half the queries
    assert keeper.offer(3, noisy) and keeper.finish().kept == "start"
    assert torch.equal(model.weight, kept) and keeper.best_step == 0


def test_a_budgeted_run_whose_dev_gain_is_noise_ends_in_its_start():
    """The loop itself: its best dev score (the best of several noisy evaluations) rises by noise alone, so it
    hands back the start."""
    model = torch.nn.Linear(4, 1)
    start_weights = {name: value.clone() for name, value in model.state_dict().items()}
    lists = [TrainingList(f"q{i}", ["a", "b"], [1.0, 0.0], "toy") for i in range(64)]
    inputs = torch.randn(64, 4)
    draws = np.random.default_rng(0)

    def batch_loss(batch):
        rows = torch.tensor([int(item.query[1:]) for item in batch])
        loss = model(inputs[rows]).pow(2).mean()
        return loss, {"loss": loss.item()}

    def dev_score() -> np.ndarray:  # forty dev queries: no gain on average, twenty points of noise per query
        return np.full(40, 0.5) + (draws.normal(0.0, 0.2, 40) if model.weight.grad is not None else 0.0)

    config = TrainConfig(batch_lists=4, epochs=50, backbone_lr=1e-2, device="cpu")
    history = train(model, [{"params": list(model.parameters())}], lists, batch_loss, dev_score, config,
                    random.Random(0), budget_s=1.0)
    assert history["steps"] > 1 and history["selection"]["kept"] == "start" and history["best_step"] == 0
    assert all(torch.equal(value, start_weights[name]) for name, value in model.state_dict().items())


def test_a_budget_shorter_than_an_evaluation_ends_after_one_step_and_one_more_evaluation():
    """The time left after a step would not cover another evaluation as long as the start's: the run evaluates once
    more and stops, instead of evaluating on every step until the budget is long past."""
    model = torch.nn.Linear(4, 1)
    lists = [TrainingList(f"q{i}", ["a", "b"], [1.0, 0.0], "toy") for i in range(64)]

    def batch_loss(batch):
        loss = model(torch.ones(len(batch), 4)).pow(2).mean()
        return loss, {"loss": loss.item()}

    def slow_dev_score() -> np.ndarray:
        time.sleep(0.2)
        return np.full(40, 0.5)

    config = TrainConfig(batch_lists=4, epochs=50, backbone_lr=1e-2, device="cpu")
    history = train(model, [{"params": list(model.parameters())}], lists, batch_loss, slow_dev_score, config,
                    random.Random(0), budget_s=0.3)
    assert history["steps"] == 1 and len(history["dev_ndcg@10"]) == 2 and history["stopped"] == "time"
