"""`python -m benchmarks.gpu` checked on the CPU, small and with random weights: the code paths a GPU run takes
(the device's loaders, batching, placement and poly scoring) run and write their table. The figures themselves
are measured on a GPU (`@pytest.mark.gpu`)."""

from __future__ import annotations

import json

import pytest
import torch

from benchmarks import _machine, gpu


def test_the_gpu_benchmark_runs_its_code_paths_on_the_cpu(tmp_path, monkeypatch):
    monkeypatch.setattr(_machine, "RESULTS_DIR", tmp_path)
    gpu.main(["--device", "cpu", "--quick", "--random-weights", "--repeats", "1"])
    written = json.loads((tmp_path / "gpu.json").read_text())
    speed = written["results"]["speed"]
    assert written["machine"]["device"] == "the CPU" and written["settings"]["random_weights"]
    assert speed["bi_docs_per_s"] > 0 and speed["cross_pairs_per_s"] > 0 and speed["rerank_candidates"] == 100
    assert speed["poly_10000_ms"] > 0 and "On the CPU" in written["tables"]


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_on_a_gpu_precision_costs_at_most_half_a_point(tmp_path, monkeypatch):
    monkeypatch.setattr(_machine, "RESULTS_DIR", tmp_path)
    gpu.main(["--device", "cuda", "--quick", "--no-training", "--repeats", "1"])
    precision = json.loads((tmp_path / "gpu.json").read_text())["results"]["precision"]
    assert abs(precision["difference"]) <= 0.005
