"""Resource and security guards: caps from the environment, the server-mode model policy, safetensors only,
the policy applied to every contestant, and a stopped comparison that keeps the contestants that finished."""

from __future__ import annotations

import pytest

from app_pages.views.data import dataset_from_files
from core.comparison.compare import compare, partial_comparison
from core.config import Guards, ModelPolicy, guards_from_env
from core.contestants.registry import comparison, contestant, plan, shorthand_contestants
from core.contestants.spec import SpecError
from core.data import DataError, first_queries
from core.models.loading import ModelError, load_cross_encoder
from core.models.sources import check_model, resolve
from core.rankers.build import BuildContext, build_ranker

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
    check_model(spec, SERVER)


@pytest.mark.parametrize("spec", ["/etc", "/etc/passwd", "~", "../..", "core/weights/../../..", "evil/model",
                                  "cross-encoder/..", "cross-encoder/x/../../etc"])
def test_server_mode_refuses_paths_and_other_ids(spec):
    with pytest.raises(ModelError, match="is not allowed on this server"):
        check_model(spec, SERVER)
    check_model(spec, ModelPolicy())  # not restricted: anything may be tried


def test_server_mode_allows_paths_inside_the_model_folders_only(tmp_path):
    allowed, outside = tmp_path / "models", tmp_path / "private"
    (allowed / "mine").mkdir(parents=True)
    outside.mkdir()
    (allowed / "link").symlink_to(outside)
    policy = ModelPolicy(restricted=True, model_dirs=(allowed,))
    check_model(str(allowed / "mine"), policy)
    for escape in (outside, allowed / "link", allowed / "mine" / ".." / ".." / "private"):
        with pytest.raises(ModelError, match=str(allowed)):
            check_model(str(escape), policy)


def test_a_folder_of_pickled_weights_is_refused(tmp_path):
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "pytorch_model.bin").write_bytes(b"\x80\x04not unpickled")
    with pytest.raises(ModelError, match="only safetensors are loaded"):
        resolve(str(tmp_path / "model"))
    with pytest.raises(ModelError, match="pickles only"):
        load_cross_encoder(str(tmp_path / "model"))


# --- the policy reaches every contestant ----------------------------------------------------------------


def test_server_mode_refuses_a_model_path_before_loading_it(sample_dataset):
    spec = comparison([contestant({"name": "mine", "kind": "bi", "model": "/etc"})])
    with pytest.raises(ModelError, match="is not allowed on this server"):
        compare(first_queries(sample_dataset, 1), spec, policy=SERVER)
    for kind in ("poly", "cross"):
        with pytest.raises(ModelError, match="is not allowed on this server"):
            build_ranker(contestant({"name": "mine", "kind": kind, "model": "evil/model"}), BuildContext(SERVER))


def test_server_mode_takes_run_files_from_the_upload_folder_only(tmp_path):
    path = tmp_path / "prod.trec"
    path.write_text("q1 Q0 d1 1 1.0 prod\n")
    entry = contestant({"name": "prod", "kind": "run", "path": str(path)})
    with pytest.raises(SpecError, match="must be uploaded"):
        build_ranker(entry, BuildContext(SERVER))
    assert build_ranker(entry, BuildContext(ModelPolicy())).name == "prod"  # not restricted: any path


# --- a stopped comparison -----------------------------------------------------------------------------

# Shown in this order; run cheapest first (bm25, bi, then the cross-encoder that needs bi).
SMALL = comparison(shorthand_contestants(("bi", "cross", "bm25"), {"--rerank-depth": 5}), k=5)


class Stopped(BaseException):
    """Stands in for Streamlit's StopException, raised inside a run when the user presses Stop."""


def test_a_stopped_run_keeps_the_contestants_that_finished(sample_dataset):
    subset = first_queries(sample_dataset, 3)
    finished = {}

    def stop_after_bi(result):
        finished[result.name] = result
        if result.name == "bi":
            raise Stopped

    built = {step.name: build_ranker(step.contestant) for step in plan(SMALL)}
    with pytest.raises(Stopped):
        compare(subset, SMALL, rankers=built, on_ranked=stop_after_bi)
    assert list(finished) == ["bm25", "bi"]
    kept = partial_comparison(subset, SMALL, finished, built)
    assert kept.spec == comparison((SMALL.contestant("bi"), SMALL.contestant("bm25")), k=5)
    assert list(kept.results) == ["bi", "bm25"] and kept.reference == "bi"  # the spec's order, not the run's
    assert kept.results["bm25"].metrics and "overlap@10" in kept.results["bm25"].agreement
    assert kept.notes[-1] == "the run was stopped before cross finished; kept bi, bm25"
    fresh = compare(subset, kept.spec)
    assert {name: result.run for name, result in fresh.results.items()} == {
        name: result.run for name, result in kept.results.items()}


def test_a_run_stopped_before_any_chosen_contestant_finished_keeps_nothing(sample_dataset):
    spec = comparison([contestant({"name": "cross", "kind": "cross", "first": "bm25", "depth": 5})], k=5)
    reported = []
    compare(first_queries(sample_dataset, 2), spec, on_ranked=lambda result: reported.append(result.name))
    assert reported == ["cross"]  # the implicit first stage is never reported as finished
    first_stage_only = {"bm25": object()}  # the first stage finished, but it was not chosen
    assert partial_comparison(sample_dataset, spec, first_stage_only, {}) is None
