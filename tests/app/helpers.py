"""Helpers for the AppTest modules: open a page in a fresh session, check it raised nothing."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.contestants.registry import comparison, parse_contestant

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
SMALL = comparison((parse_contestant("name=MiniLM,kind=bi"), parse_contestant("name=BM25 <s>,kind=bm25"),
                    parse_contestant("name=MiniLM → cross,kind=cross,first=MiniLM,depth=5")), k=10)
"""Three contestants, one a pipeline; a name with markup checks that pages show names literally."""
RUN_TIMEOUT = 900  # a cold comparison on two shared CPU cores
PAGE_TIMEOUT = 120


def open_page(page: str, state: dict | None = None) -> AppTest:
    """A fresh session on `page` ("rankings" → app_pages/rankings.py), seeded with `state`, after one run.

    Dicts in `state` are copied, so that comparisons a test runs do not join (or push out) other tests' ones.
    """
    at = AppTest.from_file(APP, default_timeout=PAGE_TIMEOUT)
    for key, value in (state or {}).items():
        at.session_state[key] = dict(value) if isinstance(value, dict) else value
    at.switch_page(f"app_pages/{page}.py")
    return at.run()


def edit_table(at: AppTest, edited: dict | None = None, added: tuple = (), deleted: tuple = (),
               version: int = 0) -> AppTest:
    """Edit Settings' contestant table as the browser does, then run: AppTest cannot type into an
    st.data_editor, but takes its edit state (rows by position, as in the table the page drew).

    Args:
        edited: {row: {column: new value}}.
        added: New rows, each {column: value}.
        deleted: Rows to remove.
        version: The table's version (it goes up each time a preset, an import or Duplicate redraws it).
    """
    at.session_state[f"settings.table.{version}"] = {"edited_rows": edited or {}, "added_rows": list(added),
                                                      "deleted_rows": list(deleted)}
    return at.run()


def comparison_of(at: AppTest):
    """The comparison the pages of `at` show."""
    return at.session_state["shared.comparisons"][at.session_state["shared.current"]].comparison


def labels(state: dict) -> list[str]:
    """Display labels of the current comparison's contestants, in order (e.g. "poly (untrained)")."""
    return [r.label for r in state["shared.comparisons"][state["shared.current"]].comparison.results.values()]


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
