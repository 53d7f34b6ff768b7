"""Load retrieval data: a corpus, queries and relevance judgements (qrels), one file at a time or as a dataset.

Readers take the raw bytes of an upload plus its file name (`read_corpus`, `read_queries`, `read_qrels`,
`read_beir_zip`) or a path on disk (`load_corpus`, `load_queries`, `load_qrels`, `load_dataset` for a folder or a
``.zip``), and `make_dataset` puts the parts together; the format follows the extension (case-insensitive; a
trailing ``.gz`` means gzip). Every problem with the input raises :class:`DataError`, which names the file, the
line and the problem, and nothing read is dropped without a word: a record with no text is skipped and listed in
the notes, and where a file has two readings the notes say which one was taken. This module holds these entry
points and the assembly of a dataset from its files; the work beneath lies in `core.data.archives` (files,
folders, zips, gzip, size limits), `core.data.formats` (decoding, the rows of each format), `core.data.qrels`
(judgements) and `core.data.errors`.
"""

import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path, PurePosixPath

from core.config import DataLimits
from core.data.archives import Member, check_size, folder_members, open_zip, read_file, zip_members
from core.data.errors import DataError, lines_listed, listed, shown
from core.data.formats import CORPUS_FIELDS, EXTRA, QUERY_FIELDS, item_rows
from core.data.qrels import Judgements, filter_qrels, hold_apart, parse_qrels, split_judgements
from core.types import Corpus, Dataset, Qrels, Queries

logger = logging.getLogger(__name__)

StrPath = str | os.PathLike[str]

_CORPUS_FILES = ("corpus.jsonl", "corpus.jsonl.gz", "corpus.csv", "corpus.tsv", "corpus.parquet", "collection.tsv")
_QUERY_FILES = ("queries.jsonl", "queries.jsonl.gz", "queries.csv", "queries.tsv", "queries.parquet")
_FieldNames = tuple[str | None, str | None]  # the user's text and title field names (None: the usual ones)
_LIMITS = DataLimits()  # the default limits (frozen, so one instance serves every reader)


def read_corpus(
    data: bytes,
    name: str,
    limits: DataLimits = _LIMITS,
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
    check_size(len(data), name, limits)
    return _parse_corpus(data, name, limits, text_field, title_field)


def read_queries(
    data: bytes, name: str, limits: DataLimits = _LIMITS, *, text_field: str | None = None
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
    check_size(len(data), name, limits)
    return _parse_queries(data, name, limits, text_field)


def read_qrels(data: bytes, name: str, limits: DataLimits = _LIMITS) -> Judgements:
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
    check_size(len(data), name, limits)
    return parse_qrels(data, name, limits)


def read_beir_zip(
    data: bytes,
    name: str,
    limits: DataLimits = _LIMITS,
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
    path: StrPath, limits: DataLimits = _LIMITS, *, text_field: str | None = None, title_field: str | None = None
) -> Corpus:
    """Read a corpus file from disk; see :func:`read_corpus`."""
    data = read_file(Path(path), limits)
    return read_corpus(data, str(path), limits, text_field=text_field, title_field=title_field)


def load_queries(path: StrPath, limits: DataLimits = _LIMITS, *, text_field: str | None = None) -> Queries:
    """Read a queries file from disk; see :func:`read_queries`."""
    return read_queries(read_file(Path(path), limits), str(path), limits, text_field=text_field)


def load_qrels(path: StrPath, limits: DataLimits = _LIMITS) -> Judgements:
    """Read a qrels file from disk; see :func:`read_qrels`."""
    return read_qrels(read_file(Path(path), limits), str(path), limits)


def load_dataset(
    path: StrPath,
    qrels_path: StrPath | None = None,
    split: str = "test",
    limits: DataLimits = _LIMITS,
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

    Example:
        >>> dataset = load_dataset("sample_data/beir")
        >>> dataset
        Dataset('beir', 331 documents, 59 queries, 59 judged queries)
        >>> dataset.split, dataset.corpus.titles[0]
        ('test', 'Composition of the Sun')
    """
    path = Path(path)
    qrels = None if qrels_path is None else load_qrels(qrels_path, limits)
    fields = (text_field, title_field)
    if path.is_dir():
        members = folder_members(path, limits)
        return _assemble(members, str(path), path.name, split, limits, qrels=qrels, fields=fields)
    if not path.exists():
        raise DataError(str(path), "no such file or folder")
    if path.suffix.lower() != ".zip":
        raise DataError(str(path), "expected a BEIR folder or a .zip file")
    return _read_zip(read_file(path, limits), str(path), limits, split, qrels=qrels, fields=fields)


def first_queries(dataset: Dataset, limit: int) -> Dataset:
    """The dataset with only its first `limit` queries, judged ones first (for quicker sweeps).

    The qrels keep only those queries too: ranx scores a judged query missing from a run as 0.
    """
    if limit >= len(dataset.queries):
        return dataset
    judged = dataset.qrels or {}
    order = sorted(range(len(dataset.queries)), key=lambda i: not judged.get(dataset.queries.ids[i]))[:limit]
    order.sort()
    queries = dataset.queries.subset(order)
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
        qrels, dropped = filter_qrels(qrels, corpus, queries)
        notes += dropped
    shared = sum(1 for query_id in queries.ids if query_id in corpus._index)
    if shared:
        notes.append(
            f"query ids that are also corpus doc ids: {shared:,} of {len(queries):,} "
            "(BEIR evaluation ignores a query's own id in its ranking)"
        )
    return Dataset(corpus, queries, qrels, name, tuple(notes))


def _read_zip(
    data: bytes, source: str, limits: DataLimits, split: str, *, qrels: Qrels | None, fields: _FieldNames
) -> Dataset:
    check_size(len(data), source, limits)
    with open_zip(data, source) as archive:
        members = zip_members(archive, source, limits)
        return _assemble(members, source, Path(source).stem, split, limits, qrels=qrels, fields=fields)


def _assemble(
    members: Mapping[str, Member],
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
            qrels = parse_qrels(found[matched].read(), found[matched].source, limits)
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


def _other_split_files(members: Mapping[str, Member], root: str, split: str,
                       limits: DataLimits) -> dict[str, Qrels]:
    """The qrels of every split but `split` that has its own file (`qrels/{other}.tsv`), by split."""
    prefix = f"{root}/qrels/" if root else "qrels/"
    others = sorted(key[len(prefix):-4] for key in members
                    if key.startswith(prefix) and key.endswith(".tsv") and key[len(prefix):-4] not in (split, ""))
    return {other: parse_qrels(members[f"{prefix}{other}.tsv"].read(), members[f"{prefix}{other}.tsv"].source,
                                limits) for other in others}


def _dataset_root(members: Mapping[str, Member], container: str) -> str:
    """Return the folder holding the corpus: "" for the top level, else the shallowest such folder."""
    roots = {key.rpartition("/")[0] for key in members if key.rpartition("/")[2] in _CORPUS_FILES}
    if not roots:
        raise DataError(container, f"no corpus file found (expected one of {', '.join(_CORPUS_FILES)})")
    depth = min(root.count("/") + bool(root) for root in roots)
    shallowest = sorted(root for root in roots if root.count("/") + bool(root) == depth)
    if len(shallowest) > 1:
        raise DataError(container, f"several datasets found ({listed(shallowest)}); give one at a time")
    return shallowest[0]


def _find(members: Mapping[str, Member], root: str, names: Iterable[str]) -> Member | None:
    prefix = f"{root}/" if root else ""
    return next((members[prefix + name] for name in names if prefix + name in members), None)


def _require(members: Mapping[str, Member], root: str, names: tuple[str, ...], container: str) -> Member:
    found = _find(members, root, names)
    if found is None:
        where = f"{root}/" if root else "the top level"
        raise DataError(
            container,
            f"no {names[0].split('.')[0]} file in {where} (expected one of {', '.join(names)})",
        )
    return found


def _with_names(
    fields: Mapping[str, tuple[str, ...]], text: str | None = None, title: str | None = None
) -> dict[str, tuple[str, ...]]:
    """`fields` with the user's own names for the text and the title tried first."""
    chosen = {"text": text, "title": title}
    return {field: aliases if chosen.get(field) is None else (chosen[field], *aliases)
            for field, aliases in fields.items()}


def _parse_corpus(
    data: bytes, source: str, limits: DataLimits, text_field: str | None = None, title_field: str | None = None
) -> Corpus:
    fields = _with_names(CORPUS_FIELDS, text=text_field, title=title_field)
    rows, notes = item_rows(data, source, limits, fields, "d")
    ids, texts, titles, skipped = _collect(rows, source, "documents", limits.max_documents)
    logger.info("read %d documents from %s", len(ids), source)
    return Corpus(ids, texts, titles, source, notes + skipped)


def _parse_queries(data: bytes, source: str, limits: DataLimits, text_field: str | None = None) -> Queries:
    rows, notes = item_rows(data, source, limits, _with_names(QUERY_FIELDS, text=text_field), "q", extras=True)
    kept: list[dict[str, str]] = []
    ids, texts, _, skipped = _collect(rows, source, "queries", limits.max_queries, kept)
    names = list(dict.fromkeys(key for row in kept for key in row if key.startswith(EXTRA)))
    fields = {name.removeprefix(EXTRA): tuple(row.get(name, "").strip() for row in kept) for name in names}
    logger.info("read %d queries from %s", len(ids), source)
    return Queries(ids, texts, source, notes + skipped, fields)


def _collect(
    rows: Iterable[tuple[int, dict[str, str]]], source: str, noun: str, limit: int,
    kept: list[dict[str, str]] | None = None,
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Validate records into parallel id, text and title tuples; records with no text are skipped, and the last
    tuple holds the note listing them (empty without any). `kept`, when given, receives each kept record."""
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
            raise DataError(source, f"duplicate id {shown(item_id)} (first on line {first_line[item_id]})", line)
        if len(ids) == limit:
            raise DataError(source, f"more than {limit:,} {noun} (the limit)", line)
        first_line[item_id] = line
        ids.append(item_id)
        texts.append(text)
        titles.append(title)
        if kept is not None:
            kept.append(row)
    if not ids:
        raise DataError(source, f"no record has any text ({len(empty):,} empty: {lines_listed(empty)})" if empty
                        else "no rows")
    records = "1 record" if len(empty) == 1 else f"{len(empty):,} records"
    skipped = (f"{source}: skipped {records} with no text ({lines_listed(empty)})",) if empty else ()
    return tuple(ids), tuple(texts), tuple(titles), skipped
