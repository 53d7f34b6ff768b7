"""Pseudo-queries shaped like the loaded queries (`core.data.pseudo_queries`): their form and lengths follow the
queries, the documents lose what was drawn, and the draw is seeded."""

from __future__ import annotations

import random
import statistics
from dataclasses import replace

from core.data.pseudo_queries import (
    SENTENCE,
    TITLE,
    QueryShape,
    inverse_cloze,
    pseudo_queries,
    query_shape,
    reads_as_sentence,
)
from core.types import Corpus, Queries

NAMES = Queries(tuple(f"q{i}" for i in range(8)), ("Barack Obama", "Eiffel Tower", "szechwan dish food",
                                                   "Nokia", "tango music", "Monte Carlo casino", "Pluto", "Jaguar"))
QUESTIONS = Queries(tuple(f"q{i}" for i in range(4)), (
    "which rivers flow through more than three countries of central europe",
    "how long does a cast iron bridge last before it needs to be repaired",
    "what did the first explorers of the arctic coast eat during the winter months",
    "why do some metals rust faster in sea water than in fresh water"))


def _untitled(corpus: Corpus) -> Corpus:
    return replace(corpus, titles=("",) * len(corpus))


def test_names_and_titles_give_a_title_shape_and_questions_a_sentence_shape_with_their_lengths():
    names = query_shape(NAMES)
    assert names.form == TITLE and names.lengths[0] == 1 and names.lengths[-1] == 3 and names.median == 2
    assert list(names.lengths) == sorted(names.lengths) and len(names.lengths) == 21
    questions = query_shape(QUESTIONS)
    assert questions.form == SENTENCE and questions.lengths == (11,) * 4 + (13,) * 6 + (14,) * 11
    assert reads_as_sentence("Cats purr when content.") and reads_as_sentence("does tea stain teeth")
    assert not reads_as_sentence("northern lights in Norway") and query_shape(Queries((), ())) is None
    assert query_shape(NAMES) == names  # no chance involved


def test_name_queries_give_a_corpus_s_titles_and_documents_lose_them(sample_dataset):
    shape = query_shape(NAMES)
    drawn = pseudo_queries(sample_dataset.corpus, 40, random.Random(0), shape)
    titles = [query for query in drawn if query.kind == "title"]
    assert len(drawn) == 40 and len(titles) > 20
    for query in titles:
        assert query.text == sample_dataset.corpus.titles[query.row] and query.title == ""
        assert query.document == sample_dataset.corpus.texts[query.row]  # the text alone
    for query in drawn:  # a title longer than any query gives way to a span as short as the queries
        if query.kind != "title":
            assert len(sample_dataset.corpus.titles[query.row].split()) > 3 >= len(query.text.split())
    pseudo = inverse_cloze(sample_dataset, 40, random.Random(0), shape)
    assert sum(not title for title in pseudo.corpus.titles) == len(titles)
    assert "titles or name-like spans drawn from" in pseudo.notes[-1]


def test_name_queries_over_untitled_documents_give_short_spans_as_long_as_the_queries(sample_dataset):
    corpus = _untitled(sample_dataset.corpus)
    shape = query_shape(NAMES)
    drawn = pseudo_queries(corpus, 100, random.Random(0), shape)
    assert len(drawn) == 100 and {query.kind for query in drawn} == {"span"}
    lengths = [len(query.text.split()) for query in drawn]
    assert max(lengths) <= 3 and statistics.median(lengths) <= 2
    for query in drawn:
        assert query.text.split()[0] in corpus.texts[query.row]  # taken out of the document
        assert len(query.rest.split()) < len(corpus.texts[query.row].split())
    longer = pseudo_queries(corpus, 100, random.Random(0), QueryShape(TITLE, (5,) * 21))
    assert statistics.median(len(query.text.split()) for query in longer) > 3  # the lengths follow the queries


def test_question_queries_give_sentences_of_about_their_length(sample_dataset):
    shape = query_shape(QUESTIONS)
    drawn = pseudo_queries(sample_dataset.corpus, 100, random.Random(0), shape)
    assert len(drawn) >= 50 and {query.kind for query in drawn} <= {"sentence", "span"}
    assert sum(query.kind == "sentence" for query in drawn) > len(drawn) / 2
    assert 8 <= statistics.median(len(query.text.split()) for query in drawn) <= 20
    for query in drawn:
        if query.kind == "sentence":
            assert query.text in sample_dataset.corpus.texts[query.row] and query.text not in query.rest
    short = pseudo_queries(sample_dataset.corpus, 100, random.Random(0), QueryShape(SENTENCE, (5,) * 21))
    assert statistics.median(len(query.text.split()) for query in short) < 10


def test_shaped_pseudo_queries_are_seeded(sample_dataset):
    corpus = _untitled(sample_dataset.corpus)
    for shape in (query_shape(NAMES), query_shape(QUESTIONS), None):
        assert pseudo_queries(corpus, 50, random.Random(7), shape) == pseudo_queries(corpus, 50, random.Random(7), shape)
    assert (pseudo_queries(corpus, 50, random.Random(7), query_shape(NAMES))
            != pseudo_queries(corpus, 50, random.Random(8), query_shape(NAMES)))
