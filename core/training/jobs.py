"""Fine-tuning jobs for the app: each runs in its own low-priority process, so no browser session waits on it
and a refresh or a closed tab does not stop it; its progress lives in a status file any session can read.

A job folder holds `request.json` (what to train), `data/` (the training split as a BEIR folder), one model
folder per kind, `status.json` (rewritten atomically as the job goes) and `log.txt`. Run one with
`python -m core.training.jobs JOB_DIR`; `start_job` does that in the background.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path

from core.config import TRAINING_DIR
from core.contestants.registry import kinds, trainable_kinds
from core.data.devsets import export_beir
from core.devices import device_title, resolve_device
from core.models.errors import ModelError
from core.models.sources import EMBEDDED
from core.text import counted
from core.training.in_domain import (
    MIN_MINUTES,
    dev_change,
    fine_tune,
    job_seconds,
    kept_start,
)
from core.types import Dataset

NICENESS = 10
CURVES = ("loss", "dev_ndcg@10")


class Cancelled(Exception):
    """Raised inside a job when its cancel file appears."""


@dataclass(frozen=True)
class JobStatus:
    """What a job is doing, read from its folder.

    Attributes:
        state: "running", "done", "failed" or "cancelled".
        step: What it is doing now, in words.
        fraction: Share of the whole job done (0..1), by the time it has taken and the time left.
        seconds_left: About how long it still takes (`core.timing.Countdown` over mining, training and saving).
        started: Epoch seconds at the start.
        models: Finished models, kind -> folder.
        outcomes: What each finished model's training did, kind -> sentence ("dev nDCG@10 0.824 → 0.861").
        kept: The kinds whose training found no gain and kept the untrained start.
        history: Each model's losses and dev scores so far, kind -> curves (see `core.training.loop.train`).
        kinds / minutes / dataset: The request.
        device / device_title: Where it trains ("cpu", "cuda:0"; "the CPU", "NVIDIA H200 (cuda:0), bfloat16").
    """

    folder: Path
    state: str
    step: str
    fraction: float
    started: float
    updated: float
    models: dict[str, str]
    history: dict
    kinds: tuple[str, ...]
    minutes: float
    dataset: str
    error: str = ""
    device: str = "cpu"
    device_title: str = "the CPU"
    seconds_left: float = 0.0
    outcomes: dict[str, str] = field(default_factory=dict)
    kept: tuple[str, ...] = ()


def start_job(training: Dataset, kinds: tuple[str, ...], minutes: float, device: str = "auto") -> Path:
    """Write `training` (its `qrels` are the training split) into a new job folder and start fine-tuning
    `kinds` there in a background process, each within `minutes`, on `device` (`TrainConfig.device`, resolved
    here so that the job trains where the page said); returns the job folder.

    Raises:
        ValueError: For unknown kinds, a budget under `MIN_MINUTES`, a split without judgements, a device this
            machine does not have (`core.devices.DeviceError`), or while another job of this server is still
            running (one at a time keeps the CPU shared fairly).
    """
    device = resolve_device(device)
    trainable = [kind.name for kind in trainable_kinds()]
    kinds = tuple(kind for kind in trainable if kind in kinds)
    if not kinds:
        raise ValueError(f"choose what to fine-tune: {', '.join(trainable)}")
    if minutes < MIN_MINUTES:
        raise ValueError(f"a budget of {minutes:g} minutes is too short; give at least {MIN_MINUTES:g}")
    if not training.qrels:
        raise ValueError("the training split has no judgements")
    running = [job for job in list_jobs() if job.state == "running"]
    if running:
        raise ValueError(f"another fine-tuning job is running on this server ({running[0].dataset}, "
                         f"{running[0].step}); wait for it or cancel it")
    folder = TRAINING_DIR / f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    export_beir(replace(training, qrels=None), folder / "data", {"train": training.qrels})
    total, each = job_seconds(training, kinds, minutes, device)
    request = {"kinds": list(kinds), "minutes": minutes, "dataset": training.name or "upload", "device": device,
               "device_title": device_title(device), "model_seconds": each}
    (folder / "request.json").write_text(json.dumps(request))
    _write_status(folder, state="running", step="starting", fraction=0.0, started=time.time(), seconds_left=total)
    with (folder / "log.txt").open("ab") as log:
        process = subprocess.Popen([sys.executable, "-m", "core.training.jobs", str(folder)], stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True, cwd=Path(__file__).parents[2])
    (folder / "pid").write_text(str(process.pid))
    return folder


def cancel(folder: Path) -> None:
    """Ask the job to stop; it keeps what finished (a model whose training was cut keeps its best checkpoint)."""
    (folder / "cancel").touch()


def read_status(folder: Path) -> JobStatus:
    """The job's status; a job whose process died without saying so reads as failed."""
    status = json.loads((folder / "status.json").read_text())
    request = json.loads((folder / "request.json").read_text())
    if status["state"] == "running" and not _alive(folder):
        status.update(state="failed", error="the training process ended unexpectedly (see log.txt)")
    status["kept"] = tuple(status.get("kept", ()))
    return JobStatus(folder=folder, kinds=tuple(request["kinds"]), minutes=request["minutes"],
                     dataset=request["dataset"], device=request.get("device", "cpu"),
                     device_title=request.get("device_title", "the CPU"), **status)


def list_jobs() -> list[JobStatus]:
    """Every job of this server, newest first."""
    folders = sorted((f for f in TRAINING_DIR.glob("*") if (f / "status.json").is_file()), reverse=True)
    return [read_status(folder) for folder in folders]


def run_job(folder: Path) -> None:
    """Fine-tune what `folder/request.json` asks for, keeping `status.json` current (the background process)."""
    os.nice(NICENESS)
    request = json.loads((folder / "request.json").read_text())
    kinds, minutes, device = request["kinds"], request["minutes"], request.get("device", "cpu")
    started = json.loads((folder / "status.json").read_text())["started"]
    expected = request["model_seconds"]  # one model's mining, training and saving (estimated at the start)
    models: dict[str, str] = {}
    state = {"history": {}, "last": 0.0, "kind_start": time.time(), "outcomes": {}, "kept": []}

    def report(**status) -> None:
        _write_status(folder, started=started, models=models, history=state["history"], outcomes=state["outcomes"],
                      kept=state["kept"], **status)

    def progress(message: str, fraction: float, index: int = 0) -> None:
        if (folder / "cancel").exists():
            raise Cancelled
        now = time.time()
        if now - state["last"] >= 1.0 or fraction >= 1.0:
            state["last"] = now
            spent = now - state["kind_start"]
            # this model's fraction is its own Countdown's, spent / (spent + left); too small to divide by at first
            left = spent * (1 - fraction) / fraction if fraction >= 0.05 else max(expected - spent, 0.0)
            left += (len(kinds) - index - 1) * expected
            elapsed = now - started
            report(state="running", step=f"{kinds[index]}: {message}", fraction=elapsed / (elapsed + left),
                   seconds_left=left)

    try:
        for index, kind in enumerate(kinds):
            state["kind_start"] = time.time()
            out = folder / kind
            record = fine_tune(kind, folder / "data", out, minutes, _teacher(kind, models),
                               progress=lambda message, fraction, index=index: progress(message, fraction, index),
                               on_step=lambda history, kind=kind: state["history"].update({kind: _curves(history)}),
                               device=device, start=_start(kind, models))
            models[kind] = str(out)
            state["outcomes"][kind] = outcome_text(record)
            if kept_start(record):
                state["kept"].append(kind)
        report(state="done", step="finished", fraction=1.0)
    except Cancelled:
        report(state="cancelled", step="cancelled", fraction=0.0)
    except Exception as error:
        report(state="failed", step="failed", fraction=0.0, error=failure_text(error, folder))
        raise


def outcome_text(record: dict) -> str:
    """What one model's training did, in a sentence: "dev nDCG@10 0.824 → 0.861 (step 120 of 150)", or, when the
    rule kept the start, "dev nDCG@10 0.824 at the start, 0.829 at best after it in 150 steps (not beyond the noise
    of its 40 dev queries): no gain, kept the untrained start"."""
    start, kept = dev_change(record)
    history = record["history"]
    if kept_start(record):
        best = max(value for step, value in history["dev_ndcg@10"])
        noise = (f" (not beyond the noise of its {record['queries']['dev']} dev queries)" if best > start
                 and history.get("selection") else "")
        return (f"dev nDCG@10 {start:.3f} at the start, {best:.3f} at best after it in "
                f"{counted(history['steps'], 'step')}{noise}: no gain, kept the untrained start")
    return f"dev nDCG@10 {start:.3f} → {kept:.3f} (step {history['best_step']:,} of {history['steps']:,})"


def failure_text(error: Exception, folder: Path) -> str:
    """A failed job's reason for people: a `ValueError`'s own sentence (bad data, a budget, a device), else what
    happened and where the log is."""
    if isinstance(error, (ValueError, ModelError)):
        return f"{str(error).rstrip('.')}."
    return (f"an unexpected error stopped it ({type(error).__name__}: {error}). The details are in "
            f"{folder / 'log.txt'}; start it again, and if it fails again, report that log.")


def _teacher(kind: str, models: dict[str, str]) -> str | None:
    """The model `kind` distils from: its teacher kind's model fine-tuned in this job, else the embedded zero-shot
    one where the kind accepts it; None for a kind without a teacher.

    Raises:
        ValueError: When the kind needs its teacher fine-tuned in this job and it was not.
    """
    training = kinds()[kind].training
    if training is None or not training.teacher:
        return None
    if training.teacher in models:
        return models[training.teacher]
    if not training.untrained_teacher:
        raise ValueError(f"the {kinds()[kind].title} distils from the fine-tuned {kinds()[training.teacher].title}: "
                         "fine-tune both")
    return EMBEDDED


def _start(kind: str, models: dict[str, str]) -> str | None:
    """The model `kind` starts from: the model of the kind it starts from (`Training.starts_from`) fine-tuned in this
    job, else None (its default start)."""
    training = kinds()[kind].training
    return models.get(training.starts_from) if training is not None and training.starts_from else None


def _curves(history: dict) -> dict:
    return {key: history[key] for key in CURVES}


def _write_status(folder: Path, **status) -> None:
    status.setdefault("models", {})
    status.setdefault("history", {})
    status["updated"] = time.time()
    partial = folder / "status.json.tmp"
    partial.write_text(json.dumps(status))
    os.replace(partial, folder / "status.json")


def _alive(folder: Path) -> bool:
    try:
        pid = int((folder / "pid").read_text())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return not (folder / "pid").exists()  # not started yet: the pid file comes right after the process
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.is_file() and stat.read_text().split(")")[-1].split()[0] == "Z")  # a zombie has ended


if __name__ == "__main__":
    run_job(Path(sys.argv[1]))
