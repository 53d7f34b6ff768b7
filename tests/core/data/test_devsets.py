"""Development sets from the shared data: counts, judgement integrity and BEIR round trips.

Skipped as a whole where the shared data root (``../shared/data`` or
``$ENCODER_ARENA_SHARED_DATA``) is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.data import DataError, Dataset, load_dataset
from core.data.devsets import DEV_SETS, SHARED_DATA_ENV, SPLIT_SETS, export_beir, load_dev_set, shared_data_root
from core.data.splits import hold_out

pytestmark = pytest.mark.skipif(not shared_data_root().is_dir(),
                                reason=f"shared data not found at {shared_data_root()}")

# name -> (documents, queries, judged queries, judgements)
EXPECTED_COUNTS = {
    "nfcorpus-test": (3_162, 325, 323, 12_334),
    "cranfield": (1_398, 225, 225, 1_611),
    "wikiqa-test": (2_310, 243, 243, 293),
    "arguana": (8_674, 1_406, 1_401, 1_401),
    "climate-fever": (5_240, 1_535, 1_061, 2_745),
}


@pytest.fixture(scope="module")
def datasets() -> dict[str, Dataset]:
    """Every development set, loaded once for the module."""
    return {name: load_dev_set(name) for name in DEV_SETS}


def _counts(dataset: Dataset) -> tuple[int, int, int, int]:
    qrels = dataset.qrels or {}
    return len(dataset.corpus), len(dataset.queries), len(qrels), sum(map(len, qrels.values()))


def test_every_set_has_expected_counts() -> None:
    assert set(DEV_SETS) == set(EXPECTED_COUNTS)


@pytest.mark.parametrize("name", EXPECTED_COUNTS)
def test_counts(datasets: dict[str, Dataset], name: str) -> None:
    dataset = datasets[name]
    assert dataset.name == name
    assert _counts(dataset) == EXPECTED_COUNTS[name]


@pytest.mark.parametrize("name", EXPECTED_COUNTS)
def test_judgements_name_known_ids_with_positive_int_grades(datasets: dict[str, Dataset], name: str) -> None:
    dataset = datasets[name]
    assert dataset.qrels
    doc_ids, query_ids = set(dataset.corpus.ids), set(dataset.queries.ids)
    for query_id, judged in dataset.qrels.items():
        assert query_id in query_ids
        assert judged
        for doc_id, grade in judged.items():
            assert doc_id in doc_ids
            assert type(grade) is int and grade > 0


@pytest.mark.parametrize("name", EXPECTED_COUNTS)
def test_export_beir_round_trips(datasets: dict[str, Dataset], name: str, tmp_path: Path) -> None:
    dataset = datasets[name]
    export_beir(dataset, tmp_path / name)
    loaded = load_dataset(tmp_path / name)
    assert _counts(loaded) == _counts(dataset)
    assert loaded.corpus.content_hash == dataset.corpus.content_hash
    assert loaded.queries.content_hash == dataset.queries.content_hash
    assert loaded.qrels == dataset.qrels
    header = (tmp_path / name / "qrels" / "test.tsv").read_text(encoding="utf-8").split("\n", 1)[0]
    assert header == "query-id\tcorpus-id\tscore"


def test_cranfield_renumbers_queries_and_maps_grades_to_gains(datasets: dict[str, Dataset]) -> None:
    cranfield = datasets["cranfield"]
    assert cranfield.queries.ids[0] == "q1" and cranfield.queries.ids[-1] == "q225"
    assert cranfield.queries.text("q225").startswith("what design factors can be used to control lift-drag")
    # cranqrel lines "1 184 2", "1 12 3", "1 13 4" and "1 486 -1"
    assert cranfield.qrels["q1"]["184"] == 3
    assert cranfield.qrels["q1"]["12"] == 2
    assert cranfield.qrels["q1"]["13"] == 1
    assert "486" not in cranfield.qrels["q1"]
    assert {"471", "995"}.isdisjoint(cranfield.corpus.ids)
    assert cranfield.corpus.titles[0] == ("experimental investigation of the aerodynamics of a wing in a "
                                          "slipstream .")


def test_cranfield_reads_stray_markers_as_abstract_text(datasets: dict[str, Dataset]) -> None:
    corpus = datasets["cranfield"].corpus
    text = corpus.texts[corpus.position("240")]
    assert "injected into the separated region . application to turbulent separations" in text


def test_climate_fever_ids_have_no_whitespace(datasets: dict[str, Dataset]) -> None:
    corpus = datasets["climate-fever"].corpus
    assert not any(any(char.isspace() for char in doc_id) for doc_id in corpus.ids)
    assert corpus.titles[corpus.position("Global_warming:14")] == "Global warming"
    assert datasets["climate-fever"].qrels["0"] == {"Global_warming:14": 1, "Habitat_destruction:61": 1}


def test_nfcorpus_uses_title_queries(datasets: dict[str, Dataset]) -> None:
    queries = datasets["nfcorpus-test"].queries
    assert queries.text("PLAIN-2") == "do cholesterol statin drugs cause breast cancer ?"


def test_unknown_name_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown development set 'nope'"):
        load_dev_set("nope")


def test_missing_files_raise_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file"):
        load_dev_set("cranfield", tmp_path)


def test_shared_data_root_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(SHARED_DATA_ENV, str(tmp_path))
    assert shared_data_root() == tmp_path


def test_export_without_qrels_removes_stale_qrels(datasets: dict[str, Dataset], tmp_path: Path) -> None:
    dataset = datasets["wikiqa-test"]
    export_beir(dataset, tmp_path)
    export_beir(Dataset(dataset.corpus, dataset.queries, None, dataset.name), tmp_path)
    assert not (tmp_path / "qrels" / "test.tsv").exists()
    assert load_dataset(tmp_path).qrels is None


def test_wikiqa_with_a_training_split_renders_every_sentence_alike(datasets: dict[str, Dataset]) -> None:
    """The training pages come without titles and CSV-quoted, the test pages titled and unquoted: both are undone,
    so that a fine-tuned model cannot learn that a missing title or a pair of quotes marks an answer."""
    dataset, splits = SPLIT_SETS["wikiqa"](shared_data_root())
    test = datasets["wikiqa-test"]
    assert set(dataset.corpus.titles) == {""} and any(test.corpus.titles)
    wrapped = [text.startswith('"') and text.endswith('"') for text in dataset.corpus.texts]
    assert sum(wrapped) == 2 and not any(text.startswith('"') for text in dataset.queries.texts)  # quotations
    assert dataset.qrels == test.qrels and len(splits["train"]) == 872
    training = {doc_id for judged in splits["train"].values() for doc_id in judged}
    assert all(dataset.corpus.passage(doc_id) == dataset.corpus.texts[dataset.corpus.position(doc_id)]
               for doc_id in [*training, *test.corpus.ids])


def test_wikiqa_keeps_its_own_dev_questions_apart_with_their_pages() -> None:
    """WikiQA's 126 dev questions, on pages no training or test question has, are its dev split, their pages'
    sentences in the corpus (distractors for every split)."""
    dataset, splits = SPLIT_SETS["wikiqa"](shared_data_root())
    assert len(splits["dev"]) == 126 and not set(splits["dev"]) & (set(splits["train"]) | set(dataset.qrels))
    corpus = set(dataset.corpus.ids)
    assert all(doc_id in corpus for grades in splits["dev"].values() for doc_id in grades)
    assert len(corpus) == 11_402  # 10,469 before them: 933 dev sentences new by their text


def test_climate_fever_is_cut_as_a_user_s_data_without_a_training_split(datasets: dict[str, Dataset]) -> None:
    """70 % of the judged claims train and the rest test, as the app's hold-out cuts them; every claim stays a query."""
    dataset, splits = SPLIT_SETS["climate-fever-split"](shared_data_root())
    whole = datasets["climate-fever"]
    assert (len(splits["train"]), len(dataset.qrels)) == (743, 318) and not set(splits["train"]) & set(dataset.qrels)
    assert splits["train"] | dataset.qrels == whole.qrels and dataset.queries == whole.queries
    assert dataset.qrels == hold_out(whole, 70).test.qrels
