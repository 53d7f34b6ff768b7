"""Settings: the contestants (add, remove, duplicate, rename; presets; import and export), what a run
will cost, and Run."""

from __future__ import annotations

import streamlit as st

from app_pages import _runs as runs
from app_pages import _shared as shared
from app_pages.views import settings as settings_views
from core.comparison.cache import is_cached
from core.comparison.compare import estimate_seconds, expensive
from core.contestants.presets import presets
from core.contestants.registry import comparison_from_dict, kinds
from core.contestants.spec import (
    MAX_CONTESTANTS,
    ComparisonSpec,
    comparison_to_toml,
    parse_comparison_text,
    settings,
)
from core.data.pseudo_queries import query_shape
from core.data.trec_runs import save_uploaded_run
from core.devices import available_devices, resolve_device
from core.models.errors import ModelError
from core.models.sources import check_model
from core.rankers.build import BuildContext, build_ranker
from core.text import duration_text

VERSION = "settings.version"  # bumped when the spec is replaced from outside the table, which resets the editor
DRAWN_FROM = "settings.drawn_from"  # the spec the table was drawn from: its edits apply to this, not to the latest spec

st.title("Settings")
data = shared.dataset()
if data is None:
    st.info("Load data first.")
    st.page_link("app_pages/data.py", label="Data: upload files or pick the sample data", icon=":material/folder_open:")
    st.stop()


def replace_spec(spec: ComparisonSpec, message: str) -> None:
    """Make `spec` this session's comparison, redraw the table from it, and say what happened."""
    shared.set_spec(spec)
    st.session_state[VERSION] = st.session_state.get(VERSION, 0) + 1
    shared.rerun_with(message)


def allowed(spec: ComparisonSpec) -> ComparisonSpec:
    """`spec`, if this server allows every model it names (server mode refuses some before anything runs)."""
    for entry in spec.contestants:
        try:
            if entry.model:
                check_model(entry.model, shared.GUARDS.models)
        except ModelError as error:
            raise ModelError(f"contestant {entry.name!r}: {error}") from None
    return spec


previous = runs.spec()
shared.show_flash()

st.subheader("Contestants")
with st.expander("Start from a preset, a saved comparison or a run file"):
    chosen_preset = st.selectbox("Preset", list(presets()), key="settings.preset")
    if st.button("Use this preset", key="settings.use_preset"):
        replace_spec(presets()[chosen_preset], f"Loaded the preset “{shared.plain(chosen_preset)}”.")
    saved = st.file_uploader("Saved comparison (JSON or TOML, as exported below or by the CLI)", type=["json", "toml"],
                             key="settings.import")
    if saved is not None and st.button("Use this comparison", key="settings.use_import"):
        try:
            text = saved.getvalue().decode("utf-8", "replace")
            imported = comparison_from_dict(parse_comparison_text(text, saved.name), saved.name)
        except shared.PAGE_ERRORS as error:
            st.error(f"Could not read the comparison: {shared.describe(error)}. The table below is unchanged.")
        else:
            replace_spec(imported, f"Loaded {shared.plain(saved.name)}: {len(imported.contestants)} contestants.")
    run_file = st.file_uploader("TREC run file (query Q0 doc rank score tag) to add as a contestant",
                                key="settings.run_file")
    if run_file is not None and st.button("Add this run file", key="settings.add_run"):
        try:
            path = save_uploaded_run(run_file.getvalue(), run_file.name)
            added = settings_views.with_run_file(previous, run_file.name, str(path))
        except shared.PAGE_ERRORS as error:
            st.error(f"Could not add the run file: {shared.describe(error)}. The table below is unchanged.")
        else:
            replace_spec(added, f"Added the run file {shared.plain(run_file.name)} as "
                                f"“{shared.plain(added.names[-1])}”.")

st.caption("One row per contestant: edit a cell to rename or change it, add a row at the bottom, select rows and "
           "press the bin to remove them. Options are `key=value` pairs separated by commas; a re-ranker's "
           "`first` names the contestant (or kind) whose top `depth` documents it re-ranks.")
version = st.session_state.get(VERSION, 0)
table = f"settings.table.{version}"
if table not in st.session_state or DRAWN_FROM not in st.session_state:  # a new table, or back from another page
    st.session_state[DRAWN_FROM] = previous
rows = st.data_editor(  # drawn from the same spec while it is edited: new data would make it a new, unedited widget
    settings_views.contestant_rows(st.session_state[DRAWN_FROM]), num_rows="dynamic", hide_index=True, width="stretch",
    key=table,
    column_config={
        "name": st.column_config.TextColumn("name", required=True, help="unique display name"),
        "kind": st.column_config.SelectboxColumn("kind", options=list(kinds()), required=True,
                                                 format_func=lambda kind: kinds()[kind].title),
        "model": st.column_config.TextColumn("model", help='"embedded" (offline default), all-MiniLM-L6-v2, '
                                             "all-mpnet-base-v2 (when installed), a local folder or a Hugging Face id"),
        "options": st.column_config.TextColumn("options", width="large"),
    })
with st.expander("Kinds and their options"):
    st.markdown(settings_views.kinds_help())

left, right = st.columns(2, gap="large")
values = {}
for field in settings():
    setting, key = field.metadata["setting"], f"settings.{field.name}.{version}"
    label = f"{field.name}: {setting.help}"
    if field.type in (bool, "bool"):
        values[field.name] = left.checkbox(label, value=getattr(previous, field.name), key=key, wrap=True)
    elif field.name == "device":
        devices = ["auto", *available_devices()]
        values[field.name] = left.selectbox(
            "device: where the models run", devices, index=devices.index(previous.device)
            if previous.device in devices else 0, key=key, format_func=settings_views.device_choice,
            help=setting.help)
    else:
        values[field.name] = int(left.number_input(label, min_value=setting.minimum or 0,
                                                   value=getattr(previous, field.name), key=key))

try:
    chosen = allowed(settings_views.spec_from_rows(rows, **values))
except shared.PAGE_ERRORS as error:
    st.error(f"These contestants cannot run: {shared.describe(error)}")
    st.stop()
shared.set_spec(chosen)  # kept when leaving the page
st.caption(f"In words: {settings_views.contestants_sentence(chosen)}.")

with right:
    to_copy = st.selectbox("Duplicate a contestant", chosen.names, key="settings.duplicate_of")
    if st.button("Duplicate", key="settings.duplicate", disabled=len(chosen.names) >= MAX_CONTESTANTS):
        copied = settings_views.duplicate(chosen, to_copy)
        replace_spec(copied, f"Added a copy of {shared.plain(to_copy)}: rename it and change its model or options.")
    name = (data.name or "comparison").replace(" ", "_")
    with st.container(horizontal=True):  # side by side while they fit, else one under the other
        st.download_button("Export (JSON)", settings_views.spec_json(chosen), f"{name}_comparison.json",
                           "application/json", on_click="ignore", key="settings.export_json")
        st.download_button("Export (TOML)", comparison_to_toml(chosen), f"{name}_comparison.toml", "application/toml",
                           on_click="ignore", key="settings.export_toml")

cached = (data.content_hash, chosen) in st.session_state.get(shared.COMPARISONS, {}) or is_cached(data, chosen)
confirmed = True
if cached:
    st.success("This exact comparison already ran on this data: Run shows it again instantly.")
else:
    estimates = st.session_state.setdefault("settings.estimates", {})
    total = 0.0
    for entry in expensive(chosen):
        probe = (data.content_hash, entry.kind, entry.model, entry.options, chosen.device)
        try:
            if probe not in estimates:
                with st.spinner(f"Timing {shared.plain(entry.name)} on a few pairs…"):
                    context = BuildContext(shared.GUARDS.models, query_shape=query_shape(data.queries),
                                           device=resolve_device(chosen.device))
                    estimates[probe] = estimate_seconds(build_ranker(entry, context), data, entry)
        except shared.PAGE_ERRORS as error:
            st.error(f"{shared.plain(entry.name)} cannot run: {shared.describe(error)}")
            st.stop()
        pairs, seconds = estimates[probe]
        total += seconds
        st.info(f"{shared.plain(entry.name)} will score {pairs:,} (query, document) pairs: about "
                f"{duration_text(seconds)} on this machine.")
    if total > shared.GUARDS.confirm_above_s:
        confirmed = st.checkbox(f"Yes, run it: I expect about {duration_text(total)} of work",
                                key="settings.confirm")

if st.button("Run the comparison", type="primary", disabled=not confirmed, key="settings.run"):
    try:
        outcome = runs.run_comparison(data, chosen)
    except Exception as error:  # noqa: BLE001 - describe() logs anything unexpected
        st.error(f"The comparison could not run: {shared.describe(error)}")
    else:
        shared.rerun_with(shared.done_message(*outcome))
if shared.current() is not None and shared.current().comparison.spec == chosen:
    st.page_link("app_pages/rankings.py", label="See the rankings", icon=":material/format_list_numbered:")
