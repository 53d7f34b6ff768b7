"""The app's own path: a full sample-data comparison cold (fresh process) and warm.

Three measurements of the same comparison (the Start page's demo configuration by default: all four
contestants, k = 20, the cross-encoder re-ranking the bi-encoder's top 20):
- cold: a fresh Python process that imports core, loads the models and runs `core.compare.compare`
  (nothing loaded, nothing cached), timed from outside, with its stages timed inside;
- warm, core level: `compare` again in a process where the models are loaded and the corpus
  embeddings cached (fresh rankers, as each new comparison gets), so every query is scored again;
- warm, as the app experiences it: the Start page's demo button clicked a second time in one
  Streamlit session (`streamlit.testing.v1.AppTest`), which the app answers from the session's
  comparison cache, keyed by (dataset hash, comparison spec).

    python -m benchmarks.app_path                   # about 3-5 minutes on 2 busy cores
    python -m benchmarks.app_path --config cli      # `python -m core compare`'s default preset (k = 100, depth 100)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

from benchmarks._machine import RESULTS_DIR, machine_record, markdown_table, report

CONFIGS = ("demo", "cli")
TARGET_WARM_S = 2.0
CHILD_FLAG = "--cold-child"


def config_of(name: str):
    """The `ComparisonSpec` a name stands for: the Start page's demo or the CLI's default preset."""
    from core.contestants.registry import DEFAULT_PRESET, presets
    from core.view_models import demo_spec

    return demo_spec() if name == "demo" else presets()[DEFAULT_PRESET]


def cold_child(name: str) -> None:
    """In a fresh process: import, load the sample data, compare; print the stage times as JSON."""
    start = time.perf_counter()
    from core.compare import compare
    from core.view_models import load_sample

    imported = time.perf_counter()
    comparison = compare(load_sample(), config_of(name))
    done = time.perf_counter()
    print(json.dumps({"import_s": imported - start, "compare_s": done - imported,
                      "index_s": {kind: r.index_s for kind, r in comparison.results.items()}}))


def cold(name: str) -> dict:
    """Wall time of a fresh process running the comparison, and its stages."""
    start = time.perf_counter()
    output = subprocess.run([sys.executable, "-m", "benchmarks.app_path", CHILD_FLAG, name], capture_output=True,
                            text=True, check=True, cwd=RESULTS_DIR.parents[1]).stdout
    wall = time.perf_counter() - start
    return {"wall_s": wall, **json.loads(output.strip().splitlines()[-1])}


def warm_core(name: str) -> dict:
    """`compare` twice in this process with fresh rankers; the second run is the warm one."""
    from core.compare import compare
    from core.view_models import load_sample

    data, config = load_sample(), config_of(name)
    first = time.perf_counter()
    compare(data, config)
    second = time.perf_counter()
    comparison = compare(data, config)
    end = time.perf_counter()
    return {"first_in_process_s": second - first, "warm_s": end - second,
            "search_ms_total": {kind: sum(r.query_ms) for kind, r in comparison.results.items()}}


def warm_app() -> dict:
    """The Start page's demo button clicked twice in one AppTest session; the second click is the warm path."""
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(RESULTS_DIR.parents[1] / "app.py"), default_timeout=900)
    app.switch_page("app_pages/start.py").run()
    clicks = []
    for _ in range(2):
        start = time.perf_counter()
        app.button(key="start.demo").click().run()
        clicks.append(time.perf_counter() - start)
    if app.exception:
        raise RuntimeError(f"the app raised: {[e.value for e in app.exception]}")
    return {"first_click_s": clicks[0], "second_click_s": clicks[1], "message": app.success[0].value}


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == CHILD_FLAG:
        cold_child(sys.argv[2])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="demo", choices=CONFIGS)
    args = parser.parse_args()
    machine = machine_record()
    cold_run = cold(args.config)
    core_run = warm_core(args.config)
    app_run = warm_app() if args.config == "demo" else None
    rows = [["cold: fresh process (imports, model loads, encoding, scoring)", cold_run["wall_s"]],
            ["  of which imports", cold_run["import_s"]],
            ["  of which compare (model loads, encoding, scoring)", cold_run["compare_s"]],
            ["first compare in a process where nothing is loaded", core_run["first_in_process_s"]],
            ["warm, core level: compare again (models loaded, embeddings cached)", core_run["warm_s"]]]
    if app_run:
        rows += [["app: first click of the demo button (models already loaded in this process)",
                  app_run["first_click_s"]],
                 ["warm, app: second click (answered from the session's comparison cache)",
                  app_run["second_click_s"]]]
    targets = {"warm_core_s": {"value": core_run["warm_s"], "target": TARGET_WARM_S,
                               "met": core_run["warm_s"] <= TARGET_WARM_S}}
    if app_run:
        targets["warm_app_s"] = {"value": app_run["second_click_s"], "target": TARGET_WARM_S,
                                 "met": app_run["second_click_s"] <= TARGET_WARM_S}
    tables = {f"App path, sample data ({args.config} configuration), seconds": markdown_table(["run", "s"], rows)}
    settings = {"config": config_of(args.config).to_dict()}
    report(f"app_path_{args.config}", machine, settings,
           {"cold": cold_run, "warm_core": core_run, "warm_app": app_run, "targets": targets}, tables)


if __name__ == "__main__":
    main()
