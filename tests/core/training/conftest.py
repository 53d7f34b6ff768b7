"""What the fine-tuning tests share: the sample data split in two."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from core.data.devsets import export_beir
from core.data.splits import hold_out


@pytest.fixture(scope="module")
def split_data(tmp_path_factory, sample_dataset) -> Path:
    """The sample data as a BEIR folder with qrels/train.tsv (half the judged queries) beside qrels/test.tsv."""
    splits = hold_out(sample_dataset, 50)
    folder = tmp_path_factory.mktemp("split") / "sample-split"
    export_beir(replace(sample_dataset, qrels=splits.test.qrels), folder, {"train": splits.training.qrels})
    return folder
