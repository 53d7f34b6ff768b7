"""A live question answered by every contestant, and the words that show why: on the sample data with the real
embedded models."""

from __future__ import annotations

import numpy as np
import pytest

from core.analysis.highlight import marked_html, query_terms, snippet, weighed_words
from core.analysis.live_question import ask, weighed
from core.attention_types import PairAttention, PolyAttention, TokenSimilarity
from core.comparison.compare import compare, indexed_rankers
from core.contestants.registry import comparison, contestant, kinds
from core.data import first_queries

SPEC = comparison([contestant({"name": "lexical", "kind": "bm25"}),
                   contestant({"name": "dense", "kind": "bi"}),
                   contestant({"name": "poly", "kind": "poly"}),
                   contestant({"name": "reranked", "kind": "cross", "first": "dense", "depth": 10}),
                   contestant({"name": "hybrid", "kind": "fusion", "of": "lexical+dense"})], k=10)


@pytest.fixture(scope="module")
def compared(sample_dataset):
    rankers = {}
    return compare(first_queries(sample_dataset, 3), SPEC, rankers=rankers), rankers


def test_a_live_question_gets_the_rankings_the_comparison_gave_it(compared, sample_dataset):
    result, rankers = compared
    query_id, question = sample_dataset.queries.ids[1], sample_dataset.queries.texts[1]
    answers = ask(question, SPEC, rankers, k=10)
    assert list(answers) == list(SPEC.names)
    for name, answer in answers.items():
        ranked = result.results[name].run[query_id]
        assert list(answer.ranking) == list(ranked)[:10], name
        assert np.allclose(list(answer.ranking.values()), list(ranked.values())[:10], atol=1e-4), name
        assert not answer.note
    assert set(answers["reranked"].ranking) <= set(ask(question, SPEC, rankers, k=10)["dense"].ranking)


def test_a_run_file_has_no_answer_and_a_fusion_of_it_falls_back_to_its_other_input(sample_dataset, tmp_path):
    path = tmp_path / "fixed.trec"
    path.write_text(f"{sample_dataset.queries.ids[0]} Q0 {sample_dataset.corpus.ids[0]} 1 1.0 fixed\n")
    spec = comparison([contestant({"name": "fixed", "kind": "run", "path": str(path)}),
                       contestant({"name": "lexical", "kind": "bm25"}),
                       contestant({"name": "hybrid", "kind": "fusion", "of": "fixed+lexical"})], k=5)
    rankers = {}
    compare(first_queries(sample_dataset, 2), spec, rankers=rankers)
    answers = ask("how is bread kept fresh", spec, rankers, k=5)
    assert answers["fixed"].ranking == {} and "new question" in answers["fixed"].note
    assert answers["hybrid"].ranking == {} and answers["hybrid"].note
    with pytest.raises(ValueError, match="empty"):
        ask("  ", spec, rankers)


def test_terms_are_the_words_bm25_matches_and_marks_escape_the_rest():
    terms = query_terms("Why do the breads go <stale>?")
    assert terms == {"whi", "do", "bread", "go", "stale"}  # stems; "the" is a stop word
    html = marked_html("Bread <b>staling</b> & stale bread", terms)
    assert html.startswith('<mark class="term">Bread</mark> &lt;b&gt;')
    assert '<mark class="term">stale</mark> <mark class="term">bread</mark>' in html and "<b>" not in html
    assert marked_html("a crumb", terms, frozenset({"crumb"})) == 'a <mark class="weighed">crumb</mark>'


def test_a_snippet_starts_near_the_first_match_of_a_long_text():
    text = "filler " * 100 + "the starch in bread retrogrades " + "tail " * 100
    cut = snippet(text, query_terms("bread starch"), chars=120)
    assert cut.startswith("…") and cut.endswith("…") and "starch" in cut and len(cut) <= 122
    assert snippet("short text", frozenset()) == "short text"


def test_weighed_words_join_word_pieces_and_skip_special_tokens_and_stop_words():
    tokens = ["[CLS]", "bread", "[SEP]", "the", "star", "##ch", "ret", "##ro", "crumb", "[SEP]"]
    weights = np.zeros((1, 1, len(tokens), len(tokens)))
    weights[0, 0, 1, 3:] = [0.9, 0.3, 0.5, 0.2, 0.1, 0.05, 0.95]  # "the" and [SEP] are heavy, but skipped
    found = weighed_words(PairAttention(tokens, 3, weights), "pair", top=2)
    assert found.words == ("starch", "retro") and found.in_document
    similarity = TokenSimilarity(["bread"], ["crumb", "of", "loaf"], np.array([[0.2, 0.9, 0.7]]))
    assert weighed_words(similarity, "tokens", top=5).words == ("loaf", "crumb")
    poly = PolyAttention(["[CLS]", "stale", "bread", "[SEP]"], np.array([[0.1, 0.7, 0.1, 0.1], [0.1, 0.1, 0.7, 0.1]]),
                         np.array([0.2, 0.8]), 1.0)
    assert weighed_words(poly, "codes", top=1) == type(found)(("bread",), False)
    with pytest.raises(ValueError, match="no weighed words"):
        weighed_words(poly, "", top=1)


def test_real_attention_gives_words_of_the_document(compared):
    _, rankers = compared
    document = "Stale bread: starch retrogradation makes the crumb firm within days."
    for name in ("dense", "reranked", "poly"):
        found = weighed_words(rankers[name].attention("why does bread go stale", document),
                              kinds()[rankers[name].kind].attention, top=3)
        side = document if found.in_document else "why does bread go stale"
        assert 1 <= len(found.words) <= 3 and all(word in side.lower() for word in found.words), (name, found)


def test_weighed_words_per_document_and_none_for_bm25(compared, sample_dataset):
    _, rankers = compared
    docs = sample_dataset.corpus.ids[:2]
    found = weighed(rankers["reranked"], "why does bread go stale", sample_dataset.corpus, docs, top=3)
    assert list(found) == list(docs) and all(words.in_document and words.words for words in found.values())
    assert weighed(rankers["lexical"], "why does bread go stale", sample_dataset.corpus, docs) == {}


def test_rankers_indexed_without_searching_answer_as_the_comparison_s_do(compared, sample_dataset):
    _, searched = compared
    question = "how do I keep bread from going stale"
    fresh = ask(question, SPEC, indexed_rankers(sample_dataset, SPEC), k=10)
    for name, answer in ask(question, SPEC, searched, k=10).items():
        assert list(fresh[name].ranking) == list(answer.ranking), name
