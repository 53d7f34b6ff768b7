"""core.data.samples, the sample data shipped with the project: one content key whatever the format, query subsets,
and the lesson data's two splits."""

from __future__ import annotations

from core.data import first_queries, load_dataset
from core.data.samples import load_lesson, load_sample
from tests.conftest import SAMPLE_CSV


def test_equal_content_gives_an_equal_key_whatever_the_format():
    assert load_sample().content_hash == load_dataset(SAMPLE_CSV).content_hash
    sample = load_sample()
    assert first_queries(sample, 3).content_hash != sample.content_hash


def test_a_query_subset_keeps_only_its_own_judgements():
    sample = load_sample()
    subset = first_queries(sample, 4)
    assert len(subset.queries) == 4 and set(subset.qrels) == set(subset.queries.ids)
    assert first_queries(sample, 10_000) is sample


def test_the_lesson_data_has_a_test_split_for_the_demo_and_a_training_split_apart():
    test, training = load_lesson()
    assert (test.split, training.split) == ("test", "train") and test.name == training.name == "lesson"
    assert not set(test.queries.ids) & set(training.queries.ids) and test.qrels and training.qrels
