"""Batches on worker threads: every item once, the caller's modes and threads kept, errors raised to the caller."""

from __future__ import annotations

import threading

import pytest
import torch

from core.models.worker_threads import for_each_on_threads


def record_workers(items: list[int], threads: int) -> dict[int, tuple[int, int, bool, bool, torch.dtype]]:
    """For each item: the id of the thread that ran it, its PyTorch threads, whether inference mode and gradients
    were on, and the dtype a matrix product came out in (bfloat16 under CPU autocast)."""
    seen = {}

    def work(item: int) -> None:
        product = torch.ones(2, 2) @ torch.ones(2, 2)
        seen[item] = (threading.get_ident(), torch.get_num_threads(), torch.is_inference_mode_enabled(),
                      torch.is_grad_enabled(), product.dtype)

    for_each_on_threads(work, items, threads)
    return seen


def test_every_item_runs_once_on_workers_that_share_the_callers_threads():
    callers_threads = torch.get_num_threads()
    seen = record_workers(list(range(6)), threads=2)
    assert sorted(seen) == list(range(6))
    assert threading.get_ident() not in {ident for ident, *_ in seen.values()}
    assert {threads for _, threads, *_ in seen.values()} == {1}
    assert torch.get_num_threads() == callers_threads


def test_one_thread_or_one_item_runs_in_the_callers_thread():
    for items, threads in (([0, 1, 2], 1), ([0], 2)):
        seen = record_workers(items, threads)
        assert {ident for ident, *_ in seen.values()} == {threading.get_ident()}


def test_workers_inherit_inference_mode_gradient_mode_and_autocast():
    with torch.inference_mode():
        assert {modes[2:] for modes in record_workers([0, 1], 2).values()} == {(True, False, torch.float32)}
    with torch.no_grad():
        assert {modes[2:] for modes in record_workers([0, 1], 2).values()} == {(False, False, torch.float32)}
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert {modes[2:] for modes in record_workers([0, 1], 2).values()} == {(False, True, torch.bfloat16)}
    assert {modes[2:] for modes in record_workers([0, 1], 2).values()} == {(False, True, torch.float32)}


def test_an_error_in_a_worker_reaches_the_caller():
    def work(item: int) -> None:
        if item == 3:
            raise ValueError("item 3 is bad")

    with pytest.raises(ValueError, match="item 3 is bad"):
        for_each_on_threads(work, list(range(5)), threads=2)
