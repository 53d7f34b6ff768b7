"""AppTest fixtures: one small comparison of the sample data per test run, reused by every page's tests.

The comparison runs once, through the Start page's demo button with a small comparison (bi, BM25 and
a cross-encoder re-ranking the bi-encoder's top 5, k = 10) on the ten-topic sample data (the pages' tests
were written for it; the demo's own lesson data is checked in test_start and the browser test), to keep
CPU time down. Each page test then
starts a fresh AppTest session seeded with that session's "shared.*" state.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.data.samples import load_sample
from tests.app.helpers import RUN_TIMEOUT, SMALL, no_exception, open_page


@pytest.fixture(scope="session")
def demo_app() -> AppTest:
    """The Start page after its demo button ran the small comparison on the sample data."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("core.contestants.presets.demo_spec", lambda: SMALL)
        patch.setattr("core.data.samples.load_lesson", lambda: (load_sample(), None))
        at = open_page("start")
        at.button(key="start.demo").click().run(timeout=RUN_TIMEOUT)
    no_exception(at)
    return at


@pytest.fixture(scope="session")
def shared_state(demo_app) -> dict:
    """The demo session's cross-page state ("shared.*" keys)."""
    return {key: demo_app.session_state[key] for key in demo_app.session_state if key.startswith("shared.")}
