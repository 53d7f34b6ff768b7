"""Fuzz the upload path and property-test the loaders and the comparison.

`fuzz_cases` makes a seeded, deterministic stream of malformed uploads in every format the loaders read
(CSV, TSV with and without a header, JSONL, Parquet, TXT, BEIR, TREC and headerless qrels, gzip, zips of
each layout; random bytes, truncations, byte flips, wrong delimiters and encodings, BOMs, CRLF, huge lines,
duplicate and unicode ids, bad grades, field mappings, damaged, unsafe and bomb zips) and `run_fuzz` feeds
each through the functions the Data page calls (`app_pages.views.data.dataset_from_files` and `dataset_from_zip`).
Anything but a dataset or a `DataError` is a crash; a `DataError` message that does not name an uploaded
file, is long, or shows Python internals is unreadable. Both counts must be zero. Print the figures with
`python -m tests.core.data.test_fuzz [CASES]`.

`test_every_record_is_used_or_reported` draws records with empty, blank, null, numeric, list-valued or
missing fields and repeated or blank ids, writes them in each layout, and checks that every record is
either in the loaded corpus or queries with its text, or listed among the skipped, or that the load
failed with a `DataError` because the file is malformed: no record is lost without a word.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import random
import re
import sys
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app_pages.views.data import Upload, dataset_from_files, dataset_from_zip
from core.comparison.compare import compare
from core.contestants.registry import comparison, contestant, shorthand_contestants
from core.contestants.spec import ComparisonSpec
from core.data import Corpus, DataError, DataLimits, Dataset, Queries
from tests.core.data.test_loading import parquet_bytes

SEED = 20240607
CASES = 800
FORMATS = {".csv", ".tsv", ".jsonl", ".txt", ".parquet", ".qrels", ".gz", ".zip"}
LIMITS = DataLimits(max_file_bytes=16 * 2**20, max_uncompressed_bytes=24 * 2**20, max_documents=5_000,
                    max_queries=5_000)
"""Caps small enough that bombs are cheap to build, large enough for a 10 MB line."""
MAX_MESSAGE = 400
NOISE = re.compile(r"Traceback|object at 0x|<class |<function |\w+Error\(|\n")

CORPUS = {
    "corpus.csv": b'id,title,text\nd1,Paris,"Paris is the capital of France."\nd2,,Bread goes stale.\n',
    "corpus.tsv": b"_id\ttext\nd1\tParis is the capital of France.\nd2\tBread goes stale.\n",
    "corpus.jsonl": b'{"_id": "d1", "title": "Paris", "text": "Paris is in France."}\n{"_id": "d2", "text": "Bread."}\n',
    "corpus.txt": b"Paris is the capital of France.\nBread goes stale.\n",
    "collection.tsv": b"d1\tParis is the capital of France.\nd2\tBread goes stale.\n",
    "corpus.parquet": parquet_bytes({"_id": ["d1", "d2"], "title": ["Paris", None], "text": ["In France.", "Bread."]}),
    "news.jsonl": b'{"_id": "d1", "headline": "Paris", "body_text": "In France."}\n'
                  b'{"_id": "d2", "body_text": "Bread."}\n',
}
MAPPED = ("body_text", "headline")
"""The field mapping that news.jsonl needs (given to a few other cases too, where it must change nothing)."""
QUERIES = {
    "queries.csv": b"query_id,text\nq1,capital of France\nq2,stale bread\n",
    "queries.jsonl": b'{"_id": "q1", "text": "capital of France"}\n{"_id": "q2", "text": "stale bread"}\n',
    "queries.txt": b"capital of France\nstale bread\n",
    "queries.tsv": b"q1\tcapital of France\nq2\tstale bread\n",
    "queries.parquet": parquet_bytes({"_id": ["q1", "q2"], "text": ["capital of France", "stale bread"]}),
}
QRELS = {
    "qrels.tsv": b"query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t2\n",
    "qrels.csv": b"query_id,doc_id,relevance\nq1,d1,1\nq2,d2,2\n",
    "test.qrels": b"q1 0 d1 1\nq2 0 d2 2\n",
    "test.tsv": b"q1\td1\t1\nq2\td2\t2\n",
    "qrels.dev.tsv": b"q1\t0\td1\t1\nq2\t0\td2\t2\n",
    "headerless.csv": b"q1,d1,1\nq2,d2,2\n",
}
ZIP_LAYOUTS = [  # (corpus, queries, qrels) seeds and their names in a zip
    (("corpus.jsonl", "corpus.jsonl"), ("queries.jsonl", "queries.jsonl"), ("qrels.tsv", "qrels/test.tsv")),
    (("corpus.parquet", "corpus.parquet"), ("queries.parquet", "queries.parquet"), ("test.tsv", "qrels/test.tsv")),
    (("collection.tsv", "collection.tsv"), ("queries.tsv", "queries.tsv"), ("qrels.dev.tsv", "qrels.test.tsv")),
    (("corpus.csv", "corpus.csv"), ("queries.csv", "queries.csv"), ("headerless.csv", "qrels.csv")),
]
SEEDS = {**CORPUS, **QUERIES, **QRELS}
NASTY = ["\x00", "\ufeff", "\r", '"', ",", ";", "\t", "{", "}", "[", "\\u", "é", "文", "\U0001F600", "-1", "high",
         "../", "<script>", " " * 3, "\n\n", "1.5", "1e309", "9" * 400]


@dataclass(frozen=True)
class Case:
    """One fuzz input: separate files, or a zip."""

    kind: str
    corpus: Upload | None = None
    queries: Upload | None = None
    qrels: Upload | None = None
    archive: Upload | None = None
    fields: tuple[str | None, str | None] = (None, None)  # what the Data page's field picker would pass

    def names(self) -> list[str]:
        return [upload[1] for upload in (self.corpus, self.queries, self.qrels, self.archive) if upload]

    def load(self) -> Dataset:
        """Through the exact functions the Data page calls."""
        text_field, title_field = self.fields
        if self.archive is not None:
            return dataset_from_zip(self.archive, LIMITS, text_field=text_field, title_field=title_field)
        return dataset_from_files(self.corpus, self.queries, self.qrels, LIMITS, text_field=text_field,
                                  title_field=title_field)


# --- mutations of a file's bytes --------------------------------------------------------------------


def _flip(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def _insert(rng: random.Random, data: bytes) -> bytes:
    at = rng.randrange(len(data) + 1)
    return data[:at] + rng.choice(NASTY).encode() + data[at:]


def _lines(rng: random.Random, data: bytes) -> bytes:
    lines = data.split(b"\n")
    action = rng.choice(["drop", "repeat", "swap", "header only"])
    if action == "drop":
        lines.pop(rng.randrange(len(lines)))
    elif action == "repeat":  # duplicate ids
        lines.insert(rng.randrange(len(lines)), rng.choice(lines))
    elif action == "swap":
        rng.shuffle(lines)
    else:
        lines = lines[:1]
    return b"\n".join(lines)


MUTATIONS: dict[str, Callable[[random.Random, bytes], bytes]] = {
    "random bytes": lambda rng, data: rng.randbytes(rng.randint(0, 400)),
    "truncated": lambda rng, data: data[: rng.randrange(len(data))],
    "flipped bytes": _flip,
    "nasty text": _insert,
    "lines": _lines,
    "BOM + CRLF": lambda rng, data: b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n"),
    "latin-1": lambda rng, data: data.decode(errors="replace").replace("e", "é").encode("latin-1", "replace"),
    "UTF-16": lambda rng, data: data.decode(errors="replace").encode(rng.choice(["utf-16", "utf-16-le"])),
    "wrong delimiter": lambda rng, data: data.replace(b",", b";").replace(b"\t", b","),
    "empty": lambda rng, data: rng.choice([b"", b"\n\n", b" \r\n", b"\xef\xbb\xbf"]),
    "unicode ids": lambda rng, data: data.replace(b"d1", "d 1 文".encode()).replace(b"q1", "q\u00a01".encode()),
    "bad grades": lambda rng, data: re.sub(rb"(\s|,)([12])\n", rng.choice([rb"\1-3\n", rb"\1x\n", rb"\g<1>2.5\n"]),
                                           data),
    "gzipped": lambda rng, data: gzip.compress(data, mtime=0),  # no timestamp: the fuzz stays deterministic
    "truncated gzip": lambda rng, data: gzip.compress(data, mtime=0)[: rng.randint(1, 20)],
}


def _mutate(rng: random.Random, name: str, data: bytes) -> tuple[str, bytes]:
    """A mutated copy of one file; sometimes the name changes too (gzip suffix, wrong extension)."""
    mutation = rng.choice(list(MUTATIONS))
    data = MUTATIONS[mutation](rng, data)
    if mutation in ("gzipped", "truncated gzip"):
        name += ".gz"
    elif rng.random() < 0.05:
        name = rng.choice(["corpus.xlsx", "noextension", "corpus.JSONL", ".csv", "a" * 300 + ".csv"])
    return name, data


def _zip(files: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip of `files`, stamped with a fixed date so the same files give the same bytes at any clock time."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, content in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2024, 6, 7, 0, 0, 0)), content, compress_type=method)
    return buffer.getvalue()


def _zip_case(rng: random.Random) -> Case:
    folder = rng.choice(["", "beir/", "a/b/c/"])
    files = {folder + member: SEEDS[seed] for seed, member in rng.choice(ZIP_LAYOUTS)}
    damage = rng.choice(["member", "unsafe", "bomb", "bytes", "cut", "two datasets", "missing"])
    if damage == "member":
        member = rng.choice(list(files))
        files[member] = _mutate(rng, member, files[member])[1]
    elif damage == "unsafe":
        files[rng.choice(["../evil.txt", "/etc/evil", "C:/evil", "x/../../evil"])] = b"x"
    elif damage == "bomb":
        files[f"{folder}padding.bin"] = b"\0" * (LIMITS.max_uncompressed_bytes + 1)
    elif damage == "two datasets":
        files.update({f"other/{PurePosixPath(name).name}": content for name, content in files.items()})
    elif damage == "missing":
        files.pop(rng.choice(list(files)))
    data = _zip(files)
    if damage == "bytes":
        data = _flip(rng, data)
    elif damage == "cut":
        data = data[: rng.randrange(len(data))]
    return Case(f"zip: {damage}", archive=(data, "upload.zip"))


def _files_case(rng: random.Random) -> Case:
    uploads = [rng.choice(list(CORPUS.items())), rng.choice(list(QUERIES.items()))]
    uploads.append(rng.choice(list(QRELS.items())) if rng.random() < 0.6 else None)
    target = rng.choice([index for index, upload in enumerate(uploads) if upload])
    mapped = rng.random() < (0.8 if uploads[0][0] == "news.jsonl" else 0.1)
    uploads[target] = _mutate(rng, *uploads[target])
    return Case(f"files: {('corpus', 'queries', 'qrels')[target]}",
                *(None if upload is None else (upload[1], upload[0]) for upload in uploads),
                fields=MAPPED if mapped else (None, None))


def _huge_line_case(rng: random.Random) -> Case:
    text = "x" * 10_000_000
    corpus = rng.choice([("corpus.txt", f"{text}\nshort\n"), ("corpus.jsonl", f'{{"_id": "{text}", "text": 1}}\n'),
                         ("corpus.csv", f"id,text\nd1,{text}\nd1,again\n")])
    return Case("files: a 10 MB line", (corpus[1].encode(), corpus[0]), (QUERIES["queries.txt"], "queries.txt"))


def fuzz_cases(count: int = CASES, seed: int = SEED) -> Iterator[Case]:
    """`count` malformed uploads, the same ones for the same seed."""
    rng = random.Random(seed)
    for index in range(count):
        if index % 100 == 99:
            yield _huge_line_case(rng)
        elif rng.random() < 0.25:
            yield _zip_case(rng)
        else:
            yield _files_case(rng)


# --- running and judging ------------------------------------------------------------------------------


def unreadable(error: DataError, case: Case) -> bool:
    """Whether the message fails to name an uploaded file, is long, or shows Python internals."""
    message = str(error)
    names_a_file = any(error.source == name or error.source.startswith(f"{name}/") for name in case.names())
    return not names_a_file or not error.problem or len(message) > MAX_MESSAGE or bool(NOISE.search(message))


@dataclass
class FuzzReport:
    """What a fuzz run found; `crashes` and `unreadable` hold one line per bad case."""

    tried: int = 0
    loaded: int = 0
    messages: int = 0
    crashes: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    kinds: Counter = field(default_factory=Counter)
    formats: Counter = field(default_factory=Counter)  # suffixes of the files tried (".parquet", ".gz", …)

    def figures(self) -> str:
        return (f"inputs tried: {self.tried}, loaded: {self.loaded}, rejected with a message: {self.messages}, "
                f"crashes: {len(self.crashes)}, unreadable messages: {len(self.unreadable)}")


def run_fuzz(count: int = CASES, seed: int = SEED) -> FuzzReport:
    report = FuzzReport()
    for case in fuzz_cases(count, seed):
        report.tried += 1
        report.kinds[case.kind.split(":")[0]] += 1
        report.formats.update(suffix.lower() for name in case.names() for suffix in PurePosixPath(name).suffixes)
        try:
            dataset = case.load()
        except DataError as error:
            report.messages += 1
            if unreadable(error, case):
                report.unreadable.append(f"{case.kind}: {str(error)[:200]}")
        except Exception as error:  # noqa: BLE001 - counting crashes is the point
            report.crashes.append(f"{case.kind}: {type(error).__name__}: {str(error)[:200]}")
        else:
            report.loaded += 1
            assert len(dataset.corpus) and len(dataset.queries)
    return report


def test_fuzzed_uploads_never_crash_and_every_message_is_readable():
    report = run_fuzz()
    print(report.figures())
    assert report.tried >= 500 and report.messages > report.tried // 2 and report.loaded > 0
    assert FORMATS <= set(report.formats), FORMATS - set(report.formats)
    assert report.crashes == []
    assert report.unreadable == []


def test_the_fuzz_is_deterministic():
    first, second = list(fuzz_cases(40)), list(fuzz_cases(40))
    assert first == second and len({case.kind for case in first}) > 5


# --- every record used or reported ---------------------------------------------------------------------

MISSING = "<missing>"  # a drawn value meaning: the record has no such key (JSONL) or an empty cell
LAYOUTS = ("jsonl", "csv", "tsv", "tsv without header", "parquet", "txt")
ZIP_NAMES = {"jsonl": "{}.jsonl", "csv": "{}.csv", "tsv": "{}.tsv", "tsv without header": "{}.tsv",
             "parquet": "{}.parquet"}
OTHER_FILE = {"corpus": ("queries.jsonl", b'{"_id": "fq", "text": "fixed query"}\n'),
              "queries": ("corpus.jsonl", b'{"_id": "fd", "text": "fixed doc"}\n')}
ODD_TEXT = st.text(st.sampled_from([*"ab é文\t\n\r\"',;{}", "\u00a0", "\u2028", "\x00"]), max_size=8)
VALUES = st.one_of(ODD_TEXT, st.sampled_from(["", " ", "\t\n", None, 0, 7, MISSING]))
SKIP_NOTE = re.compile(r": skipped (\d+) records? with no text \(lines? ([\d, …]+)\)$")


@dataclass(frozen=True)
class RecordFile:
    """Drawn (id, title, text) records and how to write and upload them."""

    role: str  # "corpus" or "queries"
    layout: str
    records: tuple[tuple[str, object, object], ...]
    key: str  # the text's key or column; "body_text" needs text_field="body_text"
    text_field: str | None
    gz: bool
    via_zip: bool

    @property
    def name(self) -> str:
        stem = "collection" if (self.role, self.layout) == ("corpus", "tsv without header") else self.role
        return ZIP_NAMES.get(self.layout, "{}.txt").format(stem) + (".gz" if self.gz else "")


@st.composite
def record_files(draw) -> RecordFile:
    role, layout = draw(st.sampled_from(["corpus", "queries"])), draw(st.sampled_from(LAYOUTS))
    flawed = draw(st.booleans())  # ids repeated or blank, values that are lists
    ids = [draw(st.sampled_from([f"{role[0]}{i}", f"{role[0]}0", "", " "])) if flawed else f"{role[0]}{i}"
           for i in range(draw(st.integers(1, 6)))]
    values = VALUES | st.just(["x"]) if flawed else VALUES
    records = tuple((item_id, draw(values), draw(values)) for item_id in ids)
    gz = draw(st.booleans())
    via_zip = layout != "txt" and (not gz or layout == "jsonl") and draw(st.booleans())
    return RecordFile(role, layout, records, draw(st.sampled_from(["text", "body_text"])),
                      draw(st.sampled_from([None, "body_text"])), gz, via_zip)


def _cell(value: object, forbidden: str = "") -> str:
    """A drawn value as a CSV/TSV cell or a line's text: missing and null are empty, `forbidden` become spaces."""
    text = "" if value is None or value == MISSING else str(value)
    return text.translate({ord(char): " " for char in forbidden})


def _column(values: list[object]) -> list[object]:
    """A drawn column for Parquet: one type, else every value as a string (missing is null)."""
    values = [None if value == MISSING else value for value in values]
    kinds = {type(value) for value in values if value is not None}
    return values if len(kinds) <= 1 else [None if value is None else str(value) for value in values]


def _written(case: RecordFile) -> tuple[bytes, list[tuple[int, str, object, object]]]:
    """The file's bytes, and (line, id, title, text) for each record as the file holds it (blank ones left out)."""
    ids, titles, texts = zip(*case.records, strict=True)
    if case.layout == "jsonl":
        lines = [{"_id": i, "title": title, case.key: text} for i, title, text in case.records]
        lines = [{key: value for key, value in line.items() if value != MISSING} for line in lines]
        data = "".join(json.dumps(line) + "\n" for line in lines).encode()
        return data, [(n, *record) for n, record in enumerate(case.records, 1)]
    if case.layout == "parquet":
        columns = {"_id": list(ids), "title": _column(list(titles)), case.key: _column(list(texts))}
        return parquet_bytes(columns), list(zip(range(1, len(ids) + 1), *columns.values(), strict=True))
    if case.layout in ("csv", "tsv"):
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter="," if case.layout == "csv" else "\t")
        rows = [[i, _cell(title), _cell(text)] for i, title, text in case.records]
        writer.writerows([["_id", "title", case.key], *rows])
        return buffer.getvalue().encode(), [(0, *row) for row in rows if any(cell.strip() for cell in row)]
    if case.layout == "txt":
        lines = [_cell(text, "\n") for _, _, text in case.records]
        prefix = "d" if case.role == "corpus" else "q"  # the ids a TXT file's lines get
        records = [(n, f"{prefix}{count}", "", line) for count, (n, line) in
                   enumerate(((n, line) for n, line in enumerate(lines, 1) if line.strip()), 1)]
        return "".join(line + "\n" for line in lines).encode(), records
    lines = [(i, _cell(text, "\t\n")) for i, _, text in case.records]  # tsv without header
    records = [(n, i, "", text) for n, (i, text) in enumerate(lines, 1) if f"{i}\t{text}".strip()]
    return "".join(f"{i}\t{text}\n" for i, text in lines).encode(), records


def _as_read(value: object) -> str | None:
    """A written value as the loader reads it, or None where it must refuse it (a list is no text)."""
    if value is None or value == MISSING:
        return ""
    return None if isinstance(value, list) else str(value)


def _expected(case: RecordFile, records: list[tuple[int, str, object, object]]) -> tuple[list, list[int]] | None:
    """The (id, title, text) records the loader must keep and the lines it must skip; None if it must refuse."""
    keyed = case.layout in ("jsonl", "csv", "tsv", "parquet")
    if keyed and case.key != "text" and case.text_field != case.key:
        return None  # no text field at all
    kept, skipped, seen = [], [], set()
    for line, item_id, title, text in records:
        title = _as_read(title) if case.role == "corpus" else ""  # queries have no title
        if (case.layout == "jsonl" and text == MISSING) or title is None or _as_read(text) is None:
            return None
        item_id, title, text = item_id.strip(), title.strip(), _as_read(text).strip()
        if not item_id or (item_id in seen and (text or title)):
            return None
        if text or title:
            kept.append((item_id, title, text))
            seen.add(item_id)
        else:
            skipped.append(line)
    return (kept, skipped) if kept else None


def _upload(case: RecordFile, data: bytes) -> tuple[Dataset, str]:
    """Load the file with a fixed counterpart through the Data page's functions; return the dataset and source."""
    data = gzip.compress(data, mtime=0) if case.gz else data
    other = OTHER_FILE[case.role]
    fields = {"text_field": case.text_field}
    if case.via_zip:
        source = f"upload.zip/{case.name}"
        return dataset_from_zip((_zip({case.name: data, other[0]: other[1]}), "upload.zip"), LIMITS, **fields), source
    uploads = [(data, case.name), other[::-1]][:: 1 if case.role == "corpus" else -1]
    return dataset_from_files(*uploads, limits=LIMITS, **fields), case.name


@settings(max_examples=300, deadline=None)
@given(case=record_files())
def test_every_record_is_used_or_reported(case):
    data, records = _written(case)
    expected = _expected(case, records)
    try:
        dataset, source = _upload(case, data)
    except DataError as error:
        assert expected is None, f"refused a readable file: {error}"
        assert error.source.endswith(case.name) and error.problem
        return
    assert expected is not None, f"loaded a file it should refuse: {data[:300]!r}"
    kept, skipped = expected
    items = dataset.corpus if case.role == "corpus" else dataset.queries
    assert items.ids == tuple(item_id for item_id, _, _ in kept)
    assert items.texts == tuple(text for _, _, text in kept)
    if case.role == "corpus":
        assert items.titles == tuple(title for _, title, _ in kept)
    notes = [match for note in dataset.notes if note.startswith(source) and (match := SKIP_NOTE.search(note))]
    assert len(notes) == bool(skipped)
    if skipped:
        count, lines = notes[0].groups()
        assert int(count) == len(skipped)
        if case.layout not in ("csv", "tsv"):  # where a record starts in CSV is test_loading's business
            assert lines == ", ".join(map(str, skipped[:10])) + (", …" if len(skipped) > 10 else "")


# --- properties of the comparison --------------------------------------------------------------------

WORDS = ["paris", "france", "bread", "stale", "river", "capital", "moon", "tide", "tax", "loan", "café", "東京"]
TEXTS = st.lists(st.sampled_from(WORDS), min_size=1, max_size=6).map(" ".join)


RANKS = ("run", "bm25", "bi", "poly", "fusion", "cross")
"""Kinds from cheapest to most expensive: the first contestant of the most expensive kind is the reference."""


@st.composite
def small_datasets(draw) -> tuple[Dataset, ComparisonSpec]:
    documents = draw(st.lists(TEXTS, min_size=1, max_size=8))
    questions = draw(st.lists(TEXTS, min_size=1, max_size=3))
    doc_ids = tuple(f"d{i}" for i in range(len(documents)))
    query_ids = tuple(draw(st.sampled_from([f"q{i}", f"d{i}"])) for i in range(len(questions)))
    judged = draw(st.booleans())
    qrels = {q: {draw(st.sampled_from(doc_ids)): draw(st.integers(0, 2))} for q in query_ids} if judged else None
    if qrels is not None and not any(grade for docs in qrels.values() for grade in docs.values()):
        qrels = None
    kinds = draw(st.sampled_from([("bm25",), ("bi",), ("bm25", "bi"), ("bi", "cross"), ("bm25", "cross"),
                                  ("bm25", "bi", "fusion"), ("bm25", "bi", "fusion", "cross")]))
    # a contestant named after its kind, or not: a cross-encoder whose first stage names a kind without a
    # contestant of that name runs that kind as a hidden first stage
    names = {kind: draw(st.sampled_from([kind, f"my {kind}"])) for kind in kinds}
    entries = []
    for kind in kinds:
        values = {"name": names[kind], "kind": kind}
        if kind == "cross":
            stages = sorted({"bm25", "bi", *(names[k] for k in kinds if k != "cross")})
            first = draw(st.sampled_from(stages))
            values |= {"first": first, "depth": draw(st.integers(1, 10))}
        elif kind == "fusion":
            values |= {"of": f"{names['bm25']}+{names['bi']}", "method": draw(st.sampled_from(["rrf", "wsum"]))}
        entries.append(contestant(values))
    spec = comparison(draw(st.permutations(entries)), k=draw(st.integers(1, 10)), exclude_self=draw(st.booleans()))
    corpus = Corpus(doc_ids, tuple(documents), ("",) * len(documents))
    return Dataset(corpus, Queries(query_ids, tuple(questions)), qrels, "fuzz"), spec


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=small_datasets())
def test_compare_returns_well_formed_runs_on_any_small_dataset(case, bi_model):
    dataset, spec = case
    comparison = compare(dataset, spec)
    assert list(comparison.results) == list(spec.names)
    top = max(RANKS.index(entry.kind) for entry in spec.contestants)
    assert comparison.reference == next(entry.name for entry in spec.contestants if RANKS.index(entry.kind) == top)
    assert len({result.colour for result in comparison.results.values()}) == len(spec.contestants)
    for result in comparison.results.values():
        entry = spec.contestant(result.name)
        assert result.kind == entry.kind and set(result.run) <= set(dataset.queries.ids)
        for query_id, docs in result.run.items():
            scores = list(docs.values())
            assert len(docs) <= spec.k and set(docs) <= set(dataset.corpus.ids)
            assert scores == sorted(scores, reverse=True)
            assert not (spec.exclude_self and query_id in docs)
            if entry.kind == "cross":  # it re-ranks the first stage's shortlist, its first stage's order below
                first = comparison.results.get(entry.option("first"))
                if first is not None and entry.option("depth") <= spec.k:
                    assert set(docs) <= set(first.run.get(query_id, {}))
            if entry.kind == "fusion":  # it only fuses what its inputs ranked
                inputs = entry.option("of").split("+")
                assert set(docs) <= {doc for name in inputs for doc in comparison.results[name].run.get(query_id, {})}
        assert all(0.0 <= value <= 1.0 for value in result.metrics.values())
        assert bool(result.metrics) == bool(dataset.qrels)
        assert bool(result.agreement) == (result.name != comparison.reference)


def test_a_query_without_indexable_words_is_ranked_without_crashing():
    corpus = Corpus(("d1", "d2"), ("paris is in france", "bread goes stale"), ("", ""))
    dataset = Dataset(corpus, Queries(("q1",), ("the a é",)), None, "stop words")
    spec = comparison(shorthand_contestants(("bm25",), {}), k=2)
    run = compare(dataset, spec).results["bm25"].run["q1"]
    assert set(run) <= {"d1", "d2"} and all(score == 0 for score in run.values())


def main(argv: list[str]) -> int:
    """Print the fuzz figures (`python -m tests.core.data.test_fuzz [CASES]`); exit 1 on any crash or bad message."""
    report = run_fuzz(int(argv[0]) if argv else CASES)
    print(report.figures())
    print("by kind:", dict(report.kinds), "by format:", dict(report.formats))
    for line in (report.crashes + report.unreadable)[:20]:
        print("  ", line)
    return 1 if report.crashes or report.unreadable else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
