"""Showing the app to a room: presentation mode (bigger type, fewer controls), figures that download as PNG or SVG,
and links that open a page on a given query.

The settings live in the sidebar and in the URL (`bind="query-params"`), so a link carries them: `?present=true`,
and the Rankings page's `query` (a query id of the data) or `q` (a question typed live).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import plotly.graph_objects as go
import streamlit as st

PRESENT = "present"
FIGURE_FORMAT = "figures"
FORMATS = {"png": "PNG", "svg": "SVG"}
PRESENTATION_CSS = """<style>
html { font-size: 19px; }
[data-testid="stMain"] .block-container { padding-top: 3rem; max-width: 100%; }
</style>"""
"""Bigger type and the page's full width; the header stays, with the arrow that opens the sidebar (its pages)."""


def presenting() -> bool:
    """Whether the session shows the app to a room (bigger type, fewer controls)."""
    return bool(st.session_state.get(PRESENT))


def sidebar_state() -> str:
    """The sidebar when a page is opened: collapsed in presentation mode (a link with `?present=true`, or the
    toggle), so that the page has the screen's width; its arrow opens it again."""
    presenting_now = presenting() or st.query_params.get(PRESENT) == "true"
    return "collapsed" if presenting_now else "auto"


def presentation_controls() -> None:
    """The sidebar's presentation settings; in presentation mode, the page's style."""
    st.toggle("Presentation mode", key=PRESENT, bind="query-params", persist_state="session",
              help="Bigger type and fewer controls, for a projector (1024×768 fits); the link keeps it on.")
    st.segmented_control("Figure downloads", FORMATS, key=FIGURE_FORMAT, default="png", required=True,
                         format_func=FORMATS.get, persist_state="session",
                         help="What the camera icon above a figure saves: PNG (slides) or SVG (print, scaling).")
    if presenting():
        st.html(PRESENTATION_CSS)


def leave_button() -> None:
    """In presentation mode, a button at the top of every page that leaves it (the sidebar, folded away, has the
    toggle too)."""
    if presenting():
        st.button("Leave presentation mode", key="present.leave", icon=":material/close_fullscreen:",
                  type="tertiary", on_click=lambda: st.session_state.update({PRESENT: False}))


def chart(figure: go.Figure, name: str, **options: Any) -> None:
    """`st.plotly_chart`, whose camera icon saves the figure as `name`.png or .svg (the sidebar's choice), at twice
    the screen's resolution."""
    image = {"format": st.session_state.get(FIGURE_FORMAT) or "png", "filename": name, "scale": 2}
    st.plotly_chart(figure, config={"displaylogo": False, "toImageButtonOptions": image}, **options)


def share_link(**params: str) -> None:
    """A link to this page with `params` (and presentation mode, when on), to copy; `data="lesson"` makes it open
    the lesson data in a new session (the router, `app.py`)."""
    chosen = {key: value for key, value in params.items() if value}
    if presenting():
        chosen[PRESENT] = "true"
    suffix = f"?{urlencode(chosen)}" if chosen else ""
    st.caption("Link to this view: anyone can open it; it loads the lesson data and the demo's results first."
               if "data" in chosen else "Link to this view, for a session with the same data loaded:")
    st.code(f"{st.context.url}{suffix}", language=None, wrap_lines=True)
