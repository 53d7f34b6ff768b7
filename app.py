"""Encoder Arena: bi-, poly- and cross-encoders (and BM25) side by side on your own corpus.

Router and frame only: page config, navigation, a link naming the lesson data (`?data=lesson`) or the data this
browser loaded (`?data=KEY`, so that a reload finds it again), and a sidebar saying what is loaded. Every page is a
file under `app_pages/`; the work happens in `core/`. Run with `streamlit run app.py`; serving it to
others, add `-- --server` (model paths typed by users are then restricted; see SECURITY.md).

The folder is not called `pages/`: with a `pages/` folder beside the entry point, Streamlit 1.67 serves
a first visit to a page URL (say /rankings) in the old folder-based mode, running that page file alone
without this router, until some visit has run `st.navigation` here.
"""

from __future__ import annotations

import streamlit as st

from app_pages import _present as present
from app_pages import _shared as shared

st.set_page_config(page_title="Encoder Arena", page_icon=":material/leaderboard:", layout="wide",
                   initial_sidebar_state=present.sidebar_state())

# The page that follows a running comparison itself (so the sidebar does not).
START = st.Page("app_pages/start.py", title="Start", icon=":material/play_circle:", default=True)
PAGES = {
    "Set up": [
        START,
        st.Page("app_pages/data.py", title="Data", icon=":material/folder_open:", url_path="data"),
        st.Page("app_pages/settings.py", title="Settings", icon=":material/tune:", url_path="settings"),
        st.Page("app_pages/train.py", title="Train", icon=":material/model_training:", url_path="train"),
    ],
    "Compare": [
        st.Page("app_pages/rankings.py", title="Rankings", icon=":material/format_list_numbered:", url_path="rankings"),
        st.Page("app_pages/scores.py", title="Scores", icon=":material/bar_chart:", url_path="scores"),
        st.Page("app_pages/analysis.py", title="Analysis", icon=":material/query_stats:", url_path="analysis"),
        st.Page("app_pages/judge.py", title="Judge", icon=":material/gavel:", url_path="judge"),
        st.Page("app_pages/attention.py", title="Attention", icon=":material/visibility:", url_path="attention"),
        st.Page("app_pages/tradeoffs.py", title="Trade-offs", icon=":material/balance:", url_path="tradeoffs"),
        st.Page("app_pages/export.py", title="Export", icon=":material/download:", url_path="export"),
    ],
}
navigation = st.navigation(PAGES)
if shared.SETUP_ERROR:
    st.error(f"The server is misconfigured: {shared.plain(shared.SETUP_ERROR)}. See SECURITY.md.")
    st.stop()
shared.warming_up()
if (shared.dataset() is None and st.query_params.get(shared.LESSON_LINK) == "lesson"
        and navigation.url_path in {page.url_path for page in PAGES["Compare"]}):
    from app_pages import _runs  # the model libraries, only for a link that names the lesson data

    _runs.open_lesson_demo()  # loads it and the demo's comparison, then draws the app again
if shared.dataset() is None and st.query_params.get(shared.LESSON_LINK, "lesson") != "lesson":
    kept_spec = shared.reopen(st.query_params[shared.LESSON_LINK])  # a reload: the data this browser had loaded
    if kept_spec is not None:
        from app_pages import _runs  # the comparison cache, only for a reload that had a comparison

        _runs.reopen_comparison(kept_spec)
shared.name_in_url()


@st.fragment(run_every=1.0)
def run_status() -> None:
    """The watched run's progress, redrawn every second; the whole app reruns when a contestant finishes, so that
    every page shows it, and once more when the run ends."""
    run = shared.watching()
    if run is None:
        return
    if run.done or run.version != st.session_state.get("app.shown_version", 0):
        st.session_state["app.shown_version"] = run.version
        st.rerun(scope="app")
    st.progress(run.fraction, text=shared.run_progress_text(run))
    st.button("Stop the run", key="app.stop", icon=":material/stop_circle:", on_click=shared.stop_run,
              help="Stops the run now; the contestants that have already finished are kept and shown.")


with st.sidebar:
    data, stored = shared.dataset(), shared.current()
    if shared.watching() is not None and navigation.url_path != START.url_path:
        run_status()
    if data is None:
        st.caption("No data loaded yet.")
    else:
        made = shared.judging_store(data).read()
        judged = ("no relevance labels" if data.qrels is None and not made.judgements else
                  "labels judged here" if data.qrels is None else f"{len(data.qrels):,} judged queries")
        if made.version:
            judged += f" · {len(made.judgements):,} judgements and {len(made.votes):,} votes made here"
        split = f" · split: {shared.plain(data.split)}" if data.split else ""
        st.caption(f"**Data:** {len(data.corpus):,} documents · {len(data.queries):,} queries · {judged}{split}")
    if stored is not None:
        labels = ", ".join(shared.plain(result.label) for result in stored.comparison.results.values())
        state = "Finished so far" if shared.watching() is not None else "Compared"
        st.caption(f"**{state}:** {labels} · k = {stored.comparison.spec.k}")
    elif shared.watching() is not None:
        st.caption("**Comparing:** each contestant appears here as it finishes.")
    elif data is not None:
        st.caption("No comparison on this data yet.")
    st.divider()
    present.presentation_controls()

present.leave_button()
navigation.run()
