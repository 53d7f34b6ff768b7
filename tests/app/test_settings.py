"""Settings page: choices start from the session's last run, a cached run is instant, costs are priced first."""

from __future__ import annotations

import time

from streamlit.runtime.scriptrunner_utils.exceptions import StopException

from core.config import Guards, ModelPolicy
from tests.app.helpers import RUN_TIMEOUT, SMALL, no_exception, open_page


def test_settings_need_data_first():
    at = open_page("settings")
    no_exception(at)
    assert at.info[0].value == "Load data first."


def test_widgets_start_from_the_last_run_and_a_rerun_is_served_from_the_session(shared_state):
    at = open_page("settings", shared_state)
    no_exception(at)
    assert at.multiselect(key="settings.rankers").value == list(SMALL.rankers)
    assert at.number_input(key="settings.k").value == SMALL.k
    assert at.number_input(key="settings.depth").value == SMALL.rerank_depth
    assert "already ran" in at.success[0].value
    before = at.session_state["shared.comparisons"][at.session_state["shared.current"]]
    start = time.perf_counter()
    at.button(key="settings.run").click().run()
    assert time.perf_counter() - start < 5
    no_exception(at)
    assert at.session_state["shared.comparisons"][at.session_state["shared.current"]] is before
    assert at.success[-1].value.startswith("Done: 3 rankers") and "nothing recomputed" in at.success[-1].value


def test_a_new_cross_encoder_run_is_priced_and_long_ones_need_a_confirmation(shared_state, monkeypatch):
    monkeypatch.setattr("core.compare.estimate_cross_seconds", lambda ranker, data, config: (20_000, 600.0))
    at = open_page("settings", shared_state)
    at.number_input(key="settings.depth").set_value(200).run()
    no_exception(at)
    assert "20,000 (query, document) pairs: about 600 s" in at.info[0].value
    assert at.button(key="settings.run").disabled
    at.checkbox(key="settings.confirm").check().run()
    assert not at.button(key="settings.run").disabled


def test_the_estimate_times_the_real_cross_encoder(shared_state):
    at = open_page("settings", shared_state)
    at.number_input(key="settings.depth").set_value(6).run()
    no_exception(at)
    queries = len(shared_state["shared.dataset"].queries)
    assert f"will score {6 * queries:,} (query, document) pairs" in at.info[0].value


def test_bad_settings_and_bad_models_are_messages(shared_state):
    at = open_page("settings", shared_state)
    at.multiselect(key="settings.rankers").set_value([]).run()
    no_exception(at)
    assert at.error[0].value.startswith(r"These settings cannot run: unknown rankers \[\]; choose from")
    at.multiselect(key="settings.rankers").set_value(["bm25", "cross"])
    at.text_input(key="settings.cross_model").set_value("./no/such/model").run()
    no_exception(at)
    assert at.error[0].value == ("Model problem: cannot load cross-encoder './no/such/model': "
                                 "model path './no/such/model' does not exist")


def test_server_mode_refuses_model_paths_outside_the_allowed_folders(shared_state, monkeypatch):
    monkeypatch.setattr("app_pages._shared.GUARDS", Guards(models=ModelPolicy(restricted=True)))
    at = open_page("settings", shared_state)
    at.text_input(key="settings.bi_model").set_value("/etc").run()
    no_exception(at)
    message = at.error[0].value
    assert message.startswith("These settings cannot run: model '/etc' is not allowed on this server")
    assert not at.button  # nothing can run
    at.text_input(key="settings.bi_model").set_value("embedded").run()
    assert not at.error and at.button(key="settings.run")


def test_the_confirmation_threshold_is_configurable(shared_state, monkeypatch):
    monkeypatch.setattr("core.compare.estimate_cross_seconds", lambda ranker, data, config: (600, 20.0))
    monkeypatch.setattr("app_pages._shared.GUARDS", Guards(confirm_above_s=10))
    at = open_page("settings", shared_state)
    at.number_input(key="settings.depth").set_value(7).run()
    no_exception(at)
    assert at.button(key="settings.run").disabled and at.checkbox(key="settings.confirm")


def test_a_stopped_run_keeps_the_finished_rankers_and_the_earlier_comparison(shared_state, monkeypatch):
    def stopped(*args, **kwargs):
        raise StopException  # what Streamlit raises inside the run when Stop is pressed

    monkeypatch.setattr("core.compare.estimate_cross_seconds", lambda ranker, data, config: (100, 1.0))
    monkeypatch.setattr("core.rankers.cross_encoder.CrossEncoderRanker.search", stopped)
    at = open_page("settings", shared_state)
    earlier = dict(at.session_state["shared.comparisons"])
    at.number_input(key="settings.depth").set_value(8).run()
    at.button(key="settings.run").click().run(timeout=RUN_TIMEOUT)
    no_exception(at)
    at.run()
    assert at.warning[0].value.startswith("The run stopped before it finished: kept bm25, bi")
    kept = at.session_state["shared.comparisons"][at.session_state["shared.current"]]
    assert kept.comparison.config.rankers == ("bi", "bm25") and list(kept.comparison.results) == ["bm25", "bi"]
    assert all(key in at.session_state["shared.comparisons"] for key in earlier)
