"""Settings page: the contestant table starts from the session's last run and every edit counts; presets,
duplicates, imports and run files replace or extend it; pair-scoring contestants are priced first; a rerun
is instant; a stopped run keeps what finished; server mode refuses models it does not allow."""

from __future__ import annotations

import time
from dataclasses import replace

from app_pages.views.settings import contestant_rows, duplicate, spec_json
from core.comparison.live import Cancelled
from core.config import Guards, ModelPolicy
from core.contestants.presets import presets
from core.contestants.spec import comparison_to_toml
from tests.app.helpers import RUN_TIMEOUT, SMALL, comparison_of, edit_table, no_exception, open_page

FUSION = {"name": "hybrid", "kind": "fusion", "model": "", "options": "of=MiniLM+BM25 <s>"}


def names(at) -> list[str]:
    """The names in the contestant table as drawn (before edits), whatever its version."""
    return list(at.data_editor[0].value["name"])


def keys(at) -> list[str]:
    return [button.key for button in at.button]


def test_settings_need_data_first():
    at = open_page("settings")
    no_exception(at)
    assert at.info[0].value == "Load data first."


def test_the_table_starts_from_the_last_run_and_a_rerun_is_served_from_the_session(shared_state):
    at = open_page("settings", shared_state)
    no_exception(at)
    table = at.data_editor(key="settings.table.0")
    assert table.editing_mode == "dynamic"
    assert table.value.fillna("").values.tolist() == contestant_rows(SMALL).values.tolist()
    assert at.number_input(key="settings.k.0").value == SMALL.k
    assert not at.checkbox(key="settings.exclude_self.0").value
    assert at.selectbox(key="settings.duplicate_of").options == list(SMALL.names)
    assert [b.label for b in at.get("download_button")] == ["Export (JSON)", "Export (TOML)"]
    assert "already ran" in at.success[0].value
    before = at.session_state["shared.comparisons"][at.session_state["shared.current"]]
    start = time.perf_counter()
    at.button(key="settings.run").click().run()
    assert time.perf_counter() - start < 5
    no_exception(at)
    assert at.session_state["shared.comparisons"][at.session_state["shared.current"]] is before
    assert at.success[0].value.startswith("Done: 3 contestants") and "nothing recomputed" in at.success[0].value


def test_an_edited_table_is_the_comparison_and_a_later_edit_keeps_the_earlier_ones(shared_state):
    at = open_page("settings", shared_state)
    edit_table(at, edited={1: {"name": "lexical"}}, added=[{**FUSION, "options": "of=MiniLM+lexical"}])
    no_exception(at)
    assert not at.error
    assert at.session_state["shared.spec"].names == ("MiniLM", "lexical", "MiniLM → cross", "hybrid")
    # the browser sends every edit so far each time, on the table as first drawn
    edit_table(at, edited={1: {"name": "lexical"}, 2: {"options": "first=lexical, depth=5"}},
               added=[{**FUSION, "options": "of=MiniLM+lexical"}])
    at.number_input(key="settings.k.0").set_value(7).run()
    no_exception(at)
    assert not at.error
    spec = at.session_state["shared.spec"]
    assert spec.names == ("MiniLM", "lexical", "MiniLM → cross", "hybrid") and spec.k == 7
    assert spec.contestant("MiniLM → cross").option("first") == "lexical"
    assert spec.contestant("hybrid").option("of") == "MiniLM+lexical"
    assert at.selectbox(key="settings.duplicate_of").options == list(spec.names)
    assert not any("already ran" in s.value for s in at.success)
    at.switch_page("app_pages/data.py").run()  # leaving the page and coming back keeps the edited comparison
    at.switch_page("app_pages/settings.py").run()
    no_exception(at)
    assert names(at) == list(spec.names) and at.session_state["shared.spec"] == spec


def test_bad_tables_and_bad_models_are_messages(shared_state):
    at = open_page("settings", shared_state)
    edit_table(at, deleted=[0, 1, 2])
    no_exception(at)
    assert at.error[0].value == "These contestants cannot run: a comparison needs at least one contestant"
    assert "settings.run" not in keys(at)
    edit_table(at, edited={1: {"options": "k1=high"}})
    assert at.error[0].value == r"These contestants cannot run: row 2 (BM25 \<s\>): k1='high' is not a finite number"
    edit_table(at, edited={0: {"name": "mini"}})
    assert at.error[0].value == ("These contestants cannot run: contestant 'MiniLM → cross' needs 'MiniLM', "
                                 "which is neither a contestant nor a kind")
    edit_table(at, edited={2: {"model": "./no/such/model"}})
    no_exception(at)
    assert at.error[0].value == ("MiniLM → cross cannot run: cannot load cross-encoder './no/such/model': "
                                 "model path './no/such/model' does not exist")
    assert "settings.run" not in keys(at)


def test_a_new_cross_encoder_run_is_priced_and_long_ones_need_a_confirmation(shared_state, monkeypatch):
    monkeypatch.setattr("core.comparison.compare.estimate_seconds", lambda ranker, data, entry: (20_000, 600.0))
    at = open_page("settings", shared_state)
    edit_table(at, edited={2: {"options": "first=MiniLM, depth=200"}})
    no_exception(at)
    assert at.info[0].value == ("MiniLM → cross will score 20,000 (query, document) pairs: about 10 min on this "
                                "machine.")
    assert at.button(key="settings.run").disabled
    at.checkbox(key="settings.confirm").check().run()
    assert not at.button(key="settings.run").disabled


def test_the_estimate_times_the_real_cross_encoder(shared_state):
    at = open_page("settings", shared_state)
    edit_table(at, edited={2: {"options": "first=MiniLM, depth=6"}})
    no_exception(at)
    queries = len(shared_state["shared.dataset"].queries)
    assert at.info[0].value.startswith(f"MiniLM → cross will score {6 * queries:,} (query, document) pairs: about ")


def test_the_confirmation_threshold_is_configurable(shared_state, monkeypatch):
    monkeypatch.setattr("core.comparison.compare.estimate_seconds", lambda ranker, data, entry: (600, 20.0))
    monkeypatch.setattr("app_pages._shared.GUARDS", Guards(confirm_above_s=10))
    at = open_page("settings", shared_state)
    edit_table(at, edited={2: {"options": "first=MiniLM, depth=7"}})
    no_exception(at)
    assert at.button(key="settings.run").disabled and at.checkbox(key="settings.confirm")


def test_server_mode_refuses_models_outside_the_allowed_folders_before_anything_runs(shared_state, monkeypatch):
    monkeypatch.setattr("app_pages._shared.GUARDS", Guards(models=ModelPolicy(restricted=True)))
    at = open_page("settings", shared_state)
    edit_table(at, edited={0: {"model": "/etc"}})
    no_exception(at)
    assert at.error[0].value.startswith("These contestants cannot run: contestant 'MiniLM': model '/etc' is not "
                                        "allowed on this server")
    assert "settings.run" not in keys(at)
    edit_table(at, edited={0: {"model": "embedded"}})
    assert not at.error and at.button(key="settings.run")


def test_a_preset_replaces_the_table(shared_state):
    preset = "Model size: MiniLM vs mpnet"
    at = open_page("settings", shared_state)
    at.selectbox(key="settings.preset").set_value(preset)
    at.button(key="settings.use_preset").click().run()
    no_exception(at)
    assert at.success[0].value == f"Loaded the preset “{preset}”."
    assert at.data_editor(key="settings.table.1").value.fillna("").values.tolist() == \
        contestant_rows(presets()[preset]).values.tolist()
    assert at.session_state["shared.spec"] == presets()[preset]
    assert at.number_input(key="settings.k.1").value == presets()[preset].k


def test_duplicate_adds_a_copy_to_rename_up_to_eight_contestants(shared_state):
    at = open_page("settings", shared_state)
    at.selectbox(key="settings.duplicate_of").set_value("BM25 <s>")
    at.button(key="settings.duplicate").click().run()
    no_exception(at)
    assert at.success[0].value == r"Added a copy of BM25 \<s\>: rename it and change its model or options."
    assert names(at) == ["MiniLM", "BM25 <s>", "BM25 <s> copy", "MiniLM → cross"]
    edit_table(at, edited={2: {"name": "BM25 long docs", "options": "b=1.0"}}, version=1)
    no_exception(at)
    spec = at.session_state["shared.spec"]
    assert spec.names == ("MiniLM", "BM25 <s>", "BM25 long docs", "MiniLM → cross")
    assert spec.contestant("BM25 long docs").option("b") == 1.0 and spec.contestant("BM25 <s>").option("b") == 0.75
    for _ in range(4):
        at.button(key="settings.duplicate").click().run()
    assert len(at.session_state["shared.spec"].names) == 8 and at.button(key="settings.duplicate").disabled


def test_a_saved_comparison_is_imported_and_a_broken_one_is_a_message(shared_state):
    saved = duplicate(SMALL, "MiniLM")
    at = open_page("settings", shared_state)
    at.file_uploader(key="settings.import").set_value(("bad.json", b'{"contestants": [{"kind": "nope"}]}',
                                                       "application/json")).run()
    at.button(key="settings.use_import").click().run()
    no_exception(at)
    assert at.error[0].value.startswith("Could not read the comparison: ")
    assert "unknown kind 'nope'" in at.error[0].value and at.error[0].value.endswith("The table below is unchanged.")
    assert at.session_state["shared.spec"] == SMALL
    cut = replace(saved, contestants=saved.contestants[:2], k=7)
    for file, spec, text in (("mine.json", saved, spec_json(saved)), ("mine.toml", cut, comparison_to_toml(cut))):
        at.file_uploader(key="settings.import").set_value((file, text.encode(), "application/octet-stream")).run()
        at.button(key="settings.use_import").click().run()
        no_exception(at)
        assert at.success[0].value == f"Loaded {file}: {len(spec.contestants)} contestants."
        assert at.session_state["shared.spec"] == spec and names(at) == list(spec.names)  # exactly as exported


def test_a_run_file_joins_as_a_contestant(shared_state, monkeypatch, tmp_path):
    monkeypatch.setattr("core.data.trec_runs.RUN_UPLOADS", tmp_path)
    at = open_page("settings", shared_state)
    at.file_uploader(key="settings.run_file").set_value(("prod.trec", b"not a run file\n", "text/plain")).run()
    at.button(key="settings.add_run").click().run()
    no_exception(at)
    assert at.error[0].value.startswith("Could not add the run file: prod.trec")
    run = b"q01 Q0 med-001 1 9.5 prod\nq01 Q0 med-002 2 7.0 prod\n"
    at.file_uploader(key="settings.run_file").set_value(("prod.trec", run, "text/plain")).run()
    at.button(key="settings.add_run").click().run()
    no_exception(at)
    assert at.success[0].value == "Added the run file prod.trec as “prod”."
    added = at.session_state["shared.spec"].contestants[-1]
    assert (added.name, added.kind) == ("prod", "run") and added.option("path").startswith(str(tmp_path))
    assert names(at) == [*SMALL.names, "prod"]


def test_a_stopped_run_keeps_the_finished_contestants_and_the_earlier_comparison(shared_state, monkeypatch):
    def stopped(*args, **kwargs):
        raise Cancelled  # what the run raises at its next step once Stop is pressed

    monkeypatch.setattr("core.comparison.compare.estimate_seconds", lambda ranker, data, entry: (100, 1.0))
    monkeypatch.setattr("core.rankers.cross_encoder.CrossEncoderRanker.search", stopped)
    at = open_page("settings", shared_state)
    earlier = dict(at.session_state["shared.comparisons"])
    edit_table(at, edited={2: {"options": "first=MiniLM, depth=8"}})
    at.button(key="settings.run").click().run(timeout=RUN_TIMEOUT)
    no_exception(at)
    assert at.warning[0].value == (r"The run was stopped before it finished: kept MiniLM, BM25 \<s\> (every page shows "
                                   "them); earlier results are unchanged.")
    kept = comparison_of(at)
    assert kept.spec.names == ("MiniLM", "BM25 <s>") and list(kept.results) == ["MiniLM", "BM25 <s>"]
    assert all(key in at.session_state["shared.comparisons"] for key in earlier)
