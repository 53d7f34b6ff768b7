"""The usage examples in the docstrings of the main entry points run as written (from the repository root)."""

from __future__ import annotations

import doctest
import importlib

import pytest

from tests.conftest import ROOT

MODULES = ("core.comparison.compare", "core.contestants.registry", "core.data.loading", "core.rankers.base",
           "core.rankers.build", "core.types", "core.training.selection", "core.training.bi")


@pytest.mark.parametrize("name", MODULES)
def test_the_examples_run(name, monkeypatch):
    monkeypatch.chdir(ROOT)
    module = importlib.import_module(name)
    failed, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert attempted > 0 and failed == 0, f"{name}: {failed} of {attempted} examples failed"
