"""Running comparisons, and what needs the contestant registry and the model libraries.

Split from `_shared` so that the app's frame and the Start page draw before these libraries load (seconds on a
fresh server): pages import this module only where they run or inspect a comparison.
"""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import streamlit as st

from app_pages import _shared as shared
from app_pages.views import tradeoffs as tradeoff_views
from core.analysis.highlight import WeighedWords
from core.analysis.live_question import Answer, ask, weighed
from core.attention_types import Attention
from core.comparison.cache import read_comparison
from core.comparison.compare import indexed_rankers
from core.comparison.live import LiveComparison, LiveComparisons
from core.comparison.results import Comparison, described_by
from core.contestants import presets
from core.contestants.registry import comparison_from_dict
from core.contestants.spec import ComparisonSpec, SpecError
from core.data import Dataset, samples
from core.rankers.base import Ranker
from core.scale.prebuilt import open_prebuilt


def attention(stored: shared.Stored, name: str, query: str, document: str) -> Attention | None:
    """What contestant `name` lets `query` and `document` see of each other (`Ranker.attention`), once per
    comparison and pair; None for a contestant without a neural view."""
    ranker = rankers(stored)[name]
    with st.spinner(f"Computing what {shared.plain(ranker.label)} attends to…"):
        return stored.memo(("attention", name, query, document), lambda: ranker.attention(query, document))


def add_fine_tuned(models: dict[str, str], dataset_name: str, kept: tuple[str, ...] = ()) -> list[str]:
    """Add fine-tuned models (kind -> folder; `kept`: the kinds whose training kept the untrained start) to this
    session's comparison; returns the contestants' names."""
    chosen, added = presets.with_fine_tuned(spec(), models, dataset_name, kept)
    shared.set_spec(chosen)
    return added


def use_paper_table(models: dict[str, str], dataset_name: str, kept: tuple[str, ...] = ()) -> None:
    """Make this session's comparison the paper's table: zero-shot and fine-tuned bi, poly and cross side by side
    (`presets.paper_table`)."""
    shared.set_spec(presets.paper_table(models, dataset_name, kept))


def spec() -> ComparisonSpec:
    """The comparison last chosen in this session (the demo's until Settings changes it)."""
    return st.session_state.get(shared.SPEC) or presets.demo_spec()


@st.cache_resource
def live_runs() -> LiveComparisons:
    """The server's comparisons in progress, shared by every session (equal requests join one run)."""
    return LiveComparisons()


def run_comparison(data: Dataset, chosen: ComparisonSpec) -> tuple[shared.Stored, str]:
    """The comparison `chosen` on `data`, and where it came from: "session" (this session's cache), "disk" (a
    comparison computed earlier by any process, `core.comparison.cache`), or "computed" (now, by `follow`ing a run in
    the background that shows each contestant as it finishes, joined with any other session's equal run).

    Raises:
        ModelError / SpecError / ValueError: From core, for a model that cannot be loaded or a bad spec.
    """
    return start_comparison(data, chosen) or follow()


def start_comparison(data: Dataset, chosen: ComparisonSpec) -> tuple[shared.Stored, str] | None:
    """The comparison `chosen` on `data` from a cache, as `run_comparison` says; else None, once this session
    watches a run of it (started, or joined) for `follow` to draw."""
    key = (data.content_hash, chosen)
    stored_runs = st.session_state.setdefault(shared.COMPARISONS, {})
    shared.set_spec(chosen)
    if key in stored_runs:
        stored = stored_runs[key] = stored_runs.pop(key)  # most recently used last
        stored.comparison = described_by(stored.comparison, data)  # equal content from elsewhere: this load's words
        st.session_state[shared.CURRENT] = key
        return stored, "session"
    cached = read_comparison(data, chosen)
    if cached is not None:
        return shared.store_comparison(key, cached, None, 0.0), "disk"
    watched = st.session_state.get(shared.LIVE)
    if watched is None or watched.key != key:
        if watched is not None:
            shared.stop_run()
        run, joined = live_runs().start_or_join(
            key, lambda: LiveComparison(data, chosen, shared.comparison_line(), shared.GUARDS.models))
        st.session_state[shared.LIVE] = shared.Watched(key, run, joined)
    return None


def follow() -> tuple[shared.Stored, str]:
    """Draw the watched run's progress, and a leaderboard of its finished contestants, until it ends.

    Leaving the page (which interrupts this script) leaves the run going; the sidebar then shows its progress.

    Raises:
        Exception: What stopped the run, after keeping the contestants that finished.
    """
    watched: shared.Watched = st.session_state[shared.LIVE]
    bar = st.progress(0.0, text="Starting…")
    st.button("Stop the run", key="run.stop", icon=":material/stop_circle:", on_click=shared.stop_run,
              help="Stops the run now; the contestants that have already finished are kept and shown.")
    notice, board = st.empty(), st.empty()
    shown = -1
    while not watched.run.wait(0.25):
        if watched.run.started is None:
            notice.info(watched.run.message, icon=":material/hourglass_top:")
        else:
            notice.empty()
        bar.progress(watched.run.fraction, text=shared.run_progress_text(watched.run))
        if watched.run.version != shown and watched.run.snapshot is not None:
            shown = watched.run.version
            with board.container():
                st.caption("Finished so far (every page already shows them; the rest follow):")
                leaderboard(watched.run.snapshot)
    stored = shared.settle_run()
    if watched.run.error is not None:
        raise watched.run.error
    if watched.run.comparison is None:  # stopped: the next page drawn says what was kept
        st.rerun()
    assert stored is not None
    return stored, "computed"


def leaderboard(comparison: Comparison) -> None:
    """The contestants' main numbers in a small table: quality (or agreement) and median latency."""
    table = tradeoff_views.leaderboard(comparison)
    st.dataframe(table, hide_index=True, column_config={
        column: st.column_config.NumberColumn(format="%.1f" if column == "p50 ms" else "%.3f")
        for column in table.columns[1:]})


def rankers(stored: shared.Stored) -> dict[str, Ranker]:
    """The indexed rankers behind `stored`, built the first time a view needs them for a comparison that came from
    a cache or another session's run (models loaded once per server, the corpus indexed from the caches)."""
    computed = stored.base or stored  # a view through the judgements shares the rankers of what it views
    if computed.rankers is None:
        with st.spinner("Loading the contestants' models for this view (once per comparison)…"), shared.in_line():
            computed.rankers = indexed_rankers(shared.dataset(), stored.comparison.spec, shared.GUARDS.models)
    return computed.rankers


def answers(stored: shared.Stored, question: str) -> dict[str, Answer]:
    """Every contestant's top 10 for a question typed live (`core.analysis.live_question.ask`), once per comparison and
    question; the rankers are loaded first if needed, and the question waits its turn for the CPU."""
    def ask_all() -> dict[str, Answer]:
        built = rankers(stored)
        with st.spinner("Every contestant is answering…"), shared.in_line():
            return ask(question, stored.comparison.spec, built)

    return stored.memo(("answers", question), ask_all)


def weighed_words(stored: shared.Stored, question: str, rankings: dict[str, dict[str, float]],
                  top_documents: int = 3) -> dict[str, dict[str, WeighedWords]]:
    """For each contestant with a neural view, the words it weighs most with each of its `top_documents` best
    documents for `question` (`core.analysis.live_question.weighed`), once per comparison, question and rankings."""
    def compute() -> dict[str, dict[str, WeighedWords]]:
        built = rankers(stored)
        with st.spinner("Reading what the models weigh…"), shared.in_line():
            return {name: weighed(built[name], question, shared.dataset().corpus, list(ranking)[:top_documents])
                    for name, ranking in rankings.items()}

    key = ("weighed", question, tuple((name, tuple(ranking)[:top_documents]) for name, ranking in rankings.items()))
    return stored.memo(key, compute)


def open_lesson_demo() -> NoReturn:
    """Load the lesson data and the demo's comparison, for a link that names them (`?data=lesson`): from the caches,
    or run here with its progress shown; then draw the app again, its sidebar naming them."""
    data, training = samples.load_lesson()
    shared.set_dataset(data, training, "qrels/train.tsv")
    if start_comparison(data, presets.demo_spec()) is None:
        follow()
    st.rerun()


def reopen_comparison(spec: dict) -> None:
    """Show again the comparison last shown on the reopened data, if the server's cache has it (nothing is run)."""
    try:
        chosen = comparison_from_dict(spec, "the kept comparison")
    except SpecError:
        return
    found = read_comparison(shared.dataset(), chosen)
    if found is not None:
        shared.store_comparison((shared.dataset().content_hash, chosen), found, None, 0.0)
        shared.set_spec(chosen)


def open_index(folder: str) -> str:
    """Use a prebuilt index directory for the loaded data and this session's comparison; a message saying for whom.

    Raises:
        DataError: When it is not allowed here, or belongs to other data or another model.
    """
    manifest, users = open_prebuilt(Path(folder), shared.dataset().corpus, spec(), shared.GUARDS.models)
    recall = "" if manifest.recall_at_10 is None else f", recall@10 {manifest.recall_at_10:.3f}"
    return (f"{', '.join(map(shared.plain, users))} will take their document vectors from {shared.plain(folder)}: "
            f"{manifest.documents:,} documents encoded by {shared.plain(manifest.model)} "
            f"{'on Ray' if manifest.engine == 'ray' else 'in one process'} in "
            f"{manifest.encode_s:.0f} s ({manifest.index}{recall}), not encoded again here.")
