"""The cross-encoder's other two uses: its early layers as an embedder, and ANNCUR (its kNN without a bi-encoder)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from core.analysis.cross_encoder_sweeps import calls_sweep, layer_sweep
from core.contestants.registry import parse_contestant
from core.contestants.spec import SpecError
from core.data import first_queries, make_dataset
from core.models.backbone import masked_mean
from core.models.early_layers import EarlyLayerEncoder, transformer_of
from core.models.loading import load_cross_encoder
from core.present.figures import calls_figure, layer_sweep_figure
from core.rankers.anncur import AnncurRanker
from core.rankers.build import build_ranker
from core.rankers.cross_encoder import CrossEncoderRanker
from core.types import Corpus, Queries

TEXTS = ["why do my ears pop on a plane",
         "During climb and descent, the air pressure inside an aircraft cabin changes faster than the ear adjusts."]
VOCABULARY = ("ear", "plane", "bread", "sky", "heart", "battery")


class WordOverlapScorer:
    """A real, exactly low-rank pair scorer: the dot product of the two texts' counts of six words (rank ≤ 6)."""

    trained = True
    kept_start = False

    @staticmethod
    def counts(text: str) -> np.ndarray:
        words = text.lower().split()
        return np.array([sum(word.startswith(term) for word in words) for term in VOCABULARY], dtype=np.float32)

    def corpus_log_idf(self, corpus: Corpus) -> None:
        return None

    def predict(self, pairs, batch_size: int = 32, log_idf=None) -> np.ndarray:
        self.calls = getattr(self, "calls", 0) + len(pairs)
        return np.array([self.counts(q) @ self.counts(d) for q, d in pairs], dtype=np.float32)


def word_corpus(size: int = 40) -> Corpus:
    rng = np.random.default_rng(3)
    texts = [" ".join(rng.choice([*VOCABULARY, "the", "a", "of"], size=8)) for _ in range(size)]
    return Corpus(tuple(f"d{i}" for i in range(size)), tuple(texts), ("",) * size)


@pytest.fixture(scope="module")
def cross_transformer():
    return transformer_of(load_cross_encoder("embedded"))


def test_all_layers_of_the_embedded_cross_encoder_on_one_text_give_its_own_pooled_output(cross_transformer, bi_model):
    tokenizer, model, max_length = cross_transformer
    embedded = EarlyLayerEncoder(tokenizer, model, model.config.num_hidden_layers, max_length).encode(TEXTS)
    batch = tokenizer(TEXTS, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
    with torch.inference_mode():
        pooled = torch.nn.functional.normalize(masked_mean(model(**batch).last_hidden_state, batch["attention_mask"]))
    assert np.allclose(embedded, pooled.numpy(), atol=1e-5)
    # its backbone is the packaged MiniLM, so all six layers are the bi-encoder itself
    assert np.allclose(embedded, bi_model.encode(TEXTS, normalize_embeddings=True), atol=1e-5)


def test_fewer_layers_embed_differently_and_leave_the_cross_encoder_whole(cross_transformer):
    tokenizer, model, max_length = cross_transformer
    two = EarlyLayerEncoder(tokenizer, model, 2, max_length)
    assert len(two.model.encoder.layer) == 2 and len(model.encoder.layer) == model.config.num_hidden_layers
    assert two.model.embeddings.word_embeddings.weight is model.embeddings.word_embeddings.weight  # shared weights
    full = EarlyLayerEncoder(tokenizer, model, model.config.num_hidden_layers, max_length).encode(TEXTS)
    vectors = two.encode(TEXTS)
    assert vectors.shape == full.shape and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert not np.allclose(vectors, full, atol=1e-3)


def test_an_early_layer_contestant_ranks_and_refuses_more_layers_than_the_model_has(sample_dataset):
    ranker = build_ranker(parse_contestant("name=ce-l3,kind=early-layer,layers=3"))
    ranker.index(sample_dataset.corpus)
    top = ranker.rank(sample_dataset.queries.texts[0], k=5)
    assert len(top) == 5 and list(top.values()) == sorted(top.values(), reverse=True)
    assert ranker.model_name.startswith("first 3 layers of")
    with pytest.raises(SpecError, match="layers must be within 1..6"):
        build_ranker(parse_contestant("name=deep,kind=early-layer,layers=7"))


def test_anncur_with_every_document_an_anchor_is_the_exact_cross_encoder_ranking(sample_dataset):
    corpus = Corpus(sample_dataset.corpus.ids[:10], sample_dataset.corpus.texts[:10], sample_dataset.corpus.titles[:10])
    scorer = load_cross_encoder("embedded")
    anncur = AnncurRanker(scorer, "embedded", anchors=2, anchor_docs=len(corpus), depth=0)
    anncur.index(corpus)
    exact = CrossEncoderRanker(scorer, "embedded")
    exact.index(corpus)
    query = sample_dataset.queries.texts[0]
    got, expected = anncur.rank(query, k=10), exact.rank(query, k=10)
    assert list(got) == list(expected) and np.allclose(list(got.values()), list(expected.values()), atol=1e-5)
    assert anncur.calls_per_query == len(corpus)


def test_anncur_recovers_an_exactly_low_rank_scorer_from_few_anchors_and_calls():
    corpus, scorer = word_corpus(), WordOverlapScorer()
    anncur = AnncurRanker(scorer, "word overlap", anchors=len(VOCABULARY) + 4, anchor_docs=len(VOCABULARY) + 2,
                          depth=5)
    anncur.index(corpus)
    exact = CrossEncoderRanker(scorer, "word overlap")
    exact.index(corpus)
    for query in ("ear plane plane", "heart battery sky", "bread"):
        scorer.calls = 0
        got = anncur.rank(query, k=5)
        assert scorer.calls == anncur.calls_per_query < len(corpus)
        assert sorted(got.values(), reverse=True) == pytest.approx(sorted(exact.rank(query, k=5).values(), reverse=True))


def test_the_layer_sweep_prices_every_layer_below_a_cross_encoder_pair_and_draws_it(sample_dataset):
    tiny = make_dataset(Corpus(sample_dataset.corpus.ids[:30], sample_dataset.corpus.texts[:30],
                               sample_dataset.corpus.titles[:30]), sample_dataset.queries, sample_dataset.qrels, "tiny")
    frame = layer_sweep(first_queries(tiny, 3), load_cross_encoder("embedded"), "embedded", layers=[1, 6])
    assert list(frame["layers"].iloc[:2]) == [1, 6] and pd.isna(frame["layers"].iloc[2])
    assert frame["ms_per_document"].iloc[0] < frame["ms_per_document"].iloc[1]  # one layer costs less than six
    assert frame[["ndcg@10", "recall@10"]].iloc[:2].notna().all().all()
    figure = layer_sweep_figure(frame)
    assert list(figure.data[0].text) == ["ℓ = 1", "ℓ = 6"] and figure.layout.shapes  # the cross-encoder's line


def test_the_calls_sweep_spends_equal_calls_per_method_and_draws_one_line_each():
    corpus, scorer = word_corpus(), WordOverlapScorer()
    queries = Queries(("q1", "q2"), ("ear plane", "heart battery"))
    qrels = {"q1": {corpus.ids[int(np.argmax([scorer.counts("ear plane") @ scorer.counts(t) for t in corpus.texts]))]: 1},
             "q2": {corpus.ids[0]: 1}}
    data = make_dataset(corpus, queries, qrels, "words")
    stage = CrossEncoderRanker(WordOverlapScorer(), "word overlap")  # any indexed ranker can be a first stage
    stage.index(corpus)
    frame = calls_sweep(data, scorer, "word overlap", {"exact": stage}, budgets=(4, 10), anchors=8)
    assert list(frame["method"]) == ["ANNCUR", "exact → cross"] * 2
    assert list(frame["calls"]) == [4, 4, 10, 10] and frame.attrs["index_calls"] == 8 * len(corpus)
    figure = calls_figure(frame)
    assert [trace.name for trace in figure.data] == ["ANNCUR", "exact → cross"]
    assert figure.data[0].line.color != figure.data[1].line.color
