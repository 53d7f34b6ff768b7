"""Pseudo-queries from a corpus alone (inverse cloze), for adapting a model to a corpus without a training split,
and for testing a zero-shot model's IDF prior on it (`core.rankers.prior_check`).

A sentence taken out of a document is the query, and the document without that sentence is its one relevant
document (Lee et al., "Latent Retrieval for Weakly Supervised Open Domain QA", 2019, call this the inverse cloze
task). Where documents have no sentence punctuation (NFCorpus's texts are stripped of it), a span of
`SPAN_WORDS` consecutive words stands in for the sentence (Izacard et al.'s Contriever crops spans likewise).
Removing the query matters: left in, it is a verbatim substring of its positive and a model learns to find copies.
The result is an ordinary training split, so `core.training.in_domain` mines negatives and trains on it as on
judged queries.

Pseudo-queries can also be shaped like a set of real queries (`QueryShape`, from `query_shape`): as long (in words)
as they are, and of their form. Where the queries are names or titles, a document's title is its pseudo-query (the
document then keeps only its text), or, in a document without one, a short span of its words that starts and ends
with a word that could be part of a name; where they are
questions or claims, a sentence (or a few consecutive ones) of about a query's length, or a span of that many words.
No judged query is read: only the queries' lengths and form.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from core.types import Corpus, Dataset, Queries, passage

SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
QUERY_WORDS = (4, 40)
"""A pseudo-query's length in words, inclusive: shorter sentences are headings or fragments, longer ones whole
paragraphs."""
SPAN_WORDS = 12
"""A word span's length, for documents of at least three spans' words without two sentences to draw from."""
SPLIT = "pseudo-queries"

TITLE, SENTENCE = "title", "sentence"
"""The two forms of a `QueryShape`: names or titles, or questions and claims."""
NAME_WORDS = 10
"""A query of more words than this reads as a sentence even without a question word or a full stop."""
QUESTION_WORDS = frozenset((
    "who", "whom", "whose", "what", "which", "when", "where", "why", "how", "is", "are", "was", "were", "am", "do",
    "does", "did", "can", "could", "should", "would", "will", "shall", "may", "might", "must", "has", "have", "had"))
"""A query opening with one of these reads as a question."""
NAME_PUNCTUATION = "\"'()[]{},.;:!?"
"""Stripped from the ends of a name-like span's words."""
LENGTH_QUANTILES = 21
"""A `QueryShape` keeps the queries' lengths at this many evenly spaced quantiles (0 %, 5 %, ..., 100 %)."""


@dataclass(frozen=True)
class QueryShape:
    """What a set of queries looks like, for pseudo-queries that look the same.

    Attributes:
        form: `TITLE` where most queries read as names or titles, `SENTENCE` where most are questions or claims
            (see `reads_as_sentence`).
        lengths: The queries' lengths in words at `LENGTH_QUANTILES` evenly spaced quantiles, smallest first; a
            pseudo-query's length is drawn from them, so the lengths follow the queries' distribution.
    """

    form: str
    lengths: tuple[int, ...]

    @property
    def median(self) -> int:
        """The queries' median length in words."""
        return self.lengths[len(self.lengths) // 2]

    def describe(self) -> str:
        """The shape in words, e.g. "names or titles, median 3 words"."""
        form = "names or titles" if self.form == TITLE else "questions or claims"
        return f"{form}, median {self.median} words"


def reads_as_sentence(text: str) -> bool:
    """Whether a query reads as a question or a claim rather than a name or a title: it ends with ".", "?" or "!",
    opens with a question word or an auxiliary ("who", "what", "is", "does", ...), or has more than `NAME_WORDS`
    words."""
    words = text.split()
    return (text.rstrip().endswith((".", "?", "!")) or len(words) > NAME_WORDS
            or bool(words) and words[0].lower() in QUESTION_WORDS)


def query_shape(queries: Queries) -> QueryShape | None:
    """The shape of `queries` (their texts only, never their judgements); None when no query has a word."""
    texts = [text for text in queries.texts if text.split()]
    if not texts:
        return None
    lengths = sorted(len(text.split()) for text in texts)
    names = sum(not reads_as_sentence(text) for text in texts)
    steps = LENGTH_QUANTILES - 1
    return QueryShape(TITLE if 2 * names > len(texts) else SENTENCE,
                      tuple(lengths[round(step * (len(lengths) - 1) / steps)] for step in range(LENGTH_QUANTILES)))


@dataclass(frozen=True)
class PseudoQuery:
    """A pseudo-query drawn from one document.

    Attributes:
        row: The document's position in its corpus.
        text: The query.
        title: The document's title without the query (empty when the query is the title).
        rest: The document's text without the query.
        kind: "sentence" (one or a few consecutive sentences), "span" (consecutive words) or "title".
    """

    row: int
    text: str
    title: str
    rest: str
    kind: str

    @property
    def document(self) -> str:
        """What models encode of the document without the query (`core.types.passage`)."""
        return passage(self.title, self.rest)


def sentences(text: str) -> list[str]:
    """`text`'s sentences (split after ".", "!" or "?" followed by white space), empty ones dropped."""
    return [part for part in (piece.strip() for piece in SENTENCE_END.split(text)) if part]


def draw(text: str, rng: random.Random) -> tuple[str, str] | None:
    """A pseudo-query drawn from `text` and the text without it: a sentence of `QUERY_WORDS` words, or in a text
    without two sentences a span of `SPAN_WORDS` words; None when `text` offers neither."""
    parts = sentences(text)
    if len(parts) >= 2:
        pick = rng.randrange(len(parts))
        if not QUERY_WORDS[0] <= len(parts[pick].split()) <= QUERY_WORDS[1]:
            return None
        return parts[pick], " ".join(parts[:pick] + parts[pick + 1:])
    return _span(text, SPAN_WORDS, 3 * SPAN_WORDS, rng)


def _span(text: str, length: int, at_least: int, rng: random.Random) -> tuple[str, str] | None:
    """`length` consecutive words of `text` from a random start, and the text without them; None for a text of
    fewer than `at_least` words."""
    words = text.split()
    if len(words) < at_least:
        return None
    start = rng.randrange(len(words) - length + 1)
    return " ".join(words[start:start + length]), " ".join(words[:start] + words[start + length:])


def draw_shaped(title: str, text: str, shape: QueryShape, rng: random.Random) -> tuple[str, str, str, str] | None:
    """A pseudo-query shaped like `shape`'s queries, drawn from a document: (query, title left, text left, kind).

    Its length is one of `shape.lengths`, drawn at random. For names or titles: the document's title, when it has
    one and a text, of at most the longest query's words (the document keeps its text alone); otherwise a span of
    at most that many words (`_name_span`: from and to a word that could be part of a name) from a text of at least
    `SPAN_WORDS` words and three times the span's. For questions or claims:
    from a text of two sentences or more, the sentence nearest that length and the ones after it until the length is
    reached (one sentence is always left; the query has `QUERY_WORDS[0]` words, and at most twice the length or twice
    that minimum); otherwise a span as above. None when the
    document offers nothing of the shape.
    """
    length = rng.choice(shape.lengths)
    if shape.form == TITLE:
        if title and text and len(title.split()) <= shape.lengths[-1]:
            return title, "", text, "title"
    else:
        parts = sentences(text)
        if len(parts) >= 2:
            sizes = [len(part.split()) for part in parts]
            first = end = min(range(len(parts)), key=lambda row: abs(sizes[row] - length))
            words = 0
            while end < len(parts) and words < length and (first > 0 or end < len(parts) - 1):
                words += sizes[end]
                end += 1
            if not QUERY_WORDS[0] <= words <= 2 * max(length, QUERY_WORDS[0]):
                return None
            return " ".join(parts[first:end]), title, " ".join(parts[:first] + parts[end:]), "sentence"
    span = (_name_span if shape.form == TITLE else _span)(text, length, max(SPAN_WORDS, 3 * length), rng)
    return None if span is None else (span[0], title, span[1], "span")


def _content_word(word: str) -> bool:
    """Whether a word (punctuation stripped) could be part of a name: of 4 letters or more, capitalised, or with a
    digit (so not "the", "of" or a lone comma)."""
    return len(word) >= 4 or word[:1].isupper() or any(character.isdigit() for character in word)


def _name_span(text: str, length: int, at_least: int, rng: random.Random) -> tuple[str, str] | None:
    """Up to `length` consecutive words of `text`, starting and ending with a `_content_word`, without the
    punctuation around them, and the text without them; None for a text of fewer than `at_least` words or without
    a content word to start at."""
    words = text.split()
    bare = [word.strip(NAME_PUNCTUATION) for word in words]
    starts = [start for start in range(len(words) - length + 1) if _content_word(bare[start])]
    if len(words) < at_least or not starts:
        return None
    start = rng.choice(starts)
    end = start + length
    while not _content_word(bare[end - 1]):
        end -= 1
    return " ".join(word for word in bare[start:end] if word), " ".join(words[:start] + words[end:])


def pseudo_queries(corpus: Corpus, count: int, rng: random.Random,
                   shape: QueryShape | None = None) -> list[PseudoQuery]:
    """Up to `count` pseudo-queries from `corpus`, at most one per document, in a random order of documents: each
    `draw`n from a document's text, or, given a `shape`, `draw_shaped` like those queries."""
    found: list[PseudoQuery] = []
    rows = list(range(len(corpus)))
    rng.shuffle(rows)
    for row in rows:
        title, text = corpus.titles[row], corpus.texts[row]
        if shape is None:
            drawn = draw(text, rng)
            if drawn is not None:
                found.append(PseudoQuery(row, drawn[0], title, drawn[1], "span" if len(sentences(text)) < 2
                                         else "sentence"))
        else:
            shaped = draw_shaped(title, text, shape, rng)
            if shaped is not None:
                found.append(PseudoQuery(row, *shaped))
        if len(found) == count:
            break
    return found


def kinds_in_words(kinds: Sequence[str], form: str | None) -> str:
    """What pseudo-queries of `kinds` were, as a plural noun phrase ("titles or name-like spans", "sentences")."""
    span = "name-like spans" if form == TITLE else "spans"
    names = [name for kind, name in (("title", "titles"), ("sentence", "sentences"), ("span", span)) if kind in kinds]
    return " or ".join(names) or "pseudo-queries"


def inverse_cloze(dataset: Dataset, count: int, rng: random.Random, shape: QueryShape | None = None) -> Dataset:
    """Up to `count` pseudo-queries over `dataset`'s corpus (see `pseudo_queries`), at most one per document, as a
    training split; in the returned corpus each such document lacks its query. Queries and judgements of `dataset`
    are not used; the result is named "pseudo-queries from <name>", which is what models trained on it say they were
    fine-tuned on.

    Raises:
        ValueError: When no document offers a pseudo-query.
    """
    corpus = dataset.corpus
    drawn = pseudo_queries(corpus, count, rng, shape)
    if not drawn:
        raise ValueError(f"{dataset.name}: no document has two sentences or {3 * SPAN_WORDS} words to draw a "
                         "pseudo-query from")
    titles, texts = list(corpus.titles), list(corpus.texts)
    ids = [f"pseudo-{number}" for number in range(1, len(drawn) + 1)]
    for query in drawn:
        titles[query.row], texts[query.row] = query.title, query.rest
    qrels = {query_id: {corpus.ids[query.row]: 1} for query_id, query in zip(ids, drawn)}
    what = kinds_in_words({query.kind for query in drawn}, None if shape is None else shape.form)
    note = f"{len(ids)} pseudo-queries: {what} drawn from each of {len(ids)} documents, which lose them"
    return replace(dataset, corpus=replace(corpus, titles=tuple(titles), texts=tuple(texts)),
                   queries=Queries(tuple(ids), tuple(query.text for query in drawn), "pseudo-queries"), qrels=qrels,
                   name=f"pseudo-queries from {dataset.name}", split=SPLIT, notes=(*dataset.notes, note),
                   held_out=None)
