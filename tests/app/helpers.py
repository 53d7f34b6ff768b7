"""Helpers for the AppTest modules: open a page in a fresh session, check it raised nothing."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.config import ArenaConfig

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
SMALL = ArenaConfig(rankers=("bi", "bm25", "cross"), k=10, rerank_depth=5)
RUN_TIMEOUT = 900  # a cold comparison on two shared CPU cores
PAGE_TIMEOUT = 120


def open_page(page: str, state: dict | None = None) -> AppTest:
    """A fresh session on `page` ("rankings" → app_pages/rankings.py), seeded with `state`, after one run."""
    at = AppTest.from_file(APP, default_timeout=PAGE_TIMEOUT)
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.switch_page(f"app_pages/{page}.py")
    return at.run()


def labels(state: dict) -> list[str]:
    """Display labels of the current comparison's rankers, in order (e.g. "cross (untrained)")."""
    return [r.label for r in state["shared.comparisons"][state["shared.current"]].comparison.results.values()]


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
