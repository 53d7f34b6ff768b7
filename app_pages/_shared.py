"""What every page shares: session-state keys and running a comparison.

Models are loaded once per process (`core.models.loading`) and shared read-only by all sessions. Rankers
are not shared: each comparison builds fresh ones over those models (a ranker keeps its own index and
timings), and keeps them in its own session's state. Everything a
browser session loads or computes lives in `st.session_state` under "shared.<name>" keys. Comparisons of
all sessions wait in one line for the CPU (`core.admission`), so that many users share it in turn.
"""

from __future__ import annotations

import html
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from core import view_models as views
from core.admission import Admission, slots_from_env
from core.attention_types import Attention
from core.compare import Comparison, RankerResult, compare, partial_comparison
from core.config import Guards, guards_from_env
from core.contestants.spec import ComparisonSpec, SpecError
from core.data import DataError, Dataset
from core.models.loading import ModelError
from core.rankers.base import Ranker

logger = logging.getLogger(__name__)

PAGE_ERRORS = (DataError, ModelError, SpecError, ValueError)
"""What a page turns into an `st.error` message (core raises these for bad input)."""

DATASET = "shared.dataset"
DATASET_KEY = "shared.dataset_key"
SPEC = "shared.spec"  # the ComparisonSpec last chosen in Settings
TRAINING = "shared.training"  # (training split Dataset, how it was made) or None
COMPARISONS = "shared.comparisons"  # {(dataset key, ComparisonSpec): Stored}, most recent last
CURRENT = "shared.current"  # key of the comparison the pages show
FLASH = "shared.flash"  # a success message to show after the rerun that follows a state change
STOPPED = "shared.stopped"  # what a run that did not finish kept, shown as a warning after the rerun
KEEP_COMPARISONS = 3


def _read_guards() -> tuple[Guards, int, str | None]:
    """The guards and the comparisons run at once, from the environment and `--server` (`streamlit run app.py
    -- --server`), and a setup error."""
    try:
        return guards_from_env(os.environ, sys.argv[1:]), slots_from_env(os.environ), None
    except ValueError as error:
        return Guards(), 1, str(error)


GUARDS, SLOTS, SETUP_ERROR = _read_guards()
"""Caps, the confirmation threshold, the model policy and how many comparisons compute at once in this server
process (see SECURITY.md)."""


def plain(text: object) -> str:
    """`text` with markdown's special characters escaped, so that st.markdown, st.error and the like show
    user text (file names, model ids, error messages quoting them) literally."""
    return views.markdown_literal(text)


def describe(error: Exception) -> str:
    """`error` as a message for the page: core's own errors as they are, anything else by its type only
    (logged with its traceback for the maintainers), so a page never shows a traceback."""
    if isinstance(error, PAGE_ERRORS):
        return plain(error)
    logger.error("unexpected error on a page", exc_info=error)
    return f"unexpected {type(error).__name__} (logged for the maintainers)"


@dataclass
class Stored:
    """A finished comparison with the indexed rankers that produced it (for sweeps and timings).

    Attributes:
        derived: Tables and measurements computed from it, by name (so a page redraw reuses them).
    """

    comparison: Comparison
    rankers: dict[str, Ranker]
    seconds: float
    derived: dict[str, Any] = field(default_factory=dict)

    def memo(self, name: Any, compute: Callable[[], Any]) -> Any:
        """`compute()` once per comparison and `name`."""
        if name not in self.derived:
            self.derived[name] = compute()
        return self.derived[name]


@st.cache_resource
def comparison_line() -> Admission:
    """The server's one line of comparisons waiting for the CPU, shared by every session."""
    return Admission(SLOTS)


def attention(stored: Stored, name: str, query: str, document: str) -> Attention | None:
    """What contestant `name` lets `query` and `document` see of each other (`Ranker.attention`), once per
    comparison and pair; None for a contestant without a neural view."""
    ranker = stored.rankers[name]
    with st.spinner(f"Computing what {plain(ranker.label)} attends to…"):
        return stored.memo(("attention", name, query, document), lambda: ranker.attention(query, document))


# --- session state ---------------------------------------------------------------------------------


def dataset() -> Dataset | None:
    return st.session_state.get(DATASET)


def set_dataset(data: Dataset, training: Dataset | None = None, split_how: str = "") -> None:
    """Keep `data` (what comparisons rank) and, when there is one, its training split (what Train learns from)."""
    st.session_state[DATASET] = data
    st.session_state[DATASET_KEY] = views.dataset_key(data)
    st.session_state[TRAINING] = (training, split_how) if training is not None else None


def training() -> Dataset | None:
    """The loaded data's training split, if it has one (read with it, or held out on Train)."""
    return (st.session_state.get(TRAINING) or (None, ""))[0]


def split_how() -> str:
    return (st.session_state.get(TRAINING) or (None, ""))[1]


def add_fine_tuned(models: dict[str, str], dataset_name: str) -> list[str]:
    """Add fine-tuned models (kind -> folder) to this session's comparison; returns the contestants' names."""
    chosen, added = views.with_fine_tuned(spec(), models, dataset_name)
    set_spec(chosen)
    return added


def spec() -> ComparisonSpec:
    """The comparison last chosen in this session (the demo's until Settings changes it)."""
    return st.session_state.get(SPEC) or views.demo_spec()


def set_spec(chosen: ComparisonSpec) -> None:
    st.session_state[SPEC] = chosen


def rerun_with(message: str) -> None:
    """Rerun the app (so the sidebar shows the new state) and then show `message` once."""
    st.session_state[FLASH] = message
    st.rerun()


def show_flash() -> bool:
    """Show what a stopped run kept and the message a `rerun_with` left, if any; returns whether there was either."""
    stopped = st.session_state.pop(STOPPED, None)
    if stopped:
        st.warning(stopped)
    message = st.session_state.pop(FLASH, None)
    if message:
        st.success(message)
    return bool(message or stopped)


def load_into_session(loader: Callable[[], Dataset],
                      training_loader: Callable[[], Dataset | None] = lambda: None) -> None:
    """Run `loader` (and `training_loader`, for a training split) and keep the dataset; on bad input show why
    and keep the previous dataset."""
    try:
        with st.spinner("Reading the data…"):
            data = loader()
            training_split = training_loader()
    except Exception as error:  # noqa: BLE001 - describe() logs anything unexpected
        kept = " The previously loaded dataset is kept." if dataset() is not None else ""
        st.error(f"Could not load the data: {describe(error)}.{kept}")
        return
    set_dataset(data, training_split, "qrels/train.tsv" if training_split is not None else "")
    judged = f", {len(data.qrels):,} judged queries" if data.qrels else ", no relevance judgements"
    trained = f"; a training split of {len(training_split.qrels or {}):,} judged queries" if training_split else ""
    rerun_with(f"Loaded {plain(data.name or 'the data')}: {len(data.corpus):,} documents, "
               f"{len(data.queries):,} queries{judged}{trained}.")


def current() -> Stored | None:
    """The comparison to show, if it was run on the dataset now loaded."""
    key = st.session_state.get(CURRENT)
    if key is None or key[0] != st.session_state.get(DATASET_KEY):
        return None
    return st.session_state.get(COMPARISONS, {}).get(key)


def require_comparison() -> tuple[Dataset, Stored]:
    """The dataset and its comparison, or a pointer to where to get them (and stop the page)."""
    data, stored = dataset(), current()
    if data is None or stored is None:
        st.info("Nothing to show yet: run a comparison first (the Start page runs a quick demo in one click).")
        st.page_link("app_pages/start.py", label="Start: load the lesson data and run the demo", icon=":material/play_circle:")
        st.page_link("app_pages/settings.py", label="Settings: choose contestants and run", icon=":material/tune:")
        st.stop()
    return data, stored


def contestant_heading(result: RankerResult) -> None:
    """A contestant's name as a heading, behind a square of its colour (the same in every figure)."""
    st.markdown(f'<h4 style="margin-bottom:0"><span style="color:{result.colour}">■</span> '
                f'{html.escape(result.label)}</h4>', unsafe_allow_html=True)
    st.caption(plain(result.model))


def no_qrels_note(comparison: Comparison) -> None:
    if not comparison.has_qrels:
        st.info(f"This dataset has no relevance labels, so accuracy cannot be measured: the views show "
                f"agreement with the most expensive contestant ({plain(comparison.reference)}) instead.")


# --- running ---------------------------------------------------------------------------------------


class RunProgress:
    """A core progress callback (message, overall fraction done) as one `st.progress` bar that names the
    current step and estimates the time left from the pace so far."""

    def __init__(self) -> None:
        self.bar = st.progress(0.0, text="Starting…")
        self.start = time.monotonic()

    def __call__(self, message: str, fraction: float) -> None:
        fraction = min(1.0, max(0.0, fraction))
        elapsed = time.monotonic() - self.start
        left = f" · about {views.duration_text(elapsed * (1 - fraction) / fraction)} left" if 0.05 <= fraction < 1 else ""
        self.bar.progress(fraction, text=f"{message} ({fraction:.0%}{left})")


@contextmanager
def in_line() -> Iterator[None]:
    """Wait for this session's turn in `comparison_line`, showing how many comparisons are ahead meanwhile."""
    notice = st.empty()
    start = time.monotonic()

    def show(ahead: int) -> None:  # also where Streamlit raises a Stop click or a rerun while waiting
        notice.info(f"Waiting for the CPU: {ahead} comparison{'s' if ahead != 1 else ''} ahead of yours "
                    f"({time.monotonic() - start:.0f} s so far). Yours starts by itself when its turn comes.",
                    icon=":material/hourglass_top:")

    with comparison_line().slot(show):
        notice.empty()
        yield


def run_comparison(data: Dataset, chosen: ComparisonSpec) -> tuple[Stored, bool]:
    """The comparison `chosen` on `data`, and whether it came from this session's cache (else computed, after
    waiting `in_line`; a cached one never waits).

    Raises:
        ModelError / SpecError / ValueError: From core, for a model that cannot be loaded or a bad spec.
    """
    key = (views.dataset_key(data), chosen)
    stored_runs = st.session_state.setdefault(COMPARISONS, {})
    set_spec(chosen)
    if key in stored_runs:
        stored_runs[key] = stored_runs.pop(key)  # most recently used last
        st.session_state[CURRENT] = key
        return stored_runs[key], True
    with in_line():
        rankers: dict[str, Ranker] = {}
        finished: dict[str, RankerResult] = {}
        start = time.perf_counter()
        try:
            comparison = compare(data, chosen, RunProgress(), rankers, policy=GUARDS.models,
                                 on_ranked=lambda result: finished.update({result.name: result}))
        except BaseException:  # a Stop click (Streamlit interrupts the script), leaving the page, or an error
            _keep_stopped(data, chosen, finished, rankers, time.perf_counter() - start)
            raise
    return _store(key[0], comparison, rankers, time.perf_counter() - start), False


def _store(data_key: str, comparison: Comparison, rankers: dict[str, Ranker], seconds: float) -> Stored:
    """Keep `comparison` as this session's current one (the oldest beyond `KEEP_COMPARISONS` are dropped)."""
    key = (data_key, comparison.spec)
    stored_runs = st.session_state.setdefault(COMPARISONS, {})
    stored_runs[key] = Stored(comparison, rankers, seconds)
    while len(stored_runs) > KEEP_COMPARISONS:
        stored_runs.pop(next(iter(stored_runs)))
    st.session_state[CURRENT] = key
    return stored_runs[key]


def _keep_stopped(data: Dataset, chosen: ComparisonSpec, finished: dict[str, RankerResult],
                  rankers: dict[str, Ranker], seconds: float) -> None:
    """Keep the contestants of an unfinished run that did finish, and say so after the rerun."""
    partial = partial_comparison(data, chosen, finished, rankers)
    if partial is None:
        st.session_state[STOPPED] = "The run stopped before any contestant finished; earlier results are unchanged."
        return
    _store(views.dataset_key(data), partial, {name: rankers[name] for name in finished}, seconds)
    labels = ", ".join(plain(result.label) for result in partial.results.values())
    st.session_state[STOPPED] = (f"The run stopped before it finished: kept {labels} (every page shows them); "
                                 "earlier results are unchanged.")


def done_message(stored: Stored, reused: bool) -> str:
    comparison = stored.comparison
    how = "shown from this session's cache, nothing recomputed" if reused else f"{stored.seconds:.0f} s"
    return f"Done: {len(comparison.results)} contestants on {comparison.dataset['queries']:,} queries ({how})."
