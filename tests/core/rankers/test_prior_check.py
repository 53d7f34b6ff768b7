"""The zero-shot IDF prior's test on each corpus (`core.rankers.prior_check`), on the real embedded models: the verdict is
measured and kept, once per shape of queries, a model whose prior fails ranks as the module says, the run says
which it did, and the verdict follows the test's noise: a tie keeps the prior, only a loss beyond the noise switches it
off."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import torch

from core.cli import main
from core.comparison.compare import compare, indexed_rankers
from core.comparison.saved import SavedComparisonError, read_saved
from core.contestants.registry import comparison, parse_contestant
from core.data import Corpus, first_queries
from core.data.pseudo_queries import TITLE, QueryShape, query_shape
from core.models.loading import load_cross_encoder, load_poly_encoder
from core.models.poly_encoder import PolyEncoder
from core.models.sources import backbone_path
from core.rankers.cross_encoder import CrossEncoderRanker
from core.rankers.poly_encoder import PolyEncoderRanker
from core.rankers.prior_check import PriorVerdict, decide, zero_shot_prior
from tests.conftest import SAMPLE_BEIR

ONE_SENTENCE_EACH = Corpus(("a", "b", "c"), ("Cats purr when content.", "Dogs bark at strangers.",
                                             "Owls hunt at night."), ("", "", ""))


def test_the_verdict_is_measured_on_the_corpus_and_read_back_the_second_time(sample_dataset):
    poly = load_poly_encoder()
    log_idf = poly.corpus_log_idf(sample_dataset.corpus)
    verdict = zero_shot_prior(poly, log_idf, sample_dataset.corpus, lambda message, fraction: None)
    assert 50 <= verdict.queries <= 200 and 0 < verdict.with_prior < 1 and 0 < verdict.without_prior < 1
    assert verdict.with_prior != verdict.without_prior  # the two poolings really differ
    assert zero_shot_prior(poly, log_idf, sample_dataset.corpus, lambda message, fraction: None) == verdict
    cross = load_cross_encoder()  # the same weight, rounded: one test serves both models
    assert zero_shot_prior(cross, cross.corpus_log_idf(sample_dataset.corpus), sample_dataset.corpus,
                           lambda message, fraction: None) == verdict


def test_a_corpus_without_two_sentence_documents_keeps_the_prior_off(bi_model):
    ranker = PolyEncoderRanker(load_poly_encoder(), "embedded")
    ranker.index(ONE_SENTENCE_EACH)
    assert ranker.prior == PriorVerdict(0.0, 0.0, 0) and ranker.as_start
    assert "IDF prior off" in ranker.notes[0] and "no document has two sentences or enough words" in ranker.notes[0]


def test_a_poly_encoder_whose_prior_fails_ranks_exactly_as_the_bi_encoder(bi_model):
    ranker = PolyEncoderRanker(load_poly_encoder(), "embedded")
    ranker.index(ONE_SENTENCE_EACH)
    query = "which animal is active after dark"
    vectors = bi_model.encode([query, *ONE_SENTENCE_EACH.passages()], normalize_embeddings=True)
    assert np.allclose(ranker.score(query, ONE_SENTENCE_EACH.ids), vectors[1:] @ vectors[0], atol=1e-5)
    attention = ranker.attention(query, ONE_SENTENCE_EACH.texts[2])  # what it is, beside what it ranks by
    assert attention.ranks_as_start and attention.code_weights.shape[0] == ranker.model.config.n_codes > 1
    assert attention.score == pytest.approx(float(ranker.score(query, [ONE_SENTENCE_EACH.ids[2]])[0]), abs=1e-4)
    assert not np.allclose(attention.code_weights, attention.code_weights[0])  # the codes differ from each other


def test_a_cross_encoder_whose_prior_fails_pools_its_query_by_the_plain_mean(bi_model):
    scorer = load_cross_encoder()
    ranker = CrossEncoderRanker(scorer, "embedded")
    ranker.index(ONE_SENTENCE_EACH)
    query = "which animal is active after dark"
    pairs = [(query, passage) for passage in ONE_SENTENCE_EACH.passages()]
    plain = scorer.predict(pairs, log_idf=torch.zeros_like(ranker.log_idf))
    weighted = scorer.predict(pairs, log_idf=scorer.corpus_log_idf(ONE_SENTENCE_EACH))
    assert np.allclose(ranker.score(query, ONE_SENTENCE_EACH.ids), plain, atol=1e-5)
    assert not np.allclose(plain, weighted, atol=1e-4)
    assert ranker.attention(query, ONE_SENTENCE_EACH.texts[2]).idf_weight is None
    assert "pools the query segment by its plain mean" in ranker.notes[0]


def test_models_without_the_prior_or_fine_tuned_are_not_tested(sample_dataset):
    corpus = sample_dataset.corpus
    assert zero_shot_prior(load_cross_encoder(), None, corpus, lambda message, fraction: None) is None
    poly = PolyEncoder.from_backbone(backbone_path(), 2, idf_prior=True)
    poly.config = replace(poly.config, trained=True, fine_tuned_on="lesson")
    assert zero_shot_prior(poly, poly.corpus_log_idf(corpus), corpus, lambda message, fraction: None) is None


def test_each_shape_of_queries_gets_its_own_test_and_a_comparison_tests_on_its_queries_shape(sample_dataset):
    poly = load_poly_encoder()
    corpus, log_idf = sample_dataset.corpus, poly.corpus_log_idf(sample_dataset.corpus)
    sentences = zero_shot_prior(poly, log_idf, corpus, lambda message, fraction: None)
    names = QueryShape(TITLE, (1,) * 10 + (2,) * 10 + (3,))
    verdict = zero_shot_prior(poly, log_idf, corpus, lambda message, fraction: None, names)
    assert verdict != sentences and verdict.drawn == "titles or name-like spans" and verdict.median_words <= 3
    assert sentences.drawn == "sentences" and sentences.median_words > 10
    assert zero_shot_prior(poly, log_idf, corpus, lambda message, fraction: None, names) == verdict
    dataset = first_queries(sample_dataset, 5)
    spec, rankers = comparison([parse_contestant("name=poly,kind=poly")]), {}
    compare(dataset, spec, rankers=rankers)
    shaped = zero_shot_prior(poly, log_idf, corpus, lambda message, fraction: None, query_shape(dataset.queries))
    assert rankers["poly"].prior == shaped and indexed_rankers(dataset, spec)["poly"].prior == shaped


def test_a_tie_keeps_the_prior_and_only_a_loss_beyond_the_test_s_noise_switches_it_off():
    without = [0.5] * 120
    tie = decide(without, without)
    assert tie.with_prior == tie.without_prior and tie.low == tie.high == 0.0 and tie.keep
    slightly_worse = decide([1.0] * 20 + [0.0] * 21 + [0.5] * 79, without)  # as often better as worse
    assert slightly_worse.with_prior < slightly_worse.without_prior  # the old rule switched the prior off here
    assert slightly_worse.low < 0 < slightly_worse.high and slightly_worse.keep
    worse = decide([0.25] * 60 + [0.5] * 60, without)
    assert worse.high < 0 and not worse.keep
    assert decide([0.25] * 60 + [0.5] * 60, without) == worse  # seeded
    better = decide([1.0] * 60 + [0.5] * 60, without)
    assert better.low > 0 and better.keep
    with pytest.raises(ValueError, match="3 reciprocal ranks with the prior but 2 without"):
        decide([1.0, 0.5, 0.0], [1.0, 0.5])


@pytest.mark.parametrize("keep", [True, False])
def test_the_note_says_what_was_decided_on_what_and_the_figures(keep):
    verdict = PriorVerdict(0.5 if keep else 0.4, 0.45, 120, -0.01 if keep else -0.09, 0.11 if keep else -0.01,
                           "name-like spans", 2)
    note = verdict.note("poly", "so it ranks as its start")
    assert note.startswith(f"poly: IDF prior {'on' if keep else 'off for this corpus, so it ranks as its start'}")
    assert "tested on 120 name-like spans from this corpus, median 2 words" in note
    assert "MRR@10 " in note and "0.450 without" in note
    assert ("no worse beyond the test's noise" if keep else "; worse beyond the test's noise") in note
    assert ("-0.010 to +0.110" if keep else "-0.090 to -0.010") in note


def test_a_comparison_says_what_each_zero_shot_model_decided_and_keeps_it_when_saved(tmp_path, sample_dataset):
    out = tmp_path / "out"
    assert main(["compare", str(SAMPLE_BEIR), "--out", str(out), "--rankers", "bi,poly", "--max-queries", "5"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    poly_notes = metrics["rankers"]["poly"]["notes"]
    assert len(poly_notes) == 1 and poly_notes[0].startswith("poly: IDF prior ") and "MRR@10" in poly_notes[0]
    assert metrics["rankers"]["bi"]["notes"] == [] and poly_notes[0] in metrics["notes"]
    saved = (out / "results.arena.json").read_text()
    comparison, _ = read_saved(saved, "x.arena.json", first_queries(sample_dataset, 5))
    assert comparison.results["poly"].notes == poly_notes
    fields = json.loads(saved)
    fields["results"]["poly"]["notes"] = [{"html": "<b>"}]
    with pytest.raises(SavedComparisonError, match="its notes are not a list of texts"):
        read_saved(json.dumps(fields), "x.arena.json", first_queries(sample_dataset, 5))
