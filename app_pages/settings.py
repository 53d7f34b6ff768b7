"""Settings: choose rankers, models and depths, see what a cross-encoder run will cost, and run."""

from __future__ import annotations

import streamlit as st

from app_pages import _shared as shared
from core import session
from core.compare import estimate_cross_seconds
from core.config import BACKENDS, FIRST_STAGES, RANKER_KINDS, ArenaConfig
from core.index import INDEX_LABELS, INDEX_TYPES

NAMES = {"bi": "bi-encoder", "poly": "poly-encoder", "cross": "cross-encoder", "bm25": "BM25"}
BACKEND_LABELS = {"torch": "PyTorch", "onnx": "ONNX Runtime (fp32, same scores, faster)",
                  "onnx-int8": "ONNX Runtime int8 (fastest, slightly lower quality)"}
MODEL_HELP = ('"embedded" is the offline default shipped with the app. Or give a local folder, or a Hugging '
              "Face id such as cross-encoder/ms-marco-MiniLM-L6-v2 (downloaded on first use, needs the network).")

st.title("Settings")
data = shared.dataset()
if data is None:
    st.info("Load data first.")
    st.page_link("app_pages/data.py", label="Data: upload files or pick the sample data", icon=":material/folder_open:")
    st.stop()
previous = shared.config()
for name, value in {"rankers": list(previous.rankers), "k": previous.k, "depth": previous.rerank_depth,
                    "first_stage": previous.first_stage, "full": previous.cross_full_corpus,
                    "bi_model": previous.bi_model, "poly_model": previous.poly_model,
                    "cross_model": previous.cross_model, "codes": previous.poly_codes,
                    "index": previous.index_type, "exclude_self": previous.exclude_self,
                    "bi_backend": previous.bi_backend}.items():
    st.session_state.setdefault(f"settings.{name}", value)  # widgets start from this session's last choice

left, right = st.columns(2, gap="large")
with left:
    rankers = st.multiselect("Rankers", RANKER_KINDS, key="settings.rankers", format_func=NAMES.get)
    k = st.number_input("k: documents kept per query", 1, 1000, key="settings.k")
    depth = st.number_input("Re-rank depth: first-stage documents the cross-encoder re-scores", 1, 10_000,
                            key="settings.depth")
    first_stage = st.selectbox("First stage (whose shortlist the cross-encoder re-ranks)", FIRST_STAGES,
                               format_func=NAMES.get, key="settings.first_stage")
    full = st.checkbox("Cross-encoder scores the whole corpus instead (slow)", key="settings.full")
with right:
    bi_model = st.text_input("Bi-encoder model", key="settings.bi_model", help=MODEL_HELP)
    poly_model = st.text_input("Poly-encoder model", key="settings.poly_model", help=MODEL_HELP)
    cross_model = st.text_input("Cross-encoder model", key="settings.cross_model", help=MODEL_HELP)
    codes = st.number_input("Poly-encoder m (codes; an already trained poly-encoder keeps its own)", 1, 360,
                            key="settings.codes")
    index_type = st.selectbox("Bi-encoder FAISS index", INDEX_TYPES, format_func=INDEX_LABELS.get, key="settings.index")
    bi_backend = st.selectbox("Bi-encoder runs on", BACKENDS, format_func=BACKEND_LABELS.get,
                              key="settings.bi_backend")
    exclude_self = st.checkbox("Exclude self: drop a hit whose doc id equals the query id (ArguAna-style data)",
                               key="settings.exclude_self")

try:
    chosen = ArenaConfig(rankers=tuple(rankers), k=int(k), rerank_depth=int(depth), first_stage=first_stage,
                         cross_full_corpus=full, bi_model=bi_model.strip(), poly_model=poly_model.strip(),
                         cross_model=cross_model.strip(), poly_codes=int(codes), index_type=index_type,
                         exclude_self=exclude_self, bi_backend=bi_backend)
    shared.check_models(chosen)
except ValueError as error:
    st.error(f"These settings cannot run: {shared.plain(error)}")
    st.stop()
st.session_state[shared.CONFIG] = chosen  # kept when leaving the page

cached = (session.dataset_key(data), chosen) in st.session_state.get(shared.COMPARISONS, {})
confirmed = True
if cached:
    st.success("This exact configuration already ran on this data: Run shows it again instantly.")
elif "cross" in chosen.rankers:
    estimates = st.session_state.setdefault("settings.estimates", {})
    probe = (session.dataset_key(data), chosen.cross_model, chosen.cross_full_corpus, chosen.rerank_depth)
    try:
        if probe not in estimates:
            with st.spinner("Timing the cross-encoder on a few pairs…"):
                estimates[probe] = estimate_cross_seconds(shared.make_ranker("cross", chosen), data, chosen)
        pairs, seconds = estimates[probe]
    except shared.PAGE_ERRORS as error:
        st.error(f"Model problem: {shared.plain(error)}")
        st.stop()
    st.info(f"The cross-encoder will score {pairs:,} (query, document) pairs: about {seconds:,.0f} s on this "
            "machine. Encoding the corpus for the bi- and poly-encoder is done once per model and cached.")
    if seconds > shared.GUARDS.confirm_above_s:
        confirmed = st.checkbox(f"Yes, run it: I expect about {seconds / 60:,.1f} minutes of work",
                                key="settings.confirm")

if st.button("Run the comparison", type="primary", disabled=not confirmed, key="settings.run"):
    st.button("Stop the run", key="settings.stop", icon=":material/stop_circle:",
              help="Stops the run now; the rankers that have already finished are kept and shown.")
    try:
        outcome = shared.run_comparison(data, chosen)
    except Exception as error:  # noqa: BLE001 - describe() logs anything unexpected
        st.error(f"The comparison could not run: {shared.describe(error)}")
    else:
        shared.rerun_with(shared.done_message(*outcome))
if shared.show_flash():
    st.page_link("app_pages/rankings.py", label="See the rankings", icon=":material/format_list_numbered:")
