"""Shared fixtures: the real embedded models (loaded once per test run) and the sample data."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the embedded defaults must never need the network
# Each test run starts with an empty disk cache of its own (servers the tests start inherit it).
os.environ.setdefault("ARENA_CACHE_DIR", tempfile.mkdtemp(prefix="arena-cache-"))
os.environ.setdefault("ARENA_WARM_UP", "0")  # tests load what they use; a server's warm-up would contend for the CPU

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_BEIR = ROOT / "sample_data" / "beir"
SAMPLE_CSV = ROOT / "sample_data" / "csv"


@pytest.fixture(scope="session")
def sample_dataset():
    from core.data import load_dataset

    return load_dataset(SAMPLE_BEIR)


@pytest.fixture(scope="session")
def bi_model():
    from core.models.loading import load_bi_encoder

    return load_bi_encoder("embedded")
