"""What every page shares: session-state keys, cached model loaders, and running a comparison.

The only module with `st.cache_resource`: models are loaded once per process and shared read-only by
all sessions. Rankers are not shared: each comparison builds fresh ones over the cached models (a
ranker keeps its own index and timings), and keeps them in its own session's state. Everything a
browser session loads or computes lives in `st.session_state` under "shared.<name>" keys. Comparisons of
all sessions wait in one line for the CPU (`core.admission`), so that many users share it in turn.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from core import attention, session
from core.admission import Admission, slots_from_env
from core.attention_types import PairAttention
from core.compare import Comparison, RankerResult, build_ranker, compare, partial_comparison
from core.config import ArenaConfig, Guards, guards_from_env
from core.data import Corpus, DataError, Dataset
from core.models import ModelError, check_spec, load_bi_encoder, load_cross_encoder, load_poly_encoder
from core.rankers import Ranker

logger = logging.getLogger(__name__)

PAGE_ERRORS = (DataError, ModelError, ValueError)
"""What a page turns into an `st.error` message (core raises these for bad input)."""

DATASET = "shared.dataset"
DATASET_KEY = "shared.dataset_key"
CONFIG = "shared.config"
COMPARISONS = "shared.comparisons"  # {(dataset key, config): Stored}, most recent last
CURRENT = "shared.current"  # key of the comparison the pages show
FLASH = "shared.flash"  # a success message to show after the rerun that follows a state change
STOPPED = "shared.stopped"  # what a run that did not finish kept, shown as a warning after the rerun
KEEP_COMPARISONS = 3
MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]<>#|~$])")


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
    return MARKDOWN_SPECIALS.sub(r"\\\1", str(text))


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


@st.cache_resource(show_spinner="Loading the bi-encoder…", max_entries=4)
def bi_encoder(spec: str, backend: str):
    return load_bi_encoder(spec, backend)


@st.cache_resource(show_spinner="Loading the poly-encoder…", max_entries=4)
def poly_encoder(spec: str, n_codes: int):
    return load_poly_encoder(spec, n_codes)


@st.cache_resource(show_spinner="Loading the cross-encoder…", max_entries=4)
def cross_encoder(spec: str):
    return load_cross_encoder(spec)


_MODEL_LOADERS = {
    "bi": lambda chosen: bi_encoder(chosen.bi_model, chosen.bi_backend),
    "poly": lambda chosen: poly_encoder(chosen.poly_model, chosen.poly_codes),
    "cross": lambda chosen: cross_encoder(chosen.cross_model),
}


def check_models(chosen: ArenaConfig) -> None:
    """Refuse model specs this server does not allow (in server mode: see `core.models.check_spec`).

    Raises:
        ModelError: Naming the spec and what is allowed instead.
    """
    for spec in chosen.model_specs().values():
        check_spec(spec, GUARDS.models)


def make_ranker(kind: str, chosen: ArenaConfig) -> Ranker:
    """A fresh ranker of `kind` (`core.compare.build_ranker`) over the model loaded once per process;
    loading through the wrappers above first shows a spinner while a model loads. Models the server
    does not allow are refused before anything is read."""
    if kind in _MODEL_LOADERS:
        check_spec(chosen.model_specs()[kind], GUARDS.models)
        _MODEL_LOADERS[kind](chosen)
    return build_ranker(kind, chosen)


def build_rankers(chosen: ArenaConfig) -> dict[str, Ranker]:
    """Fresh rankers for every kind the comparison needs (its rankers plus the cross-encoder's first stage)."""
    return {kind: make_ranker(kind, chosen) for kind in chosen.kinds_to_run}


@st.cache_resource
def comparison_line() -> Admission:
    """The server's one line of comparisons waiting for the CPU, shared by every session."""
    return Admission(SLOTS)


@st.cache_data(max_entries=64, show_spinner="Computing the cross-encoder's attention…")
def cross_attention(spec: str, query: str, document: str) -> PairAttention:
    return attention.cross_attention(cross_encoder(spec), query, document)


@st.cache_data(max_entries=64, show_spinner="Computing the poly-encoder's attention…")
def poly_attention(spec: str, n_codes: int, query: str, document: str, corpus_hash: str,
                   _corpus: Corpus) -> attention.PolyAttention:
    """Cached per (model, pair, corpus); `corpus_hash` keys the cache in place of the unhashed `_corpus`."""
    return attention.poly_attention(poly_encoder(spec, n_codes), query, document, _corpus)


@st.cache_data(max_entries=64, show_spinner="Computing the bi-encoder's token similarities…")
def bi_similarity(spec: str, query: str, document: str) -> attention.TokenSimilarity:
    return attention.bi_token_similarity(bi_encoder(spec, "torch"), query, document)


# --- session state ---------------------------------------------------------------------------------


def dataset() -> Dataset | None:
    return st.session_state.get(DATASET)


def set_dataset(data: Dataset) -> None:
    st.session_state[DATASET] = data
    st.session_state[DATASET_KEY] = session.dataset_key(data)


def config() -> ArenaConfig:
    """The configuration last chosen in this session (the demo's until Settings changes it)."""
    return st.session_state.get(CONFIG, session.DEMO_CONFIG)


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


def load_into_session(loader: Callable[[], Dataset]) -> None:
    """Run `loader` and keep its dataset; on bad input show why and keep the previous dataset."""
    try:
        with st.spinner("Reading the data…"):
            data = loader()
    except Exception as error:  # noqa: BLE001 - describe() logs anything unexpected
        kept = " The previously loaded dataset is kept." if dataset() is not None else ""
        st.error(f"Could not load the data: {describe(error)}.{kept}")
        return
    set_dataset(data)
    rerun_with(f"Loaded {plain(data.name or 'the data')}: {len(data.corpus):,} documents, {len(data.queries):,} queries.")


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
        st.page_link("app_pages/start.py", label="Start: load the sample data and run the demo", icon=":material/play_circle:")
        st.page_link("app_pages/settings.py", label="Settings: choose rankers and run", icon=":material/tune:")
        st.stop()
    return data, stored


def no_qrels_note(comparison: Comparison) -> None:
    if not comparison.has_qrels:
        st.info(f"This dataset has no relevance labels, so accuracy cannot be measured: the views show "
                f"agreement with the most expensive ranker ({comparison.reference}) instead.")


# --- running ---------------------------------------------------------------------------------------


class StepProgress:
    """A core progress callback as one `st.progress` bar per step (the text before ":" names the step).

    Args:
        steps: For `compare`, the number of rankers: its fraction is overall, each ranker taking an
            equal share. None when each step reports its own 0..1 fraction.
    """

    def __init__(self, steps: int | None = None) -> None:
        self.steps = steps
        self.area = st.container()
        self.bars: dict[str, Any] = {}

    def __call__(self, message: str, fraction: float) -> None:
        step = message.split(":")[0]
        if step not in self.bars:
            for name, bar in self.bars.items():
                bar.progress(1.0, text=f"{name}: done")
            self.bars[step] = self.area.progress(0.0, text=message)
        share = fraction
        if self.steps is not None and list(self.bars).index(step) < self.steps:
            share = fraction * self.steps - list(self.bars).index(step)
        self.bars[step].progress(min(1.0, max(0.0, share)), text=message)


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


def run_comparison(data: Dataset, chosen: ArenaConfig) -> tuple[Stored, bool]:
    """The comparison of `chosen` on `data`, and whether it came from this session's cache (else computed, after
    waiting `in_line`; a cached one never waits).

    Raises:
        ModelError / ValueError: From core, for a model that cannot be loaded or a bad configuration.
    """
    key = (session.dataset_key(data), chosen)
    stored_runs = st.session_state.setdefault(COMPARISONS, {})
    st.session_state[CONFIG] = chosen
    if key in stored_runs:
        stored_runs[key] = stored_runs.pop(key)  # most recently used last
        st.session_state[CURRENT] = key
        return stored_runs[key], True
    with in_line():
        rankers = build_rankers(chosen)
        finished: dict[str, RankerResult] = {}
        start = time.perf_counter()
        try:
            comparison = compare(data, chosen, StepProgress(len(rankers)), rankers,
                                 on_ranked=lambda result: finished.update({result.name: result}))
        except BaseException:  # a Stop click (Streamlit interrupts the script), leaving the page, or an error
            _keep_stopped(data, chosen, finished, rankers, time.perf_counter() - start)
            raise
    return _store(key[0], comparison, rankers, time.perf_counter() - start), False


def _store(data_key: str, comparison: Comparison, rankers: dict[str, Ranker], seconds: float) -> Stored:
    """Keep `comparison` as this session's current one (the oldest beyond `KEEP_COMPARISONS` are dropped)."""
    key = (data_key, comparison.config)
    stored_runs = st.session_state.setdefault(COMPARISONS, {})
    stored_runs[key] = Stored(comparison, rankers, seconds)
    while len(stored_runs) > KEEP_COMPARISONS:
        stored_runs.pop(next(iter(stored_runs)))
    st.session_state[CURRENT] = key
    return stored_runs[key]


def _keep_stopped(data: Dataset, chosen: ArenaConfig, finished: dict[str, RankerResult],
                  rankers: dict[str, Ranker], seconds: float) -> None:
    """Keep the rankers of an unfinished run that did finish, and say so after the rerun."""
    partial = partial_comparison(data, chosen, finished, rankers)
    if partial is None:
        st.session_state[STOPPED] = "The run stopped before any ranker finished; earlier results are unchanged."
        return
    finished_rankers = {kind: rankers[kind] for kind in partial.config.kinds_to_run}  # not the interrupted one
    _store(session.dataset_key(data), partial, finished_rankers, seconds)
    labels = ", ".join(result.label for result in partial.results.values())
    st.session_state[STOPPED] = (f"The run stopped before it finished: kept {labels} (every page shows them); "
                                 "earlier results are unchanged.")


def done_message(stored: Stored, reused: bool) -> str:
    comparison = stored.comparison
    how = "shown from this session's cache, nothing recomputed" if reused else f"{stored.seconds:.0f} s"
    return f"Done: {len(comparison.results)} rankers on {comparison.dataset['queries']:,} queries ({how})."
