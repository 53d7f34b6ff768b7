"""Load retrieval data: a corpus, queries and relevance judgements (qrels).

Readers take the raw bytes of an upload plus its file name, or a path on disk. The
format follows the extension (case-insensitive; a trailing ``.gz`` means gzip): CSV/TSV
with a header row, TSV without one (MS MARCO's ``id<TAB>text``), BEIR JSONL, Parquet,
plain text with one item per line, qrels with or without a header (BEIR, TREC or CSV,
told apart by their content), and whole datasets as a folder or ``.zip``.

Every problem with the input raises :class:`DataError`, which names the file, the line
and the problem. Nothing read is dropped without a word: a record with no text is
skipped and listed in the notes (count and lines), and where a file has two readings
the notes say which one was taken.
"""

import csv
import io
import itertools
import json
import logging
import os
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import NamedTuple

from core.types import Corpus, Dataset, Qrels, Queries

logger = logging.getLogger(__name__)

StrPath = str | os.PathLike[str]

# Column names (CSV/TSV headers, JSONL keys) accepted for each field, in order of preference.
_CORPUS_FIELDS = {
    "id": ("_id", "id", "doc_id", "docid", "corpus-id"),
    "text": ("text", "passage", "body", "contents"),
    "title": ("title",),
}
_QUERY_FIELDS = {"id": ("_id", "id", "query_id", "qid", "query-id"), "text": ("text", "query")}
_QRELS_FIELDS = {
    "query id": ("query-id", "query_id", "qid"),
    "doc id": ("corpus-id", "doc_id", "docid"),
    "grade": ("score", "relevance", "rel", "grade", "label"),
    "split": ("split",),
}
_OPTIONAL_FIELDS = frozenset({"title", "split"})
# Qrels without a header, by column count: where each field is, and the layout's name for messages.
_HEADERLESS_QRELS = {
    3: ({"query id": 0, "doc id": 1, "grade": 2}, "query-id corpus-id score"),
    4: ({"query id": 0, "doc id": 2, "grade": 3}, "query-id iteration doc-id grade"),
}

_ITEM_FORMATS = (".csv", ".tsv", ".jsonl", ".txt", ".parquet")
_TREC_FORMATS = (".txt", ".qrels", ".qrel", ".trec")
_QRELS_FORMATS = (".csv", ".tsv", *_TREC_FORMATS)
_DELIMITERS = {".csv": ",", ".tsv": "\t"}
_DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs"}

_CORPUS_FILES = ("corpus.jsonl", "corpus.jsonl.gz", "corpus.csv", "corpus.tsv", "corpus.parquet", "collection.tsv")
_QUERY_FILES = ("queries.jsonl", "queries.jsonl.gz", "queries.csv", "queries.tsv", "queries.parquet")
_ZIP_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
# What zipfile raises on damaged archives besides BadZipFile (seen when fuzzing).
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    NotImplementedError,
    ValueError,
    EOFError,
    OSError,
)
_GZIP_CHUNK = 1 << 20
SHOWN_CHARS = 40
"""How much of an id, header or value from the input a message quotes."""
_SHOWN_LINES = 10
_FIELD_CHOICES = 100  # keys a FieldError offers for mapping; longer names cannot be a field anyone maps
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

# The csv module refuses fields over 128 KiB by default; passages can be megabytes long.
csv.field_size_limit(2**31 - 1)


class DataError(ValueError):
    """Bad input: names the file, the line (1-based, None if not line-specific) and the problem.

    Example:
        >>> str(DataError("corpus.csv", "empty text for id 'd3'", line=4))
        "corpus.csv, line 4: empty text for id 'd3'"
    """

    def __init__(self, source: str, problem: str, line: int | None = None) -> None:
        super().__init__(source, problem, line)
        self.source = source
        self.problem = problem
        self.line = line

    def __str__(self) -> str:
        source = self.source if len(self.source) <= 80 else f"{self.source[:45]}…{self.source[-30:]}"
        where = source if self.line is None else f"{source}, line {self.line}"
        return f"{where}: {self.problem}"


class FieldError(DataError):
    """A record or header lacks a required field (id or text).

    Attributes:
        field: The missing field, ``"id"`` or ``"text"``.
        keys: The keys (JSONL) or columns (CSV, TSV, Parquet) found instead, in file order, each once,
            at most 100 and none longer than 100 characters: what a caller can offer to map it to.
    """

    def __init__(self, source: str, problem: str, line: int | None, field: str, keys: Iterable[str]) -> None:
        keys = tuple(dict.fromkeys(key for key in keys if len(key) <= _FIELD_CHOICES))[:_FIELD_CHOICES]
        super().__init__(source, problem, line)
        self.args = (source, problem, line, field, keys)  # what pickling passes back to __init__
        self.field = field
        self.keys = keys


@dataclass(frozen=True)
class DataLimits:
    """Size limits that keep a hostile or mistaken upload from exhausting memory."""

    max_file_bytes: int = 200 * 2**20
    max_uncompressed_bytes: int = 1 * 2**30  # zip and gzip bomb guard
    max_documents: int = 2_000_000
    max_queries: int = 100_000


class Judgements(dict):
    """Qrels read from a file: the ``{query_id: {doc_id: grade}}`` dict, plus ``notes`` on how it was read, and
    from a file with a ``split`` column, each split's qrels apart (``splits``; the dict itself holds them all)."""

    def __init__(self, qrels: Qrels, notes: tuple[str, ...] = (), splits: Mapping[str, Qrels] | None = None,
                 source: str = "") -> None:
        super().__init__(qrels)
        self.notes = notes
        self.splits = dict(splits or {})
        self.source = source


def read_corpus(
    data: bytes,
    name: str,
    limits: DataLimits = DataLimits(),
    *,
    text_field: str | None = None,
    title_field: str | None = None,
) -> Corpus:
    r"""Read a corpus from CSV, TSV, JSONL, Parquet or TXT bytes (optionally gzipped).

    CSV/TSV with a header, JSONL objects and Parquet columns need an id (``_id``, ``id``,
    ``doc_id``, ``docid`` or ``corpus-id``), a text (``text``, ``passage``, ``body`` or
    ``contents``) and optionally a ``title`` (header and Parquet column names ignore case
    and surrounding spaces; JSONL keys are exact). A TSV whose first line is two fields
    naming no known column has no header: it is MS MARCO's ``id<TAB>text``, and a note
    says so. TXT holds one document per non-blank line, with ids ``d1``, ``d2``, ... Ids,
    titles and texts are stripped of surrounding whitespace. A document with neither
    text nor title is skipped, and the notes give their count and lines (for Parquet,
    a "line" is the 1-based row number).

    Args:
        data: The file's content.
        name: The file name; its extension selects the format and messages cite it.
        limits: Size limits.
        text_field: A key or column to take the text from, tried before the usual names.
        title_field: A key or column to take the title from, tried before ``title``.

    Returns:
        The corpus.

    Raises:
        FieldError: If a record or the header has no id or no text field.
        DataError: If the file is malformed or too large, has an empty or duplicate id,
            or has no document with text.

    Example:
        >>> read_corpus(b"id,title,text\nd1,Paris,Paris is in France.\n", "c.csv").passages()
        ['Paris Paris is in France.']
        >>> read_corpus(b'{"_id": "d1", "body_text": "Hi."}\n', "c.jsonl", text_field="body_text").texts
        ('Hi.',)
    """
    _check_size(len(data), name, limits)
    return _parse_corpus(data, name, limits, text_field, title_field)


def read_queries(
    data: bytes, name: str, limits: DataLimits = DataLimits(), *, text_field: str | None = None
) -> Queries:
    r"""Read queries from CSV, TSV, JSONL, Parquet or TXT bytes (optionally gzipped).

    As :func:`read_corpus`, with id names ``_id``, ``id``, ``query_id``, ``qid`` or
    ``query-id``, text names ``text`` or ``query``, and TXT ids ``q1``, ``q2``, ...

    Args:
        data: The file's content.
        name: The file name; its extension selects the format and messages cite it.
        limits: Size limits.
        text_field: A key or column to take the text from, tried before the usual names.

    Returns:
        The queries.

    Raises:
        FieldError: If a record or the header has no id or no text field.
        DataError: If the file is malformed or too large, has an empty or duplicate id,
            or has no query with text.

    Example:
        >>> read_queries(b"capital of France\n", "queries.txt").ids
        ('q1',)
        >>> read_queries(b"1048585\twhat is paula deen's brother\n", "queries.tsv").texts
        ("what is paula deen's brother",)
    """
    _check_size(len(data), name, limits)
    return _parse_queries(data, name, limits, text_field)


def read_qrels(data: bytes, name: str, limits: DataLimits = DataLimits()) -> Judgements:
    r"""Read relevance judgements (optionally gzipped), telling the layout from the content.

    A first line whose last field is a number is data, so the file has no header; 3 fields
    are then ``query-id corpus-id score`` (BEIR) and 4 are TREC's ``query-id iteration
    doc-id grade``. Otherwise the first line is a header naming the query column
    (``query-id``/``query_id``/``qid``), the doc column (``corpus-id``/``doc_id``/
    ``docid``) and the grade column (``score``/``relevance``/``rel``/``grade``/``label``).
    ``.csv`` files are comma-separated; other files (``.tsv``, ``.txt``, ``.qrels``,
    ``.qrel``, ``.trec``) are tab-separated when their first line holds a tab, else split
    on whitespace. When the reading is not the one the extension suggests (a headerless
    ``.tsv`` or ``.csv``, 3 fields in a TREC file), a note says which was taken.

    Grades are integers (``"1.0"`` is read as 1). Grade 0 means judged non-relevant and
    is kept. A negative grade is an error, except in TREC's layout, where -1 is a
    conventional "judged, not relevant" mark and is stored as 0. The same judgement may
    repeat with the same grade; a different grade is an error.

    Args:
        data: The file's content.
        name: The file name; its extension selects the format and messages cite it.
        limits: Size limits.

    Returns:
        ``{query_id: {doc_id: grade}}``, with ``notes`` on the reading.

    Raises:
        DataError: If the file is malformed or too large, or a grade is not an integer.

    Example:
        >>> read_qrels(b"q1 0 d1 2\nq1 0 d2 -1\n", "run.qrels")
        {'q1': {'d1': 2, 'd2': 0}}
        >>> read_qrels(b"q1\td1\t1\n", "test.tsv").notes
        ('test.tsv: no header line; read its 3 columns as query-id corpus-id score',)
    """
    _check_size(len(data), name, limits)
    return _parse_qrels(data, name, limits)


def read_beir_zip(
    data: bytes,
    name: str,
    limits: DataLimits = DataLimits(),
    split: str = "test",
    *,
    text_field: str | None = None,
    title_field: str | None = None,
) -> Dataset:
    """Read a dataset from a zip, in memory (nothing is extracted to disk).

    The zip holds the files :func:`load_dataset` looks for, at the top level or inside
    one folder.

    Args:
        data: The zip's content.
        name: The zip's file name, for messages and the dataset name.
        limits: Size limits; the total uncompressed size is checked before reading.
        split: Which qrels split to read.
        text_field: As for :func:`read_corpus`, for the corpus and the queries.
        title_field: As for :func:`read_corpus`.

    Returns:
        The dataset, built by :func:`make_dataset`.

    Raises:
        DataError: If the zip is invalid, unsafe, too large, lacks corpus or queries,
            or holds a malformed file.
    """
    return _read_zip(data, name, limits, split, qrels=None, fields=(text_field, title_field))


def load_corpus(
    path: StrPath, limits: DataLimits = DataLimits(), *, text_field: str | None = None, title_field: str | None = None
) -> Corpus:
    """Read a corpus file from disk; see :func:`read_corpus`."""
    data = _read_file(Path(path), limits)
    return read_corpus(data, str(path), limits, text_field=text_field, title_field=title_field)


def load_queries(path: StrPath, limits: DataLimits = DataLimits(), *, text_field: str | None = None) -> Queries:
    """Read a queries file from disk; see :func:`read_queries`."""
    return read_queries(_read_file(Path(path), limits), str(path), limits, text_field=text_field)


def load_qrels(path: StrPath, limits: DataLimits = DataLimits()) -> Judgements:
    """Read a qrels file from disk; see :func:`read_qrels`."""
    return read_qrels(_read_file(Path(path), limits), str(path), limits)


def load_dataset(
    path: StrPath,
    qrels_path: StrPath | None = None,
    split: str = "test",
    limits: DataLimits = DataLimits(),
    *,
    text_field: str | None = None,
    title_field: str | None = None,
) -> Dataset:
    """Load a dataset from a folder or a ``.zip``.

    The folder (or the zip, at its top level or in one folder) holds a corpus
    (``corpus.jsonl[.gz]``, ``corpus.csv``, ``corpus.tsv``, ``corpus.parquet`` or MS
    MARCO's ``collection.tsv``), queries (``queries.jsonl[.gz]``, ``.csv``, ``.tsv``,
    ``.parquet`` or ``queries.{split}.tsv``) and optional qrels (``qrels/{split}.tsv``,
    ``{split}.tsv``, ``qrels.{split}.tsv``, ``qrels.csv`` or ``qrels.tsv``).

    Args:
        path: The folder or zip.
        qrels_path: A qrels file to use instead of the one in the dataset.
        split: Which qrels split to read.
        limits: Size limits, applied to each file.
        text_field: As for :func:`read_corpus`, for the corpus and the queries.
        title_field: As for :func:`read_corpus`.

    Returns:
        The dataset, built by :func:`make_dataset`.

    Raises:
        DataError: If a path is missing or any file is malformed.
    """
    path = Path(path)
    qrels = None if qrels_path is None else load_qrels(qrels_path, limits)
    fields = (text_field, title_field)
    if path.is_dir():
        members = _folder_members(path, limits)
        return _assemble(members, str(path), path.name, split, limits, qrels=qrels, fields=fields)
    if not path.exists():
        raise DataError(str(path), "no such file or folder")
    if path.suffix.lower() != ".zip":
        raise DataError(str(path), "expected a BEIR folder or a .zip file")
    return _read_zip(_read_file(path, limits), str(path), limits, split, qrels=qrels, fields=fields)


def first_queries(dataset: Dataset, limit: int) -> Dataset:
    """The dataset with only its first `limit` queries, judged ones first (for quicker sweeps).

    The qrels keep only those queries too: ranx scores a judged query missing from a run as 0.
    """
    if limit >= len(dataset.queries):
        return dataset
    judged = dataset.qrels or {}
    order = sorted(range(len(dataset.queries)), key=lambda i: not judged.get(dataset.queries.ids[i]))[:limit]
    order.sort()
    queries = type(dataset.queries)(tuple(dataset.queries.ids[i] for i in order),
                                    tuple(dataset.queries.texts[i] for i in order), dataset.queries.source)
    qrels = None if dataset.qrels is None else {q: judged[q] for q in queries.ids if q in judged} or None
    note = f"limited to {len(order)} of {len(dataset.queries)} queries"
    return Dataset(dataset.corpus, queries, qrels, dataset.name, dataset.notes + (note,), dataset.split)


def make_dataset(corpus: Corpus, queries: Queries, qrels: Qrels | None = None, name: str = "") -> Dataset:
    """Combine the parts, keeping only judgements whose query and doc ids are known.

    Dropped judgements are not an error: they are counted in ``notes``, after the notes
    the parts carry from reading. All queries are kept, judged or not. If no judgement
    survives, ``qrels`` becomes None.

    Args:
        corpus: The documents.
        queries: The queries.
        qrels: Judgements, or None.
        name: A display name.

    Returns:
        The dataset; ``qrels`` is a new dict, never the one passed in.

    Example:
        >>> corpus = Corpus(("d1",), ("Paris is in France.",), ("",))
        >>> queries = Queries(("q1",), ("capital of France",))
        >>> make_dataset(corpus, queries, {"q1": {"d1": 1, "d9": 1}}).notes
        ('qrels: 1 judgement names a doc id not in the corpus; ignored',)
    """
    notes = [*corpus.notes, *queries.notes]
    if qrels is not None:
        notes += qrels.notes if isinstance(qrels, Judgements) else ()
        qrels, dropped = _filter_qrels(qrels, corpus, queries)
        notes += dropped
    shared = sum(1 for query_id in queries.ids if query_id in corpus._index)
    if shared:
        notes.append(
            f"query ids that are also corpus doc ids: {shared:,} of {len(queries):,} "
            "(BEIR evaluation ignores a query's own id in its ranking)"
        )
    return Dataset(corpus, queries, qrels, name, tuple(notes))


# --- container (folder or zip) -------------------------------------------------------------


class _Member(NamedTuple):
    path: str  # relative path inside the folder or zip
    source: str  # how messages name the file
    read: Callable[[], bytes]


_FieldNames = tuple[str | None, str | None]  # the user's text and title field names (None: the usual ones)


def _with_names(
    fields: Mapping[str, tuple[str, ...]], text: str | None = None, title: str | None = None
) -> dict[str, tuple[str, ...]]:
    """`fields` with the user's own names for the text and the title tried first."""
    chosen = {"text": text, "title": title}
    return {field: aliases if chosen.get(field) is None else (chosen[field], *aliases)
            for field, aliases in fields.items()}


def _read_zip(
    data: bytes, source: str, limits: DataLimits, split: str, *, qrels: Qrels | None, fields: _FieldNames
) -> Dataset:
    _check_size(len(data), source, limits)
    with _open_zip(data, source) as archive:
        members = _zip_members(archive, source, limits)
        return _assemble(members, source, Path(source).stem, split, limits, qrels=qrels, fields=fields)


def _open_zip(data: bytes, source: str) -> zipfile.ZipFile:
    if not data:
        raise DataError(source, "empty file")
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_ERRORS as err:
        raise DataError(source, "not a valid zip file") from err


def _zip_members(archive: zipfile.ZipFile, source: str, limits: DataLimits) -> dict[str, _Member]:
    infos = archive.infolist()
    unsafe = next((info.filename for info in infos if _is_unsafe(info.filename)), None)
    if unsafe is not None:
        raise DataError(source, f"unsafe path {_shown(unsafe)} in zip; nothing was read")
    total = sum(info.file_size for info in infos)
    if total > limits.max_uncompressed_bytes:
        raise DataError(
            source,
            f"zip expands to {total:,} bytes, over the {limits.max_uncompressed_bytes:,}-byte limit",
        )
    members = {}
    for info in infos:
        if not info.filename.endswith("/"):  # ZipInfo.is_dir() fails on an empty name
            path = info.filename.replace("\\", "/")
            member_source = f"{source}/{path}"
            read = partial(_read_zip_member, archive, info, member_source)
            members[path.lower()] = _Member(path, member_source, read)
    return members


def _is_unsafe(member: str) -> bool:
    parts = member.replace("\\", "/").split("/")
    return member.startswith(("/", "\\")) or bool(PureWindowsPath(member).drive) or ".." in parts


def _read_zip_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, source: str) -> bytes:
    if info.flag_bits & 0x1:
        raise DataError(source, "encrypted zip entries are not supported")
    if info.compress_type not in _ZIP_METHODS:
        raise DataError(
            source,
            "unsupported zip compression; re-create the zip with standard (deflate) compression",
        )
    try:
        return archive.read(info)
    except _ZIP_ERRORS as err:
        raise DataError(source, "corrupt zip entry: the archive is damaged or incomplete") from err


def _folder_members(root: Path, limits: DataLimits) -> dict[str, _Member]:
    members = {}
    for pattern in ("*", "*/*", "*/*/*"):  # deep enough for {folder}/qrels/{split}.tsv
        for path in root.glob(pattern):
            if path.is_file():
                relative = path.relative_to(root).as_posix()
                members[relative.lower()] = _Member(relative, str(path), partial(_read_file, path, limits))
    return members


def _assemble(
    members: Mapping[str, _Member],
    container: str,
    name: str,
    split: str,
    limits: DataLimits,
    *,
    qrels: Qrels | None,
    fields: _FieldNames,
) -> Dataset:
    root = _dataset_root(members, container)
    corpus_file = _require(members, root, _CORPUS_FILES, container)
    queries_file = _require(members, root, (*_QUERY_FILES, f"queries.{split}.tsv"), container)
    corpus = _parse_corpus(corpus_file.read(), corpus_file.source, limits, *fields)
    queries = _parse_queries(queries_file.read(), queries_file.source, limits, fields[0])
    notes: tuple[str, ...] = ()
    found_split = ""  # the split's own qrels file was read (not a generic qrels.tsv, nor one given apart)
    if qrels is None:
        qrels_names = (f"qrels/{split}.tsv", f"{split}.tsv", f"qrels.{split}.tsv", "qrels.csv", "qrels.tsv")
        found = {name: _find(members, root, (name,)) for name in qrels_names}
        matched = next((name for name, member in found.items() if member is not None), None)
        if matched is None:
            notes = (f"qrels: none found ({', '.join(qrels_names)}); evaluation unavailable",)
        else:
            qrels = _parse_qrels(found[matched].read(), found[matched].source, limits)
            if matched in qrels_names[:3]:  # the split's own file
                found_split = split
                queries, held_apart = hold_apart(queries, qrels, split, _other_split_files(members, root, split,
                                                                                            limits))
                notes += held_apart
    if isinstance(qrels, Judgements) and qrels.splits:  # a split column
        qrels, queries, held_apart = split_judgements(qrels, split, queries)
        found_split, notes = split, notes + held_apart
    dataset = make_dataset(corpus, queries, qrels, PurePosixPath(corpus_file.path).parent.name or name)
    logger.info("loaded %r from %s", dataset, container)
    return replace(dataset, notes=notes + dataset.notes, split=found_split if dataset.qrels is not None else "")


def _other_split_files(members: Mapping[str, _Member], root: str, split: str,
                       limits: DataLimits) -> dict[str, Qrels]:
    """The qrels of every split but `split` that has its own file (`qrels/{other}.tsv`), by split."""
    prefix = f"{root}/qrels/" if root else "qrels/"
    others = sorted(key[len(prefix):-4] for key in members
                    if key.startswith(prefix) and key.endswith(".tsv") and key[len(prefix):-4] not in (split, ""))
    return {other: _parse_qrels(members[f"{prefix}{other}.tsv"].read(), members[f"{prefix}{other}.tsv"].source,
                                limits) for other in others}


def split_judgements(judgements: Judgements, split: str, queries: Queries) -> tuple[Qrels, Queries, tuple[str, ...]]:
    """The qrels of `split` from a file with a split column, with `queries` held apart as `hold_apart` does.

    Raises:
        DataError: If no row belongs to `split` (naming the splits the file has).
    """
    if split not in judgements.splits:
        raise DataError(judgements.source, f"no rows of split {split!r} in its split column "
                                           f"(it has {', '.join(sorted(judgements.splits))})")
    others = {name: qrels for name, qrels in judgements.splits.items() if name != split}
    chosen = Judgements(judgements.splits[split], judgements.notes, source=judgements.source)
    return (chosen, *hold_apart(queries, chosen, split, others))


def hold_apart(queries: Queries, qrels: Qrels, split: str, others: Mapping[str, Qrels]) -> tuple[Queries, tuple[str, ...]]:
    """`queries` without those judged only in another split (`others`, by name): evaluating on the test split
    never ranks a training query, and training never sees a test query; with a note saying how many."""
    elsewhere = {query_id for other in others.values() for query_id in other}
    apart = [i for i, query_id in enumerate(queries.ids) if query_id in elsewhere and query_id not in qrels]
    if not apart:
        return queries, ()
    kept = sorted(set(range(len(queries))) - set(apart))
    note = (f"split {split}: {len(kept)} queries; {len(apart)} judged only in "
            f"{', '.join(sorted(others))} are held apart")
    return Queries(tuple(queries.ids[i] for i in kept), tuple(queries.texts[i] for i in kept), queries.source), (note,)


def _dataset_root(members: Mapping[str, _Member], container: str) -> str:
    """Return the folder holding the corpus: "" for the top level, else the shallowest such folder."""
    roots = {key.rpartition("/")[0] for key in members if key.rpartition("/")[2] in _CORPUS_FILES}
    if not roots:
        raise DataError(container, f"no corpus file found (expected one of {', '.join(_CORPUS_FILES)})")
    depth = min(root.count("/") + bool(root) for root in roots)
    shallowest = sorted(root for root in roots if root.count("/") + bool(root) == depth)
    if len(shallowest) > 1:
        raise DataError(container, f"several datasets found ({_listed(shallowest)}); give one at a time")
    return shallowest[0]


def _find(members: Mapping[str, _Member], root: str, names: Iterable[str]) -> _Member | None:
    prefix = f"{root}/" if root else ""
    return next((members[prefix + name] for name in names if prefix + name in members), None)


def _require(members: Mapping[str, _Member], root: str, names: tuple[str, ...], container: str) -> _Member:
    found = _find(members, root, names)
    if found is None:
        where = f"{root}/" if root else "the top level"
        raise DataError(
            container,
            f"no {names[0].split('.')[0]} file in {where} (expected one of {', '.join(names)})",
        )
    return found


def _filter_qrels(qrels: Qrels, corpus: Corpus, queries: Queries) -> tuple[Qrels | None, list[str]]:
    """Keep judgements with known ids; return them (None if none are left) and notes."""
    notes: list[str] = []
    kept: Qrels = {}
    unknown_queries = unknown_docs = 0
    for query_id, judged in qrels.items():
        if query_id not in queries._index:
            unknown_queries += len(judged)
            continue
        known = {doc_id: grade for doc_id, grade in judged.items() if doc_id in corpus._index}
        unknown_docs += len(judged) - len(known)
        if known:
            kept[query_id] = known
    if unknown_queries:
        notes.append(_unknown_note(unknown_queries, "query", "queries"))
    if unknown_docs:
        notes.append(_unknown_note(unknown_docs, "doc", "corpus"))
    if not kept:
        notes.append("qrels: no judgement matches the corpus and queries; evaluation unavailable")
        return None, notes
    if len(kept) < len(queries):
        notes.append(f"qrels: no judgements for {len(queries) - len(kept):,} of {len(queries):,} queries")
    return kept, notes


def _unknown_note(count: int, kind: str, where: str) -> str:
    if count == 1:
        return f"qrels: 1 judgement names a {kind} id not in the {where}; ignored"
    return f"qrels: {count:,} judgements name {kind} ids not in the {where}; ignored"


# --- single files --------------------------------------------------------------------------


def _read_file(path: Path, limits: DataLimits) -> bytes:
    try:
        _check_size(path.stat().st_size, str(path), limits)
        return path.read_bytes()
    except FileNotFoundError as err:
        raise DataError(str(path), "no such file") from err
    except OSError as err:
        raise DataError(str(path), f"cannot read the file ({err.strerror})") from err


def _check_size(size: int, source: str, limits: DataLimits) -> None:
    if size > limits.max_file_bytes:
        raise DataError(source, f"file is {size:,} bytes, over the {limits.max_file_bytes:,}-byte limit")


def _parse_corpus(
    data: bytes, source: str, limits: DataLimits, text_field: str | None = None, title_field: str | None = None
) -> Corpus:
    fields = _with_names(_CORPUS_FIELDS, text=text_field, title=title_field)
    rows, notes = _item_rows(data, source, limits, fields, "d")
    ids, texts, titles, skipped = _collect(rows, source, "documents", limits.max_documents)
    logger.info("read %d documents from %s", len(ids), source)
    return Corpus(ids, texts, titles, source, notes + skipped)


def _parse_queries(data: bytes, source: str, limits: DataLimits, text_field: str | None = None) -> Queries:
    rows, notes = _item_rows(data, source, limits, _with_names(_QUERY_FIELDS, text=text_field), "q")
    ids, texts, _, skipped = _collect(rows, source, "queries", limits.max_queries)
    logger.info("read %d queries from %s", len(ids), source)
    return Queries(ids, texts, source, notes + skipped)


def _parse_qrels(data: bytes, source: str, limits: DataLimits) -> Judgements:
    """Read qrels, with or without a header: see :func:`read_qrels` for how the layout is told."""
    ext, data = _open(data, source, _QRELS_FORMATS, limits)
    text = _text(data, source)
    delimiter = "," if ext == ".csv" else "\t" if "\t" in _first_line(text)[1] else None
    records = _records(text, delimiter, source)
    line, _, first = next(records, (1, 1, []))
    if not first:
        raise DataError(source, "no rows")
    notes: tuple[str, ...] = ()
    if _is_number(first[-1]):  # no header: the layout follows from the number of fields
        columns, layout = _headerless_qrels(first, delimiter, source, line)
        trec = len(first) == 4  # TREC's layout: query-id iteration doc-id grade
        if not trec or ext not in _TREC_FORMATS:
            notes = (f"{source}: no header line; read its {len(first)} columns as {layout}",)
        records = itertools.chain([(line, line, first)], records)
        width = f"line {line} ({layout})"
    else:
        reason = f"; line {line} is taken as a header, its last field {_shown(first[-1])} not being a number"
        columns = _resolve_columns(first, _QRELS_FIELDS, source, line, _delimiter_hint(first, delimiter) + reason)
        trec, width = False, "the header"
    splits = _collect_qrels(_fixed_width(records, len(first), width, delimiter, source), columns, source, trec)
    if "split" not in columns:
        logger.info("read judgements for %d queries from %s", len(splits[""]), source)
        return Judgements(splits[""], notes)
    every: Qrels = {}
    for qrels in splits.values():
        for query_id, docs in qrels.items():
            every.setdefault(query_id, {}).update(docs)
    logger.info("read judgements for %d queries in splits %s from %s", len(every), ", ".join(splits), source)
    return Judgements(every, notes, splits, source)


def _headerless_qrels(
    first: list[str], delimiter: str | None, source: str, line: int
) -> tuple[dict[str, int], str]:
    if len(first) not in _HEADERLESS_QRELS:
        layouts = " or ".join(f"{count} ({layout})" for count, (_, layout) in _HEADERLESS_QRELS.items())
        separated = {",": "comma", "\t": "tab", None: "whitespace"}[delimiter]
        problem = f"{len(first)} {separated}-separated fields and no header; expected {layouts}"
        raise DataError(source, problem + _delimiter_hint(first, delimiter), line)
    return _HEADERLESS_QRELS[len(first)]


def _open(data: bytes, source: str, formats: tuple[str, ...], limits: DataLimits) -> tuple[str, bytes]:
    """Check the extension and gunzip if needed; return (extension, content)."""
    lower = source.lower()
    compressed = lower.endswith(".gz")
    ext = os.path.splitext(lower.removesuffix(".gz"))[1]
    if ext not in formats:
        found = f"'{ext}'" if ext else "a name without extension"
        raise DataError(source, f"unsupported file type {found}; expected {', '.join(formats)} (optionally .gz)")
    return ext, _gunzip(data, source, limits.max_uncompressed_bytes) if compressed else data


def _text(data: bytes, source: str) -> str:
    """The decoded text of a file that is not blank."""
    text = _decode(data, source)
    if not text.strip():
        raise DataError(source, "empty file")
    return text


def _gunzip(data: bytes, source: str, cap: int) -> bytes:
    """Decompress gzip data (all members) chunk by chunk, stopping once past ``cap`` bytes."""
    pieces: list[bytes] = []
    size = 0
    pending = data
    while pending:
        inflater = zlib.decompressobj(wbits=31)  # 31: expect a gzip header
        tail = pending
        while not inflater.eof:
            try:
                piece = inflater.decompress(tail, _GZIP_CHUNK)
            except zlib.error as err:
                raise DataError(source, "not valid gzip data") from err
            if not piece:
                break  # every input byte is used and the stream has not ended
            size += len(piece)
            if size > cap:
                raise DataError(source, f"decompresses to more than {cap:,} bytes (the limit)")
            pieces.append(piece)
            tail = inflater.unconsumed_tail
        if not inflater.eof:
            raise DataError(source, "truncated gzip data (the file is incomplete)")
        pending = inflater.unused_data
    return b"".join(pieces)


def _decode(data: bytes, source: str) -> str:
    """UTF-8 text (a byte order mark dropped), or UTF-16 when it starts with a UTF-16 byte order mark."""
    encoding = "utf-16" if data.startswith(_UTF16_BOMS) else "utf-8"
    data = data.removeprefix(b"\xef\xbb\xbf")  # UTF-8 byte order mark
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        newline = "\n".encode(encoding).removeprefix(b"\xff\xfe").removeprefix(b"\xfe\xff")
        line = data.count(newline, 0, err.start) + 1
        byte = data[err.start:err.start + 1].hex().upper()
        raise DataError(source, f"not {encoding.upper()} text (byte 0x{byte}; try saving as UTF-8)", line) from err


def _item_rows(
    data: bytes, source: str, limits: DataLimits, fields: Mapping[str, tuple[str, ...]], prefix: str
) -> tuple[Iterator[tuple[int, dict[str, str]]], tuple[str, ...]]:
    """The records of a corpus or queries file as (line, {field: value}), and notes on the reading."""
    ext, data = _open(data, source, _ITEM_FORMATS, limits)
    if ext == ".parquet":
        return _parquet_rows(data, source, fields, limits), ()
    text = _text(data, source)
    if ext == ".jsonl":
        return _json_rows(text, source, fields), ()
    if ext == ".txt":
        return _line_rows(text, prefix), ()
    line, first = _first_line(text)
    if ext == ".tsv" and _is_headerless_pair(first, fields):
        note = f"{source}: no header line (line {line} names no known column); read its 2 columns as id text"
        return _pair_rows(text, source, line), (note,)
    return _table_rows(text, source, _DELIMITERS[ext], fields), ()


def _is_headerless_pair(line: str, fields: Mapping[str, tuple[str, ...]]) -> bool:
    """Whether a TSV's first line is two fields naming no known column: MS MARCO's id<TAB>text, no header."""
    cells = line.split("\t")
    names = {_column_name(name) for aliases in fields.values() for name in aliases}
    return len(cells) == 2 and names.isdisjoint(map(_column_name, cells))


def _collect(
    rows: Iterable[tuple[int, dict[str, str]]], source: str, noun: str, limit: int
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Validate records into parallel id, text and title tuples; records with no text are skipped, and the last
    tuple holds the note listing them (empty without any)."""
    ids: list[str] = []
    texts: list[str] = []
    titles: list[str] = []
    first_line: dict[str, int] = {}
    empty: list[int] = []
    for line, row in rows:
        item_id, text, title = row["id"].strip(), row["text"].strip(), row.get("title", "").strip()
        if not item_id:
            raise DataError(source, "empty id", line)
        if not text and not title:
            empty.append(line)
            continue
        if item_id in first_line:
            raise DataError(source, f"duplicate id {_shown(item_id)} (first on line {first_line[item_id]})", line)
        if len(ids) == limit:
            raise DataError(source, f"more than {limit:,} {noun} (the limit)", line)
        first_line[item_id] = line
        ids.append(item_id)
        texts.append(text)
        titles.append(title)
    if not ids:
        raise DataError(source, f"no record has any text ({len(empty):,} empty: {_lines_listed(empty)})" if empty
                        else "no rows")
    records = "1 record" if len(empty) == 1 else f"{len(empty):,} records"
    skipped = (f"{source}: skipped {records} with no text ({_lines_listed(empty)})",) if empty else ()
    return tuple(ids), tuple(texts), tuple(titles), skipped


def _collect_qrels(
    rows: Iterable[tuple[int, list[str]]], columns: Mapping[str, int], source: str, trec: bool
) -> dict[str, Qrels]:
    """Validate (line, fields) rows into qrels per split (all under "" without a split column), taking each field
    from its index in `columns`."""
    splits: dict[str, Qrels] = {}
    for line, row in rows:
        split = row[columns["split"]].strip().lower() if "split" in columns else ""
        if "split" in columns and not split:
            raise DataError(source, "empty split (expected a name such as train or test)", line)
        qrels = splits.setdefault(split, {})
        query_id, doc_id = row[columns["query id"]].strip(), row[columns["doc id"]].strip()
        if not query_id:
            raise DataError(source, "empty query id", line)
        if not doc_id:
            raise DataError(source, "empty doc id", line)
        grade = _parse_grade(row[columns["grade"]], source, line)
        if grade < 0:
            if not trec:
                raise DataError(source, f"negative relevance grade {grade}", line)
            grade = 0
        judged = qrels.setdefault(query_id, {})
        if judged.get(doc_id, grade) != grade:
            raise DataError(
                source,
                f"conflicting grades for query {_shown(query_id)}, doc {_shown(doc_id)}: {judged[doc_id]} earlier, "
                f"{grade} here",
                line,
            )
        judged[doc_id] = grade
    if not splits:
        raise DataError(source, "no rows")
    return splits


def _parse_grade(raw: str, source: str, line: int) -> int:
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not value.is_integer():
        raise DataError(source, f"relevance grade {_shown(raw.strip())} is not an integer", line)
    return int(value)


# --- formats -------------------------------------------------------------------------------


def _table_rows(
    text: str, source: str, delimiter: str, fields: Mapping[str, tuple[str, ...]]
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line where the record starts, {field: value}) for each CSV/TSV data row after the header."""
    records = _csv_records(text, delimiter, source)
    header_line, _, header = next(records, (1, 1, []))
    columns = _resolve_columns(header, fields, source, header_line, _delimiter_hint(header, delimiter))
    for start, row in _fixed_width(records, len(header), "the header", delimiter, source):
        yield start, {field: row[index] for field, index in columns.items()}


def _fixed_width(
    records: Iterable[tuple[int, int, list[str]]], width: int, model: str, delimiter: str | None, source: str
) -> Iterator[tuple[int, list[str]]]:
    """Yield (first line, fields) of each record, checking it has as many fields as `model` (what to cite)."""
    for start, end, row in records:
        if len(row) != width:
            problem = f"{len(row)} field{'s' if len(row) != 1 else ''}, but {model} has {width}"
            if end > start:
                problem += " (a quote that is never closed?)"
            elif delimiter is not None:
                problem += " (an unquoted delimiter in a field?)" if len(row) > width else " (another delimiter?)"
            raise DataError(source, problem, start)
        yield start, row


def _records(text: str, delimiter: str | None, source: str) -> Iterator[tuple[int, int, list[str]]]:
    """Yield (first line, last line, fields) per non-blank record: CSV with `delimiter`, else whitespace-split lines."""
    if delimiter is not None:
        return _csv_records(text, delimiter, source)
    return ((number, number, line.split()) for number, line in _lines(text))


def _csv_records(text: str, delimiter: str, source: str) -> Iterator[tuple[int, int, list[str]]]:
    """Yield (first line, last line, fields) per non-blank record; csv errors become DataError."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            raise DataError(source, f"malformed CSV ({err})", start) from err
        if any(cell.strip() for cell in row):
            yield start, reader.line_num, row


def _resolve_columns(
    header: list[str], fields: Mapping[str, tuple[str, ...]], source: str, line: int | None, hint: str = ""
) -> dict[str, int]:
    """Map each field to the index of the first of its names in `header` (ignoring case and spaces)."""
    names = [_column_name(cell) for cell in header]
    columns = {}
    for field, aliases in fields.items():
        index = next((names.index(name) for name in map(_column_name, aliases) if name in names), None)
        if index is not None:
            columns[field] = index
        elif field not in _OPTIONAL_FIELDS:
            raise _missing(field, aliases, header, "column", source, line, hint)
    return columns


def _missing(
    field: str, aliases: tuple[str, ...], found: list[str], kind: str, source: str, line: int | None, hint: str = ""
) -> FieldError:
    problem = f"no {field} {kind} (expected one of {', '.join(aliases)}); found {kind}s: {_listed(found)}{hint}"
    return FieldError(source, problem, line, field, found)


def _delimiter_hint(first: list[str], delimiter: str | None) -> str:
    """A hint when the first line's fields hold another delimiter ("" for lines split on whitespace)."""
    others = [d for d in _DELIMITER_NAMES if delimiter and d != delimiter and any(d in cell for cell in first)]
    if not others:
        return ""
    found = " and ".join(_DELIMITER_NAMES[d] for d in others)
    kind = "comma" if delimiter == "," else "tab"
    return f"; hint: the first line contains {found}, but the file is read as {kind}-separated"


def _json_rows(text: str, source: str, fields: Mapping[str, tuple[str, ...]]) -> Iterator[tuple[int, dict[str, str]]]:
    for number, line in _lines(text):
        yield number, _record_fields(_json_object(line, source, number), fields, source, number)


def _json_object(line: str, source: str, number: int) -> dict:
    try:
        value = json.loads(line)
    except RecursionError as err:
        raise DataError(source, "invalid JSON (nested too deeply)", number) from err
    except ValueError as err:  # json.JSONDecodeError, or an integer too long to convert
        raise DataError(source, f"invalid JSON ({err})", number) from err
    if not isinstance(value, dict):
        raise DataError(source, f"expected a JSON object, found {type(value).__name__}", number)
    return value


def corpus_row(record: dict, source: str, number: int) -> tuple[str, str, str] | None:
    """(id, title, text) of one corpus record (a JSON object or a Parquet row) exactly as `read_corpus` keeps it, or
    None for a record without text, which it skips: for readers that stream a corpus too big to load.

    Raises:
        DataError: For a missing id or text field, or an empty id.
    """
    row = _record_fields(record, _CORPUS_FIELDS, source, number)
    item_id, text, title = row["id"].strip(), row["text"].strip(), row.get("title", "").strip()
    if not item_id:
        raise DataError(source, "empty id", number)
    return (item_id, title, text) if text or title else None


def _record_fields(record: dict, fields: Mapping[str, tuple[str, ...]], source: str, number: int) -> dict[str, str]:
    """{field: value} from a JSON object, taking each field from the first of its names the object has."""
    row = {}
    for field, aliases in fields.items():
        key = next((alias for alias in aliases if alias in record), None)
        if key is not None:
            row[field] = _string(record[key], field, source, number)
        elif field not in _OPTIONAL_FIELDS:
            raise _missing(field, aliases, list(record), "key", source, number)
    return row


def _string(value: object, field: str, source: str, number: int) -> str:
    """A JSON or Parquet value as text: strings as they are, integers in digits, null as ""."""
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise DataError(source, f"{field} must be a string, found {json.dumps(value, default=repr)[:40]}", number)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as err:
        raise DataError(source, f"{field} holds an invalid \\u escape (a lone surrogate)", number) from err
    return value


def _line_rows(text: str, prefix: str) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a TXT file: each non-blank line is a text, numbered `prefix`1, `prefix`2, ..."""
    for count, (number, line) in enumerate(_lines(text), 1):
        yield number, {"id": f"{prefix}{count}", "text": line}


def _pair_rows(text: str, source: str, first: int) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a TSV without a header: id<TAB>text on each non-blank line (MS MARCO's collections and queries)."""
    for number, line in _lines(text):
        cells = line.split("\t")
        if len(cells) != 2:
            raise DataError(source, f"{len(cells)} tab-separated fields, but line {first} has 2 (id, text)", number)
        yield number, {"id": cells[0], "text": cells[1]}


def _parquet_rows(
    data: bytes, source: str, fields: Mapping[str, tuple[str, ...]], limits: DataLimits
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (row number, {field: value}) per Parquet row, the columns named as in a CSV header."""
    import pyarrow as pa  # imported here: only Parquet files need it
    import pyarrow.parquet as pq

    errors = (pa.ArrowException, OSError, ValueError, KeyError)  # ValueError includes invalid UTF-8
    try:
        parquet = pq.ParquetFile(io.BytesIO(data))
        names = parquet.schema_arrow.names
        metadata = parquet.metadata
        size = sum(metadata.row_group(group).total_byte_size for group in range(metadata.num_row_groups))
    except errors as err:
        raise DataError(source, "not a valid Parquet file") from err
    if size > limits.max_uncompressed_bytes:
        cap = limits.max_uncompressed_bytes
        raise DataError(source, f"Parquet data unpacks to {size:,} bytes, over the {cap:,}-byte limit")
    columns = _resolve_columns(names, fields, source, None)
    try:
        table = parquet.read(columns=sorted({names[index] for index in columns.values()}))
        values = {field: table.column(names[index]).to_pylist() for field, index in columns.items()}
    except errors as err:
        raise DataError(source, "damaged Parquet data (the file is corrupt or incomplete)") from err
    for number, row in enumerate(zip(*values.values(), strict=True), 1):
        yield number, {field: _string(value, field, source, number) for field, value in zip(values, row, strict=True)}


def _lines(text: str) -> Iterator[tuple[int, str]]:
    """(1-based line number, line) for each non-blank line."""
    return ((number, line) for number, line in enumerate(text.split("\n"), 1) if line.strip())


def _first_line(text: str) -> tuple[int, str]:
    """The first non-blank line and its number, without splitting the whole text."""
    found = re.search(r"[^\n]*\S[^\n]*", text)
    return (text.count("\n", 0, found.start()) + 1, found.group()) if found else (1, "")


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


# --- small helpers -------------------------------------------------------------------------


def _shown(value: str, chars: int = SHOWN_CHARS) -> str:
    """`value` quoted for a message, shortened to `chars` characters (ids and headers can be megabytes)."""
    return repr(value if len(value) <= chars else value[: chars - 1] + "…")


def _listed(values: Iterable[str], most: int = 8) -> str:
    """Up to `most` values quoted with `_shown`, then how many more; "none" when empty."""
    values = list(values)
    shown = ", ".join(_shown(value) for value in values[:most])
    more = f", … ({len(values):,} in all)" if len(values) > most else ""
    return shown + more if values else "none"


def _lines_listed(lines: list[int], most: int = _SHOWN_LINES) -> str:
    """"line 4", or "lines 4, 9, 12", with "…" after the first `most`."""
    shown = ", ".join(map(str, lines[:most])) + (", …" if len(lines) > most else "")
    return f"line{'s' if len(lines) > 1 else ''} {shown}"


def _column_name(name: str) -> str:
    """A header or Parquet column name as compared with the known names: case and surrounding spaces ignored."""
    return name.strip().lower()
