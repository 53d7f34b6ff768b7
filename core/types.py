"""The plain data every module shares: a corpus, its queries, a dataset, runs and relevance judgements.

Runs and qrels are ranx's shapes; `Corpus` and `Queries` are frozen columns with an id index and a content
hash (equal content, equal hash), which keys every cache. Reading them from files is `core.data`'s job.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

Run = dict[str, dict[str, float]]
"""`{query_id: {doc_id: score}}`, best first within each query."""
Qrels = dict[str, dict[str, int]]
"""`{query_id: {doc_id: grade}}`; grade 0 is judged not relevant."""


@dataclass(frozen=True)
class Corpus:
    """Documents to search, in file order.

    Attributes:
        ids: Unique document ids.
        texts: Document texts, parallel to ``ids``.
        titles: Document titles, ``""`` where absent, parallel to ``ids``.
        source: Where the documents came from, for messages.
        notes: What reading the file skipped or decided (see :class:`Dataset`).

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
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _freeze_columns(self, "ids", "texts", "titles")
        _check_columns(self.ids, self.texts, self.titles)
        _ = self._index  # builds the index and rejects duplicate ids

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        return f"Corpus({len(self)} documents, source={self.source!r})"

    def passages(self) -> list[str]:
        """Return what models encode, every document's `passage`."""
        return [passage(title, text) for title, text in zip(self.titles, self.texts, strict=True)]

    def passage(self, doc_id: str) -> str:
        """What models encode of one document (`passage`)."""
        position = self.position(doc_id)
        return passage(self.titles[position], self.texts[position])

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
        notes: What reading the file skipped or decided (see :class:`Dataset`).
        fields: Other fields the queries carry (a JSONL record's other keys or its `metadata` object's, a table's
            other columns), by name, each parallel to ``ids`` ("" where a query has none). They change no ranking
            and no hash; the Analysis page slices the metrics by them.

    Example:
        >>> queries = Queries(("q1", "q2"), ("capital of France", "Paris"), fields={"form": ("question", "name")})
        >>> queries.text("q1"), queries.subset([1]).fields
        ('capital of France', {'form': ('name',)})
    """

    ids: tuple[str, ...]
    texts: tuple[str, ...]
    source: str = ""
    notes: tuple[str, ...] = ()
    fields: Mapping[str, tuple[str, ...]] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        _freeze_columns(self, "ids", "texts")
        _check_columns(self.ids, self.texts)
        object.__setattr__(self, "fields", {name: tuple(values) for name, values in self.fields.items()})
        _check_columns(self.ids, *self.fields.values())
        _ = self._index  # builds the index and rejects duplicate ids

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        return f"Queries({len(self)} queries, source={self.source!r})"

    def subset(self, rows: Sequence[int]) -> Queries:
        """The queries at positions `rows`, in that order, with their fields (the reading's notes stay with the whole)."""
        return Queries(tuple(self.ids[i] for i in rows), tuple(self.texts[i] for i in rows), self.source,
                       fields={name: tuple(values[i] for i in rows) for name, values in self.fields.items()})

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
        notes: Human-readable remarks: records skipped for having no text (count and lines),
            the reading taken where a file has two, judgements naming unknown ids.
        split: The qrels split the judgements come from ("test", "train", ...; "" when unknown or unjudged).
        held_out: For a split cut at random from judged queries (`core.data.splits.hold_out`): the training share in
            percent and the seed, so that the same cut can be made again (None otherwise).
    """

    corpus: Corpus
    queries: Queries
    qrels: Qrels | None
    name: str
    notes: tuple[str, ...] = ()
    split: str = ""
    held_out: tuple[int, int] | None = None

    @cached_property
    def content_hash(self) -> str:
        """A short hash of corpus, queries and qrels: equal data, equal hash, whatever the file names."""
        qrels = json.dumps(self.qrels or {}, sort_keys=True)
        parts = (self.corpus.content_hash, self.queries.content_hash, hashlib.sha256(qrels.encode()).hexdigest())
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]

    def __repr__(self) -> str:
        judged = "no qrels" if self.qrels is None else f"{len(self.qrels)} judged queries"
        sizes = f"{len(self.corpus)} documents, {len(self.queries)} queries, {judged}"
        return f"Dataset({self.name!r}, {sizes})"


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


def passage(title: str, text: str) -> str:
    """What models encode of a document: ``"{title} {text}"``, or the text alone without a title (the BEIR
    convention; a document with a title may have an empty text)."""
    return f"{title} {text}" if title and text else title or text


class RowDigest:
    """The content hash of `Corpus` and `Queries`, fed one row at a time (so a corpus too big for memory can be
    hashed as it streams past); each value is length-prefixed, so no two contents hash alike."""

    def __init__(self, kind: str) -> None:
        self._digest = hashlib.sha256(f"encoder-arena/{kind}/v1".encode())

    def add(self, *row: str) -> None:
        for value in row:
            encoded = value.encode("utf-8")
            self._digest.update(len(encoded).to_bytes(8, "big"))
            self._digest.update(encoded)

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def _digest(kind: str, *columns: tuple[str, ...]) -> str:
    """Hash parallel string columns row by row (`RowDigest`)."""
    digest = RowDigest(kind)
    for row in zip(*columns, strict=True):
        digest.add(*row)
    return digest.hexdigest()
