"""What the bytes of a corpus, queries or qrels file say: decoding, and the rows of each format.

Text is UTF-8 (a byte order mark dropped) or UTF-16 with its byte order mark (`decode`); the extension picks the
format, a trailing ``.gz`` is unpacked first (`open_data`). `item_rows` yields a corpus's or queries' records as
``(line, {field: value})`` from CSV/TSV with a header, MS MARCO's headerless ``id<TAB>text`` TSV, JSONL, Parquet or
plain lines; the fields are found by the names of `CORPUS_FIELDS` and `QUERY_FIELDS` (`resolve_columns` for
headers and Parquet columns, ignoring case and spaces; exact keys for JSON objects), and a missing one raises a
`FieldError` listing what was found. The lower-level pieces (`records`, `fixed_width`, `first_line`,
`delimiter_hint`, `json_object`, `json_objects`) serve the qrels reader and the streaming corpus reader
(`core.scale.shards`); `corpus_row` reads one corpus record exactly as `read_corpus` keeps it.
"""

import csv
import io
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping

from core.config import DataLimits
from core.data.archives import gunzip
from core.data.errors import DataError, FieldError, listed

# Column names (CSV/TSV headers, JSONL keys) accepted for each field, in order of preference.
CORPUS_FIELDS = {
    "id": ("_id", "id", "doc_id", "docid", "corpus-id"),
    "text": ("text", "passage", "body", "contents"),
    "title": ("title",),
}
QUERY_FIELDS = {"id": ("_id", "id", "query_id", "qid", "query-id"), "text": ("text", "query")}
_OPTIONAL_FIELDS = frozenset({"title", "split"})  # fields a record or header may lack (title; a qrels split)

_ITEM_FORMATS = (".csv", ".tsv", ".jsonl", ".txt", ".parquet")
_DELIMITERS = {".csv": ",", ".tsv": "\t"}
_DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs"}
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

# The csv module refuses fields over 128 KiB by default; passages can be megabytes long.
csv.field_size_limit(2**31 - 1)


def open_data(data: bytes, source: str, formats: tuple[str, ...], limits: DataLimits) -> tuple[str, bytes]:
    """Check the extension and gunzip if needed; return (extension, content)."""
    lower = source.lower()
    compressed = lower.endswith(".gz")
    ext = os.path.splitext(lower.removesuffix(".gz"))[1]
    if ext not in formats:
        found = f"'{ext}'" if ext else "a name without extension"
        raise DataError(source, f"unsupported file type {found}; expected {', '.join(formats)} (optionally .gz)")
    return ext, gunzip(data, source, limits.max_uncompressed_bytes) if compressed else data


def file_text(data: bytes, source: str) -> str:
    """The decoded text of a file that is not blank."""
    text = decode(data, source)
    if not text.strip():
        raise DataError(source, "empty file")
    return text


def decode(data: bytes, source: str) -> str:
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


def item_rows(
    data: bytes, source: str, limits: DataLimits, fields: Mapping[str, tuple[str, ...]], prefix: str,
    extras: bool = False,
) -> tuple[Iterator[tuple[int, dict[str, str]]], tuple[str, ...]]:
    """The records of a corpus or queries file as (line, {field: value}), and notes on the reading; with `extras`,
    each record's other fields too, under `EXTRA` + their name (other columns of a table, other scalar keys of a JSON
    object and those of its `metadata` object)."""
    ext, data = open_data(data, source, _ITEM_FORMATS, limits)
    if ext == ".parquet":
        return _parquet_rows(data, source, fields, limits, extras), ()
    text = file_text(data, source)
    if ext == ".jsonl":
        return _json_rows(text, source, fields, extras), ()
    if ext == ".txt":
        return _line_rows(text, prefix), ()
    line, first = first_line(text)
    if ext == ".tsv" and _is_headerless_pair(first, fields):
        note = f"{source}: no header line (line {line} names no known column); read its 2 columns as id text"
        return _pair_rows(text, source, line), (note,)
    return _table_rows(text, source, _DELIMITERS[ext], fields, extras), ()


def _is_headerless_pair(line: str, fields: Mapping[str, tuple[str, ...]]) -> bool:
    """Whether a TSV's first line is two fields naming no known column: MS MARCO's id<TAB>text, no header."""
    cells = line.split("\t")
    names = {_column_name(name) for aliases in fields.values() for name in aliases}
    return len(cells) == 2 and names.isdisjoint(map(_column_name, cells))


def _table_rows(
    text: str, source: str, delimiter: str, fields: Mapping[str, tuple[str, ...]], extras: bool = False
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line where the record starts, {field: value}) for each CSV/TSV data row after the header (with
    `extras`, the other named columns too)."""
    rows = _csv_records(text, delimiter, source)
    header_line, _, header = next(rows, (1, 1, []))
    columns = resolve_columns(header, fields, source, header_line, delimiter_hint(header, delimiter))
    others = {f"{EXTRA}{name.strip()}": index for index, name in enumerate(header)
              if extras and name.strip() and index not in columns.values()}
    for start, row in fixed_width(rows, len(header), "the header", delimiter, source):
        yield start, {field: row[index] for field, index in (columns | others).items()}


def fixed_width(
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


def records(text: str, delimiter: str | None, source: str) -> Iterator[tuple[int, int, list[str]]]:
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


def resolve_columns(
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
    problem = f"no {field} {kind} (expected one of {', '.join(aliases)}); found {kind}s: {listed(found)}{hint}"
    return FieldError(source, problem, line, field, found)


def delimiter_hint(first: list[str], delimiter: str | None) -> str:
    """A hint when the first line's fields hold another delimiter ("" for lines split on whitespace)."""
    others = [d for d in _DELIMITER_NAMES if delimiter and d != delimiter and any(d in cell for cell in first)]
    if not others:
        return ""
    found = " and ".join(_DELIMITER_NAMES[d] for d in others)
    kind = "comma" if delimiter == "," else "tab"
    return f"; hint: the first line contains {found}, but the file is read as {kind}-separated"


def _json_rows(text: str, source: str, fields: Mapping[str, tuple[str, ...]],
               extras: bool = False) -> Iterator[tuple[int, dict[str, str]]]:
    known = {alias for aliases in fields.values() for alias in aliases}
    for number, record in json_objects(text, source):
        row = _record_fields(record, fields, source, number)
        if extras:
            metadata = record.get(METADATA) if isinstance(record.get(METADATA), dict) else {}
            row |= _extra_fields({key: value for key, value in record.items() if key not in known}, metadata)
        yield number, row


def _extra_fields(*groups: Mapping[str, object]) -> dict[str, str]:
    """The scalar values among `groups` (text, numbers, true/false) as text, named `EXTRA` + key; others skipped."""
    return {f"{EXTRA}{key}": value if isinstance(value, str) else json.dumps(value)
            for group in groups for key, value in group.items()
            if isinstance(value, str | int | float | bool) and str(key).strip()}


def json_objects(text: str, source: str) -> Iterator[tuple[int, dict]]:
    """(line number, object) for each non-blank line of JSONL text.

    Raises:
        DataError: For a line that is not a JSON object.
    """
    for number, line in _lines(text):
        yield number, json_object(line, source, number)


def json_object(line: str, source: str, number: int) -> dict:
    """One line of JSONL (line `number` of `source`, for messages) as the JSON object it must be."""
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
    row = _record_fields(record, CORPUS_FIELDS, source, number)
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
    data: bytes, source: str, fields: Mapping[str, tuple[str, ...]], limits: DataLimits, extras: bool = False
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
    columns = resolve_columns(names, fields, source, None)
    others = [index for index in range(len(names)) if extras and index not in columns.values()]
    try:
        table = parquet.read(columns=sorted({names[index] for index in [*columns.values(), *others]}))
        values = {field: table.column(names[index]).to_pylist() for field, index in columns.items()}
        other_values = {names[index]: table.column(names[index]).to_pylist() for index in others}
    except errors as err:
        raise DataError(source, "damaged Parquet data (the file is corrupt or incomplete)") from err
    for number, row in enumerate(zip(*values.values(), strict=True), 1):
        found = {field: _string(value, field, source, number) for field, value in zip(values, row, strict=True)}
        yield number, found | _extra_fields({name: column[number - 1] for name, column in other_values.items()})


EXTRA = "extra:"
"""The prefix of a record's other fields in `item_rows`' rows."""
METADATA = "metadata"
"""The key of a JSON record's object of further fields (BEIR's convention)."""


def _lines(text: str) -> Iterator[tuple[int, str]]:
    """(1-based line number, line) for each non-blank line."""
    return ((number, line) for number, line in enumerate(text.split("\n"), 1) if line.strip())


def first_line(text: str) -> tuple[int, str]:
    """The first non-blank line and its number, without splitting the whole text."""
    found = re.search(r"[^\n]*\S[^\n]*", text)
    return (text.count("\n", 0, found.start()) + 1, found.group()) if found else (1, "")


def _column_name(name: str) -> str:
    """A header or Parquet column name as compared with the known names: case and surrounding spaces ignored."""
    return name.strip().lower()
