"""Resource and security guards: caps from the environment, the server-mode model policy, safetensors only,
and a stopped comparison that keeps the rankers that finished."""

from __future__ import annotations

import pytest

from core.compare import build_ranker, compare, partial_comparison
from core.config import ArenaConfig, Guards, ModelPolicy, guards_from_env
from core.data import DataError, first_queries
from core.models import ModelError, check_spec, load_cross_encoder, resolve
from core.session import dataset_from_files

SERVER = ModelPolicy(restricted=True)


def test_defaults_are_the_documented_caps_and_no_restriction():
    guards = guards_from_env({})
    assert guards == Guards()
    assert guards.limits.max_file_bytes == 200 * 2**20 and guards.confirm_above_s == 60
    assert not guards.models.restricted


def test_environment_sets_every_cap_and_server_mode(tmp_path):
    environ = {"ARENA_MAX_FILE_MB": "0.5", "ARENA_MAX_UNPACKED_MB": "2", "ARENA_MAX_DOCUMENTS": "10",
               "ARENA_MAX_QUERIES": "3", "ARENA_CONFIRM_ABOVE_S": "5", "ARENA_MODEL_DIRS": str(tmp_path),
               "ARENA_HUB_IDS": "BAAI/.*"}
    guards = guards_from_env(environ)
    assert (guards.limits.max_file_bytes, guards.limits.max_uncompressed_bytes) == (2**19, 2 * 2**20)
    assert (guards.limits.max_documents, guards.limits.max_queries, guards.confirm_above_s) == (10, 3, 5.0)
    assert guards.models == ModelPolicy(False, (tmp_path.resolve(),), "BAAI/.*")
    assert guards_from_env(environ, ["--server"]).models.restricted
    assert guards_from_env({"ARENA_SERVER": "1"}).models.restricted


@pytest.mark.parametrize(("name", "value"), [("ARENA_MAX_QUERIES", "-1"), ("ARENA_MAX_FILE_MB", "lots"),
                                             ("ARENA_CONFIRM_ABOVE_S", "inf"), ("ARENA_HUB_IDS", "(")])
def test_bad_settings_name_the_variable(name, value):
    with pytest.raises(ValueError, match=name):
        guards_from_env({name: value})


def test_configured_caps_reach_the_upload_path():
    limits = guards_from_env({"ARENA_MAX_QUERIES": "1"}).limits
    with pytest.raises(DataError, match="more than 1 queries"):
        dataset_from_files((b"a\nb\n", "c.txt"), (b"q\nr\n", "q.txt"), limits=limits)


@pytest.mark.parametrize("spec", ["embedded", "cross-encoder/ms-marco-MiniLM-L6-v2",
                                  "sentence-transformers/all-MiniLM-L6-v2"])
def test_server_mode_allows_embedded_and_matching_hub_ids(spec):
    check_spec(spec, SERVER)


@pytest.mark.parametrize("spec", ["/etc", "/etc/passwd", "~", "../..", "core/weights/../../..", "evil/model",
                                  "cross-encoder/..", "cross-encoder/x/../../etc"])
def test_server_mode_refuses_paths_and_other_ids(spec):
    with pytest.raises(ModelError, match="is not allowed on this server"):
        check_spec(spec, SERVER)
    check_spec(spec, ModelPolicy())  # not restricted: anything may be tried


def test_server_mode_allows_paths_inside_the_model_folders_only(tmp_path):
    allowed, outside = tmp_path / "models", tmp_path / "private"
    (allowed / "mine").mkdir(parents=True)
    outside.mkdir()
    (allowed / "link").symlink_to(outside)
    policy = ModelPolicy(restricted=True, model_dirs=(allowed,))
    check_spec(str(allowed / "mine"), policy)
    for escape in (outside, allowed / "link", allowed / "mine" / ".." / ".." / "private"):
        with pytest.raises(ModelError, match=str(allowed)):
            check_spec(str(escape), policy)


def test_a_folder_of_pickled_weights_is_refused(tmp_path):
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "pytorch_model.bin").write_bytes(b"\x80\x04not unpickled")
    with pytest.raises(ModelError, match="only safetensors are loaded"):
        resolve(str(tmp_path / "model"))
    with pytest.raises(ModelError, match="pickles only"):
        load_cross_encoder(str(tmp_path / "model"))


# --- a stopped comparison -----------------------------------------------------------------------------

SMALL = ArenaConfig(rankers=("bm25", "bi", "cross"), k=5, rerank_depth=5)


class Stopped(BaseException):
    """Stands in for Streamlit's StopException, raised inside a run when the user presses Stop."""


def test_a_stopped_run_keeps_the_rankers_that_finished(sample_dataset):
    subset = first_queries(sample_dataset, 3)
    finished = {}

    def stop_after_bi(result):
        finished[result.name] = result
        if result.name == "bi":
            raise Stopped

    built = {kind: build_ranker(kind, SMALL) for kind in SMALL.kinds_to_run}
    with pytest.raises(Stopped):
        compare(subset, SMALL, rankers=built, on_ranked=stop_after_bi)
    kept = partial_comparison(subset, SMALL, finished, built)
    assert kept.config == ArenaConfig(rankers=("bm25", "bi"), k=5, rerank_depth=5)
    assert list(kept.results) == ["bm25", "bi"] and kept.reference == "bi"
    assert kept.results["bm25"].metrics and "overlap@10" in kept.results["bm25"].agreement
    assert kept.notes[-1] == "the run was stopped before cross finished; kept bm25, bi"
    fresh = compare(subset, kept.config)
    assert {kind: result.run for kind, result in fresh.results.items()} == {
        kind: result.run for kind, result in kept.results.items()}


def test_a_run_stopped_before_any_chosen_ranker_finished_keeps_nothing(sample_dataset):
    config = ArenaConfig(rankers=("cross",), first_stage="bm25", k=5, rerank_depth=5)
    first_stage_only = {"bm25": object()}  # the first stage finished, but it was not chosen
    assert partial_comparison(sample_dataset, config, first_stage_only, {}) is None
