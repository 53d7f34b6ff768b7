"""Judge: relevance labels made in the app. Grade each query's pool (every contestant's top documents, shuffled,
names hidden), vote blind between two contestants' lists, and see the judgements become qrels that every page's
metrics use, shared by every judge of the same data on this server."""

from __future__ import annotations

import math
import time

import streamlit as st

from app_pages import _shared as shared
from app_pages.views import judge as judge_views
from core.data import read_qrels
from core.data.qrels import filter_qrels
from core.judging.labels import consensus, merge, trec_qrels
from core.judging.pool import CHOICES, SHOWN_IN_A_VOTE, next_matchup, queries_to_judge
from core.judging.records import GRADES
from core.judging.store import JudgingError
from core.present.ranked_list import LIST_STYLE, document_html, ranked_list_html
from core.text import duration_text

MODES = {"grade": "Grade documents", "vote": "Blind head-to-head", "labels": "Judgements and export"}
GRADE_KEYS = {0: "0", 1: "1", 2: "2"}
VOTES = {"a": ("A is better", "a"), "tie": ("Tie", "t"), "b": ("B is better", "b"), "both bad": ("Both bad", "x")}
UNDO = "judge.undo"  # this browser's saves, last first: (event id, query id or "")
SKIPPED = "judge.skipped"  # (query, document) pairs this browser skipped
POSITION = "judge.position"  # index of the query being graded in the chosen list
MATCHUP = "judge.matchup"
REVEALED = "judge.revealed"

st.title("Judge")
data, stored = shared.require_comparison()
comparison, loaded = stored.comparison, shared.dataset()
store = shared.judging_store(loaded)
judged = store.read()
st.html(LIST_STYLE)
INTRO = ("No relevance labels, or not enough? Judge them here. Each query's **pool** is every contestant's top "
         "documents together, shuffled, with no names, ranks or scores; a **blind vote** sets two contestants' lists "
         "side by side as A and B. Every judgement becomes a label at once: the metrics on every page use them, and "
         "every judge of this data on this server adds to one shared pool.")
if judged.version:
    with st.expander("How judging works"):
        st.markdown(INTRO)
else:
    st.markdown(INTRO)
with st.container(horizontal=True, vertical_alignment="bottom", gap="medium"):
    judge = st.text_input("Your name as a judge", key="judge.name", max_chars=80, placeholder="e.g. Ana", width=220,
                          bind="query-params", help="Judgements are recorded under it, so that several judges' "
                          "agreement can be measured; the page's link keeps it.")
    mode = st.segmented_control("Mode", MODES, format_func=MODES.get, default="grade", required=True,
                                key="judge.mode", label_visibility="collapsed")

def save(action, *args) -> None:
    """Run `action` and keep its event for Undo; a full log or a bad value is said on the page."""
    try:
        st.session_state.setdefault(UNDO, []).append((action(*args), args[0] if args else ""))
    except JudgingError as error:
        st.session_state[shared.FLASH] = f"Not saved: {shared.plain(error)}"


def undo() -> None:
    """Take back this browser's last save, and go back to its query."""
    event_id, query_id = st.session_state[UNDO].pop()
    store.undo(event_id)
    if query_id in chosen:
        st.session_state[POSITION] = chosen.index(query_id)
    st.session_state.pop(MATCHUP, None)


def move(step: int) -> None:
    st.session_state[POSITION] = (st.session_state.get(POSITION, 0) + step) % len(chosen)


def skip(query_id: str, doc_id: str) -> None:
    st.session_state.setdefault(SKIPPED, set()).add((query_id, doc_id))


def vote(matchup, outcome: str) -> None:
    save(store.add_vote, matchup.query_id, matchup.a, matchup.b, outcome, judge)
    labels = {name: comparison.results[name].label for name in (matchup.a, matchup.b)}
    st.session_state[REVEALED] = (f"A was **{shared.plain(labels[matchup.a])}**, B was "
                                  f"**{shared.plain(labels[matchup.b])}** (you chose: {VOTES[outcome][0].lower()}).")
    st.session_state.pop(MATCHUP, None)


with (st.expander("Which queries, and how deep", expanded=not judged.version),
      st.container(horizontal=True, gap="medium")):
        depth = st.number_input("Each contestant's top", 1, comparison.spec.k, min(10, comparison.spec.k),
                                key="judge.depth", help="How many of each contestant's documents go into a pool.")
        choice = st.selectbox("Queries", CHOICES, format_func=CHOICES.get, key="judge.choice")
        count = st.number_input("How many", 1, len(data.queries), min(20, len(data.queries)), key="judge.count",
                                disabled=choice == "all")
chosen = stored.memo(("judge.queries", choice, count, depth),
                     lambda: queries_to_judge(comparison, data.queries.ids, choice, count, depth, seed=loaded.name))
if not judge.strip() and mode != "labels":
    st.info("Type your name above to start judging.", icon=":material/person:")
elif mode == "grade":
    pools = stored.memo(("judge.pools", judge, choice, count, depth),
                        lambda: judge_views.pools(comparison, chosen, depth, seed=judge))
    mine = judge_views.graded_by(judged, judge)
    skipped = st.session_state.get(SKIPPED, set())
    position = st.session_state.get(POSITION, 0) % len(chosen)
    query_id = chosen[position]
    waiting = [doc for doc in pools[query_id] if (query_id, doc) not in mine and (query_id, doc) not in skipped]
    total = sum(len(pool) for pool in pools.values())
    done = sum((q, doc) in mine for q, pool in pools.items() for doc in pool)
    pace = judge_views.seconds_per_document(judged.judgements, judge)
    left = "" if math.isnan(pace) else f" · about {duration_text(pace * (total - done))} left at your pace"
    st.progress(done / total if total else 1.0,
                text=f"Query {position + 1} of {len(chosen)} · {done} of {total} documents judged{left}")
    question = data.queries.text(query_id)
    this_query = sum((query_id, doc) in mine for doc in pools[query_id])
    st.markdown(f"#### {shared.plain(question)}")
    st.caption(f"Query {shared.plain(query_id)}: {this_query} of {len(pools[query_id])} documents of its pool judged "
               "by you. Keys: 0, 1, 2 grade; S skips; U undoes.")
    if waiting:
        doc_id = waiting[0]
        with st.container(horizontal=True):
            for grade, words in GRADES.items():
                st.button(f"{grade} · {words}", key=f"judge.grade{grade}", shortcut=GRADE_KEYS[grade],
                          on_click=save, args=(store.add_judgement, query_id, doc_id, grade, judge),
                          type="primary" if grade == 2 else "secondary")
            st.button("Skip", key="judge.skip", shortcut="s", on_click=skip, args=(query_id, doc_id))
        with st.container(border=True):
            st.html(document_html(data, doc_id, question))
    else:
        st.success("This query's pool is judged" + (" (but for the skipped documents)." if any(
            (query_id, doc) in skipped for doc in pools[query_id]) else "."), icon=":material/task_alt:")
    with st.container(horizontal=True):
        st.button("Previous query", key="judge.previous", icon=":material/arrow_back:", on_click=move, args=(-1,))
        st.button("Next query", key="judge.next", icon=":material/arrow_forward:", on_click=move, args=(1,),
                  type="primary" if not waiting else "secondary")
        st.button("Undo", key="judge.undo_grade", shortcut="u", icon=":material/undo:", on_click=undo,
                  disabled=not st.session_state.get(UNDO))
elif mode == "vote":
    revealed = st.session_state.pop(REVEALED, None)
    if revealed:
        st.success(revealed, icon=":material/visibility:")
    if len(comparison.results) < 2:
        st.info("A vote needs two contestants: run a comparison with at least two.")
    else:
        matchup = st.session_state.get(MATCHUP) or next_matchup(comparison, judged.votes, chosen, seed=judge)
        st.session_state[MATCHUP] = matchup
        if matchup is None:
            st.info("Every pair of contestants returns the same top documents for the chosen queries: nothing to "
                    "vote on.")
        else:
            question = data.queries.text(matchup.query_id)
            st.markdown(f"#### {shared.plain(question)}")
            st.caption(f"Which list answers it better? Their top {SHOWN_IN_A_VOTE}, names hidden until you vote. "
                       "Keys: A, B, T (tie), X (both bad); U undoes.")
            with st.container(horizontal=True):
                for outcome, (words, key) in VOTES.items():
                    st.button(words, key=f"judge.vote_{key}", shortcut=key, on_click=vote, args=(matchup, outcome),
                              type="primary" if outcome in ("a", "b") else "secondary")
                st.button("Undo", key="judge.undo_vote", shortcut="u", icon=":material/undo:", on_click=undo,
                          disabled=not st.session_state.get(UNDO))
            left, right = st.columns(2)
            for column, side, name in ((left, "A", matchup.a), (right, "B", matchup.b)):
                top = dict(list(comparison.results[name].run.get(matchup.query_id, {}).items())[:SHOWN_IN_A_VOTE])
                column.markdown(f"##### {side}")
                column.html(ranked_list_html(data, top, question, blind=True))
    if judged.votes:
        st.subheader(f"Leaderboard from {len(judged.votes)} blind votes")
        board = stored.memo(("judge.board", len(judged.votes)), lambda: judge_views.vote_leaderboard(comparison,
                                                                                                    judged.votes))
        st.dataframe(board, hide_index=True, placeholder="–", column_config={
            "rating": st.column_config.NumberColumn(format="%.0f", width="small"),
            judge_views.LEADERBOARD_METRIC: st.column_config.NumberColumn(format="%.3f", width="small")})
        st.caption("Bradley–Terry strengths fitted to every vote (a tie or both bad counts half a win to each), on "
                   "the Elo scale (mean 1000; 400 points: ten to one odds), with 95 % bootstrap intervals over votes; "
                   "each contestant's votes won, lost, tied and both bad. "
                   + judge_views.agreement_text(comparison, judged.votes))
else:
    st.subheader("Who judged")
    if judged.version:
        st.dataframe(judge_views.judges_table(judged), hide_index=True)
        record = comparison.dataset.get("judging", {}).get("agreement", {})
        if record.get("method"):
            st.markdown(f"Agreement between judges: **{record['method']} {record['kappa']:.2f}** "
                        f"({record['reading']}) on {record['shared_documents']} documents judged by more than one.")
        else:
            st.caption("Agreement between judges shows once two judges have graded the same documents.")
    else:
        st.caption("Nobody has judged this data yet.")
    settled = consensus(judged.judgements)
    merged = merge(loaded.qrels, settled)
    if merged.conflicts:
        st.subheader("Judgements that differ from the uploaded labels")
        st.dataframe(judge_views.conflicts_table(merged), hide_index=True)
        st.caption("The uploaded labels count; the judgements are kept and exported.")
    st.subheader("Export and import")
    st.caption("Several judges of one document count by the lower median of their grades (relevant only when at "
               "least half say so). Metrics on a judged pool count a document nobody judged as not relevant.")
    with st.container(horizontal=True):
        st.download_button("Judgements as TREC qrels", trec_qrels(settled),
                           f"{loaded.name or 'data'}_judged.qrels", "text/plain", on_click="ignore",
                           key="judge.export", disabled=not judged.judgements, icon=":material/download:")
        st.download_button("Every label: uploaded and judged", trec_qrels(merged.qrels or {}),
                           f"{loaded.name or 'data'}_all.qrels", "text/plain", on_click="ignore",
                           key="judge.export_all", disabled=not merged.qrels, icon=":material/download:")
    upload = st.file_uploader("Add judgements from a qrels file (TREC, BEIR TSV or CSV; a filled-in pool too)",
                              type=["txt", "qrels", "tsv", "csv"], key="judge.import",
                              max_upload_size=max(1, shared.GUARDS.limits.max_file_bytes // 2**20))
    if upload is not None and st.session_state.get("judge.imported") != upload.file_id:
        try:
            qrels, notes = filter_qrels(read_qrels(upload.getvalue(), upload.name, shared.GUARDS.limits),
                                        loaded.corpus, loaded.queries)
            added = store.add_judgements(qrels or {}, judge.strip() or f"imported from {upload.name}")
        except (*shared.PAGE_ERRORS, JudgingError) as error:
            st.error(f"Could not add them: {shared.describe(error)}. The judgements are unchanged.")
        else:
            st.session_state["judge.imported"] = upload.file_id
            shared.rerun_with(f"Added {added:,} judgements from {shared.plain(upload.name)}"
                              + "".join(f"; {shared.plain(note)}" for note in notes) + ".")
shared.show_flash()
if judged.version:
    st.caption(f"{len(judged.judgements):,} judgements and {len(judged.votes):,} votes by {len(judged.judges)} "
               f"judge(s) so far, saved on this server at {time.strftime('%H:%M:%S')}.")
