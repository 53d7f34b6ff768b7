"""Train: fine-tune the bi-, cross- and poly-encoder (and an early-layer student) on the loaded data's training
split, all alike, in a background process; the fine-tuned models join the comparison as new contestants, or make
the Poly-encoder paper's table beside their zero-shot starts."""

from __future__ import annotations

import time

import streamlit as st

from app_pages import _present as present
from app_pages import _runs as runs
from app_pages import _shared as shared
from app_pages.views import train as train_views
from core.contestants.registry import kinds, trainable_kinds
from core.data.splits import hold_out
from core.present.figures import training_figure
from core.text import duration_text
from core.training.jobs import JobStatus, cancel, list_jobs, read_status, start_job

PICKED = "train.picked"  # the job shown (a started job is shown at once)
ADDED = "train.added"  # what "Add them to the comparison" did, said beside it once

st.title("Train")
st.markdown("Zero-shot, the embedded cross- and poly-encoder rank much like the bi-encoder they start from. "
            "Fine-tuned on **your own judged queries**, as the Poly-encoder paper did for every architecture, "
            "they differ for a reason. All of them train alike: the same negatives, time budget and dev split, and "
            "a model is kept only if it beats its start on the dev queries beyond their noise. Training runs in the "
            "background (other users are not slowed beyond their share, and a refresh does not stop it); the models "
            "then join your comparison beside the zero-shot ones.")
shared.show_flash()
data = shared.dataset()
training = shared.training()

st.subheader("1 · Training split")
if data is None:
    st.info("Load data with relevance judgements first.")
    st.page_link("app_pages/data.py", label="Data: upload files or pick the sample data", icon=":material/folder_open:")
elif training is not None:
    st.success(f"Training split: {len(training.qrels or {}):,} judged queries ({shared.plain(shared.split_how())}). "
               f"Every comparison now ranks the {len(data.queries):,} other queries only (split “{data.split}”).")
elif not data.qrels:
    st.info("This dataset has no relevance judgements, so there is nothing to learn from.")
else:
    percent = st.slider("Share of the judged queries to train on (the rest stay for evaluation)", 10, 90, 50, 5,
                        key="train.percent")
    if st.button("Hold them out for training", key="train.split"):
        try:
            splits = hold_out(data, percent)
        except ValueError as error:
            st.error(shared.describe(error))
        else:
            shared.set_dataset(splits.test, splits.training, splits.how)
            shared.rerun_with(f"Held out {len(splits.training.qrels or {}):,} judged queries for training; "
                              f"{len(splits.test.queries):,} queries stay for evaluation.")

if training is not None:
    st.subheader("2 · What to fine-tune")
    chosen = tuple(kind.name for kind in trainable_kinds()
                   if st.checkbox(kind.training.label, value=kind.training.ticked, key=f"train.{kind.name}"))
    minutes = st.number_input("Time budget per model (minutes)", min_value=0.25, max_value=60.0, value=5.0, step=0.5,
                              key="train.minutes")
    for kind in trainable_kinds():
        teacher = kind.training.teacher
        if kind.name in chosen and teacher and teacher not in chosen and not kind.training.untrained_teacher:
            st.warning(f"The {kind.title} learns from the fine-tuned {kinds()[teacher].title}: tick both.")
    st.caption(shared.plain(train_views.estimate(training, chosen, minutes, runs.spec().device)))
    if st.button("Start fine-tuning", type="primary", key="train.start", disabled=not chosen):
        try:  # where the session's comparison runs (Settings' device)
            st.session_state[PICKED] = str(start_job(training, chosen, minutes, runs.spec().device))
        except ValueError as error:
            st.error(shared.describe(error))


def add_contestants(job: JobStatus) -> None:
    """Add the job's models to this session's comparison and say where to run it."""
    try:
        added = runs.add_fine_tuned(job.models, job.dataset, job.kept)
    except ValueError as error:
        st.error(shared.describe(error))
        return
    st.session_state[ADDED] = (f"Added {', '.join(shared.plain(name) for name in added)} to the comparison: "
                               "run it on Settings.")
    st.rerun()


def curves(job: JobStatus) -> None:
    for kind, history in job.history.items():
        if history.get("loss"):
            title = f"Fine-tuning the {kinds()[kind].title}"
            present.chart(training_figure(history, title), f"training_{kind}")


@st.fragment(run_every=2)
def follow(folder) -> None:
    """A running job's progress and live curves, redrawn every two seconds; the whole page redraws once it ends."""
    job = read_status(folder)
    if job.state != "running":
        st.rerun()
    st.progress(job.fraction, text=f"{shared.plain(job.step)} ({job.fraction:.0%} · about "
                                   f"{duration_text(job.seconds_left)} left)")
    st.caption(f"Trains on {shared.plain(job.device_title)}; once training starts, the line above gives its pace "
               "in steps a minute.")
    if st.button("Cancel", key="train.cancel"):
        cancel(folder)
    curves(job)


def outcome(job: JobStatus) -> None:
    """What a finished, cancelled or failed job left: its models (to add), curves and model cards."""
    if job.state == "done":
        lines = [f"- **{kinds()[kind].title}**: {shared.plain(job.outcomes.get(kind, 'fine-tuned'))}"
                 for kind in job.models]
        finished = st.warning if len(job.kept) == len(job.models) else st.success
        finished(f"Finished on {shared.plain(job.dataset)}:\n" + "\n".join(lines))
        add, table = st.columns(2)
        if add.button("Add them to the comparison", type="primary", key="train.add"):
            add_contestants(job)
        if table.button("Show the paper's table", key="train.table",
                        help="zero-shot and fine-tuned bi-, poly- and cross-encoder side by side, with each model's "
                             "training time"):
            runs.use_paper_table(job.models, job.dataset, job.kept)
            st.session_state[ADDED] = "The comparison is now the paper's table: run it on Settings."
            st.rerun()
        if ADDED in st.session_state:  # said here, beside the button, where the eye is
            st.success(st.session_state.pop(ADDED), icon=":material/check:")
            st.page_link("app_pages/settings.py", label="Settings: run the comparison", icon=":material/play_arrow:")
    elif job.state == "cancelled":
        st.warning("Cancelled." + (" Finished models are kept." if job.models else ""))
    else:
        st.error(f"Training failed: {shared.plain(job.error)}")
    curves(job)
    for kind, model in job.models.items():
        if pace := train_views.pace(model):
            st.caption(f"{kinds()[kind].title}: {shared.plain(pace)}")
        card = train_views.model_card(model)
        if card:
            with st.expander(f"Model card: {kind}"):
                st.markdown(card)


jobs = list_jobs()
if jobs:
    st.subheader("3 · Progress")
    names = {str(job.folder): f"{job.dataset} · {', '.join(job.kinds)} · started "  # its state is said below it,
             f"{time.strftime('%H:%M', time.localtime(job.started))}" for job in jobs}  # where it stays current
    if st.session_state.get(PICKED) not in names:
        st.session_state.pop(PICKED, None)  # a job gone from the cache: show the newest
    picked = st.selectbox("Job", list(names), format_func=names.get, key=PICKED)
    job = jobs[list(names).index(picked)]
    if job.state == "running":
        follow(job.folder)
    else:
        outcome(job)
