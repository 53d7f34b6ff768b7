"""TREC run files: `query_id Q0 doc_id rank score tag`, one line per ranked document."""

from __future__ import annotations

from pathlib import Path

from core.rankers.base import Run


def trec_lines(run: Run, tag: str) -> list[str]:
    """The run as TREC lines, best first within each query."""
    return [f"{query_id} Q0 {doc_id} {rank} {score:.6f} {tag}"
            for query_id, docs in run.items()
            for rank, (doc_id, score) in enumerate(docs.items(), start=1)]


def write_trec_run(run: Run, path: Path, tag: str) -> None:
    """Write `run` to `path` in TREC format."""
    path.write_text("".join(line + "\n" for line in trec_lines(run, tag)))
