"""One process-wide lock around numba `parallel=True` code, so that concurrent sessions cannot kill the server.

ranx builds its `Qrels`/`Run` and computes its metrics, fusions and Fisher test in numba parallel functions,
and on import pins numba to the workqueue threading layer (`numba.config.THREADING_LAYER = "workqueue"`),
overriding NUMBA_THREADING_LAYER. Workqueue aborts the whole process ("Concurrent access has been detected")
when two threads enter such a function at once, as two Streamlit sessions did. bm25s has numba kernels too,
but uses them only with `backend="numba"`; `BM25Ranker` keeps bm25s's default numpy backend.

Chosen by measurement: 8 ranx evaluations of 1,000 queries x 100 documents with `core.evaluate.METRICS`,
either one after another in one thread or 2 each in 4 threads at once, on 2 cores shared with other work:

| fix                                      | 1 thread    | 4 threads   |
|------------------------------------------|-------------|-------------|
| this lock (workqueue layer)              | 1.84-3.17 s | 1.81-1.94 s |
| omp threading layer, no lock             | 1.83-1.88 s | 1.63-1.90 s |
| tbb threading layer (pip `tbb`), no lock | 1.83-2.18 s | 1.81-1.93 s |
| pool of 2 worker processes               | 2.26-2.96 s | 1.23-1.33 s |

Two thirds of an evaluation is building ranx's numba dictionaries while holding the GIL, so serialising
costs nothing measurable. The threading layers are no faster, must override ranx's setting, and depend on
the system's libgomp (omp) or on LD_LIBRARY_PATH pointing at the venv, where pip puts libtbb.so.12 (tbb).
A pool gains only on idle cores (`core.comparison.admission` keeps them busy with one comparison at a time), costs
each worker an interpreter with numba loaded (about 270 MB) and makes a single evaluation 25 % slower.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

NUMBA_LOCK = threading.RLock()
"""Held while any thread runs numba parallel code (re-entrant: a guarded function may call another)."""


def numba_serial(function: Callable[P, R]) -> Callable[P, R]:
    """`function`, run under `NUMBA_LOCK`: decorate every function that calls into ranx."""

    @functools.wraps(function)
    def serial(*args: P.args, **kwargs: P.kwargs) -> R:
        with NUMBA_LOCK:
            return function(*args, **kwargs)

    return serial
