"""The app's own path as a user meets it: a fresh server, the Start page, the demo button, and again.

Everything is measured in one run, against the targets of "First result in seconds":
- start: a fresh `streamlit run app.py` (new cache folder, nothing loaded) until its Start page shows the demo
  button in Chromium (target ≤ 5 s from the first visit; the server's own start-up is reported beside it);
- first result: the demo button clicked at once, until the first finished contestant is on screen (≤ 10 s); and
  on a second fresh server, clicked after half a minute on the Start page (the server's warm-up has run);
- full demo: until the whole comparison is done, model loads included (≤ 60 s);
- warm: the button clicked again in the same browser session (the session's cache), and in a new session
  (the server's disk cache: no model is loaded);
- new process: the same comparison in a fresh Python process (`core.comparison.cache`), the way `python -m core
  compare` answers it (≤ 2 s for the comparison; the process's imports are reported beside it).

    python -m benchmarks.app_path        # about 3 minutes on 2 cores; needs /usr/bin/chromium
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from benchmarks._machine import RESULTS_DIR, machine_record, markdown_table, report

ROOT = RESULTS_DIR.parents[1]
CHROMIUM = "/usr/bin/chromium"
TARGETS_S = {"start_page": 5.0, "first_result": 10.0, "full_demo": 60.0, "new_process_compare": 2.0}
DEMO_BUTTON = "Load the lesson data and run the demo"
FIRST_RESULT = "Finished so far"
DONE = "Done: "
CHILD_FLAG = "--new-process-child"
SETTLE_S = 30.0
"""Seconds a second fresh server's first visitor reads the Start page before clicking (its warm-up has run)."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(environment: dict[str, str]) -> tuple[subprocess.Popen, str, float]:
    """A headless server on a free port; its URL and the seconds until it answered its health check."""
    port = _free_port()
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return process, url, time.perf_counter() - start
        except OSError:
            if process.poll() is not None or time.perf_counter() - start > 120:
                raise RuntimeError("the server did not start") from None
            time.sleep(0.1)


def click_demo(page) -> dict[str, float]:
    """Click the demo button; seconds until the first finished contestant is shown (if the run was not answered
    from a cache first) and until it is done."""
    start = time.perf_counter()
    page.get_by_role("button", name=DEMO_BUTTON).click()
    first = page.get_by_text(FIRST_RESULT).or_(page.get_by_text(DONE)).first
    first.wait_for(timeout=600_000)
    first_s = time.perf_counter() - start
    page.get_by_text(DONE).wait_for(timeout=600_000)
    return {"first_result_s": first_s, "done_s": time.perf_counter() - start,
            "message": page.get_by_text(DONE).inner_text()}


def browser_path(environment: dict[str, str], settle_s: float = 0.0) -> dict:
    """Fresh server → Start page → (after `settle_s` seconds of reading) demo; the demo again in the same session
    and in a new one."""
    from playwright.sync_api import sync_playwright

    process, url, server_s = start_server(environment)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            start = time.perf_counter()
            page.goto(url)
            page.get_by_role("button", name=DEMO_BUTTON).wait_for(timeout=300_000)
            start_page_s = time.perf_counter() - start
            page.wait_for_timeout(settle_s * 1000)
            demo = click_demo(page)
            page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']")
            same_session = click_demo(page)
            other = browser.new_page(viewport={"width": 1440, "height": 900})
            other.goto(url)
            other.get_by_role("button", name=DEMO_BUTTON).wait_for(timeout=300_000)
            new_session = click_demo(other)
            browser.close()
    finally:
        process.terminate()
        process.wait(timeout=30)
    return {"server_start_s": server_s, "start_page_s": start_page_s, "demo": demo,
            "again_same_session": same_session, "again_new_session": new_session}


def new_process_child() -> None:
    """In a fresh process: read the lesson data and the demo's comparison from the cache; print the times."""
    start = time.perf_counter()
    from core.comparison.cache import read_comparison
    from core.contestants.presets import demo_spec
    from core.data.samples import load_lesson

    imported = time.perf_counter()
    data, _ = load_lesson()
    comparison = read_comparison(data, demo_spec())
    done = time.perf_counter()
    print(json.dumps({"import_s": imported - start, "compare_s": done - imported, "hit": comparison is not None}))


def new_process(environment: dict[str, str]) -> dict:
    start = time.perf_counter()
    output = subprocess.run([sys.executable, "-m", "benchmarks.app_path", CHILD_FLAG], capture_output=True, text=True,
                            check=True, cwd=ROOT, env=environment).stdout
    return {"wall_s": time.perf_counter() - start, **json.loads(output.strip().splitlines()[-1])}


def main() -> None:
    if sys.argv[1:] == [CHILD_FLAG]:
        new_process_child()
        return
    machine = machine_record()
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", "ARENA_CACHE_DIR": tempfile.mkdtemp(prefix="arena-bench-")}
    browser = browser_path(environment)
    fresh = new_process(environment)
    settled = browser_path({**environment, "ARENA_CACHE_DIR": tempfile.mkdtemp(prefix="arena-bench-")}, SETTLE_S)
    values = {"start_page": browser["start_page_s"], "first_result": browser["demo"]["first_result_s"],
              "full_demo": browser["demo"]["done_s"], "new_process_compare": fresh["compare_s"]}
    targets = {name: {"value": values[name], "target": TARGETS_S[name], "met": values[name] <= TARGETS_S[name]}
               for name in TARGETS_S}
    rows = [["fresh server: started (health check answers)", browser["server_start_s"], ""],
            ["Start page drawn with its demo button, from the first visit", browser["start_page_s"], TARGETS_S["start_page"]],
            ["demo clicked at once: first contestant on screen", browser["demo"]["first_result_s"],
             TARGETS_S["first_result"]],
            ["demo: whole comparison done (model loads included)", browser["demo"]["done_s"], TARGETS_S["full_demo"]],
            [f"another fresh server, demo clicked after {SETTLE_S:.0f} s on the Start page: first contestant",
             settled["demo"]["first_result_s"], ""],
            ["  and the whole comparison done", settled["demo"]["done_s"], ""],
            ["warm: clicked again, same session (session cache)", browser["again_same_session"]["done_s"], ""],
            ["warm: clicked in a new session (server's disk cache)", browser["again_new_session"]["done_s"], ""],
            ["new process: the same comparison (from the disk cache)", fresh["compare_s"],
             TARGETS_S["new_process_compare"]],
            ["new process: its imports", fresh["import_s"], ""]]
    tables = {"App path, lesson demo (5 contestants, 52 test queries), seconds":
              markdown_table(["step", "s", "target s"], rows)}
    report("app_path_demo", machine, {"cache": "fresh folder per run; ranx's numba cache as installed"},
           {"browser": browser, "settled": settled, "new_process": fresh, "targets": targets}, tables)


if __name__ == "__main__":
    main()
