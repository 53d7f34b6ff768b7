"""Every results page, opened before any comparison, says what to do instead of failing."""

from __future__ import annotations

import pytest

from tests.app.helpers import no_exception, open_page


@pytest.mark.parametrize("page", ["rankings", "scores", "analysis", "attention", "tradeoffs", "export"])
def test_results_pages_need_a_comparison(page):
    at = open_page(page)
    no_exception(at)
    assert at.info[0].value.startswith("Nothing to show yet")
