"""Rankers on the real embedded MiniLM: interface invariants and the untrained initialisations."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
from sentence_transformers import CrossEncoder

from core.attention_types import PairAttention, PolyAttention, TokenSimilarity
from core.contestants.registry import contestant
from core.data import Corpus
from core.models.cross_encoder import JointCrossEncoder
from core.models.idf import token_log_idf
from core.models.loading import ModelError, load_cross_encoder, load_poly_encoder
from core.models.poly_encoder import PolyEncoder
from core.models.sources import backbone_path
from core.rankers.bi_encoder import BiEncoderRanker
from core.rankers.bm25 import BM25Ranker
from core.rankers.build import build_ranker, describe
from core.rankers.cross_encoder import CrossEncoderRanker
from core.rankers.poly_encoder import PolyEncoderRanker

TINY = Corpus(ids=("sky", "pasta", "bank", "river"),
              texts=("The sky looks blue because air scatters short wavelengths of sunlight.",
                     "Boil the pasta in salted water until it is al dente.",
                     "The bank raised its interest rate on savings accounts.",
                     "Floods erode the muddy banks of a river."),
              titles=("", "", "", ""))


def _rankers(bi_model):
    return {
        "bi": BiEncoderRanker(bi_model, "embedded"),
        "poly": PolyEncoderRanker(load_poly_encoder("embedded"), "embedded"),
        "cross": CrossEncoderRanker(load_cross_encoder("embedded"), "embedded"),
        "bm25": BM25Ranker(),
    }


@pytest.fixture(scope="module")
def tiny_rankers(bi_model):
    rankers = _rankers(bi_model)
    for ranker in rankers.values():
        ranker.index(TINY)
    return rankers


@pytest.mark.parametrize("kind", ["bi", "poly", "cross", "bm25"])
def test_rank_sorts_the_scores_that_score_returns(tiny_rankers, kind):
    ranker = tiny_rankers[kind]
    query = "why is the sky blue"
    scores = ranker.score(query, TINY.ids)
    ranked = ranker.rank(query, k=4, candidates=TINY.ids)
    assert list(ranked) == [TINY.ids[i] for i in np.argsort(-scores, kind="stable")]
    assert np.allclose(list(ranked.values()), np.sort(scores)[::-1], atol=1e-6)
    assert next(iter(ranker.rank(query, k=1))) == "sky"


@pytest.mark.parametrize("kind", ["bi", "poly", "cross", "bm25"])
def test_rank_of_the_whole_corpus_matches_the_shortlist_of_everything(tiny_rankers, kind):
    ranker = tiny_rankers[kind]
    query = "erosion of river banks"
    assert list(ranker.rank(query, k=4)) == list(ranker.rank(query, k=4, candidates=TINY.ids))


def test_search_records_one_latency_per_query_and_can_exclude_self(tiny_rankers):
    from core.data import Queries

    queries = Queries(ids=("sky", "q2"), texts=("why is the sky blue", "cooking pasta"))
    ranker = tiny_rankers["bi"]
    run = ranker.search(queries, k=2, exclude_self=True)
    assert "sky" not in run["sky"] and len(run["sky"]) == 2
    assert len(ranker.timings.query_ms) == 2 and all(ms > 0 for ms in ranker.timings.query_ms)


def test_untrained_poly_encoder_ranks_exactly_like_the_bi_encoder(sample_dataset, bi_model):
    bi = BiEncoderRanker(bi_model, "embedded")
    poly = PolyEncoderRanker(PolyEncoder.from_backbone(backbone_path(), n_codes=16), "untrained-poly")
    assert not poly.trained and poly.label == "poly (untrained)"
    for ranker in (bi, poly):
        ranker.index(sample_dataset.corpus)
    bi_run = bi.search(sample_dataset.queries, k=20)
    poly_run = poly.search(sample_dataset.queries, k=20)
    for query_id in sample_dataset.queries.ids:
        assert list(poly_run[query_id]) == list(bi_run[query_id])
        assert np.allclose(list(poly_run[query_id].values()), list(bi_run[query_id].values()), atol=1e-5)


def test_untrained_joint_cross_encoder_scores_the_bi_encoder_cosine(bi_model):
    model = JointCrossEncoder.from_backbone(backbone_path())
    query = "what makes the sky blue"
    scores = model.predict([(query, text) for text in TINY.texts])
    vectors = bi_model.encode([query, *TINY.texts], normalize_embeddings=True)
    assert not model.trained
    assert np.allclose(scores, vectors[1:] @ vectors[0], atol=1e-5)


def test_token_idf_ranks_rare_tokens_above_common_ones_and_ignores_special_tokens():
    tokenizer = PolyEncoder.from_backbone(backbone_path(), n_codes=1).tokenizer
    log_idf = token_log_idf(tokenizer, TINY.texts)
    the, sky, unseen = tokenizer.convert_tokens_to_ids(["the", "sky", "volcano"])
    assert log_idf.shape == (len(tokenizer),)
    assert log_idf[the] < log_idf[sky] < log_idf[unseen]  # "the" is in every text, "sky" in one, "volcano" in none
    assert (log_idf[tokenizer.all_special_ids] == 0).all()


def test_the_idf_prior_moves_code_attention_to_rare_query_tokens_and_vanishes_at_weight_zero(bi_model):
    model = PolyEncoder.from_backbone(backbone_path(), n_codes=2, idf_prior=True)
    log_idf = token_log_idf(model.tokenizer, TINY.texts)
    query = ["the colour of the sky"]
    with torch.inference_mode():
        plain = model.score(model.encode_context(query, log_idf), model.encode_candidates(TINY.texts))[0][0]
        vectors = bi_model.encode([*query, *TINY.texts], normalize_embeddings=True)
        assert np.allclose(plain.numpy(), vectors[1:] @ vectors[0], atol=1e-5)  # weight 0: the bi-encoder
        model.idf_weight.fill_(1.0)
        _, weights = model.attend_query(query, log_idf)
    tokens = model.tokenizer.convert_ids_to_tokens(model.tokenize(query)["input_ids"][0].tolist())
    assert weights[0, 0, tokens.index("sky")] > 2 * weights[0, 0, tokens.index("the")]


def test_a_poly_ranker_with_the_idf_prior_counts_its_corpus_idf_at_indexing(tmp_path):
    model = PolyEncoder.from_backbone(backbone_path(), n_codes=2, idf_prior=True)
    with torch.no_grad():
        model.idf_weight.fill_(0.6)
        model.fallback_log_idf.copy_(token_log_idf(model.tokenizer, ["a text about something else"]))
    model.save(tmp_path / "poly", include_backbone=False)
    loaded = load_poly_encoder(str(tmp_path / "poly"))
    assert loaded.config.idf_prior and loaded.idf_weight.item() == pytest.approx(0.6, abs=1e-3)
    assert torch.allclose(loaded.fallback_log_idf, model.fallback_log_idf, atol=1e-2)
    ranker = PolyEncoderRanker(loaded, "idf-poly")
    ranker.index(TINY)
    assert torch.allclose(ranker.log_idf, token_log_idf(loaded.tokenizer, TINY.passages()))
    assert list(ranker.rank("sky colour", k=1)) == ["sky"]


def test_a_closed_joint_cross_encoder_with_the_idf_prior_scores_like_the_untrained_idf_poly_encoder():
    cross = JointCrossEncoder.from_backbone(backbone_path(), idf_prior=True)
    poly = PolyEncoder.from_backbone(backbone_path(), n_codes=2, idf_prior=True)
    log_idf = token_log_idf(cross.tokenizer, TINY.texts)
    query = "the colour of the sky"
    with torch.inference_mode():
        cross.idf_weight.fill_(0.6)
        poly.idf_weight.fill_(0.6)
        weighted = cross.predict([(query, text) for text in TINY.texts], log_idf=log_idf)
        expected = poly.score(poly.encode_context([query], log_idf), poly.encode_candidates(TINY.texts))[0][0]
        plain = cross.predict([(query, text) for text in TINY.texts])  # the fallback IDF is all zeros here
    assert np.allclose(weighted, expected.numpy(), atol=1e-5)
    assert not np.allclose(weighted, plain, atol=1e-3)


def test_a_cross_ranker_with_the_idf_prior_counts_its_corpus_idf_at_indexing(tmp_path):
    model = JointCrossEncoder.from_backbone(backbone_path(), idf_prior=True)
    model.config = replace(model.config, trained=True, fine_tuned_on="tiny")  # a prior kept as trained (no test)
    with torch.no_grad():
        model.idf_weight.fill_(0.6)
        model.fallback_log_idf.copy_(token_log_idf(model.tokenizer, ["a text about something else"]))
    model.save(tmp_path / "cross")
    loaded = load_cross_encoder(str(tmp_path / "cross"))
    assert loaded.config.idf_prior and loaded.idf_weight.item() == pytest.approx(0.6, abs=1e-3)
    assert torch.allclose(loaded.fallback_log_idf, model.fallback_log_idf, atol=1e-2)
    ranker = CrossEncoderRanker(loaded, "idf-cross")
    ranker.index(TINY)
    log_idf = token_log_idf(loaded.tokenizer, TINY.passages(), loaded.config.max_document_length)
    assert torch.allclose(ranker.log_idf, log_idf)
    pairs = [("sky colour", text) for text in TINY.texts]
    assert np.allclose(ranker.score("sky colour", TINY.ids), loaded.predict(pairs, log_idf=log_idf), atol=1e-6)
    assert list(ranker.rank("sky colour", k=1)) == ["sky"]


def test_a_kept_start_is_saved_in_full_precision_and_ranks_exactly_as_it_did(tmp_path):
    """fp16 weights reorder near-ties (a WikiQA cross-encoder that kept its start, the fine-tuned bi-encoder, ranked
    0.1 nDCG@10 below it), so a training run that keeps its start saves it in float32."""
    model = JointCrossEncoder.from_backbone(backbone_path())
    pairs = [("sky colour", text) for text in TINY.texts]
    model.save(tmp_path / "kept", full_precision=True)
    model.save(tmp_path / "trained")
    assert np.array_equal(load_cross_encoder(str(tmp_path / "kept")).predict(pairs), model.predict(pairs))
    assert not np.array_equal(load_cross_encoder(str(tmp_path / "trained")).predict(pairs), model.predict(pairs))


@pytest.mark.parametrize("include_backbone", [True, False], ids=["full", "codes-only"])
def test_poly_encoder_survives_save_and_load(tmp_path, include_backbone):
    model = PolyEncoder.from_backbone(backbone_path(), n_codes=4)
    with torch.no_grad():
        model.codes.normal_(0.0, 0.5)
    model.save(tmp_path / "poly", training={"note": "test"}, include_backbone=include_backbone)
    saved_mb = sum(f.stat().st_size for f in (tmp_path / "poly").iterdir()) / 1e6
    assert saved_mb > 40 if include_backbone else saved_mb < 0.1  # codes-only: the packaged backbone is reused
    loaded = load_poly_encoder(str(tmp_path / "poly"))
    assert loaded.config == model.config and loaded.codes.shape == (4, 384)
    with torch.inference_mode():
        original = model.score(model.encode_context(["sky colour"]), model.encode_candidates(TINY.texts))[0]
        restored = loaded.score(loaded.encode_context(["sky colour"]), loaded.encode_candidates(TINY.texts))[0]
    assert np.allclose(original.numpy(), restored.numpy(), atol=2e-2)  # weights are stored in fp16


def test_a_sentence_transformers_cross_encoder_loads_from_a_local_path(tmp_path):
    CrossEncoder(str(backbone_path()), num_labels=1, device="cpu").save(str(tmp_path / "ce"))
    scorer = load_cross_encoder(str(tmp_path / "ce"))
    ranker = CrossEncoderRanker(scorer, str(tmp_path / "ce"))
    ranker.index(TINY)
    scores = ranker.score("sky colour", TINY.ids)
    assert scores.shape == (4,) and np.isfinite(scores).all()
    attention = scorer.attention("sky colour", TINY.texts[0])
    layers, heads, length, _ = attention.weights.shape
    assert (layers, heads) == (6, 12) and length == len(attention.tokens)
    assert attention.tokens[attention.boundary - 1] == "[SEP]"
    assert np.allclose(attention.weights.sum(-1), 1.0, atol=1e-4)


def test_missing_model_path_is_a_clear_error():
    with pytest.raises(ModelError, match="does not exist"):
        load_cross_encoder("./no/such/model")


def test_each_ranker_shows_its_own_attention_data(tiny_rankers):
    query = "why is the sky blue"
    poly = tiny_rankers["poly"]  # indexed: its IDF prior is this corpus's
    attention = poly.attention(query, TINY.texts[0])
    assert poly.as_start  # TINY has no document long enough to test the prior on (core.rankers.prior_check)
    n_codes = poly.model.config.n_codes  # its m codes are shown, also where it ranks as its start
    assert isinstance(attention, PolyAttention) and attention.trained == poly.trained and attention.ranks_as_start
    assert attention.code_weights.shape == (n_codes, len(attention.query_tokens))
    assert np.allclose(attention.code_weights.sum(-1), 1.0, atol=1e-5)
    assert attention.document_weights.shape == (n_codes,) and attention.document_weights.sum() == pytest.approx(1.0)
    assert attention.score == pytest.approx(float(poly.score(query, ["sky"])[0]), abs=1e-4)  # what it ranks by
    similarity = tiny_rankers["bi"].attention("blue sky", TINY.texts[0])
    assert isinstance(similarity, TokenSimilarity)
    assert similarity.matrix.shape == (len(similarity.query_tokens), len(similarity.document_tokens))
    assert similarity.query_tokens[0] == "[CLS]" and np.abs(similarity.matrix).max() <= 1.0 + 1e-5
    pair = tiny_rankers["cross"].attention("blue sky", TINY.texts[0])
    assert isinstance(pair, PairAttention) and pair.tokens[0] == "[CLS]"
    assert pair.query_to_document.shape[2:] == (pair.boundary, len(pair.tokens) - pair.boundary)
    assert tiny_rankers["bm25"].attention("blue sky", TINY.texts[0]) is None  # no neural view


@pytest.mark.parametrize("values", [{"kind": "bm25", "k1": 0.9, "b": 0.5}, {"kind": "bi", "index": "hnsw"},
                                    {"kind": "poly"}, {"kind": "cross", "first": "bm25", "depth": 5}])
def test_the_registry_builds_each_kinds_ranker_under_the_contestants_name(values):
    entry = contestant({"name": f"my {values['kind']}", **values})
    ranker = build_ranker(entry)
    assert ranker.name == entry.name and ranker.kind == entry.kind
    assert describe(entry).endswith(f": {ranker.model_name}")
    assert "all-MiniLM-L6-v2" in ranker.model_name if entry.model == "embedded" else "bm25s" in ranker.model_name
    assert ranker.label == (entry.name if ranker.trained else f"{entry.name} (untrained)")
    if entry.kind == "bm25":
        assert (ranker.k1, ranker.b) == (0.9, 0.5)
    if entry.kind == "bi":
        assert ranker.index_type == "hnsw" and ranker.model_name == "all-MiniLM-L6-v2, run by ONNX Runtime"


@pytest.mark.parametrize("index_type", ["hnsw", "ivf"])
def test_approximate_indexes_find_what_exact_search_finds(sample_dataset, bi_model, index_type):
    exact = BiEncoderRanker(bi_model, "embedded", "flat")
    approximate = BiEncoderRanker(bi_model, "embedded", index_type)
    for ranker in (exact, approximate):
        ranker.index(sample_dataset.corpus)
    found = [len(set(exact.rank(text, 10)) & set(approximate.rank(text, 10))) / 10
             for text in sample_dataset.queries.texts]
    assert np.mean(found) >= 0.9


def test_a_bi_encoder_loads_from_a_local_path_through_the_same_code(bi_model):
    from core.models.loading import load_bi_encoder

    local = load_bi_encoder(str(backbone_path()))
    assert local is not bi_model  # a separate load, not the cached default
    assert np.allclose(local.encode(["blue sky"]), bi_model.encode(["blue sky"]), atol=1e-6)
