"""What every page shares: session-state keys and running a comparison.

Models are loaded once per process (`core.models.loading`) and shared read-only by all sessions. A comparison
runs in a background thread (`core.comparison.live`), cheapest contestants first, and every page shows the finished
ones while the rest run; it waits in the server's one line for the CPU (`core.comparison.admission`), and sessions asking
for the same comparison share one run. A comparison computed before by any process is read from the disk cache
(`core.comparison.cache`) without loading a model; its rankers (for sweeps and attention) are built when a page
first needs them. Everything a browser session keeps lives in `st.session_state` under "shared.<name>" keys.
Running comparisons, and whatever else needs the model libraries, is in `_runs`: this module loads in a fraction
of a second, so the app's frame and the Start page draw before those libraries have loaded.
"""

from __future__ import annotations

import html
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import streamlit as st

from app_pages._present import PRESENT
from core.caches.loaded import keep_loaded, keep_spec, read_loaded
from core.comparison.admission import Admission, slots_from_env
from core.config import Guards, guards_from_env
from core.contestants.spec import ComparisonSpec, SpecError
from core.data import DataError, Dataset
from core.judging.records import JUDGED_NOTE
from core.judging.store import JudgingStore
from core.models.errors import ModelError
from core.text import duration_text, markdown_literal
from core.timing import Pace

if TYPE_CHECKING:  # the model libraries load with `_runs`, after the first page is drawn
    from core.comparison.live import LiveComparison
    from core.comparison.results import Comparison, RankerResult
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
LIVE = "shared.live"  # the Watched run this session is waiting for, or None
KEEP_COMPARISONS = 3
LESSON_LINK = "data"  # the URL parameter naming the lesson data ("?data=lesson") or the loaded data's key


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
    return markdown_literal(text)


def describe(error: Exception) -> str:
    """`error` as a message for the page: core's own errors as they are, anything else by its type only
    (logged with its traceback for the maintainers), so a page never shows a traceback."""
    if isinstance(error, PAGE_ERRORS):
        return plain(error)
    logger.error("unexpected error on a page", exc_info=error)
    return f"unexpected {type(error).__name__} (logged for the maintainers)"


@dataclass
class Stored:
    """A comparison (finished, or the finished part of a running one) with the indexed rankers that produced it,
    for sweeps and attention.

    Attributes:
        derived: Tables and measurements computed from it, by name (so a page redraw reuses them).
    """

    comparison: Comparison
    rankers: dict[str, Ranker] | None  # None until `rankers(stored)` builds them (for a comparison from a cache)
    seconds: float
    derived: dict[str, Any] = field(default_factory=dict)
    base: Stored | None = None  # for a view through the judgements (`judged_view`): the comparison as computed

    def memo(self, name: Any, compute: Callable[[], Any]) -> Any:
        """`compute()` once per comparison and `name`."""
        if name not in self.derived:
            self.derived[name] = compute()
        return self.derived[name]


@st.cache_resource
def warming_up() -> threading.Thread | None:
    """Once per server, at its first visit: compile the evaluation code, import the model libraries and load the
    demo's models in the background, while the first page draws, so that the demo button finds them ready
    (`ARENA_WARM_UP=0` skips it)."""
    if os.environ.get("ARENA_WARM_UP", "1").strip() == "0":
        return None
    thread = threading.Thread(target=_warm_up_server, name="warm-up", daemon=True)
    thread.start()
    return thread


def _warm_up_server() -> None:
    """Imported here rather than at the top: seconds, which no page should wait for. The evaluation code first,
    since every comparison's first result waits for it, then the demo's models, and last the significance tests
    of the Trade-offs page."""
    from core.evaluate import compile_kernels, compile_significance

    compile_kernels()
    from core.comparison.compare import load_models
    from core.contestants import presets

    load_models(presets.demo_spec(), GUARDS.models)
    compile_significance()


@st.cache_resource
def comparison_line() -> Admission:
    """The server's one line of comparisons waiting for the CPU, shared by every session."""
    return Admission(SLOTS)


# --- session state ---------------------------------------------------------------------------------


def dataset() -> Dataset | None:
    return st.session_state.get(DATASET)


def set_dataset(data: Dataset, training: Dataset | None = None, split_how: str = "", keep: bool = True) -> None:
    """Keep `data` (what comparisons rank) and, when there is one, its training split (what Train learns from), in
    this session and (`keep`) on the server, for a reload (`reopen`)."""
    st.session_state[DATASET] = data
    st.session_state[DATASET_KEY] = data.content_hash
    st.session_state[TRAINING] = (training, split_how) if training is not None else None
    if keep:
        keep_loaded(data, training, split_how)


def reopen(key: str) -> dict[str, Any] | None:
    """Load the data a session kept under `key` (`core.caches.loaded`; a reload's URL names it), if the server has
    it; returns the spec of the comparison last shown on it, for the caller to read from the caches (None if none
    or no such data)."""
    found = read_loaded(key)
    if found is None:
        return None
    set_dataset(found.dataset, found.training, found.split_how, keep=False)
    return found.spec


def name_in_url() -> None:
    """Name the loaded data in the page's URL (`?data=KEY`), so that a reload finds it again (`reopen`)."""
    key = st.session_state.get(DATASET_KEY)
    if key and st.query_params.get(LESSON_LINK) not in (key, "lesson"):
        st.query_params[LESSON_LINK] = key


def training() -> Dataset | None:
    """The loaded data's training split, if it has one (read with it, or held out on Train)."""
    return (st.session_state.get(TRAINING) or (None, ""))[0]


def split_how() -> str:
    return (st.session_state.get(TRAINING) or (None, ""))[1]


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
                      training_loader: Callable[[], Dataset | None] = lambda: None,
                      training_source: str = "qrels/train.tsv") -> None:
    """Run `loader` (and `training_loader`, for a training split read from `training_source`) and keep the dataset;
    on bad input show why and keep the previous dataset."""
    try:
        with st.spinner("Reading the data…"):
            data = loader()
            training_split = training_loader()
    except Exception as error:  # noqa: BLE001 - describe() logs anything unexpected
        kept = " The previously loaded dataset is kept." if dataset() is not None else ""
        st.error(f"Could not load the data: {describe(error)}.{kept}")
        return
    set_dataset(data, training_split, training_source if training_split is not None else "")
    judged = (f" and relevance labels (qrels) for {len(data.qrels):,} of them ("
              f"{sum(map(len, data.qrels.values())):,} judgements): contestants are scored on accuracy"
              if data.qrels else "; no relevance labels (qrels): contestants are compared by how much they agree")
    judged_training = len(training_split.qrels or {}) if training_split else 0
    trained = (f". It has a training split of {judged_training:,} judged quer{'y' if judged_training == 1 else 'ies'}, "
               "for the Train page" if training_split else "")
    rerun_with(f"Loaded {plain(data.name or 'the data')}: {len(data.corpus):,} documents, "
               f"{len(data.queries):,} queries{judged}{trained}.")


def current() -> Stored | None:
    """The comparison to show, if it was run on the dataset now loaded: while a run this session watches is
    going, the contestants it has finished so far."""
    settle_run()
    watched = st.session_state.get(LIVE)
    if watched is not None and watched.key[0] == st.session_state.get(DATASET_KEY):
        return watched.view()
    key = st.session_state.get(CURRENT)
    if key is None or key[0] != st.session_state.get(DATASET_KEY):
        return None
    return st.session_state.get(COMPARISONS, {}).get(key)


def require_comparison() -> tuple[Dataset, Stored]:
    """The dataset and its comparison, seen through the judgements made on the Judge page (`judged_view`), or a
    pointer to where to get them (and stop the page). (A link naming the lesson data, `?data=lesson`, was opened by
    the router before the page ran.)"""
    data, stored = dataset(), current()
    if data is None or stored is None:
        st.info("Nothing to show yet: run a comparison first (the Start page runs a quick demo in one click).")
        st.page_link("app_pages/start.py", label="Start: load the lesson data and run the demo", icon=":material/play_circle:")
        st.page_link("app_pages/settings.py", label="Settings: choose contestants and run", icon=":material/tune:")
        st.stop()
    return judged_view(data, stored)


def judging_store(data: Dataset) -> JudgingStore:
    """The judgements of `data` that every judge on this server shares."""
    return JudgingStore.for_dataset(data)


def judged_view(data: Dataset, stored: Stored) -> tuple[Dataset, Stored]:
    """`data` and `stored` with the judgements made so far merged into the qrels and the metrics recomputed
    (`core.judging.apply`): as they are while nobody has judged. Recomputed once per change of the judgements."""
    judged = judging_store(data).read()
    if not judged.version:
        return data, stored
    kept = stored.derived.get("judged")
    if kept is None or kept[0] != judged.version:
        from core.judging.apply import with_judgements  # the evaluation libraries, only once judging has begun

        view = with_judgements(stored.comparison, data, judged)
        kept = stored.derived["judged"] = (judged.version, view.dataset,
                                           Stored(view.comparison, stored.rankers, stored.seconds, base=stored))
    return kept[1], kept[2]


def contestant_heading(result: RankerResult) -> None:
    """A contestant's name as a heading, behind a square of its colour (the same in every figure)."""
    st.markdown(f'<h4 style="margin-bottom:0"><span style="color:{result.colour}">■</span> '
                f'{html.escape(result.label)}</h4>', unsafe_allow_html=True)
    st.caption(plain(result.model) + ("" if result.device == "the CPU" else f" · on {plain(result.device)}"))
    if result.notes and not st.session_state.get(PRESENT):  # a room reads the lists, not how a model decided
        with st.expander("Details"):
            for note in result.notes:
                st.caption(plain(note))


def labels_note(comparison: Comparison) -> None:
    """What the metrics rest on: no labels (agreement shown instead), or labels judged in the app."""
    if not comparison.has_qrels:
        st.info(f"This dataset has no relevance labels, so accuracy cannot be measured: the views show "
                f"agreement with the most expensive contestant ({plain(comparison.reference)}) instead. The Judge "
                f"page turns your judgements into labels.")
    elif comparison.dataset.get("judging", {}).get("added_to_qrels"):
        st.caption(plain(next(note for note in comparison.notes if note.startswith(JUDGED_NOTE))))


# --- running ---------------------------------------------------------------------------------------


@dataclass
class Watched:
    """A `LiveComparison` this session waits for: under which key its result is kept, and whether this session started
    it (a joined run's rankers belong to the session that started it; this one rebuilds its own when needed)."""

    key: tuple[str, ComparisonSpec]
    run: LiveComparison
    joined: bool
    shown: tuple[int, Stored] | None = None  # the last view, with the snapshot version it shows

    def view(self) -> Stored | None:
        """The finished contestants so far as a `Stored` (one per snapshot, so that pages memoise on it)."""
        run = self.run
        if run.snapshot is None:
            return None
        if self.shown is None or self.shown[0] != run.version:
            finished = None if self.joined else {name: run.rankers[name] for name in run.snapshot.results}
            self.shown = (run.version, Stored(run.snapshot, finished, run.seconds))
        return self.shown[1]


def watching() -> LiveComparison | None:
    """The run this session waits for, if any."""
    watched = st.session_state.get(LIVE)
    return watched.run if watched is not None else None


def progress_text(message: str, fraction: float, seconds_left: float | None) -> str:
    """The step in words, the fraction done and the time left (`core.timing.Pace`), e.g.
    "poly-encoder: query 11/52 (41% · about 20 s left)"."""
    left = f" · about {duration_text(seconds_left)} left" if seconds_left is not None else ""
    return f"{message} ({fraction:.0%}{left})"


def run_progress_text(run: LiveComparison) -> str:
    return progress_text(run.message, run.fraction, run.seconds_left)


class RunProgress:
    """A core progress callback (message, overall fraction done) as one `st.progress` bar, with `progress_text`."""

    def __init__(self) -> None:
        self.bar = st.progress(0.0, text="Starting…")
        self.pace = Pace()

    def __call__(self, message: str, fraction: float) -> None:
        fraction = min(1.0, max(0.0, fraction))
        self.bar.progress(fraction, text=progress_text(message, fraction, self.pace.update(fraction)))


def settle_run() -> Stored | None:
    """Once the watched run has ended, keep what it computed (all of it, or the finished contestants with a note
    of why the rest did not) as this session's current comparison, and stop watching; returns it."""
    watched: Watched | None = st.session_state.get(LIVE)
    if watched is None or not watched.run.done:
        return None
    del st.session_state[LIVE]
    run = watched.run
    if run.comparison is not None:
        return store_comparison(watched.key, run.comparison, None if watched.joined else run.rankers, run.seconds)
    why = f"failed ({describe(run.error)})" if run.error is not None else "was stopped"
    return _keep_partial(watched, f"The run {why} before it finished")


def stop_run() -> None:
    """Stop watching the run (it stops when no session watches it) and keep the contestants it finished."""
    watched: Watched | None = st.session_state.pop(LIVE, None)
    if watched is not None:
        watched.run.release()
        _keep_partial(watched, "The run was stopped before it finished")


def _keep_partial(watched: Watched, what_happened: str) -> Stored | None:
    """Keep the finished part of `watched`'s run, and say so on the next page drawn."""
    view = watched.view()
    if view is None:
        st.session_state[STOPPED] = f"{what_happened}, before any contestant finished; earlier results are unchanged."
        return None
    comparison = view.comparison
    if comparison.notes and comparison.notes[-1].startswith("still running"):  # no more will come for this session
        missing = [name for name in watched.key[1].names if name not in comparison.results]
        comparison = replace(comparison, notes=[*comparison.notes[:-1],
                                                f"the run stopped before {', '.join(missing)} finished"])
    labels = ", ".join(plain(result.label) for result in comparison.results.values())
    st.session_state[STOPPED] = f"{what_happened}: kept {labels} (every page shows them); earlier results are unchanged."
    return store_comparison((watched.key[0], comparison.spec), comparison, view.rankers, view.seconds)


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


def store_comparison(key: tuple[str, ComparisonSpec], comparison: Comparison, built: dict[str, Ranker] | None,
           seconds: float) -> Stored:
    """Keep `comparison` as this session's current one (the oldest beyond `KEEP_COMPARISONS` are dropped)."""
    stored_runs = st.session_state.setdefault(COMPARISONS, {})
    stored_runs.pop(key, None)
    stored_runs[key] = Stored(comparison, built, seconds)
    while len(stored_runs) > KEEP_COMPARISONS:
        stored_runs.pop(next(iter(stored_runs)))
    st.session_state[CURRENT] = key
    keep_spec(key[0], key[1].to_dict())
    return stored_runs[key]


def done_message(stored: Stored, how: str) -> str:
    comparison = stored.comparison
    source = {"session": "shown from this session's cache, nothing recomputed",
              "disk": "answered from the server's cache: computed before, latencies as measured then"}
    return (f"Done: {len(comparison.results)} contestants on {comparison.dataset['queries']:,} queries "
            f"({source.get(how, f'{stored.seconds:.0f} s')}).")
