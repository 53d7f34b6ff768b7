"""Loaded data kept for a reload: read back equal (same content hash, so the comparison caches still answer), with
its training split and last comparison; unknown or malformed keys are None."""

from __future__ import annotations

from dataclasses import replace

from core.caches.loaded import keep_loaded, keep_spec, read_loaded
from core.data import load_dataset
from tests.conftest import SAMPLE_BEIR


def test_loaded_data_comes_back_equal_with_its_last_comparison(tmp_path):
    data = load_dataset(SAMPLE_BEIR)
    training = replace(data, name="training", split="train", held_out=(50, 7))
    key = keep_loaded(data, training, "held out", tmp_path)
    assert read_loaded(key, tmp_path).spec is None
    keep_spec(key, {"contestants": [{"name": "bm25", "kind": "bm25"}]}, tmp_path)
    found = read_loaded(key, tmp_path)
    assert found.dataset == data and found.dataset.content_hash == key == data.content_hash
    assert found.dataset.queries.fields == data.queries.fields and found.dataset.notes == data.notes
    assert found.training == training and found.training.held_out == (50, 7) and found.split_how == "held out"
    assert found.spec == {"contestants": [{"name": "bm25", "kind": "bm25"}]}


def test_unknown_malformed_and_damaged_keys_find_nothing(tmp_path):
    assert read_loaded("0123456789abcdef", tmp_path) is None
    assert read_loaded("../../etc/passwd", tmp_path) is None
    key = keep_loaded(load_dataset(SAMPLE_BEIR), None, "", tmp_path)
    (tmp_path / "data" / f"{key}.json").write_text("{not json")
    assert read_loaded(key, tmp_path) is None


def test_data_too_large_to_keep_is_not_written(tmp_path, monkeypatch):
    from core.caches import loaded

    monkeypatch.setattr(loaded, "MAX_CHARACTERS", 10)
    key = keep_loaded(load_dataset(SAMPLE_BEIR), None, "", tmp_path)
    assert read_loaded(key, tmp_path) is None and not (tmp_path / "data").exists()
