"""Fine-tuning the bi-encoder alike: `python -m core train bi --data DATA` with sentence-transformers' own trainer on
the sample data's training split (real model, a budget of seconds), saved as a sentence-transformers folder that
competes as `kind=bi` under its own label; a poly-encoder then starts from it; the paper's table puts them beside
their zero-shot starts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from core.cli import main
from core.contestants.presets import PAPER_TABLE, demo_spec, paper_table, presets, with_fine_tuned
from core.contestants.registry import contestant, kinds, trainable_kinds
from core.contestants.spec import SpecError
from core.models.cross_encoder import CLOSED_GATE, JointCrossEncoder
from core.models.loading import load_bi_encoder
from core.models.poly_encoder import PolyEncoder
from core.models.sources import backbone_path
from core.rankers.build import BuildContext, build_ranker, describe_model
from core.training.bi import mnrl_columns
from core.training.cross import train_cross
from core.training.in_domain import fine_tune
from core.training.lists import TrainingList
from core.training.loop import POOLED_DEV, RERANKED_DEV, TrainConfig, dev_ndcg, pooled_dev_ndcg, seed_everything

BUDGET = "0.5"  # minute


@pytest.fixture(scope="module")
def fine_tuned_bi(split_data, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bi") / "sample-bi"
    assert main(["train", "bi", "--data", str(split_data), "--out", str(folder), "--minutes", BUDGET]) == 0
    return folder


def test_cli_fine_tunes_a_bi_encoder_with_sentence_transformers_trainer(fine_tuned_bi, split_data, tmp_path):
    record = json.loads((fine_tuned_bi / "training.json").read_text())
    assert (record["kind"], record["start"], record["split"]) == ("bi", "embedded", "train")
    history = record["history"]
    assert history["steps"] > 0 and history["loss"] and history["dev_ndcg@10"][0][0] == 0
    assert history["selection"]["queries"] == record["queries"]["dev"] > 0  # the rule compared every dev query
    assert history["best_step"] == (history["selection"]["kept"] == "checkpoint") * history["best_step"]
    assert history["seconds"] < 60 * float(BUDGET) + 30  # the budget holds (plus the last step and dev evaluation)
    files = {path.name for path in fine_tuned_bi.iterdir()}
    assert {"model.safetensors", "modules.json", "README.md"} <= files and not files & {"pytorch_model.bin"}
    card = (fine_tuned_bi / "README.md").read_text()
    assert "multiple negatives ranking loss" in card and "paired bootstrap" in card and f"## Dev curve ({POOLED_DEV})" in card

    vectors = load_bi_encoder(str(fine_tuned_bi)).encode(["why does bread go stale"], normalize_embeddings=True)
    assert vectors.shape == (1, 384)
    out = tmp_path / "out"
    assert main(["compare", str(split_data), "--split", "test", "--ranker", "name=bi,kind=bi",
                 "--ranker", f"name=mine,kind=bi,model={fine_tuned_bi}", "--out", str(out)]) == 0
    mine = json.loads((out / "metrics.json").read_text())["rankers"]["mine"]
    improved = history["best_step"] > 0
    assert ("(fine-tuned on sample-split in " if improved else "(no gain from fine-tuning on sample-split in ") in (
        mine["model"])
    assert 0 < mine["metrics"]["ndcg@10"] <= 1


def test_a_bi_encoder_that_kept_its_start_is_labelled_so(fine_tuned_bi, tmp_path):
    kept = tmp_path / "kept-bi"
    kept.mkdir()
    for path in fine_tuned_bi.rglob("*"):
        if path.is_file():
            target = kept / path.relative_to(fine_tuned_bi)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    record = json.loads((kept / "training.json").read_text())
    record["history"]["best_step"] = 0
    (kept / "training.json").write_text(json.dumps(record))
    ranker = build_ranker(contestant({"name": "mine", "kind": "bi", "model": str(kept)}), BuildContext())
    assert ranker.kept_start and ranker.label == "mine (no gain: kept the untrained start)"
    assert load_bi_encoder(str(kept)).max_seq_length == load_bi_encoder().max_seq_length  # it ranks as its start
    assert "no gain from fine-tuning on sample-split" in describe_model(contestant({"kind": "bi", "model": str(kept)}))
    assert describe_model(contestant({"kind": "bi"})).startswith("all-MiniLM-L6-v2")  # a zero-shot one says nothing


def test_the_cross_and_poly_encoder_start_from_the_fine_tuned_bi_encoder(fine_tuned_bi, split_data, tmp_path):
    """Both start by ranking as that bi-encoder does: the untrained cross-encoder over its backbone orders a dev list
    as it does."""
    for kind, teacher in (("cross", None), ("poly", "embedded")):
        fractions: list[float] = []
        record = fine_tune(kind, split_data, tmp_path / kind, 0.25, teacher=teacher, start=str(fine_tuned_bi),
                           progress=lambda message, fraction, seen=fractions: seen.append(fraction))
        assert record["start"] == str(fine_tuned_bi)
        assert fractions == sorted(fractions)  # the cross-encoder's two corpus encodings never go backwards
        card = (tmp_path / kind / "README.md").read_text()
        assert f"fine-tuned bi-encoder `{fine_tuned_bi}`" in card
        assert f"## Dev curve ({POOLED_DEV if kind == 'poly' else RERANKED_DEV})" in card  # shaped like its test
    cross_record = json.loads((tmp_path / "cross" / "training.json").read_text())
    # It re-ranks that bi-encoder's shortlists in a comparison, so its dev lists are those; it learns from MiniLM.
    assert (cross_record["dev_first_stage"], cross_record["learned_from"]) == (str(fine_tuned_bi), "embedded")
    assert "over all-MiniLM-L6-v2, which the fine-tuned bi-encoder" in (tmp_path / "cross" / "README.md").read_text()
    bi = load_bi_encoder(str(fine_tuned_bi))
    cross = JointCrossEncoder.from_backbone(fine_tuned_bi).eval()
    query, passages = "how do plants make food", ["photosynthesis turns light into sugar", "a river floods", "cells"]
    vectors = bi.encode([query, *passages], normalize_embeddings=True)
    assert np.array_equal(np.argsort(-(vectors[1:] @ vectors[0])),
                          np.argsort(-cross.predict([(query, passage) for passage in passages])))
    kept_cross = cross_record["history"]["best_step"] == 0
    assert (JointCrossEncoder.load(tmp_path / "cross").cross_bias.item() == CLOSED_GATE) is kept_cross  # the start
    poly = PolyEncoder.load(tmp_path / "poly")
    assert poly.config.max_length == bi.max_seq_length  # trained on shorter texts, it ranks at its start's length
    kept = json.loads((tmp_path / "poly" / "training.json").read_text())["history"]["best_step"] == 0
    assert bool(poly.codes.any()) is not kept  # a kept start has the zero codes that rank exactly as the bi-encoder
    with pytest.raises(ValueError, match="--start is for"):
        fine_tune("early-layer", split_data, tmp_path / "small", 0.25, teacher="embedded", start=str(fine_tuned_bi))
    with pytest.raises(ValueError, match="cannot start from another model"):
        fine_tune("cross", split_data, tmp_path / "delta", 0.25, start=str(fine_tuned_bi), compact=True)
    with pytest.raises(ValueError, match="--compact is for"):
        fine_tune("bi", split_data, tmp_path / "bi", 0.25, compact=True)


def test_every_kind_trains_after_the_kinds_it_starts_from_or_distils_from():
    order = [kind.name for kind in trainable_kinds()]
    assert order.index("bi") < order.index("cross") < order.index("poly")
    assert kinds()["poly"].training.after == ("cross", "bi")
    assert order.index("cross") < order.index("early-layer")


def test_the_paper_s_table_puts_fine_tuned_models_beside_their_zero_shot_starts():
    zero_shot = presets()[PAPER_TABLE]
    assert [entry.kind for entry in zero_shot.contestants] == ["bm25", "bi", "poly", "cross"]
    table = paper_table({"bi": "bi-folder", "cross": "cross-folder", "poly": "poly-folder"}, "mine", kept=("poly",))
    names = [entry.name for entry in table.contestants]
    assert names[:4] == [entry.name for entry in zero_shot.contestants]
    assert names[4:] == ["bi-encoder · fine-tuned on mine", "poly-encoder · tried on mine",
                         "cross-encoder · fine-tuned on mine"]
    cross = table.contestants[-1]
    assert (cross.model, cross.option("first"), cross.option("depth")) == (
        "cross-folder", "bi-encoder · fine-tuned on mine", 100)  # trained alike: it re-ranks the fine-tuned bi
    student = paper_table({"early-layer": "student", "cross": "cross-folder", "bi": "bi-folder"}, "mine")
    assert student.contestants[-2].option("first") == "bi-encoder · fine-tuned on mine"  # not the student (a bi too)
    alone = paper_table({"cross": "cross-folder"}, "mine")
    assert alone.contestants[-1].option("first") == "bi-encoder · zero-shot"
    four = {"bi": "b", "cross": "c", "poly": "p", "early-layer": "e"}
    with pytest.raises(SpecError, match="makes 9 contestants.*the paper's table"):  # the demo's five and four
        with_fine_tuned(demo_spec(), four, "mine")
    assert len(paper_table(four, "mine").contestants) == 8


def test_the_trainer_reads_each_list_as_a_query_its_positive_and_its_mined_negatives():
    lists = [TrainingList("q1", ["n1", "p1", "n2"], [0.0, 2.0, 0.0], "t"),
             TrainingList("q2", ["p2", "m1", "m2", "m3"], [1.0, 0.0, 0.0, 0.0], "t"),
             TrainingList("q3", ["p3"], [1.0], "t")]  # no negative: left out
    assert mnrl_columns(lists) == {"anchor": ["q1", "q2"], "positive": ["p1", "p2"],
                                   "negative_1": ["n1", "m1"], "negative_2": ["n2", "m2"]}


def test_train_bi_needs_data(capsys):
    with pytest.raises(SystemExit, match="give --data DATA$"):
        main(["train", "bi", "--out", "nowhere"])


def test_a_retrievers_dev_check_counts_the_other_queries_passages():
    """Re-ranking its own shortlist, the first query looks perfect; retrieving from the pool of both shortlists, the
    second query's passage comes first, as it would from the corpus."""
    vectors = {"q1": np.array([1.0, 0.0]), "p1": np.array([0.8, 0.6]), "n1": np.array([0.0, 1.0]),
               "q2": np.array([0.0, 1.0]), "p2": np.array([0.95, 0.31]), "n2": np.array([-1.0, 0.0])}
    lists = [TrainingList("q1", ["p1", "n1"], [1.0, 0.0], "toy"), TrainingList("q2", ["p2", "n2"], [1.0, 0.0], "toy")]

    def dot(queries, pool):
        return np.stack([vectors[q] for q in queries]) @ np.stack([vectors[p] for p in pool]).T

    reranked = dev_ndcg(lambda item: dot([item.query], item.passages)[0], lists)
    retrieved = pooled_dev_ndcg(dot, lists)
    assert reranked[0] == 1.0 and retrieved[0] < 1.0
    assert np.all(retrieved <= reranked)


def test_a_cross_encoder_starts_as_its_bi_encoder_and_learns_from_its_backbone(fine_tuned_bi, tmp_path):
    """Its step-0 dev score is the fine-tuned bi-encoder's ranking of the dev lists; the steps begin from the packaged
    MiniLM (with the backbone's learning rate at 0 it stays exactly that)."""
    passages = ["photosynthesis turns light into sugar", "a river floods its banks", "cells divide by mitosis",
                "bread goes stale as starch crystallises"]
    lists = [TrainingList(query, passages, gold, "toy", teacher=[2.0 * g for g in gold], bi_cosine=[0.3] * 4)
             for query, gold in (("how do plants make food", [1.0, 0.0, 0.0, 0.0]),
                                 ("why does bread go hard", [0.0, 0.0, 0.0, 1.0]),
                                 ("what happens in a flood", [0.0, 1.0, 0.0, 0.0]),
                                 ("how do cells multiply", [0.0, 0.0, 1.0, 0.0]))]
    bi = load_bi_encoder(str(fine_tuned_bi))

    def bi_scores(item: TrainingList) -> np.ndarray:
        vectors = bi.encode([item.query, *item.passages], normalize_embeddings=True)
        return vectors[1:] @ vectors[0]

    config = TrainConfig(batch_lists=2, epochs=1, eval_every=1, backbone_lr=0.0, device="cpu")
    model, history = train_cross(lists[:2], lists[2:], config, tmp_path / "cross", seed_everything(13),
                                 backbone=backbone_path(), start=fine_tuned_bi)
    assert history["dev_ndcg@10"][0][1] == pytest.approx(dev_ndcg(bi_scores, lists[2:]).mean())
    packaged = JointCrossEncoder.from_backbone(backbone_path()).backbone.state_dict()
    assert all(torch.equal(tensor, packaged[name]) for name, tensor in model.backbone.state_dict().items())
    assert model.cross_bias.item() != CLOSED_GATE
