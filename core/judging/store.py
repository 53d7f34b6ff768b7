"""One data set's judgements and votes, shared by every judge on the server and kept across restarts.

The store is an append-only log of JSON lines, one event each: a judgement, a vote, or an undo naming an earlier
event. Appending holds an exclusive lock on the file (`fcntl.flock`, across processes; a lock per file across the
threads of one process) and writes the line in one call, so that two judges saving at the same moment both land
and no reader ever sees half a line; reading holds a shared lock. What a log says is `Judged`: each judge's latest
grade per (query, document) and every vote, undone events left out. The file is keyed by the corpus and queries
(`judging_key`), not by uploaded qrels, so judgements made before a qrels file was added still apply after.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from core.config import CACHE_DIR
from core.judging.records import GRADES, OUTCOMES, Judgement, Vote
from core.types import Dataset, Qrels

logger = logging.getLogger(__name__)

FOLDER = CACHE_DIR / "judgements"
MAX_BYTES = 50_000_000
"""The most one data set's log may hold (about 300,000 saves): a class judging all day stays far below it."""
MAX_NAME = 80
_LOCKS: dict[Path, threading.Lock] = {}
_LOCKS_LOCK = threading.Lock()


class JudgingError(ValueError):
    """A judgement or vote that cannot be kept; the message says why."""


@dataclass(frozen=True)
class Judged:
    """What a store's log holds now.

    Attributes:
        judgements: Each judge's latest grade per (query, document), in the order they were made.
        votes: Every vote, in the order they were cast.
        version: How many events the log holds (it grows with every save, undo included).
        damaged: Lines that could not be read (none unless the disk failed mid-write).
    """

    judgements: tuple[Judgement, ...] = ()
    votes: tuple[Vote, ...] = ()
    version: int = 0
    damaged: int = 0

    @property
    def judges(self) -> tuple[str, ...]:
        """Everyone who judged or voted, in order of first appearance."""
        return tuple(dict.fromkeys(event.judge for event in (*self.judgements, *self.votes)))


def judging_key(dataset: Dataset) -> str:
    """The key of `dataset`'s judgements: its corpus and queries, whatever qrels came with them."""
    content = f"{dataset.corpus.content_hash}|{dataset.queries.content_hash}"
    return hashlib.sha256(content.encode()).hexdigest()[:24]


class JudgingStore:
    """The judgements of one data set: `add_judgement`, `add_vote`, `undo`, and `read` what they add up to."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with _LOCKS_LOCK:
            self._lock = _LOCKS.setdefault(path.resolve(), threading.Lock())

    @classmethod
    def for_dataset(cls, dataset: Dataset, folder: Path = FOLDER) -> JudgingStore:
        return cls(folder / f"{judging_key(dataset)}.jsonl")

    def add_judgement(self, query_id: str, doc_id: str, grade: int, judge: str) -> str:
        """Keep `judge`'s `grade` of `doc_id` for `query_id`; returns the event's id (for `undo`).

        Raises:
            JudgingError: For a grade off the scale, a judge's name too long, or a full log.
        """
        if grade not in GRADES:
            raise JudgingError(f"grade {grade!r} is not on the scale {sorted(GRADES)}")
        return self._append(("judgement", asdict(Judgement(query_id, doc_id, int(grade), _name(judge), time.time()))))

    def add_judgements(self, qrels: Qrels, judge: str) -> int:
        """Keep every grade of `qrels` as `judge`'s (an imported qrels file), in one write; returns how many.

        Raises:
            JudgingError: For a grade off the scale (naming the query and document), or a full log.
        """
        made = time.time()
        rows = []
        for query_id, docs in qrels.items():
            for doc_id, grade in docs.items():
                if grade not in GRADES:
                    raise JudgingError(f"query {query_id!r}, document {doc_id!r}: grade {grade!r} is not on the "
                                       f"scale {sorted(GRADES)}")
                rows.append(("judgement", asdict(Judgement(query_id, doc_id, int(grade), _name(judge), made))))
        self._append(*rows)
        return len(rows)

    def add_vote(self, query_id: str, a: str, b: str, outcome: str, judge: str) -> str:
        """Keep `judge`'s vote between contestants `a` (shown left) and `b`; returns the event's id.

        Raises:
            JudgingError: For an outcome not in `OUTCOMES`, a contestant against itself, or a full log.
        """
        if outcome not in OUTCOMES:
            raise JudgingError(f"outcome {outcome!r} is not one of {', '.join(OUTCOMES)}")
        if a == b:
            raise JudgingError(f"a vote needs two contestants, not {a!r} twice")
        return self._append(("vote", asdict(Vote(query_id, a, b, outcome, _name(judge), time.time()))))  # type: ignore[arg-type]

    def undo(self, event_id: str) -> str:
        """Take back the event `event_id` (a judgement or vote); returns the undo's own id."""
        return self._append(("undo", {"target": event_id}))

    def log(self) -> list[dict]:
        """Every standing judgement and vote as plain fields, for a saved comparison to carry (`merge_log`)."""
        judged = self.read()
        return ([{"type": "judgement", **asdict(j)} for j in judged.judgements]
                + [{"type": "vote", **asdict(v)} for v in judged.votes])

    def merge_log(self, log: list[dict]) -> int:
        """Add the judgements and votes of `log` (from `log`, on this server or another) that this store lacks,
        with their judges and times; returns how many. Malformed entries are skipped."""
        judged = self.read()
        known = {tuple(sorted(fields.items())) for fields in (*map(asdict, judged.judgements), *map(asdict, judged.votes))}
        new = []
        for entry in log:
            fields = {name: value for name, value in entry.items() if name != "type"}
            try:
                record = Judgement(**fields) if entry.get("type") == "judgement" else Vote(**fields)
            except TypeError:
                continue
            if tuple(sorted(asdict(record).items())) not in known and _valid(record):
                new.append((entry["type"], asdict(record)))
        if new:
            self._append(*new)
        return len(new)

    def read(self) -> Judged:
        """What the log holds now (an empty `Judged` before anything is saved)."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return Judged()
        return _read_log(self.path, stat.st_size, stat.st_mtime_ns)

    def _append(self, *events: tuple[str, dict]) -> str:
        """Write `events` (type, fields) at the end of the log in one call; returns the last one's id."""
        lines, event_id = [], ""
        for kind, fields in events:
            event_id = uuid.uuid4().hex
            lines.append(json.dumps({"id": event_id, "type": kind, **fields}, ensure_ascii=False) + "\n")
        data = "".join(lines).encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, _locked(self.path, fcntl.LOCK_EX) as handle:
            if os.fstat(handle.fileno()).st_size + len(data) > MAX_BYTES:
                raise JudgingError(f"this data set's judgements are full ({MAX_BYTES // 1_000_000} MB); export them "
                                   "as qrels and start a new pool")
            os.write(handle.fileno(), data)  # one call, appended under the lock: never interleaved
            os.fsync(handle.fileno())
        return event_id


@contextmanager
def _locked(path: Path, mode: int) -> Iterator:
    """`path` opened for appending, under an flock of `mode`."""
    with open(path, "a", encoding="utf-8") as handle:
        fcntl.flock(handle.fileno(), mode)
        try:
            yield handle
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


_PARSED: dict[Path, tuple[tuple[int, int], Judged]] = {}


def _read_log(path: Path, size: int, mtime_ns: int) -> Judged:
    """The log at `path` parsed (once per size and modification time: pages read it on every redraw)."""
    cached = _PARSED.get(path)
    if cached is not None and cached[0] == (size, mtime_ns):
        return cached[1]
    with _locked(path, fcntl.LOCK_SH):
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    events, damaged = [], 0
    for line in lines:
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            damaged += 1
    judged = _replay(events, damaged)
    _PARSED[path] = ((size, mtime_ns), judged)
    return judged


def _replay(events: list[dict], damaged: int) -> Judged:
    """The judgements and votes that `events` leave standing: undone ones dropped, and of one judge's grades of the
    same document only the latest."""
    undone = {event.get("target") for event in events if event.get("type") == "undo"}
    latest: dict[tuple[str, str, str], Judgement] = {}
    votes: list[Vote] = []
    for event in events:
        if event.get("id") in undone:
            continue
        fields = {name: value for name, value in event.items() if name not in ("id", "type")}
        try:
            if event.get("type") == "judgement":
                judgement = Judgement(**fields)
                latest.pop((judgement.judge, judgement.query_id, judgement.doc_id), None)
                latest[(judgement.judge, judgement.query_id, judgement.doc_id)] = judgement
            elif event.get("type") == "vote":
                votes.append(Vote(**fields))
        except TypeError:
            damaged += 1
    return Judged(tuple(latest.values()), tuple(votes), len(events), damaged)


def _valid(record: Judgement | Vote) -> bool:
    """Whether a record read from elsewhere holds what this module would have written."""
    if isinstance(record, Judgement):
        return record.grade in GRADES and all(isinstance(value, str) for value in (record.query_id, record.doc_id,
                                                                                     record.judge))
    return record.outcome in OUTCOMES and record.a != record.b and all(
        isinstance(value, str) for value in (record.query_id, record.a, record.b, record.judge))


def _name(judge: str) -> str:
    name = " ".join(str(judge).split())
    if len(name) > MAX_NAME:
        raise JudgingError(f"the judge's name is longer than {MAX_NAME} characters")
    return name
