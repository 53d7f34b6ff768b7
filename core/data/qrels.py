"""Relevance judgements (qrels): reading them, splitting them, and matching them to a corpus and queries.

`parse_qrels` reads BEIR, TREC or CSV qrels, with or without a header, told apart by their content, into
:class:`Judgements` (the ``{query_id: {doc_id: grade}}`` dict with notes on the reading and, from a file with a
``split`` column, each split apart). `split_judgements` and `hold_apart` take one split and hold apart the queries
judged only in another; `filter_qrels` keeps the judgements whose query and doc ids are known, with notes counting
the unknown ones. The rows themselves come from `core.data.formats`.
"""

import itertools
import logging
from collections.abc import Iterable, Mapping

from core.config import DataLimits
from core.data.errors import DataError, shown
from core.data.formats import delimiter_hint, file_text, first_line, fixed_width, open_data, records, resolve_columns
from core.types import Corpus, Qrels, Queries

logger = logging.getLogger(__name__)

_QRELS_FIELDS = {
    "query id": ("query-id", "query_id", "qid"),
    "doc id": ("corpus-id", "doc_id", "docid"),
    "grade": ("score", "relevance", "rel", "grade", "label"),
    "split": ("split",),
}
# Qrels without a header, by column count: where each field is, and the layout's name for messages.
_HEADERLESS_QRELS = {
    3: ({"query id": 0, "doc id": 1, "grade": 2}, "query-id corpus-id score"),
    4: ({"query id": 0, "doc id": 2, "grade": 3}, "query-id iteration doc-id grade"),
}
_TREC_FORMATS = (".txt", ".qrels", ".qrel", ".trec")
_QRELS_FORMATS = (".csv", ".tsv", *_TREC_FORMATS)


class Judgements(dict):
    """Qrels read from a file: the ``{query_id: {doc_id: grade}}`` dict, plus ``notes`` on how it was read, and
    from a file with a ``split`` column, each split's qrels apart (``splits``; the dict itself holds them all)."""

    def __init__(self, qrels: Qrels, notes: tuple[str, ...] = (), splits: Mapping[str, Qrels] | None = None,
                 source: str = "") -> None:
        super().__init__(qrels)
        self.notes = notes
        self.splits = dict(splits or {})
        self.source = source


def parse_qrels(data: bytes, source: str, limits: DataLimits) -> Judgements:
    """Read qrels, with or without a header: see :func:`read_qrels` for how the layout is told."""
    ext, data = open_data(data, source, _QRELS_FORMATS, limits)
    text = file_text(data, source)
    delimiter = "," if ext == ".csv" else "\t" if "\t" in first_line(text)[1] else None
    rows = records(text, delimiter, source)
    line, _, first = next(rows, (1, 1, []))
    if not first:
        raise DataError(source, "no rows")
    notes: tuple[str, ...] = ()
    if _is_number(first[-1]):  # no header: the layout follows from the number of fields
        columns, layout = _headerless_qrels(first, delimiter, source, line)
        trec = len(first) == 4  # TREC's layout: query-id iteration doc-id grade
        if not trec or ext not in _TREC_FORMATS:
            notes = (f"{source}: no header line; read its {len(first)} columns as {layout}",)
        rows = itertools.chain([(line, line, first)], rows)
        width = f"line {line} ({layout})"
    else:
        reason = f"; line {line} is taken as a header, its last field {shown(first[-1])} not being a number"
        columns = resolve_columns(first, _QRELS_FIELDS, source, line, delimiter_hint(first, delimiter) + reason)
        trec, width = False, "the header"
    ungraded: list[int] = []  # rows whose grade is left empty: a pool not judged to the end (`core.judging.pool`)
    graded = (row for row in fixed_width(rows, len(first), width, delimiter, source)
              if row[1][columns["grade"]].strip() or ungraded.append(row[0]))
    splits = _collect_qrels(graded, columns, source, trec)
    if ungraded:
        notes = (*notes, (f"{source}: {len(ungraded):,} rows without a grade (not judged yet) skipped, the first on "
                         f"line {ungraded[0]}"))
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
        raise DataError(source, problem + delimiter_hint(first, delimiter), line)
    return _HEADERLESS_QRELS[len(first)]


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
                f"conflicting grades for query {shown(query_id)}, doc {shown(doc_id)}: {judged[doc_id]} earlier, "
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
        raise DataError(source, f"relevance grade {shown(raw.strip())} is not an integer", line)
    return int(value)


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


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
    return queries.subset(kept), (note,)


def filter_qrels(qrels: Qrels, corpus: Corpus, queries: Queries) -> tuple[Qrels | None, list[str]]:
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
