"""Fine-tuning on a dataset's own training split, through the CLI contract, on the project's sample data split
in two (real models, a budget of seconds): splits stay apart, the budget holds, the models load back as
"fine-tuned on <data>" contestants, and the test split's table lands in the model card; without a training split,
pseudo-queries drawn from the corpus stand in for one."""

from __future__ import annotations

import json
import random
import re
import time
from dataclasses import replace
from pathlib import Path

import pytest

from core.caches import embeddings
from core.cli import main
from core.contestants.registry import contestant
from core.data import load_dataset
from core.data.devsets import export_beir
from core.data.pseudo_queries import SPAN_WORDS, draw, inverse_cloze
from core.data.splits import hold_out
from core.models.early_layers import EarlyLayerEncoder, transformer_of
from core.models.loading import load_bi_encoder, load_cross_encoder
from core.models.sources import EMBEDDED
from core.rankers.build import BuildContext, build_ranker, describe_model
from core.rankers.cross_encoder import CrossEncoderRanker
from core.training.early_layers import EarlyLayerStudent
from core.training.in_domain import (
    MIN_MINUTES,
    corpus_seconds,
    fine_tune,
    finish_saved_config,
    job_seconds,
    mine,
    mining_seconds,
    own_dev_split,
)
from core.training.jobs import cancel, failure_text, outcome_text, read_status, start_job
from core.training.model_card import write_model_card
from core.training.selection import CARVED_DEV_SPLIT, DEV_SHORTLIST, OWN_DEV_SPLIT

BUDGET = "1"  # minute: mining the sample, a few steps, dev evaluations


def test_hold_out_is_seeded_and_disjoint(sample_dataset):
    first, again = hold_out(sample_dataset, 30), hold_out(sample_dataset, 30)
    assert first.training.queries.ids == again.training.queries.ids
    train, test = set(first.training.queries.ids), set(first.test.queries.ids)
    assert not train & test and train | test == set(sample_dataset.queries.ids)
    assert set(first.training.qrels) == train and first.training.split == "train"
    assert len(first.training.qrels) == round(0.3 * len(sample_dataset.qrels))
    with pytest.raises(ValueError, match="1 to 99"):
        hold_out(sample_dataset, 100)


def test_a_split_never_ranks_the_other_splits_queries(split_data):
    train, test = load_dataset(split_data, split="train"), load_dataset(split_data, split="test")
    assert (train.split, test.split) == ("train", "test")
    assert not set(train.queries.ids) & set(test.queries.ids)
    assert set(test.qrels) == set(test.queries.ids)
    assert any("held apart" in note for note in test.notes)


def test_a_data_s_own_dev_split_is_the_dev_split_else_one_is_carved_from_training(sample_dataset, tmp_path):
    """With ``qrels/dev.tsv`` its queries are the dev lists (each the bi-encoder's top 20 of the whole corpus, graded
    by the dev judgements) and every training query trains; without it the dev queries are carved from training."""
    thirds = hold_out(sample_dataset, 66)
    training = hold_out(thirds.training, 50)
    split = {"train": training.training.qrels, "dev": training.test.qrels}
    export_beir(replace(sample_dataset, qrels=thirds.test.qrels), tmp_path / "with-dev", split)
    export_beir(replace(sample_dataset, qrels=thirds.test.qrels), tmp_path / "train-only", {"train": split["train"]})
    assert own_dev_split(tmp_path / "train-only") is None
    dev_set = own_dev_split(tmp_path / "with-dev")
    assert dev_set is not None and dev_set.qrels == split["dev"]
    dataset = load_dataset(tmp_path / "with-dev", split="train")
    own = mine(dataset, random.Random(1), negatives=3, dev_set=dev_set)
    carved = mine(dataset, random.Random(1), negatives=3)
    texts = dict(zip(sample_dataset.queries.ids, sample_dataset.queries.texts))
    assert own.dev_source == OWN_DEV_SPLIT and carved.dev_source == CARVED_DEV_SPLIT
    assert {item.query for item in own.dev} == {texts[q] for q in split["dev"]}
    assert {item.query for item in own.train} == {texts[q] for q in split["train"]}
    assert all(len(item.passages) == DEV_SHORTLIST for item in own.dev) and any(sum(item.gold) for item in own.dev)
    assert len(carved.dev) + len(carved.train) == len(split["train"])
    assert {item.query for item in carved.dev} < {texts[q] for q in split["train"]}


def test_cli_contract_trains_cross_then_poly_and_compares_on_the_test_split(split_data, tmp_path):
    cross, poly, out = tmp_path / "cross", tmp_path / "poly", tmp_path / "out"
    assert main(["train", "cross", "--data", str(split_data), "--out", str(cross), "--minutes", BUDGET]) == 0
    record = json.loads((cross / "training.json").read_text())
    assert record["split"] == "train" and record["queries"]["dev"] > 0
    assert record["wall_s"] < 60 * float(BUDGET) + 45  # the budget, plus the final dev evaluation and saving
    improved = {kind: json.loads((folder / "training.json").read_text())["history"]["best_step"] > 0
                for kind, folder in (("cross", cross),)}
    config = load_cross_encoder(str(cross)).config  # a start no step beat is saved, and labelled as the start kept
    assert (config.trained, config.kept_start, config.fine_tuned_on) == (improved["cross"], not improved["cross"],
                                                                         "sample-split")
    assert main(["train", "poly", "--data", str(split_data), "--teacher", str(cross), "--out", str(poly),
                 "--minutes", BUDGET, "--bf16"]) == 0
    assert json.loads((poly / "training.json").read_text())["recipe"]["bfloat16"]  # forward passes in bfloat16
    assert main(["compare", str(split_data), "--split", "test", "--cross-model", str(cross), "--poly-model", str(poly),
                 "--rerank-depth", "10", "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["dataset"]["split"] == "test"
    assert metrics["dataset"]["queries"] == len(load_dataset(split_data, split="test").queries)
    improved["poly"] = json.loads((poly / "training.json").read_text())["history"]["best_step"] > 0
    models = {result["kind"]: result["model"] for result in metrics["rankers"].values()}
    for kind in ("cross", "poly"):  # with its training time
        assert re.search(r"fine-tuned on sample-split in \d+ (s|min)\)" if improved[kind] else
                         r"no gain from fine-tuning on sample-split in \d+ (s|min): kept the untrained start\)",
                         models[kind]), models[kind]
    card = (cross / "README.md").read_text()
    assert "## Dev curve" in card and "## Test split" in card and "ndcg@10" in card


def test_the_least_budget_trains_after_mining_on_vectors_a_comparison_cached(split_data, tmp_path, monkeypatch):
    """The page's minimum is training time: mining (here on the vectors the comparison's bi-encoder cached, which it
    reads back instead of encoding the corpus again) and saving come on top, so it never leaves nothing to train."""
    monkeypatch.setattr(embeddings, "CACHE_DIR", tmp_path / "cache")  # an empty cache, as on a fresh server
    embeddings.corpus_embeddings.clear()
    train = load_dataset(split_data, split="train")
    assert mining_seconds(train)[0] > 0  # nothing cached yet: the estimate counts encoding the corpus
    build_ranker(contestant({"name": "bi", "kind": "bi"}), BuildContext()).index(train.corpus)  # as a comparison does
    assert mining_seconds(train)[0] == 0
    fractions = []
    record = fine_tune("cross", split_data, tmp_path / "least", MIN_MINUTES,
                       progress=lambda message, fraction: fractions.append(fraction))
    assert record["history"]["steps"] > 0 and record["budget_minutes"] == MIN_MINUTES
    assert fractions == sorted(fractions) and fractions[-1] < 1.0  # done only once saved; never backwards


def test_a_job_s_estimate_counts_encoding_the_corpus_with_the_bi_encoder_it_fine_tunes(split_data):
    """The cross-encoder's dev lists are that bi-encoder's shortlists, so the job encodes the corpus with it once."""
    train = load_dataset(split_data, split="train")
    alone, each = job_seconds(train, ("cross",), 1.0)
    both, _ = job_seconds(train, ("bi", "cross"), 1.0)
    assert both - alone == pytest.approx(each + corpus_seconds(train)) and corpus_seconds(train) > 0


def test_a_model_whose_training_kept_its_start_says_so_wherever_it_is_named(split_data, tmp_path):
    record = fine_tune("cross", split_data, tmp_path / "cross", MIN_MINUTES)
    finish_saved_config(tmp_path / "cross", {**record, "history": {**record["history"], "best_step": 0}})
    scorer = load_cross_encoder(str(tmp_path / "cross"))
    assert scorer.kept_start and not scorer.trained
    assert CrossEncoderRanker(scorer, "mine", "mine").label == "mine (no gain: kept the untrained start)"
    assert re.search(r"\(no gain from fine-tuning on sample-split in \d+ (s|min): kept the untrained start\)",
                     describe_model(contestant({"name": "x", "kind": "cross", "model": str(tmp_path / "cross")})))
    kept = {**record, "history": {**record["history"], "best_step": 0}}
    assert outcome_text(kept).endswith("no gain, kept the untrained start")
    write_model_card(tmp_path / "card", kept)
    card = (tmp_path / "card" / "README.md").read_text()
    assert card.startswith("# cross · tried on sample-split: no gain, kept the untrained start")
    assert "Kept: step 0, the untrained start" in card
    if record["history"]["best_step"] > 0:
        assert re.fullmatch(r"dev nDCG@10 0\.\d{3} → 0\.\d{3} \(step \d+ of \d+\)", outcome_text(record))


def test_a_failed_job_says_why_in_a_sentence_and_where_its_log_is(tmp_path):
    assert failure_text(ValueError("the training split has no judgements"), tmp_path) == (
        "the training split has no judgements.")
    unexpected = failure_text(RuntimeError("CUDA out of memory"), tmp_path)
    assert "RuntimeError: CUDA out of memory" in unexpected and str(tmp_path / "log.txt") in unexpected


def test_training_refuses_data_without_a_training_split(tmp_path, sample_dataset):
    export_beir(sample_dataset, tmp_path / "plain")
    with pytest.raises(ValueError, match="no training split"):
        fine_tune("cross", tmp_path / "plain", tmp_path / "out", 1.0)
    for kind in ("poly", "early-layer"):
        with pytest.raises(ValueError, match="--teacher"):
            fine_tune(kind, tmp_path / "plain", tmp_path / "out", 1.0)


def test_an_early_layer_student_starts_as_the_early_layer_embedder_and_saves_as_a_bi_encoder(tmp_path, sample_dataset):
    tokenizer, transformer, max_length = transformer_of(load_cross_encoder(EMBEDDED))
    student = EarlyLayerStudent(tokenizer, transformer, layers=2)
    assert not {p.data_ptr() for p in student.parameters()} & {p.data_ptr() for p in transformer.parameters()}
    student.save(tmp_path / "student", max_length)
    texts = list(sample_dataset.corpus.passages()[:6])
    saved = load_bi_encoder(str(tmp_path / "student"), backend="torch").encode(texts, normalize_embeddings=True)
    assert saved.shape == (6, 384)
    assert saved == pytest.approx(EarlyLayerEncoder(tokenizer, transformer, 2, max_length).encode(texts), abs=1e-5)


def test_cli_distils_an_early_layer_student_that_competes_as_a_bi_encoder(split_data, tmp_path):
    student, out = tmp_path / "first-2-layers", tmp_path / "out"
    assert main(["train", "early-layer", "--data", str(split_data), "--teacher", EMBEDDED, "--layers", "2",
                 "--out", str(student), "--minutes", BUDGET]) == 0
    record = json.loads((student / "training.json").read_text())
    assert (record["kind"], record["layers"], record["teacher"]) == ("early-layer", 2, EMBEDDED)
    assert record["history"]["loss"] and record["wall_s"] < 60 * float(BUDGET) + 45
    assert "kind=bi,model=" in (student / "README.md").read_text()
    assert main(["compare", str(split_data), "--split", "test", "--ranker", f"name=student,kind=bi,model={student}",
                 "--out", str(out)]) == 0
    result = json.loads((out / "metrics.json").read_text())["rankers"]["student"]
    assert result["model"].startswith("first-2-layers") and 0 < result["metrics"]["ndcg@10"] <= 1


def test_a_background_job_can_be_cancelled(sample_dataset):
    folder = start_job(hold_out(sample_dataset, 50).training, ("cross",), 5.0)
    assert read_status(folder).state == "running"
    with pytest.raises(ValueError, match="another fine-tuning job"):
        start_job(hold_out(sample_dataset, 50).training, ("cross",), 5.0)
    cancel(folder)
    status = _wait(folder)
    assert status.state == "cancelled" and not status.models


def _wait(folder: Path, seconds: float = 180):
    deadline = time.monotonic() + seconds
    while (status := read_status(folder)).state == "running" and time.monotonic() < deadline:
        time.sleep(0.5)
    return status


def test_pseudo_queries_are_sentences_taken_out_of_their_documents(sample_dataset):
    pseudo = inverse_cloze(sample_dataset, 30, random.Random(0))
    assert len(pseudo.queries) == 30 and pseudo.split == "pseudo-queries"
    assert pseudo.name == f"pseudo-queries from {sample_dataset.name}"
    sources = [next(iter(pseudo.qrels[query_id])) for query_id in pseudo.queries.ids]
    assert len(set(sources)) == 30  # one per document
    original = dict(zip(sample_dataset.corpus.ids, sample_dataset.corpus.texts))
    changed = dict(zip(pseudo.corpus.ids, pseudo.corpus.texts))
    for query, source in zip(pseudo.queries.texts, sources):
        assert query in original[source] and query not in changed[source]
        assert len(changed[source].split()) == len(original[source].split()) - len(query.split())
    assert sum(original[doc] != changed[doc] for doc in original) == 30  # no other document changes
    assert inverse_cloze(sample_dataset, 30, random.Random(0)).queries == pseudo.queries  # seeded


def test_a_text_without_sentences_gives_a_span_of_words_and_a_short_one_nothing():
    words = [f"w{i}" for i in range(3 * SPAN_WORDS)]
    query, rest = draw(" ".join(words), random.Random(0))
    assert len(query.split()) == SPAN_WORDS and " ".join(words).replace(query, " ").split() == rest.split()
    assert draw(" ".join(words[:-1]), random.Random(0)) is None
    assert draw("Too short. Both are.", random.Random(0)) is None  # two sentences, neither long enough to ask


def test_pseudo_queries_need_documents_that_offer_one(sample_dataset):
    corpus = replace(sample_dataset.corpus, texts=tuple(" ".join(text.replace(".", ",").split()[:20])
                                                        for text in sample_dataset.corpus.texts))
    with pytest.raises(ValueError, match="two sentences or 36 words"):
        inverse_cloze(replace(sample_dataset, corpus=corpus), 10, random.Random(0))


def test_cli_adapts_a_cross_encoder_on_pseudo_queries_from_a_corpus_without_a_training_split(tmp_path, sample_dataset):
    export_beir(sample_dataset, tmp_path / "plain")
    out = tmp_path / "adapted"
    assert main(["train", "cross", "--data", str(tmp_path / "plain"), "--pseudo-queries", "60", "--out", str(out),
                 "--minutes", BUDGET]) == 0
    record = json.loads((out / "training.json").read_text())
    assert record["split"] == "pseudo-queries" and record["queries"]["training"] + record["queries"]["dev"] == 60
    assert record["recipe"]["teacher_mix"] == "gold=2,bi=0.7,bm25=0.3"
    assert "no judged query was read" in (out / "README.md").read_text()
    if record["history"]["best_step"] > 0:
        assert load_cross_encoder(str(out)).config.fine_tuned_on == f"pseudo-queries from {sample_dataset.name}"
