"""A TREC run file as a contestant: a production system's output, or a paper's released run.

It ranks and is evaluated like any other contestant and can be a first stage; its latency is unknown
(the file does not say), so it shows none, and a re-ranker over it reports only its own.
"""

from __future__ import annotations

from pathlib import Path

from core.contestants.spec import ContestantSpec, SpecError
from core.data.trec_runs import RUN_UPLOADS, load_trec_run
from core.rankers.base import Progress, RunRanker
from core.rankers.build import BuildContext
from core.types import Queries, Run


class RunFileRanker(RunRanker):
    """Serves a TREC run file's rankings for the queries it covers (other queries get an empty ranking)."""

    kind = "run"

    def __init__(self, path: Path) -> None:
        super().__init__("run", path.name)
        self.path = path
        self.notes: list[str] = []

    def _make_run(self, queries: Queries, progress: Progress) -> Run:
        progress(f"{self.label}: reading {self.path.name}", 0.0)
        run = load_trec_run(self.path)
        wanted = set(queries.ids)
        missing = sum(1 for q in queries.ids if q not in run)
        unknown = sum(1 for q in run if q not in wanted)
        self.notes = ([f"{self.path.name} ranks nothing for {missing:,} of the {len(queries):,} queries"] * bool(missing)
                      + [f"{self.path.name} ranks {unknown:,} queries the dataset does not have (ignored)"] * bool(unknown))
        if self.corpus is not None:
            known = set(self.corpus.ids)
            strays = {d for docs in run.values() for d in docs if d not in known}
            if strays:
                self.notes.append(f"{self.path.name} names {len(strays):,} documents missing from the corpus (kept; "
                                  "they count as not relevant)")
        progress(f"{self.label}: reading {self.path.name}", 1.0)
        return {q: run[q] for q in queries.ids if q in run}


def build(spec: ContestantSpec, context: BuildContext) -> RunFileRanker:
    raw = spec.option("path", "")
    if not raw:
        raise SpecError(f"contestant {spec.name!r}: give the run file (path=...)")
    path = Path(raw).expanduser().resolve()
    if context.policy.restricted and not path.is_relative_to(RUN_UPLOADS.resolve()):
        raise SpecError(f"contestant {spec.name!r}: on this server a run file must be uploaded on the Settings page")
    return RunFileRanker(path)


def describe_model(spec: ContestantSpec) -> str:
    return f"run file {Path(spec.option('path', '')).name}"
