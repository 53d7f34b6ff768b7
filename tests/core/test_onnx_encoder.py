"""ONNX Runtime backends of the bi-encoder: the same embeddings as sentence-transformers (float32), close
ones (int8), the same rankings, and clear refusals."""

from __future__ import annotations

import numpy as np
import pytest
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.modules import Pooling, Transformer

from core.backbone import backbone_path
from core.config import BACKENDS, ArenaConfig
from core.models import ModelError, load_bi_encoder
from core.onnx_encoder import OnnxSentenceEncoder
from core.rankers import BiEncoderRanker


@pytest.fixture(scope="module")
def passages(sample_dataset) -> list[str]:
    return sample_dataset.corpus.passages()[:40]


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_onnx_float32_gives_the_sentence_transformers_embeddings(bi_model, passages):
    expected = bi_model.encode(passages, normalize_embeddings=True)
    got = load_bi_encoder("embedded", "onnx").encode(passages, batch_size=8, normalize_embeddings=True)
    assert got.shape == expected.shape and got.dtype == np.float32
    assert cosines(got, expected).min() > 0.9999
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)  # the model's Normalize module


def test_onnx_int8_stays_close_to_the_float_embeddings(bi_model, passages):
    expected = bi_model.encode(passages, normalize_embeddings=True)
    got = load_bi_encoder("embedded", "onnx-int8").encode(passages, normalize_embeddings=True)
    similarity = cosines(got, expected)
    assert similarity.mean() > 0.95 and similarity.min() > 0.85


def test_the_bi_encoder_ranker_ranks_alike_on_every_backend(bi_model, sample_dataset):
    queries = sample_dataset.queries.texts[:10]
    tops, embeddings = {}, {}
    for backend in BACKENDS:
        ranker = BiEncoderRanker(load_bi_encoder("embedded", backend), "embedded", backend=backend)
        ranker.index(sample_dataset.corpus)
        tops[backend] = [list(ranker.rank(query, k=3)) for query in queries]
        embeddings[backend] = ranker.embeddings
    assert not np.array_equal(embeddings["onnx-int8"], embeddings["torch"])  # each backend caches its own
    assert tops["onnx"] == tops["torch"]
    # int8 reorders near-ties (close sample documents), but keeps the float model's best in its top 3
    assert all(torch_top[0] in int8_top for torch_top, int8_top in zip(tops["torch"], tops["onnx-int8"]))


def test_backends_are_loaded_once_and_unknown_ones_are_refused():
    assert load_bi_encoder("embedded", "onnx") is load_bi_encoder("embedded", "onnx")
    with pytest.raises(ModelError, match="unknown bi-encoder backend 'tensorrt'"):
        load_bi_encoder("embedded", "tensorrt")


def test_the_comparison_config_names_the_backend_and_refuses_unknown_ones():
    assert ArenaConfig.from_dict(ArenaConfig(bi_backend="onnx-int8").to_dict()).bi_backend == "onnx-int8"
    with pytest.raises(ValueError, match="bi-encoder backend must be one of torch, onnx, onnx-int8"):
        ArenaConfig(bi_backend="tensorrt")


def test_models_that_do_not_mean_pool_are_refused():
    path = str(backbone_path())
    cls_pooled = SentenceTransformer(modules=[Transformer(path), Pooling(384, pooling_mode="cls")], device="cpu")
    with pytest.raises(ValueError, match="mean Pooling"):
        OnnxSentenceEncoder(cls_pooled)
