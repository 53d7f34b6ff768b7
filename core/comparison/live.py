"""A comparison computed in a background thread, whose finished contestants can be shown while the rest run.

The app starts one `LiveComparison` per requested comparison and lets any number of browser sessions watch it
(`LiveComparisons` joins a second request for the same data and contestants to the run already going, so a class
clicking the same demo computes it once). The thread waits for its turn in the server's `Admission` line,
runs `core.comparison.compare.compare`, and publishes after each contestant a partial comparison of the finished ones
(cheapest first: BM25 and the bi-encoder within seconds, re-rankers last). Leaving the page does not stop it;
`release` by its last watcher does, at the next progress step, keeping what finished. Nothing here knows about Streamlit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable

from core.comparison.admission import Admission
from core.comparison.cache import keep_comparison
from core.comparison.compare import compare, partial_comparison
from core.comparison.results import Comparison, RankerResult
from core.config import ModelPolicy
from core.contestants.spec import ComparisonSpec
from core.rankers.base import Ranker
from core.timing import Pace
from core.types import Dataset


class Cancelled(Exception):
    """Raised inside the worker thread at its next progress step once `LiveComparison.release` left no watcher."""


class LiveComparison:
    """One comparison computing in a daemon thread; every attribute may be read from any thread.

    Attributes:
        message / fraction: The current step in words and the fraction of the whole run done.
        seconds_left: About how long it still takes (`core.timing.Pace`; None until it can tell).
        snapshot: The comparison of the contestants finished so far (None before the first).
        version: Increases whenever `snapshot` changes, so that a watcher knows when to redraw.
        comparison: The whole comparison once finished (else None); `error` what stopped it, if anything failed.
        rankers: The indexed rankers by contestant name (those built so far).
    """

    def __init__(self, dataset: Dataset, spec: ComparisonSpec, line: Admission, policy: ModelPolicy) -> None:
        self.dataset, self.spec, self.policy, self.line = dataset, spec, policy, line
        self.message, self.fraction = "Waiting to start…", 0.0
        self.seconds_left: float | None = None
        self._pace: Pace | None = None
        self.snapshot: Comparison | None = None
        self.comparison: Comparison | None = None
        self.error: Exception | None = None
        self.version = 0
        self.rankers: dict[str, Ranker] = {}
        self.finished: dict[str, RankerResult] = {}
        self.created = time.monotonic()
        self.started: float | None = None  # when its turn came
        self.ended: float | None = None
        self.watchers = 0
        self._watchers_lock = threading.Lock()
        self._cancelled = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"comparison-{id(self):x}", daemon=True)

    def start(self) -> LiveComparison:
        self._thread.start()
        return self

    def release(self) -> None:
        """One watcher no longer wants the run; when none does, it stops at its next progress step (or while
        waiting in line), keeping the finished contestants."""
        with self._watchers_lock:
            self.watchers -= 1
            if self.watchers <= 0:
                self._cancelled.set()

    def watch(self) -> None:
        """Count one more watcher (see `release`)."""
        with self._watchers_lock:
            self.watchers += 1

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    @property
    def done(self) -> bool:
        return self.ended is not None

    @property
    def seconds(self) -> float:
        """Computing time so far (or in all, once done), not counting the wait in line."""
        if self.started is None:
            return 0.0
        return (self.ended or time.monotonic()) - self.started

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the run ends (or `timeout` seconds pass); whether it has ended."""
        self._thread.join(timeout)
        return self.done

    def _progress(self, message: str, fraction: float) -> None:
        if self._cancelled.is_set():
            raise Cancelled
        self.message, self.fraction = message, min(1.0, max(self.fraction, fraction))
        if self._pace is None:
            self._pace = Pace()
        self.seconds_left = self._pace.update(self.fraction)

    def _waiting(self, ahead: int) -> None:
        if self._cancelled.is_set():
            raise Cancelled
        self.message = (f"Waiting for the CPU: {ahead} comparison{'s' if ahead != 1 else ''} ahead of yours "
                        f"({time.monotonic() - self.created:.0f} s so far). Yours starts by itself when its turn comes.")

    def _ranked(self, result: RankerResult) -> None:
        self.finished[result.name] = result
        if len(self.finished) < len(self.spec.names):  # the last one is published as the whole comparison
            self.snapshot = partial_comparison(self.dataset, self.spec, dict(self.finished), self.rankers,
                                               running=True)
            self.version += 1

    def _run(self) -> None:
        try:
            with self.line.slot(self._waiting):
                self.started = time.monotonic()
                comparison = compare(self.dataset, self.spec, self._progress, self.rankers, self._ranked, self.policy)
            self.comparison = self.snapshot = comparison
            keep_comparison(self.dataset, comparison)
        except Cancelled:
            self.snapshot = partial_comparison(self.dataset, self.spec, dict(self.finished), self.rankers)
            self.message = "Stopped"
        except Exception as error:  # noqa: BLE001 - handed to the watcher, which shows it
            self.error = error
            self.snapshot = partial_comparison(self.dataset, self.spec, dict(self.finished), self.rankers)
        finally:
            self.ended = time.monotonic()
            self.version += 1


class LiveComparisons:
    """The server's running comparisons by key, so that equal requests share one run."""

    def __init__(self) -> None:
        self._runs: dict[Hashable, LiveComparison] = {}
        self._lock = threading.Lock()

    def start_or_join(self, key: Hashable, make: Callable[[], LiveComparison]) -> tuple[LiveComparison, bool]:
        """The unfinished run under `key`, or a new one from `make` (started), with one more watcher; and
        whether it was joined."""
        with self._lock:
            for old in [k for k, run in self._runs.items() if run.done]:
                del self._runs[old]
            run, joined = self._runs.get(key), True
            if run is None or run.cancelled:
                run, joined = make(), False
                self._runs[key] = run.start()
            run.watch()
            return run, joined
