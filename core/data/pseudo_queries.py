"""Pseudo-queries from a corpus alone (inverse cloze), for adapting a model to a corpus without a training split.

A sentence taken out of a document is the query, and the document without that sentence is its one relevant
document (Lee et al., "Latent Retrieval for Weakly Supervised Open Domain QA", 2019, call this the inverse cloze
task). Where documents have no sentence punctuation (NFCorpus's texts are stripped of it), a span of
`SPAN_WORDS` consecutive words stands in for the sentence (Izacard et al.'s Contriever crops spans likewise).
Removing the query matters: left in, it is a verbatim substring of its positive and a model learns to find copies.
The result is an ordinary training split, so `core.training.in_domain` mines negatives and trains on it as on
judged queries.
"""

from __future__ import annotations

import random
import re
from dataclasses import replace

from core.types import Dataset, Queries

SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
QUERY_WORDS = (4, 40)
"""A pseudo-query's length in words, inclusive: shorter sentences are headings or fragments, longer ones whole
paragraphs."""
SPAN_WORDS = 12
"""A word span's length, for documents of at least three spans' words without two sentences to draw from."""
SPLIT = "pseudo-queries"


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
    words = text.split()
    if len(words) < 3 * SPAN_WORDS:
        return None
    start = rng.randrange(len(words) - SPAN_WORDS + 1)
    return " ".join(words[start:start + SPAN_WORDS]), " ".join(words[:start] + words[start + SPAN_WORDS:])


def inverse_cloze(dataset: Dataset, count: int, rng: random.Random) -> Dataset:
    """Up to `count` pseudo-queries over `dataset`'s corpus (see `draw`), at most one per document, as a training
    split; in the returned corpus each such document's text lacks its query. Queries and judgements of `dataset` are
    not used; the result is named "pseudo-queries from <name>", which is what models trained on it say they were
    fine-tuned on.

    Raises:
        ValueError: When no document offers a pseudo-query.
    """
    corpus = dataset.corpus
    texts = list(corpus.texts)
    ids, questions, qrels = [], [], {}
    rows = list(range(len(corpus)))
    rng.shuffle(rows)
    for row in rows:
        drawn = draw(texts[row], rng)
        if drawn is None:
            continue
        query_id = f"pseudo-{len(ids) + 1}"
        ids.append(query_id)
        questions.append(drawn[0])
        qrels[query_id] = {corpus.ids[row]: 1}
        texts[row] = drawn[1]
        if len(ids) == count:
            break
    if not ids:
        raise ValueError(f"{dataset.name}: no document has two sentences or {3 * SPAN_WORDS} words to draw a "
                         "pseudo-query from")
    note = f"{len(ids)} pseudo-queries: a sentence or span drawn from each of {len(ids)} documents, which lose it"
    return replace(dataset, corpus=replace(corpus, texts=tuple(texts)), queries=Queries(tuple(ids), tuple(questions),
                   "pseudo-queries"), qrels=qrels, name=f"pseudo-queries from {dataset.name}", split=SPLIT,
                   notes=(*dataset.notes, note), held_out=None)
