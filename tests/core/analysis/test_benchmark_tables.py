"""The Trade-offs page's reader of benchmark result files."""

from __future__ import annotations

import json

from core.analysis.tradeoff_points import benchmark_tables


def test_benchmark_tables_reads_the_tables_and_names_the_machine_in_words(tmp_path):
    table = "| ranker | ms |\n|---|---|\n| bi | 1.0 |"
    result = {"benchmark": "scoring_cost", "tables": {"Scoring cost": table, "Target: bi ≤ 2 ms": "1.0 (met)"},
              "machine": {"summary": "AMD EPYC, 2 cores", "cpu": "AMD EPYC", "cores": 2,
                          "command": "python -m benchmarks.scoring_cost", "started": "2026-01-01T00:00:00+00:00"}}
    (tmp_path / "scoring_cost.json").write_text(json.dumps(result))
    tables, machine = benchmark_tables("scoring_cost", tmp_path)
    assert tables == {"Scoring cost": table}  # the check against the project's target is for developers
    assert machine == "a 2-core AMD EPYC, 1 January 2026"


def test_benchmark_tables_is_none_before_the_benchmark_has_run(tmp_path):
    assert benchmark_tables("scoring_cost", tmp_path) is None
