"""TREC run files: `query_id Q0 doc_id rank score tag`, one line per ranked document."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

from core.config import CACHE_DIR
from core.data import DataError
from core.types import Run

RUN_UPLOADS = CACHE_DIR / "runs"
"""Where the app keeps uploaded run files, named by content hash (the only run files a server accepts)."""


def trec_lines(run: Run, tag: str) -> list[str]:
    """The run as TREC lines, best first within each query."""
    tag = trec_tag(tag)
    return [f"{query_id} Q0 {doc_id} {rank} {score:.6f} {tag}"
            for query_id, docs in run.items()
            for rank, (doc_id, score) in enumerate(docs.items(), start=1)]


def run_file_names(names: Iterable[str]) -> dict[str, str]:
    """A distinct, safe file name for each contestant's run: `run_<name>.trec`, other characters as "_"."""
    files: dict[str, str] = {}
    for name in names:
        stem = "run_" + (re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "contestant")
        candidate, n = stem, 1
        while f"{candidate}.trec" in files.values():
            n += 1
            candidate = f"{stem}_{n}"
        files[name] = f"{candidate}.trec"
    return files


def trec_tag(name: str) -> str:
    """A contestant name as a TREC run tag (one field: no whitespace)."""
    return re.sub(r"\s+", "_", name.strip()) or "run"


def write_trec_run(run: Run, path: Path, tag: str) -> None:
    """Write `run` to `path` in TREC format."""
    path.write_text("".join(line + "\n" for line in trec_lines(run, tag)))


def read_trec_run(text: str, source: str) -> Run:
    """A TREC run file's text as a run, best first per query (by score; the rank column is not trusted).

    Raises:
        DataError: Naming `source`, the line and the problem, for a line that is not
            `query_id Q0 doc_id rank score tag` or a document ranked twice for one query.
    """
    run: Run = {}
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 6:
            raise DataError(source, f"expected 6 whitespace-separated fields (query Q0 doc rank score tag), "
                                    f"found {len(fields)}", number)
        query_id, _, doc_id, _, raw_score, _ = fields
        try:
            score = float(raw_score)
        except ValueError:
            raise DataError(source, f"score {raw_score[:40]!r} is not a number", number) from None
        if doc_id in run.setdefault(query_id, {}):
            raise DataError(source, f"document {doc_id[:40]!r} is ranked twice for query {query_id[:40]!r}", number)
        run[query_id][doc_id] = score
    if not run:
        raise DataError(source, "no rankings: the run file is empty")
    return {q: dict(sorted(docs.items(), key=lambda item: -item[1])) for q, docs in run.items()}


def load_trec_run(path: Path) -> Run:
    """`read_trec_run` of a file (UTF-8)."""
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        raise DataError(str(path), f"cannot read the run file ({error.strerror or error})") from None
    except UnicodeDecodeError:
        raise DataError(str(path), "not UTF-8 text: a TREC run file is plain text") from None
    return read_trec_run(text, path.name)


def save_uploaded_run(data: bytes, name: str) -> Path:
    """Keep an uploaded run file under `RUN_UPLOADS`, named by its content hash, after checking it reads.

    Raises:
        DataError: If it is not a valid TREC run file.
    """
    try:
        read_trec_run(data.decode("utf-8"), name)
    except UnicodeDecodeError:
        raise DataError(name, "not UTF-8 text: a TREC run file is plain text") from None
    RUN_UPLOADS.mkdir(parents=True, exist_ok=True)
    path = RUN_UPLOADS / f"{hashlib.sha256(data).hexdigest()[:16]}.trec"
    path.write_bytes(data)
    return path
