"""Development sets from the shared public data, as retrieval datasets, and export to BEIR folders.

Each loader reads one collection under the shared data root (``../shared/data`` beside the
repository, or ``$ENCODER_ARENA_SHARED_DATA``) and returns a :class:`core.data.Dataset`; judgements
are built by :func:`core.data.make_dataset`, so every qrel names a known query and document.
Counts below are documents / queries / judged queries / judgements (all grades positive).

``nfcorpus-test``: 3,162 / 325 / 323 / 12,334 (BEIR's figures). NFCorpus, original release
    (medical; free for academic use). Documents are ``test.docs`` (no separate title); queries are
    ``test.titles.queries``, the page titles, as in BEIR's NFCorpus; ``test.all.queries``
    concatenates whole pages, which is no search query. Grades come from ``test.2-1-0.qrel``, the
    file BEIR and the original authors evaluate with: 2 direct link, 1 indirect link (marginal
    links are grade 0 and left out). Text is lower-cased and stop-word-stripped.
``cranfield``: 1,398 / 225 / 225 / 1,611. Cranfield 1400 (aeronautics; no licence stated). ``.T``
    is the title and ``.W`` the text; documents 471 and 995 are empty in ``cran.all.1400`` and are
    left out (one judgement, query 125 on document 995, goes with them). Stray field markers inside
    an abstract (documents 240, 576, 578) are read as abstract text. ``cran.qry`` numbers its queries
    001..365 with gaps; ``cranqrel`` uses their positions 1..225, and so does this set. Cleverdon's
    grades 1 (complete answer) to 4 (minimum interest) become gains ``5 - grade`` (1 -> 4, 4 -> 1);
    the 225 judgements graded -1 (one per query, meaning undocumented) are dropped.
``wikiqa-test``: 2,310 / 243 / 243 / 293. WikiQA ``WikiQA-test-gold.tsv`` (Microsoft Research data
    licence, non-commercial). The corpus is every candidate sentence of the test file (id = sentence
    id, title = Wikipedia page title); the queries are the questions with a correct sentence; each
    correct sentence is relevant with grade 1. Questions share pages, so 41 sentences appear under
    several questions; they are one document each. The test file holds only questions with a
    correct sentence, so every question is kept.
``arguana``: 8,674 / 1,406 / 1,401 / 1,401. BEIR ArguAna (see BEIR). Five judgements name documents
    missing from the corpus (a known gap) and are dropped, which leaves five queries unjudged; 1,298
    query ids are also corpus ids (a query's own argument, which BEIR ignores in its ranking).
``climate-fever``: 5,240 / 1,535 / 1,061 / 2,745. Climate-FEVER (CC BY-SA), ``climate-fever.jsonl``
    in ``climate_fever.zip``. The queries are all claims; the corpus is every evidence sentence,
    deduplicated by text, with the evidence id as its id (spaces become ``_``, as in Wikipedia
    URLs: ``Global_warming:14``) and the article as its title. An evidence labelled SUPPORTS or
    REFUTES for a claim is relevant (grade 1); NOT_ENOUGH_INFO is not, so 474 claims are unjudged.

All of these carry research, non-commercial or share-alike licences.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path

from core.data import DataError, load_dataset, load_qrels, make_dataset
from core.data.formats import decode, json_objects
from core.data.splits import hold_out
from core.types import Corpus, Dataset, Qrels, Queries

logger = logging.getLogger(__name__)

SHARED_DATA_ENV = "ENCODER_ARENA_SHARED_DATA"
"""Environment variable that overrides the shared data root."""

_NFCORPUS = Path("nfcorpus-original/data/nfcorpus")
_CRANFIELD = Path("cranfield")
_WIKIQA_TEST = Path("wikiqa/yizhongw_WikiQA-Selection/data/raw/WikiQA-test-gold.tsv")
_WIKIQA_DEV = _WIKIQA_TEST.with_name("WikiQA-dev.tsv")
_ARGUANA = Path("arguana/data")
_CLIMATE_FEVER = Path("climate-fever/data/climate_fever.zip")
_CLIMATE_FEVER_MEMBER = "climate-fever.jsonl"
CLIMATE_FEVER_TRAINING_PERCENT = 70

_CRANFIELD_MARKER = re.compile(r"\.([TABW])\s*")
_CRANFIELD_GRADES = (1, 2, 3, 4)
_CRANFIELD_UNJUDGED = -1
_CRANFIELD_QUERY_PREFIX = "q"  # query 225 judges document 225: equal ids would look like a self-match
_WIKIQA_COLUMNS = ("QuestionID", "Question", "SentenceID", "Sentence", "DocumentTitle", "Label")
_CLIMATE_RELEVANT = frozenset({"SUPPORTS", "REFUTES"})
_CLIMATE_LABELS = _CLIMATE_RELEVANT | {"NOT_ENOUGH_INFO"}
_TSV_UNSAFE = re.compile(r'[\t\r\n"]')


def shared_data_root() -> Path:
    """Return the shared data folder: ``$ENCODER_ARENA_SHARED_DATA``, else ``<repo>/../shared/data``."""
    configured = os.environ.get(SHARED_DATA_ENV)
    if configured:
        return Path(configured)
    repository = Path(__file__).resolve().parents[2]
    return repository.parent / "shared" / "data"


def load_dev_set(name: str, root: Path | None = None) -> Dataset:
    """Load one development set by name.

    Args:
        name: A key of :data:`DEV_SETS`.
        root: The shared data folder; :func:`shared_data_root` when None.

    Returns:
        The dataset, named ``name``.

    Raises:
        ValueError: If ``name`` is not a development set.
        DataError: If a file is missing or malformed.
    """
    if name not in DEV_SETS:
        raise ValueError(f"unknown development set {name!r}; choose one of {', '.join(DEV_SETS)}")
    dataset = DEV_SETS[name](shared_data_root() if root is None else root)
    logger.info("loaded %r", dataset)
    return dataset


def export_dev_set(name: str, folder: Path, root: Path | None = None) -> Dataset:
    """Write the development set `name` (a key of `DEV_SETS` or `SPLIT_SETS`) as a BEIR folder; returns it."""
    root = shared_data_root() if root is None else root
    if name in SPLIT_SETS:
        dataset, other_splits = SPLIT_SETS[name](root)
        export_beir(dataset, folder, other_splits)
        return dataset
    dataset = load_dev_set(name, root)
    export_beir(dataset, folder)
    return dataset


def export_beir(dataset: Dataset, folder: Path, other_splits: dict[str, Qrels] | None = None) -> None:
    """Write ``dataset`` as a BEIR folder that :func:`core.data.load_dataset` reads back.

    Writes ``corpus.jsonl``, ``queries.jsonl`` and, when the dataset has qrels,
    ``qrels/test.tsv`` with the header ``query-id corpus-id score`` (tab-separated); without
    qrels, a ``qrels/test.tsv`` left from an earlier export is removed.

    Args:
        dataset: The dataset to write.
        other_splits: Judgements of other splits, each written as ``qrels/{split}.tsv``.
        folder: The output folder, created if needed; files in it are overwritten.

    Raises:
        ValueError: If a judged id holds a tab, a line break or a double quote, which the qrels
            TSV cannot carry; nothing is written then.
    """
    corpus, queries = dataset.corpus, dataset.queries
    qrels_text = None if dataset.qrels is None else "".join(_qrels_lines(dataset.qrels))
    split_texts = {split: "".join(_qrels_lines(qrels)) for split, qrels in (other_splits or {}).items()}
    folder.mkdir(parents=True, exist_ok=True)
    documents = zip(corpus.ids, corpus.titles, corpus.texts)
    _write_jsonl(folder / "corpus.jsonl",
                 ({"_id": i, "title": title, "text": text} for i, title, text in documents))
    _write_jsonl(folder / "queries.jsonl",
                 ({"_id": i, "text": text} for i, text in zip(queries.ids, queries.texts)))
    qrels_path = folder / "qrels" / "test.tsv"
    if qrels_text is None:
        qrels_path.unlink(missing_ok=True)
    else:
        qrels_path.parent.mkdir(exist_ok=True)
        qrels_path.write_text(qrels_text, encoding="utf-8")
    for split, text in split_texts.items():
        qrels_path.parent.mkdir(exist_ok=True)
        (folder / "qrels" / f"{split}.tsv").write_text(text, encoding="utf-8")
    logger.info("exported %r to %s", dataset, folder)


def load_nfcorpus_test(root: Path) -> Dataset:
    """NFCorpus test split: ``test.docs``, ``test.titles.queries`` and ``test.2-1-0.qrel``."""
    folder = root / _NFCORPUS
    doc_ids, texts = _tab_columns(folder / "test.docs")
    query_ids, query_texts = _tab_columns(folder / "test.titles.queries")
    corpus = Corpus(doc_ids, texts, ("",) * len(doc_ids), str(folder / "test.docs"))
    queries = Queries(query_ids, query_texts, str(folder / "test.titles.queries"))
    return make_dataset(corpus, queries, load_qrels(folder / "test.2-1-0.qrel"), "nfcorpus-test")


def load_cranfield(root: Path) -> Dataset:
    """Cranfield 1400: queries ``q1``..``q225`` by position, gains ``5 - grade``."""
    folder = root / _CRANFIELD
    corpus, empty = _cranfield_corpus(folder / "cran.all.1400")
    queries = _cranfield_queries(folder / "cran.qry")
    dataset = make_dataset(corpus, queries, _cranfield_qrels(folder / "cranqrel"), "cranfield")
    if not empty:
        return dataset
    note = f"cranfield: documents without title or text left out: {', '.join(empty)}"
    return replace(dataset, notes=(note, *dataset.notes))


def load_wikiqa_test(root: Path) -> Dataset:
    """WikiQA test-gold as retrieval over all of its candidate sentences."""
    path = root / _WIKIQA_TEST
    sentences, questions, qrels = _wikiqa_split(path)
    corpus = Corpus(tuple(sentences), tuple(text for _, text in sentences.values()),
                    tuple(title for title, _ in sentences.values()), str(path))
    queries = Queries(tuple(questions), tuple(questions.values()), str(path))
    return make_dataset(corpus, queries, qrels, "wikiqa-test")


def _wikiqa_split(path: Path) -> tuple[dict[str, tuple[str, str]], dict[str, str], Qrels]:
    """A filtered WikiQA file (test-gold, dev): sentences by id (page title, sentence; the first seen of an id),
    the questions that have a correct sentence, and their judgements."""
    sentences: dict[str, tuple[str, str]] = {}
    questions: dict[str, str] = {}
    qrels: Qrels = {}
    for line, row in _wikiqa_rows(path):
        sentences.setdefault(row["SentenceID"], (row["DocumentTitle"].strip(), row["Sentence"].strip()))
        if _wikiqa_label(row["Label"], str(path), line):
            questions.setdefault(row["QuestionID"], row["Question"].strip())
            qrels.setdefault(row["QuestionID"], {})[row["SentenceID"]] = 1
    return sentences, questions, qrels


def load_arguana(root: Path) -> Dataset:
    """BEIR ArguAna: ``corpus.jsonl.gz``, ``queries.jsonl.gz`` and ``test.tsv``."""
    return replace(load_dataset(root / _ARGUANA), name="arguana")


def load_climate_fever(root: Path) -> Dataset:
    """Climate-FEVER: claims against all evidence sentences; SUPPORTS and REFUTES are relevant."""
    path = root / _CLIMATE_FEVER
    source = f"{path}/{_CLIMATE_FEVER_MEMBER}"
    claims = list(json_objects(_zip_member_text(path, _CLIMATE_FEVER_MEMBER), source))
    corpus, qrels = _climate_corpus_and_qrels(claims, source)
    queries = Queries(tuple(str(claim["claim_id"]) for _, claim in claims),
                      tuple(claim["claim"].strip() for _, claim in claims), source)
    return make_dataset(corpus, queries, qrels, "climate-fever")


def load_climate_fever_split(root: Path) -> tuple[Dataset, dict[str, Qrels]]:
    """Climate-FEVER cut as the arena cuts a user's data that has no training split (`core.data.splits.hold_out`,
    its default seed): 70 % of the judged claims train, the rest test, over every evidence sentence. The set has
    no split of its own; claims about one subject share evidence sentences, as a user's queries share a corpus."""
    dataset = load_climate_fever(root)
    splits = hold_out(dataset, CLIMATE_FEVER_TRAINING_PERCENT)
    return replace(dataset, qrels=splits.test.qrels, name="climate-fever-split"), {"train": splits.training.qrels}


def load_nfcorpus(root: Path) -> tuple[Dataset, dict[str, Qrels]]:
    """NFCorpus with its splits: every document of ``dev.docs`` and ``test.docs`` (``train.docs`` is not
    published; 99.5% of the training judgements name documents of these two), the title queries of train,
    dev and test, and each split's ``2-1-0`` judgements. Returns the test set and the other splits' qrels."""
    folder = root / _NFCORPUS
    documents: dict[str, str] = {}
    for name in ("test.docs", "dev.docs"):
        documents.update((i, text) for i, text in zip(*_tab_columns(folder / name)) if i not in documents)
    corpus = Corpus(tuple(documents), tuple(documents.values()), ("",) * len(documents), str(folder))
    queries: dict[str, str] = {}
    for split in ("test", "dev", "train"):
        queries.update(zip(*_tab_columns(folder / f"{split}.titles.queries")))
    everything = Queries(tuple(queries), tuple(queries.values()), str(folder))
    splits = {split: make_dataset(corpus, everything, load_qrels(folder / f"{split}.2-1-0.qrel")).qrels or {}
              for split in ("train", "dev")}
    return make_dataset(corpus, everything, load_qrels(folder / "test.2-1-0.qrel"), "nfcorpus"), splits


def load_wikiqa(root: Path) -> tuple[Dataset, dict[str, Qrels]]:
    """WikiQA with training and dev splits: the test-gold set plus the training questions that have a correct
    sentence and WikiQA's own (filtered) dev questions, with every sentence of their pages (ids ``train-<n>`` and
    ``dev-<sentence id>``, deduplicated by text against the test sentences). 13 malformed training rows are skipped.
    Returns the test set and the training and dev qrels.

    Every sentence is rendered as the test file renders it, so that nothing but its words tells a training sentence
    from a test one: a model fine-tuned on the training pages learns whatever marks them, and prefers it in new
    questions' top 10 (docs/measurements.md). So every sentence goes without its page title (the training file has
    none; kept on the test pages, a fine-tuned bi-encoder fell 1.3 nDCG@10 points below its start), and the training
    file's CSV quoting is undone (`_unquoted`: 70 % of its sentences come wrapped in quotes, no test sentence does;
    kept, a fine-tuned bi-encoder gained 4.8 points over the test pages alone and none over the whole corpus)."""
    test = load_wikiqa_test(root)
    test = replace(test, corpus=replace(test.corpus, titles=("",) * len(test.corpus)))
    path = root / "wikiqa" / "SiemensHalske_DataAlchemist" / "data" / "WikiQA-train.tsv"
    pages: dict[str, list[tuple[str, bool]]] = {}  # question -> [(sentence, correct)]; ids are per row here
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) == 5 and row[4] in ("0", "1"):
                pages.setdefault(_unquoted(row[1].strip()), []).append((_unquoted(row[3].strip()), row[4] == "1"))
    by_text = {text: i for i, text in zip(test.corpus.ids, test.corpus.texts)}
    documents = dict(zip(test.corpus.ids, zip(test.corpus.titles, test.corpus.texts)))
    questions = dict(zip(test.queries.ids, test.queries.texts))
    train: Qrels = {}
    for number, (question, sentences) in enumerate(pages.items(), 1):
        if not any(correct for _, correct in sentences):
            continue
        for sentence, correct in sentences:
            if sentence not in by_text:
                by_text[sentence] = f"train-{len(by_text)}"
                documents[by_text[sentence]] = ("", sentence)
            if correct:
                train.setdefault(f"train-q{number}", {})[by_text[sentence]] = 1
        questions[f"train-q{number}"] = question
    dev_sentences, dev_questions, dev_judged = _wikiqa_split(root / _WIKIQA_DEV)
    dev_ids = {}  # the dev file's sentence id -> corpus id
    for sentence_id, (_, sentence) in dev_sentences.items():
        if sentence not in by_text:
            by_text[sentence] = f"dev-{sentence_id}"
            documents[by_text[sentence]] = ("", sentence)
        dev_ids[sentence_id] = by_text[sentence]
    dev = {question: {dev_ids[sentence_id]: grade for sentence_id, grade in judged.items()}
           for question, judged in dev_judged.items()}
    questions |= dev_questions
    corpus = Corpus(tuple(documents), tuple(text for _, text in documents.values()),
                    tuple(title for title, _ in documents.values()), str(path.parent))
    queries = Queries(tuple(questions), tuple(questions.values()), str(path.parent))
    return make_dataset(corpus, queries, test.qrels, "wikiqa"), {"train": train, "dev": dev}


SPLIT_SETS: dict[str, Callable[[Path], tuple[Dataset, dict[str, Qrels]]]] = {
    "nfcorpus": load_nfcorpus,
    "wikiqa": load_wikiqa,
    "climate-fever-split": load_climate_fever_split,
}
"""Development sets with a training split (for `python -m core train ... --data`): name -> loader of the test
set and the other splits' judgements, which `export_beir` writes beside ``qrels/test.tsv``."""

DEV_SETS: dict[str, Callable[[Path], Dataset]] = {
    "nfcorpus-test": load_nfcorpus_test,
    "cranfield": load_cranfield,
    "wikiqa-test": load_wikiqa_test,
    "arguana": load_arguana,
    "climate-fever": load_climate_fever,
}
"""Development set name -> loader taking the shared data root."""


# --- reading ---------------------------------------------------------------------------------


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as err:
        raise DataError(str(path), "no such file (is the shared data root right?)") from err
    except OSError as err:
        raise DataError(str(path), f"cannot read the file ({err.strerror})") from err


def _read_text(path: Path) -> str:
    return decode(_read_bytes(path), str(path))


def _zip_member_text(path: Path, member: str) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(_read_bytes(path))) as archive:
            return decode(archive.read(member), f"{path}/{member}")
    except KeyError as err:
        raise DataError(str(path), f"no {member} in the zip") from err
    except zipfile.BadZipFile as err:
        raise DataError(str(path), "not a valid zip file") from err


def _tab_columns(path: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Read ``id TAB text`` lines into parallel id and text tuples."""
    ids: list[str] = []
    texts: list[str] = []
    for number, line in enumerate(_read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 2:
            raise DataError(str(path), f"expected id TAB text, found {len(fields)} fields", number)
        ids.append(fields[0].strip())
        texts.append(fields[1].strip())
    return tuple(ids), tuple(texts)


# --- Cranfield -------------------------------------------------------------------------------


def _cranfield_records(path: Path) -> list[tuple[str, dict[str, str]]]:
    """Split a Cranfield file into ``(.I id, {field letter: text})`` records.

    Once the ``.W`` (abstract) field has begun, later marker lines are stray and are skipped,
    so the rest of the record stays abstract text. Text is whitespace-normalised.
    """
    records: list[tuple[str, dict[str, list[str]]]] = []
    field = ""
    for number, line in enumerate(_read_text(path).splitlines(), 1):
        marker = _CRANFIELD_MARKER.fullmatch(line)
        if line.startswith(".I "):
            records.append((line[3:].strip(), {}))
            field = ""
        elif not records:
            if line.strip():
                raise DataError(str(path), "text before the first .I line", number)
        elif marker and field != "W":
            field = marker.group(1)
            records[-1][1].setdefault(field, [])
        elif field and not marker:
            records[-1][1][field].append(line)
    return [(record_id, {key: " ".join(" ".join(lines).split()) for key, lines in fields.items()})
            for record_id, fields in records]


def _cranfield_corpus(path: Path) -> tuple[Corpus, list[str]]:
    """The corpus, and the ids of the records left out for having neither title nor text."""
    records = [(record_id, fields.get("T", ""), fields.get("W", ""))
               for record_id, fields in _cranfield_records(path)]
    kept = [record for record in records if record[1] or record[2]]
    empty = [doc_id for doc_id, title, text in records if not title and not text]
    corpus = Corpus(tuple(doc_id for doc_id, _, _ in kept), tuple(text for _, _, text in kept),
                    tuple(title for _, title, _ in kept), str(path))
    return corpus, empty


def _cranfield_queries(path: Path) -> Queries:
    """Queries numbered by position in file order, as ``cranqrel`` numbers them, with a ``q`` prefix."""
    texts = tuple(fields.get("W", "") for _, fields in _cranfield_records(path))
    ids = tuple(f"{_CRANFIELD_QUERY_PREFIX}{number}" for number in range(1, len(texts) + 1))
    return Queries(ids, texts, str(path))


def _cranfield_qrels(path: Path) -> Qrels:
    """Read ``query doc grade`` lines; gain ``5 - grade`` for grades 1..4, grade -1 dropped."""
    qrels: Qrels = {}
    for number, line in enumerate(_read_text(path).splitlines(), 1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 3 or not fields[2].lstrip("-").isdigit():
            raise DataError(str(path), "expected query-id doc-id grade", number)
        grade = int(fields[2])
        if grade == _CRANFIELD_UNJUDGED:
            continue
        if grade not in _CRANFIELD_GRADES:
            raise DataError(str(path), f"grade {grade} is not 1..4 or -1", number)
        qrels.setdefault(_CRANFIELD_QUERY_PREFIX + fields[0], {})[fields[1]] = 5 - grade
    return qrels


# --- WikiQA and Climate-FEVER ------------------------------------------------------------------


def _wikiqa_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """Rows of the WikiQA TSV as ``(line, {column: value})``; quotes are literal text."""
    text = io.StringIO(_read_text(path), newline="")
    reader = csv.DictReader(text, delimiter="\t", quoting=csv.QUOTE_NONE)
    missing = [column for column in _WIKIQA_COLUMNS if column not in (reader.fieldnames or ())]
    if missing:
        raise DataError(str(path), f"missing columns: {', '.join(missing)}", 1)
    rows = []
    for row in reader:
        if None in row or None in row.values():
            problem = f"expected {len(reader.fieldnames)} tab-separated fields"
            raise DataError(str(path), problem, reader.line_num)
        rows.append((reader.line_num, row))
    return rows


def _unquoted(field: str) -> str:
    """A CSV-quoted field's text: its outer quotes dropped and doubled quotes halved (WikiQA's training file quotes
    fields holding a comma or a quote; it is read line by line, since some quoted fields never close).

    Example:
        >>> _unquoted('"He said ""yes"", then left."'), _unquoted('It was "Meister".')
        ('He said "yes", then left.', 'It was "Meister".')
    """
    return field[1:-1].replace('""', '"') if len(field) >= 2 and field[0] == field[-1] == '"' else field


def _wikiqa_label(label: str, source: str, line: int) -> bool:
    if label.strip() not in ("0", "1"):
        raise DataError(source, f"label {label!r} is not 0 or 1", line)
    return label.strip() == "1"


def _climate_corpus_and_qrels(claims: list[tuple[int, dict]], source: str) -> tuple[Corpus, Qrels]:
    """Evidence sentences deduplicated by text (the first id seen wins), and the relevant ones per claim."""
    documents: dict[str, tuple[str, str]] = {}  # text -> (doc id, article title)
    qrels: Qrels = {}
    for line, claim in claims:
        for evidence in claim["evidences"]:
            text = evidence["evidence"].strip()
            first = (_climate_doc_id(evidence["evidence_id"]), evidence["article"].strip())
            doc_id = documents.setdefault(text, first)[0]
            if _climate_relevant(evidence["evidence_label"], source, line):
                qrels.setdefault(str(claim["claim_id"]), {})[doc_id] = 1
    corpus = Corpus(tuple(doc_id for doc_id, _ in documents.values()), tuple(documents),
                    tuple(title for _, title in documents.values()), source)
    return corpus, qrels


def _climate_doc_id(evidence_id: str) -> str:
    """The evidence id (``article:sentence``) without whitespace, so TREC run lines stay parseable."""
    return re.sub(r"\s+", "_", evidence_id.strip())


def _climate_relevant(label: str, source: str, line: int) -> bool:
    if label not in _CLIMATE_LABELS:
        raise DataError(source, f"unknown evidence label {label!r}", line)
    return label in _CLIMATE_RELEVANT


# --- writing ---------------------------------------------------------------------------------


def _write_jsonl(path: Path, records: Iterable[dict[str, str]]) -> None:
    lines = (json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    path.write_text("".join(lines), encoding="utf-8")


def _qrels_lines(qrels: Qrels) -> Iterator[str]:
    yield "query-id\tcorpus-id\tscore\n"
    for query_id, judged in qrels.items():
        for doc_id, grade in judged.items():
            if _TSV_UNSAFE.search(query_id) or _TSV_UNSAFE.search(doc_id):
                raise ValueError(f"id in judgement ({query_id!r}, {doc_id!r}) cannot be written to TSV")
            yield f"{query_id}\t{doc_id}\t{grade}\n"
