"""Run independent batches on PyTorch's threads as whole batches, one batch per thread, instead of splitting every
operation of one batch across the threads.

A re-ranking batch is small (a few hundred tokens), and on 2 cores PyTorch's intra-op threads, which meet at every
matrix product and every kernel, left much of the time idle: two workers of one thread each scored 1.3× the joint
cross-encoder's pairs per second on Cranfield's long documents and 1.0-1.1× on short texts (measured side by side).
The workers inherit the caller's thread-local modes (inference or gradient mode, CPU autocast), which new threads
would otherwise reset, and use no more threads in total than the caller has; a worker's own calls run in it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import TypeVar

import torch

T = TypeVar("T")


def for_each_on_threads(work: Callable[[T], None], items: Sequence[T], threads: int | None = None) -> None:
    """Call `work(item)` for every item, on `min(threads, len(items))` worker threads that share the caller's
    `threads` (default: `torch.get_num_threads()`); in the caller's thread when that is one. Items are handed out
    in order as workers become free, so longer items first balance best. An exception in any call is raised here.
    """
    threads = threads or torch.get_num_threads()
    workers = min(threads, len(items))
    if workers <= 1:
        for item in items:
            work(item)
        return
    inference = torch.is_inference_mode_enabled()
    gradients = torch.is_grad_enabled()
    autocast = torch.is_autocast_enabled("cpu")
    autocast_dtype = torch.get_autocast_dtype("cpu")

    def in_callers_modes(item: T) -> None:
        with ExitStack() as modes:
            modes.enter_context(torch.inference_mode() if inference else torch.set_grad_enabled(gradients))
            modes.enter_context(torch.autocast("cpu", dtype=autocast_dtype, enabled=autocast))
            work(item)

    for _ in _pool(workers, threads // workers).map(in_callers_modes, items):
        pass


@functools.cache
def _pool(workers: int, threads_each: int) -> ThreadPoolExecutor:
    """The process's pool of `workers` threads with `threads_each` PyTorch threads each, made once: a new thread
    per call cost about 8 % of a query's scoring time, and callers at once queue for the same workers."""
    return ThreadPoolExecutor(workers, thread_name_prefix="pair-batches", initializer=torch.set_num_threads,
                              initargs=(threads_each,))
