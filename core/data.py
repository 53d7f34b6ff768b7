"""Load retrieval data: a corpus, queries and relevance judgements (qrels).

Readers take the raw bytes of an upload plus its file name, or a path on disk. The
format follows the extension (case-insensitive; a trailing ``.gz`` means gzip):
CSV/TSV with a header row, BEIR JSONL, plain text with one item per line, BEIR or
TREC qrels, and whole BEIR datasets as a folder or ``.zip``. Every problem with the
input raises :class:`DataError`, which names the file, the line and the problem.
"""

import csv
import hashlib
import io
import json
import logging
import os
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import cached_property, partial
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import NamedTuple

logger = logging.getLogger(__name__)

StrPath = str | os.PathLike[str]
Qrels = dict[str, dict[str, int]]
"""Relevance grades as ``{query_id: {doc_id: grade}}``, the shape ranx takes."""

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
}
_OPTIONAL_FIELDS = frozenset({"title"})
_QRELS_NAMES = frozenset(name for names in _QRELS_FIELDS.values() for name in names)

_ITEM_FORMATS = (".csv", ".tsv", ".jsonl", ".txt")
_QRELS_FORMATS = (".csv", ".tsv", ".txt", ".qrels", ".qrel", ".trec")
_DELIMITERS = {".csv": ",", ".tsv": "\t"}
_DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs"}

_CORPUS_FILES = ("corpus.jsonl", "corpus.jsonl.gz", "corpus.csv", "corpus.tsv")
_QUERY_FILES = ("queries.jsonl", "queries.jsonl.gz", "queries.csv", "queries.tsv")
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


@dataclass(frozen=True)
class DataLimits:
    """Size limits that keep a hostile or mistaken upload from exhausting memory."""

    max_file_bytes: int = 200 * 2**20
    max_uncompressed_bytes: int = 1 * 2**30  # zip and gzip bomb guard
    max_documents: int = 2_000_000
    max_queries: int = 100_000


@dataclass(frozen=True)
class Corpus:
    """Documents to search, in file order.

    Attributes:
        ids: Unique document ids.
        texts: Document texts, parallel to ``ids``.
        titles: Document titles, ``""`` where absent, parallel to ``ids``.
        source: Where the documents came from, for messages.

    Example:
        >>> corpus = Corpus(("d1", "d2"), ("Paris is in France.", "Hi."), ("Paris", ""))
        >>> corpus.passages()
        ['Paris Paris is in France.', 'Hi.']
        >>> corpus.position("d2")
        1
    """

    ids: tuple[str, ...]
    texts: tuple[str, ...]
    titles: tuple[str, ...]
    source: str = ""

    def __post_init__(self) -> None:
        _freeze_columns(self, "ids", "texts", "titles")
        _check_columns(self.ids, self.texts, self.titles)
        _ = self._index  # builds the index and rejects duplicate ids

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        return f"Corpus({len(self)} documents, source={self.source!r})"

    def passages(self) -> list[str]:
        """Return what models encode: ``"{title} {text}"``, or the text alone without a title.

        This is the BEIR convention. A document with a title may have an empty text.
        """
        pairs = zip(self.titles, self.texts, strict=True)
        return [" ".join(part for part in pair if part) for pair in pairs]

    def position(self, doc_id: str) -> int:
        """Return the index of ``doc_id`` in ``ids``.

        Raises:
            KeyError: If the corpus has no such id.
        """
        return self._index[doc_id]

    @cached_property
    def content_hash(self) -> str:
        """SHA-256 hex digest of the ids, titles and texts (equal content, equal hash)."""
        return _digest("corpus", self.ids, self.titles, self.texts)

    @cached_property
    def _index(self) -> dict[str, int]:
        return _index_of(self.ids)


@dataclass(frozen=True)
class Queries:
    """Search queries, in file order.

    Attributes:
        ids: Unique query ids.
        texts: Query texts, parallel to ``ids``.
        source: Where the queries came from, for messages.

    Example:
        >>> Queries(("q1",), ("capital of France",)).text("q1")
        'capital of France'
    """

    ids: tuple[str, ...]
    texts: tuple[str, ...]
    source: str = ""

    def __post_init__(self) -> None:
        _freeze_columns(self, "ids", "texts")
        _check_columns(self.ids, self.texts)
        _ = self._index  # builds the index and rejects duplicate ids

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        return f"Queries({len(self)} queries, source={self.source!r})"

    def text(self, query_id: str) -> str:
        """Return the text of ``query_id``.

        Raises:
            KeyError: If there is no such query.
        """
        return self.texts[self._index[query_id]]

    @cached_property
    def content_hash(self) -> str:
        """SHA-256 hex digest of the ids and texts (equal content, equal hash)."""
        return _digest("queries", self.ids, self.texts)

    @cached_property
    def _index(self) -> dict[str, int]:
        return _index_of(self.ids)


@dataclass(frozen=True)
class Dataset:
    """A corpus, its queries and, when known, the relevance judgements.

    Attributes:
        corpus: The documents.
        queries: The queries (all of them, judged or not).
        qrels: Judgements restricted to known query and doc ids, or None without any.
        name: A display name, such as the folder or zip name.
        notes: Human-readable remarks about what was dropped or is worth knowing.
    """

    corpus: Corpus
    queries: Queries
    qrels: Qrels | None
    name: str
    notes: tuple[str, ...] = ()

    def __repr__(self) -> str:
        judged = "no qrels" if self.qrels is None else f"{len(self.qrels)} judged queries"
        sizes = f"{len(self.corpus)} documents, {len(self.queries)} queries, {judged}"
        return f"Dataset({self.name!r}, {sizes})"


def read_corpus(data: bytes, name: str, limits: DataLimits = DataLimits()) -> Corpus:
    r"""Read a corpus from CSV, TSV, JSONL or TXT bytes (optionally gzipped).

    CSV/TSV need a header with an id column (``_id``, ``id``, ``doc_id``, ``docid`` or
    ``corpus-id``), a text column (``text``, ``passage``, ``body`` or ``contents``) and
    optionally ``title`` (header names ignore case and surrounding spaces). JSONL lines
    are objects with those keys, exactly (BEIR: ``_id``, ``title``, ``text``). TXT holds
    one document per non-blank line, with ids ``d1``, ``d2``, ... Ids, titles and texts
    are stripped of surrounding whitespace; a document may lack either text or title.

    Args:
        data: The file's content.
        name: The file name; its extension selects the format and messages cite it.
        limits: Size limits.

    Returns:
        The corpus.

    Raises:
        DataError: If the file is malformed, too large, or has an empty or duplicate id
            or a document with neither text nor title.

    Example:
        >>> read_corpus(b"id,title,text\nd1,Paris,Paris is in France.\n", "c.csv").passages()
        ['Paris Paris is in France.']
    """
    _check_size(len(data), name, limits)
    return _parse_corpus(data, name, limits)


def read_queries(data: bytes, name: str, limits: DataLimits = DataLimits()) -> Queries:
    r"""Read queries from CSV, TSV, JSONL or TXT bytes (optionally gzipped).

    As :func:`read_corpus`, with id columns ``_id``, ``id``, ``query_id``, ``qid`` or
    ``query-id``, text columns ``text`` or ``query``, and TXT ids ``q1``, ``q2``, ...

    Args:
        data: The file's content.
        name: The file name; its extension selects the format and messages cite it.
        limits: Size limits.

    Returns:
        The queries.

    Raises:
        DataError: If the file is malformed, too large, or has an empty or duplicate id
            or an empty text.

    Example:
        >>> read_queries(b"capital of France\n", "queries.txt").ids
        ('q1',)
    """
    _check_size(len(data), name, limits)
    return _parse_queries(data, name, limits)


def read_qrels(data: bytes, name: str, limits: DataLimits = DataLimits()) -> Qrels:
    r"""Read relevance judgements (optionally gzipped).

    Formats: CSV with a header, or BEIR TSV with a header such as
    ``query-id corpus-id score`` (query column ``query-id``/``query_id``/``qid``, doc
    column ``corpus-id``/``doc_id``/``docid``, grade column ``score``/``relevance``/
    ``rel``/``grade``/``label``); TREC qrels ``qid iteration docid grade`` without a
    header, in ``.txt``, ``.qrels``, ``.qrel``, ``.trec`` or a ``.tsv`` whose first line
    is not such a header.

    Grades are integers (``"1.0"`` is read as 1). Grade 0 means judged non-relevant and
    is kept. A negative grade is an error, except in TREC qrels, where -1 is a
    conventional "judged, not relevant" mark and is stored as 0. The same judgement may
    repeat with the same grade; a different grade is an error.

    Args:
        data: The file's content.
        name: The file name; its extension selects the format and messages cite it.
        limits: Size limits.

    Returns:
        ``{query_id: {doc_id: grade}}``.

    Raises:
        DataError: If the file is malformed or too large, or a grade is not an integer.

    Example:
        >>> read_qrels(b"q1 0 d1 2\nq1 0 d2 -1\n", "run.qrels")
        {'q1': {'d1': 2, 'd2': 0}}
    """
    _check_size(len(data), name, limits)
    return _parse_qrels(data, name, limits)


def read_beir_zip(data: bytes, name: str, limits: DataLimits = DataLimits(), split: str = "test") -> Dataset:
    """Read a BEIR dataset from a zip, in memory (nothing is extracted to disk).

    The zip holds ``corpus.jsonl[.gz]`` (or ``corpus.csv``/``.tsv``), ``queries.*`` and
    optionally qrels (``qrels/{split}.tsv``, ``{split}.tsv``, ``qrels.csv`` or
    ``qrels.tsv``), at the top level or inside one folder.

    Args:
        data: The zip's content.
        name: The zip's file name, for messages and the dataset name.
        limits: Size limits; the total uncompressed size is checked before reading.
        split: Which qrels split to read.

    Returns:
        The dataset, built by :func:`make_dataset`.

    Raises:
        DataError: If the zip is invalid, unsafe, too large, lacks corpus or queries,
            or holds a malformed file.
    """
    return _read_zip(data, name, limits, split, qrels=None)


def load_corpus(path: StrPath, limits: DataLimits = DataLimits()) -> Corpus:
    """Read a corpus file from disk; see :func:`read_corpus`."""
    return read_corpus(_read_file(Path(path), limits), str(path), limits)


def load_queries(path: StrPath, limits: DataLimits = DataLimits()) -> Queries:
    """Read a queries file from disk; see :func:`read_queries`."""
    return read_queries(_read_file(Path(path), limits), str(path), limits)


def load_qrels(path: StrPath, limits: DataLimits = DataLimits()) -> Qrels:
    """Read a qrels file from disk; see :func:`read_qrels`."""
    return read_qrels(_read_file(Path(path), limits), str(path), limits)


def load_dataset(
    path: StrPath,
    qrels_path: StrPath | None = None,
    split: str = "test",
    limits: DataLimits = DataLimits(),
) -> Dataset:
    """Load a BEIR dataset from a folder or a ``.zip``.

    The folder (or the zip, at its top level or in one folder) holds
    ``corpus.jsonl[.gz]``, ``queries.jsonl[.gz]`` and optional qrels at
    ``qrels/{split}.tsv`` or ``{split}.tsv``; the CSV variant holds ``corpus.csv``,
    ``queries.csv`` and ``qrels.csv``.

    Args:
        path: The folder or zip.
        qrels_path: A qrels file to use instead of the one in the dataset.
        split: Which qrels split to read.
        limits: Size limits, applied to each file.

    Returns:
        The dataset, built by :func:`make_dataset`.

    Raises:
        DataError: If a path is missing or any file is malformed.
    """
    path = Path(path)
    qrels = None if qrels_path is None else load_qrels(qrels_path, limits)
    if path.is_dir():
        return _assemble(_folder_members(path, limits), str(path), path.name, split, limits, qrels=qrels)
    if not path.exists():
        raise DataError(str(path), "no such file or folder")
    if path.suffix.lower() != ".zip":
        raise DataError(str(path), "expected a BEIR folder or a .zip file")
    return _read_zip(_read_file(path, limits), str(path), limits, split, qrels=qrels)


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
    return Dataset(dataset.corpus, queries, qrels, dataset.name, dataset.notes + (note,))


def make_dataset(corpus: Corpus, queries: Queries, qrels: Qrels | None = None, name: str = "") -> Dataset:
    """Combine the parts, keeping only judgements whose query and doc ids are known.

    Dropped judgements are not an error: they are counted in ``notes``. All queries
    are kept, judged or not. If no judgement survives, ``qrels`` becomes None.

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
    notes: list[str] = []
    if qrels is not None:
        qrels, notes = _filter_qrels(qrels, corpus, queries)
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


def _read_zip(data: bytes, source: str, limits: DataLimits, split: str, *, qrels: Qrels | None) -> Dataset:
    _check_size(len(data), source, limits)
    with _open_zip(data, source) as archive:
        members = _zip_members(archive, source, limits)
        return _assemble(members, source, Path(source).stem, split, limits, qrels=qrels)


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
) -> Dataset:
    root = _dataset_root(members, container)
    corpus_file = _require(members, root, _CORPUS_FILES, container)
    queries_file = _require(members, root, _QUERY_FILES, container)
    corpus = _parse_corpus(corpus_file.read(), corpus_file.source, limits)
    queries = _parse_queries(queries_file.read(), queries_file.source, limits)
    notes: tuple[str, ...] = ()
    if qrels is None:
        qrels_names = (f"qrels/{split}.tsv", f"{split}.tsv", "qrels.csv", "qrels.tsv")
        qrels_file = _find(members, root, qrels_names)
        if qrels_file is None:
            notes = (f"qrels: none found ({', '.join(qrels_names)}); evaluation unavailable",)
        else:
            qrels = _parse_qrels(qrels_file.read(), qrels_file.source, limits)
    dataset = make_dataset(corpus, queries, qrels, PurePosixPath(corpus_file.path).parent.name or name)
    logger.info("loaded %r from %s", dataset, container)
    return replace(dataset, notes=notes + dataset.notes)


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


def _parse_corpus(data: bytes, source: str, limits: DataLimits) -> Corpus:
    ext, text = _open_text(data, source, _ITEM_FORMATS, limits)
    rows = _item_rows(ext, text, source, _CORPUS_FIELDS, "d")
    ids, texts, titles = _collect(rows, source, "documents", limits.max_documents)
    logger.info("read %d documents from %s", len(ids), source)
    return Corpus(tuple(ids), tuple(texts), tuple(titles), source)


def _parse_queries(data: bytes, source: str, limits: DataLimits) -> Queries:
    ext, text = _open_text(data, source, _ITEM_FORMATS, limits)
    rows = _item_rows(ext, text, source, _QUERY_FIELDS, "q")
    ids, texts, _ = _collect(rows, source, "queries", limits.max_queries)
    logger.info("read %d queries from %s", len(ids), source)
    return Queries(tuple(ids), tuple(texts), source)


def _parse_qrels(data: bytes, source: str, limits: DataLimits) -> Qrels:
    ext, text = _open_text(data, source, _QRELS_FORMATS, limits)
    if ext == ".csv" or (ext == ".tsv" and _has_qrels_header(text)):
        table = _table_rows(text, source, _DELIMITERS[ext], _QRELS_FIELDS)
        rows = ((line, row["query id"], row["doc id"], row["grade"]) for line, row in table)
        qrels = _collect_qrels(rows, source, trec=False)
    else:
        qrels = _collect_qrels(_trec_rows(text, source), source, trec=True)
    logger.info("read judgements for %d queries from %s", len(qrels), source)
    return qrels


def _open_text(data: bytes, source: str, formats: tuple[str, ...], limits: DataLimits) -> tuple[str, str]:
    """Check the extension, gunzip if needed and decode; return (extension, text)."""
    lower = source.lower()
    compressed = lower.endswith(".gz")
    ext = os.path.splitext(lower.removesuffix(".gz"))[1]
    if ext not in formats:
        found = f"'{ext}'" if ext else "a name without extension"
        raise DataError(source, f"unsupported file type {found}; expected {', '.join(formats)} (optionally .gz)")
    if compressed:
        data = _gunzip(data, source, limits.max_uncompressed_bytes)
    text = _decode(data, source)
    if not text.strip():
        raise DataError(source, "empty file")
    return ext, text


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
    ext: str, text: str, source: str, fields: Mapping[str, tuple[str, ...]], prefix: str
) -> Iterator[tuple[int, dict[str, str]]]:
    if ext == ".jsonl":
        return _json_rows(text, source, fields)
    if ext == ".txt":
        return _line_rows(text, prefix)
    return _table_rows(text, source, _DELIMITERS[ext], fields)


def _collect(
    rows: Iterable[tuple[int, dict[str, str]]], source: str, noun: str, limit: int
) -> tuple[list[str], list[str], list[str]]:
    """Validate records into parallel id, text and title lists."""
    ids: list[str] = []
    texts: list[str] = []
    titles: list[str] = []
    first_line: dict[str, int] = {}
    for line, row in rows:
        item_id, text, title = row["id"].strip(), row["text"].strip(), row.get("title", "").strip()
        if not item_id:
            raise DataError(source, "empty id", line)
        if not text and not title:
            raise DataError(source, f"empty text for id {_shown(item_id)}", line)
        if item_id in first_line:
            raise DataError(source, f"duplicate id {_shown(item_id)} (first on line {first_line[item_id]})", line)
        if len(ids) == limit:
            raise DataError(source, f"more than {limit:,} {noun} (the limit)", line)
        first_line[item_id] = line
        ids.append(item_id)
        texts.append(text)
        titles.append(title)
    if not ids:
        raise DataError(source, "no rows")
    return ids, texts, titles


def _collect_qrels(rows: Iterable[tuple[int, str, str, str]], source: str, trec: bool) -> Qrels:
    qrels: Qrels = {}
    for line, raw_query_id, raw_doc_id, raw_grade in rows:
        query_id, doc_id = raw_query_id.strip(), raw_doc_id.strip()
        if not query_id:
            raise DataError(source, "empty query id", line)
        if not doc_id:
            raise DataError(source, "empty doc id", line)
        grade = _parse_grade(raw_grade, source, line)
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
    if not qrels:
        raise DataError(source, "no rows")
    return qrels


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
    """Yield (line where the record starts, {field: value}) for each CSV/TSV data row."""
    records = _csv_records(text, delimiter, source)
    header_line, _, header = next(records, (1, 1, []))
    columns = _resolve_columns(header, fields, delimiter, source, header_line)
    for start, end, row in records:
        if len(row) != len(header):
            hint = "a quote that is never closed?" if end > start else "an unquoted delimiter in a field?"
            raise DataError(source, f"{len(row)} fields, but the header has {len(header)} ({hint})", start)
        yield start, {field: row[index] for field, index in columns.items()}


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
    header: list[str], fields: Mapping[str, tuple[str, ...]], delimiter: str, source: str, line: int
) -> dict[str, int]:
    names = [cell.strip().lower() for cell in header]
    columns = {}
    for field, aliases in fields.items():
        index = next((names.index(alias) for alias in aliases if alias in names), None)
        if index is not None:
            columns[field] = index
        elif field not in _OPTIONAL_FIELDS:
            problem = (
                f"no {field} column (expected one of {', '.join(aliases)}); "
                f"found columns: {_listed(header)}"
            )
            raise DataError(source, problem + _delimiter_hint(header, delimiter), line)
    return columns


def _delimiter_hint(header: list[str], delimiter: str) -> str:
    others = [d for d in _DELIMITER_NAMES if d != delimiter and any(d in cell for cell in header)]
    if not others:
        return ""
    found = " and ".join(_DELIMITER_NAMES[d] for d in others)
    kind = ".csv files must be comma" if delimiter == "," else ".tsv files must be tab"
    return f"; hint: the header contains {found}, but {kind}-separated"


def _json_rows(text: str, source: str, fields: Mapping[str, tuple[str, ...]]) -> Iterator[tuple[int, dict[str, str]]]:
    for number, line in enumerate(text.split("\n"), 1):
        if line.strip():
            record = _json_object(line, source, number)
            yield number, _json_fields(record, fields, source, number)


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


def _json_fields(record: dict, fields: Mapping[str, tuple[str, ...]], source: str, number: int) -> dict[str, str]:
    row = {}
    for field, aliases in fields.items():
        key = next((alias for alias in aliases if alias in record), None)
        if key is not None:
            row[field] = _json_string(record[key], field, source, number)
        elif field not in _OPTIONAL_FIELDS:
            found = _listed(record)
            raise DataError(
                source,
                f"no {field} key (expected one of {', '.join(aliases)}); found keys: {found}",
                number,
            )
    return row


def _json_string(value: object, field: str, source: str, number: int) -> str:
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise DataError(source, f"{field} must be a string, found {json.dumps(value)[:40]}", number)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as err:
        raise DataError(source, f"{field} holds an invalid \\u escape (a lone surrogate)", number) from err
    return value


def _line_rows(text: str, prefix: str) -> Iterator[tuple[int, dict[str, str]]]:
    count = 0
    for number, line in enumerate(text.split("\n"), 1):
        if line.strip():
            count += 1
            yield number, {"id": f"{prefix}{count}", "text": line}


def _has_qrels_header(text: str) -> bool:
    first_line = re.search(r"\S[^\n]*", text)
    tokens = re.split(r"[\s,;]+", first_line.group().lower()) if first_line else []
    return any(token in _QRELS_NAMES for token in tokens)


def _trec_rows(text: str, source: str) -> Iterator[tuple[int, str, str, str]]:
    for number, line in enumerate(text.split("\n"), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 4:
            raise DataError(
                source,
                f"expected 4 whitespace-separated fields (query-id iteration doc-id grade), found {len(parts)}",
                number,
            )
        yield number, parts[0], parts[2], parts[3]


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


def _freeze_columns(instance: object, *names: str) -> None:
    """Store the named attributes as tuples, so lists passed by callers become immutable."""
    for name in names:
        object.__setattr__(instance, name, tuple(getattr(instance, name)))


def _check_columns(ids: tuple[str, ...], *columns: tuple[str, ...]) -> None:
    if any(len(column) != len(ids) for column in columns):
        raise ValueError(f"columns differ in length: {[len(ids), *map(len, columns)]}")


def _index_of(ids: tuple[str, ...]) -> dict[str, int]:
    index = {item_id: position for position, item_id in enumerate(ids)}
    if len(index) != len(ids):
        raise ValueError("ids must be unique")
    return index


def _digest(kind: str, *columns: tuple[str, ...]) -> str:
    """Hash parallel string columns row by row; each value is length-prefixed, so no two differ."""
    digest = hashlib.sha256(f"encoder-arena/{kind}/v1".encode())
    for row in zip(*columns, strict=True):
        for value in row:
            encoded = value.encode("utf-8")
            digest.update(len(encoded).to_bytes(8, "big"))
            digest.update(encoded)
    return digest.hexdigest()
