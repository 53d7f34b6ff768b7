"""The app end to end in a real Chromium: demo run, every page, a five-contestant comparison built in
Settings' table, and user text that must stay text.

Starts `streamlit run app.py` headless on a free port, waits for /_stcore/health, and drives the
Debian chromium (/usr/bin/chromium) with Playwright. Pages are reached through the sidebar links (by
their url_path), so the browser session, and with it the loaded data, is kept between pages. A
screenshot of each page goes to test-artifacts/. ARENA_E2E_SESSIONS sets how many browser sessions
run comparisons at once on the one server (3 by default, as CI runs it; 10 for the full check).

The contestant table is a canvas (glide-data-grid): a test selects a cell by clicking the table's first
cell and moving with the arrow keys, opens its editor with Enter, and reads the table back from the
grid's hidden accessibility table.
"""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from core.contestants.registry import trainable_kinds

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
PAGE_MS = 180_000  # a page that loads a model on two shared CPU cores
DEMO_MS = int(os.environ.get("ARENA_E2E_DEMO_TIMEOUT_S", "1200")) * 1000
SIZES = ((1024, 768), (1440, 900))
GRID_ROW_PX = 35  # height of a row (and of the header) in st.data_editor
PAGES = [("data", "Data"), ("settings", "Settings"), ("rankings", "Rankings"), ("scores", "Scores"),
         ("analysis", "Analysis"), ("attention", "Attention"), ("tradeoffs", "Trade-offs"), ("export", "Export")]


def _require_browser() -> None:
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} is missing (install it with `apt-get install -y chromium`)"
    if os.environ.get("ARENA_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason}, and ARENA_REQUIRE_BROWSER=1 requires the browser tests to run")
    pytest.skip(f"{reason}; set ARENA_REQUIRE_BROWSER=1 to make this a failure")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def served():
    """A headless `streamlit run` for this module, on an empty disk cache as a fresh server has (the unit tests
    may have cached the demo's comparison): its URL and its process."""
    _require_browser()
    port = _free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log = (ARTIFACTS / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, env={**os.environ, "HF_HUB_OFFLINE": "1", "ARENA_CACHE_DIR": tempfile.mkdtemp(prefix="arena-e2e-")},
        stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not become healthy; see {ARTIFACTS / 'server.log'}")
            time.sleep(0.5)
        yield url, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="module")
def server(served) -> str:
    """The app's URL."""
    return served[0]


@pytest.fixture(scope="module")
def browser():
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(PAGE_MS)
    yield tab
    context.close()


def settle(page, heading: str, timeout: int = PAGE_MS) -> None:
    """Wait for the page titled `heading` to finish its script run, then check it raised nothing."""
    exception = page.locator("[data-testid='stException']")
    exception.or_(page.get_by_role("heading", name=heading, exact=True)).first.wait_for(timeout=timeout)
    page.wait_for_selector(IDLE, timeout=timeout)
    page.wait_for_function("!document.querySelector(\"[data-testid='stSkeleton']\")", timeout=timeout)
    assert exception.count() == 0, exception.first.inner_text()


def visit(page, url_path: str, heading: str) -> None:
    """Open a page through its sidebar link (same browser session) and wait until it has rendered."""
    page.locator(f"[data-testid='stSidebarNav'] a[href$='/{url_path}']").click()
    page.wait_for_url(f"**/{url_path}*")  # widgets bound to the URL may add their query parameters
    settle(page, heading)


def shoot(page, name: str) -> None:
    """Screenshot the whole page: the app scrolls inside its main area, so grow the viewport to fit it."""
    height = page.evaluate("document.querySelector(\"[data-testid='stMain']\").scrollHeight")
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": min(max(height, size["height"]), 8000)})
    page.wait_for_timeout(1000)  # charts redraw at the new size
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    page.set_viewport_size(size)


def choose(page, label: str, option: str) -> None:
    """Pick `option` in the selectbox labelled `label`."""
    page.get_by_role("combobox", name=label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()


def rerun_done(page, heading: str) -> None:
    """Wait for the rerun that an edit starts (unless it has already finished), then `settle`."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_selector("[data-testid='stApp'][data-test-script-state='running']", timeout=3000)
    except PlaywrightTimeout:
        pass  # a quick rerun can finish before we look
    settle(page, heading)


def shoot_at(page, name: str, sizes=SIZES) -> None:
    """`shoot` the page at each viewport width × height (as a laptop or projector shows it), then restore it."""
    size = page.viewport_size
    for width, height in sizes:
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(1000)  # the layout and charts follow the width
        shoot(page, f"{name}_{width}x{height}")
    page.set_viewport_size(size)


def load_sample(page, server: str) -> None:
    """Load the sample data from the Data page."""
    page.goto(f"{server}/data")
    settle(page, "Data")
    page.get_by_role("tab", name="Sample data").click()
    page.get_by_role("button", name="Use the sample data").click()
    settle(page, "Loaded: sample")


def test_demo_run_and_every_page(page, server):
    """Start's demo button loads the lesson data and compares; every page then renders without an exception."""
    page.goto(server)  # Start is the default page, served at the root
    settle(page, "Encoder Arena")
    assert page.locator("[data-testid='stGraphVizChart'] svg").count() == 5  # three architectures, two more uses
    shoot(page, "01_start")
    page.get_by_role("button", name="Load the lesson data and run the demo").click()
    page.get_by_text("Finished so far").wait_for(timeout=DEMO_MS)  # the cheap contestants show while the rest run
    page.locator("[data-testid='stMain'] [data-testid='stDataFrame']").first.wait_for()
    assert page.get_by_text("Done: 5 contestants").count() == 0
    assert "450 documents" in page.locator("[data-testid='stSidebar']").inner_text()  # the data is named meanwhile
    shoot(page, "02_start_during_demo")
    page.get_by_text("Done: 5 contestants").wait_for(timeout=DEMO_MS)
    settle(page, "Encoder Arena")
    shoot(page, "02_start_after_demo")
    expectations = {"data": "Read one document", "settings": "already ran", "rankings": "Each line is one document",
                    "scores": "different scales", "analysis": "Holm-adjusted", "attention": "not an explanation",
                    "tradeoffs": "Pareto frontier", "export": "TREC run files"}
    for number, (url_path, heading) in enumerate(PAGES, start=3):
        visit(page, url_path, heading)
        assert page.get_by_text(expectations[url_path]).first.is_visible()
        if url_path == "settings":
            page.get_by_role("button", name="Run the comparison").click()
            page.get_by_text("Done: 5 contestants").wait_for()
            settle(page, heading)
        if url_path in ("rankings", "scores", "analysis", "attention", "tradeoffs"):
            page.locator("[data-testid='stPlotlyChart'] .main-svg").first.wait_for()
        if url_path == "tradeoffs":  # the measurements run on demand: run the three, small
            charts = "document.querySelectorAll(\"[data-testid='{}']\").length >= {}"
            for button, chart, count in (("Run the depth sweep", "stPlotlyChart", 2),
                                         ("Time the poly-encoder's scoring step", "stVegaLiteChart", 1),
                                         ("Measure", "stPlotlyChart", 3)):
                page.get_by_role("button", name=button).click()
                page.wait_for_function(charts.format(chart, count))
                settle(page, heading)
        shoot(page, f"{number:02d}_{url_path}")
        if url_path == "attention":  # the bi-encoder's view first, then the poly-encoder's and the cross-encoder's
            for contestant, view in (("poly-encoder", "poly"),
                                     ("cross-encoder · fine-tuned on lesson", "cross")):
                choose(page, "Contestant", contestant)
                rerun_done(page, heading)
                page.locator("[data-testid='stPlotlyChart'] .main-svg").first.wait_for()
                shoot(page, f"{number:02d}_{url_path}_{view}")


QUESTION = "which company bought the other one?"
LISTS = "[data-testid='stMain'] ol.arena-list"


def download(page, click) -> Path:
    """Run `click` (which starts a download) and return the downloaded file's path, named as the browser offered."""
    with page.expect_download() as started:
        click()
    target = ARTIFACTS / "downloads" / started.value.suggested_filename
    target.parent.mkdir(exist_ok=True)
    started.value.save_as(target)
    return target


CAMERA_TITLES = {"png": "Download plot as a PNG", "svg": "Download plot"}  # plotly.js names its camera by format


def download_figure(page, image_format: str) -> Path:
    """Save the page's first figure with its camera icon, once the figure has been redrawn for `image_format` (on a
    loaded machine plotly may still be replacing the figure's element after the script has finished: then the
    element it found is gone, and the next one is taken)."""
    from playwright.sync_api import Error

    chart = page.locator(FIGURE).first
    for attempt in range(3):
        try:
            chart.scroll_into_view_if_needed()
            chart.hover()
            break
        except Error as error:
            if "not attached" not in str(error) or attempt == 2:
                raise
            page.wait_for_timeout(500)
    camera = chart.locator(f".modebar-btn[data-title='{CAMERA_TITLES[image_format]}']").first
    camera.wait_for()
    return download(page, camera.click)


def demo_session(browser, server: str, size: tuple[int, int]):
    """A new browser session at `size` (width, height) that has run the Start page's demo: its context and page."""
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(PAGE_MS)
    page.goto(server)
    settle(page, "Encoder Arena")
    page.get_by_role("button", name="Load the lesson data and run the demo").click()
    page.get_by_text("Done: 5 contestants").wait_for(timeout=DEMO_MS)
    settle(page, "Encoder Arena")
    return context, page


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_a_classroom_asks_live_downloads_figures_and_the_report_and_reopens_a_saved_comparison(browser, server, size):
    """At a projector's and a laptop's size: a question typed on Start is answered by every contestant on Rankings
    with its words marked; a figure downloads as PNG and SVG; the report says what it shows; a saved comparison opens
    again; presentation mode keeps the lists; and a link naming the lesson data opens it in a new session."""
    width, height = size
    context, page = demo_session(browser, server, size)
    box = page.get_by_placeholder("e.g. who acquired")
    box.fill(QUESTION)
    box.press("Enter")
    page.wait_for_url("**/rankings?q=*")
    settle(page, "Rankings")
    page.locator(LISTS).nth(3).wait_for()
    lists = page.locator(LISTS)  # side by side: the four neural contestants of the five (BM25 is one pick away)
    assert lists.count() == 4 and all(lists.nth(i).locator("mark.term").count() for i in range(4))
    assert sum(lists.nth(i).locator(".weighs").count() > 0 for i in range(4)) == 4  # every neural contestant
    assert page.get_by_text("ms per question (median of the comparison's 52)").count() == 4
    shoot(page, f"40_live_question_{width}x{height}")

    png = download_figure(page, "png")
    assert png.name == "rank_shift.png" and png.read_bytes()[:4] == b"\x89PNG"
    page.locator("[data-testid='stSidebar']").get_by_text("SVG", exact=True).click()
    settle(page, "Rankings")
    svg = download_figure(page, "svg")
    assert svg.name == "rank_shift.svg" and "<svg" in svg.read_text(encoding="utf-8")[:200]

    visit(page, "export", "Export")
    assert page.get_by_text("Best by nDCG@10:").is_visible()
    page.get_by_role("button", name="Build the report").click()
    report = download(page, lambda: page.get_by_role("button", name="Download the HTML report").click())
    text = report.read_text(encoding="utf-8")
    assert "<h2>What this shows</h2>" in text and "Best by nDCG@10" in text and "Notes: none" not in text
    assert "Can they be told apart? (nDCG@10, per query)" in text and "Wins / ties / losses, row against" in text
    saved = download(page, lambda: page.get_by_role("button", name="Save this comparison").click())
    assert saved.name == "lesson.arena.json"
    page.locator("[data-testid='stFileUploader'] input[type=file]").set_input_files(str(saved))
    page.get_by_text("Opened lesson.arena.json: 5 contestants").wait_for()
    shoot(page, f"41_export_{width}x{height}")

    visit(page, "rankings", "Rankings")
    page.locator("[data-testid='stSidebar']").get_by_text("Presentation mode").click()
    page.wait_for_url("**present=true*")
    settle(page, "Rankings")
    page.wait_for_function(f"document.querySelectorAll(\"{LISTS}\").length === 4")  # the stale lists gone
    assert page.get_by_text("Documents shown").count() == 0
    shoot(page, f"42_presentation_{width}x{height}")
    page.wait_for_function("[...document.querySelectorAll(\"[data-testid='stCode'] code\")]"  # the share link keeps
                           ".some(code => code.innerText.includes('present=true'))", timeout=30_000)  # the mode
    context.close()

    fresh = browser.new_context(viewport={"width": width, "height": height})  # a student opening the teacher's link
    student = fresh.new_page()
    student.set_default_timeout(PAGE_MS)
    student.goto(f"{server}/rankings?data=lesson&q=who+bought+whom")
    settle(student, "Rankings")
    student.locator(LISTS).nth(3).wait_for()
    assert student.locator(LISTS).count() == 4
    fresh.close()


def test_a_class_opens_a_cell_of_the_matrix_and_the_most_disputed_query_side_by_side(browser, server):
    """At a projector's size, on the lesson demo: the Analysis page's intervals and win / tie / loss matrix, the
    queries behind one cell, and the most disputed query's lists side by side with the query's words marked."""
    context, page = demo_session(browser, server, (1024, 768))
    visit(page, "analysis", "Analysis")
    page.wait_for_function("document.querySelectorAll(\"[data-testid='stPlotlyChart'] .main-svg\").length >= 2")
    assert page.get_by_text("Wins / ties / losses, row against column").first.is_visible()
    assert page.get_by_text("cannot be told apart").count() + page.get_by_text("told apart:").count() > 0
    cell = page.get_by_text("BM25 wins against bi-encoder:")  # the first cell, opened: the queries behind it
    cell.wait_for()
    shoot(page, "50_analysis_1024x768")
    disputed = page.get_by_role("combobox", name="Open a query (the most disputed first)")
    disputed.scroll_into_view_if_needed()
    page.locator(LISTS).nth(1).wait_for()
    lists = page.locator(LISTS)  # the best and the worst contestant on that query, side by side
    assert lists.count() == 2 and sum(lists.nth(i).locator("mark.term").count() > 0 for i in range(2)) >= 1
    assert page.locator("[data-testid='stMain'] .grade").count() > 0  # the relevant documents are marked
    page.get_by_text("Show the words each model weighs").click()
    rerun_done(page, "Analysis")
    page.locator(f"{LISTS} .weighs").first.wait_for()
    shoot(page, "51_analysis_disputed_query_1024x768")
    context.close()


def test_a_prebuilt_index_opens_on_the_data_page_and_a_comparison_runs_on_it(page, server, tmp_path):
    """An index directory built by `python -m core index` (here in this process; on a cluster with --engine ray)
    gives the bi-encoder its document vectors; one of other data is refused with the reason."""
    from core.cli import main

    index = tmp_path / "index"
    assert main(["index", str(ROOT / "sample_data" / "beir"), "--out", str(index), "--index-type", "flat"]) == 0
    tiny = tmp_path / "tiny.jsonl"
    tiny.write_text("".join(json.dumps({"_id": f"d{i}", "text": f"document {i}"}) + "\n" for i in range(3)))
    other = tmp_path / "other"
    assert main(["index", str(tiny), "--out", str(other), "--index-type", "flat"]) == 0
    load_sample(page, server)
    for folder, expected in ((other, "built on another corpus"), (index, "will take their document vectors from")):
        if not page.get_by_label("Index directory").is_visible():  # the expander folds on each rerun
            page.get_by_text("Use a prebuilt index").click()
        page.get_by_label("Index directory").fill(str(folder))
        page.get_by_role("button", name="Use this index").click()
        page.get_by_text(expected).wait_for()
        settle(page, "Loaded: sample")
    shoot(page, "50_data_prebuilt_index")
    visit(page, "settings", "Settings")
    run_from_settings(page, "Done:")


FIVE = ["BM25", "bi-encoder", "MiniLM twin", "hybrid (RRF)", "bi → cross"]
"""The five contestants the Settings test builds: cheap ones, and a cross-encoder re-ranking only 5 documents."""
TABLE = "[data-testid='stDataFrame']"  # the contestant table is the first on the Settings page
FIGURE = "[data-testid='stPlotlyChart'] .js-plotly-plot"
SWATCHES = """[...document.querySelectorAll("[data-testid='stMain'] h4 span[style*='color']")].map(swatch => [
    swatch.closest("h4").innerText.replace("■", "").trim(),
    "#" + swatch.style.color.match(/\\d+/g).map(n => (+n).toString(16).padStart(2, "0")).join("").toUpperCase()])"""
"""[name, colour as #RRGGBB] of each contestant heading (`_shared.contestant_heading`) on the page."""


def table_names(page) -> list[str]:
    """The name column of Settings' contestant table, as shown."""
    return page.locator(TABLE).first.locator("[id^='glide-cell-1-']").all_inner_texts()


def expect_names(page, expected: list[str], seconds: float = 10) -> None:
    """Check that the contestant table shows `expected` names, once the grid has drawn a new table's rows."""
    deadline = time.monotonic() + seconds
    while table_names(page) != expected and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert table_names(page) == expected


def edit_cell(page, row: int, column: int, text: str) -> None:
    """Replace the text of the contestant table's cell (`row` 0 is the first contestant; `column` 0 is name)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    grid = page.locator(TABLE).first
    box = grid.locator("canvas").first.bounding_box()
    for _ in range(3):  # the first click after rows were deleted only clears their selection
        page.mouse.click(box["x"] + 60, box["y"] + 1.5 * GRID_ROW_PX)  # the first cell of the first row
        try:
            grid.locator("#glide-cell-1-0[aria-selected='true']").wait_for(state="attached", timeout=2000)
            break
        except PlaywrightTimeout:
            pass
    for key, times in (("ArrowRight", column), ("ArrowDown", row)):
        for _ in range(times):
            page.keyboard.press(key)
    grid.locator(f"#glide-cell-{column + 1}-{row}[aria-selected='true']").wait_for(state="attached")
    page.keyboard.press("Enter")
    page.locator("textarea.gdg-input").fill(text)  # typed keys would race the editor opening
    page.keyboard.press("Enter")
    rerun_done(page, "Settings")


def delete_rows(page, *rows: int) -> None:
    """Tick the row markers of `rows` and press the table's bin."""
    box = page.locator(f"{TABLE} canvas").first.bounding_box()
    for row in rows:
        page.mouse.click(box["x"] + 16, box["y"] + (row + 1.5) * GRID_ROW_PX)
    page.get_by_role("button", name="Delete row(s)").click()
    rerun_done(page, "Settings")


def figure(page, script: str, index: int = 0):
    """`script` (a JS function body over `gd`, the plotly graph div) run on the page's `index`-th figure."""
    page.locator(FIGURE).nth(index).wait_for()
    return page.locator(FIGURE).nth(index).evaluate(f"gd => {{ {script} }}")


PIPELINES = "Pipelines: BM25 → cross, bi → cross, hybrid"


def side_by_side(page, names: list[str]) -> None:
    """Pick `names` (in this order; each typed, the first option matching it taken) for Rankings' side-by-side view.
    The picker's open list hides the rest of the page from the accessibility tree: each pick closes it."""
    page.get_by_role("button", name="Clear all").click()
    rerun_done(page, "Rankings")
    picker = page.get_by_role("combobox", name="Side by side: two to four contestants, in the order you pick them")
    for name in names:
        picker.click()
        picker.fill(name)
        picker.press("Enter")
        picker.press("Escape")
        rerun_done(page, "Rankings")


def run_from_settings(page, done: str) -> None:
    """Press Settings' Run (ticking "Yes, run it" when a slow machine's estimate asks for it) and wait for `done`."""
    confirm = page.get_by_text("Yes, run it")
    if confirm.count():
        confirm.click()
        rerun_done(page, "Settings")
    page.get_by_role("button", name="Run the comparison").click()
    page.get_by_text(done).wait_for(timeout=DEMO_MS)
    settle(page, "Settings")


def sample_with_preset(page, server: str, preset: str) -> None:
    """Load the sample data, then the Settings preset named `preset`."""
    load_sample(page, server)
    visit(page, "settings", "Settings")
    page.get_by_text("Start from a preset").click()
    choose(page, "Preset", preset)
    page.get_by_role("button", name="Use this preset").click()
    page.get_by_text("Loaded the preset").wait_for()
    settle(page, "Settings")


def test_five_contestants_built_in_settings_show_on_every_page_in_their_colours(page, server):
    """A preset, a deleted pair of rows, an edited re-rank depth, a duplicate renamed in the table: the five
    contestants run, and every results page names all of them, each in one colour of its own."""
    sample_with_preset(page, server, PIPELINES)
    expect_names(page, ["BM25", "bi-encoder", "hybrid (RRF)", "BM25 → cross", "bi → cross", "hybrid → cross"])
    delete_rows(page, 3, 5)
    edit_cell(page, 3, 3, "first=bi-encoder, depth=5")
    choose(page, "Duplicate a contestant", "bi-encoder")
    page.get_by_role("button", name="Duplicate").click()
    page.get_by_text("Added a copy of bi-encoder").wait_for()
    settle(page, "Settings")
    expect_names(page, ["BM25", "bi-encoder", "bi-encoder copy", "hybrid (RRF)", "bi → cross"])
    edit_cell(page, 2, 0, "MiniLM twin")
    page.get_by_role("spinbutton", name="k: documents kept per query in every run").fill("10")
    page.keyboard.press("Enter")
    rerun_done(page, "Settings")
    expect_names(page, FIVE)
    assert page.locator("[data-testid='stAlert']").filter(has_text="cannot run").count() == 0
    page.get_by_text("bi → cross will score 295 (query, document) pairs").wait_for()  # 5 × 59 queries
    shoot_at(page, "20_settings_five")
    page.get_by_role("button", name="Run the comparison").click()
    page.get_by_text("Done: 5 contestants").wait_for(timeout=DEMO_MS)
    settle(page, "Settings")

    visit(page, "scores", "Scores")  # one subplot per contestant, titled with its name, its bars in its colour
    seen = figure(page, "return [gd.layout.annotations.map(a => a.text), "
                        "gd.data.filter(t => t.name === 'relevant').map(t => t.marker.color)]")
    colours = dict(zip(*seen))  # name → colour
    assert list(colours) == FIVE and len(set(colours.values())) == 5

    visit(page, "rankings", "Rankings")  # side by side: the four most expensive, each in its colour
    assert dict(page.evaluate(SWATCHES)) == {name: colours[name] for name in FIVE if name != "BM25"}
    shoot_at(page, "21_rankings_five")

    visit(page, "attention", "Attention")  # the three neural contestants, each in its colour; the others named
    page.get_by_text("No attention view for BM25, hybrid (RRF):").wait_for()
    for name in ("bi-encoder", "MiniLM twin", "bi → cross"):
        choose(page, "Contestant", name)
        rerun_done(page, "Attention")
        assert page.evaluate(SWATCHES) == [[name, colours[name]]]

    visit(page, "tradeoffs", "Trade-offs")  # one point per contestant after the frontier line
    seen = figure(page, "return gd.data.slice(1).map(t => [t.name.split(' · ').slice(1).join(' · '), t.marker.color])")
    assert dict(seen) == colours
    assert page.get_by_role("combobox", name="Re-ranker").input_value() == "bi → cross: re-ranks bi-encoder"

    visit(page, "export", "Export")  # a run file per contestant, and the report draws each in its colour
    for name in FIVE:
        assert page.get_by_role("button", name=f"{name}: run_").count() == 1
    page.get_by_role("button", name="Build the report").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the HTML report").click()
    report = Path(download.value.path()).read_text(encoding="utf-8")
    assert all(name in report and colour in report for name, colour in colours.items())


def test_fine_tuning_the_four_on_the_train_page_adds_them_and_the_paper_s_table(page, server):
    """Half the sample's judged queries held out for training; the bi-, cross-, poly-encoder and early-layer student
    fine-tuned alike in the background for seconds each with visible progress; added to the comparison, then the
    paper's table (zero-shot and fine-tuned side by side, with each model's training time) run on the other half,
    and the four fine-tuned ones side by side on Rankings."""
    load_sample(page, server)
    visit(page, "train", "Train")
    page.get_by_role("button", name="Hold them out for training").click()
    page.get_by_text("Held out 30 judged queries for training").wait_for()
    settle(page, "Train")
    for kind in trainable_kinds():
        if not page.get_by_role("checkbox", name=kind.training.label).is_checked():
            page.get_by_text(kind.training.label, exact=True).click()  # the label takes the click, as a user's does
            rerun_done(page, "Train")
    budget = page.get_by_role("spinbutton", name="Time budget per model (minutes)")
    budget.fill("0.25")
    budget.press("Enter")
    rerun_done(page, "Train")
    page.get_by_text("Estimate: about").wait_for()
    page.get_by_role("button", name="Start fine-tuning").click()
    page.locator("[data-testid='stProgress']").wait_for()
    page.get_by_text("% ·").first.wait_for()  # a fraction done and the time left
    shoot_at(page, "30_train_progress")
    page.get_by_role("button", name="Add them to the comparison").wait_for(timeout=2 * DEMO_MS)
    page.locator("[data-testid='stPlotlyChart'] .main-svg").first.wait_for()  # the loss and dev curves
    outcome = page.locator("[data-testid='stMain'] [data-testid='stAlert']").filter(has_text="Finished on").inner_text()
    assert all(kind.title in outcome for kind in trainable_kinds()), outcome
    shoot_at(page, "31_train_done")
    page.get_by_role("button", name="Add them to the comparison").click()  # the demo's five and four: one too many
    page.get_by_text("adding 4 fine-tuned models makes 9 contestants").wait_for()  # said, with what to do instead
    page.get_by_role("button", name="Show the paper's table").click()
    page.get_by_text("The comparison is now the paper's table").wait_for()
    visit(page, "settings", "Settings")
    page.locator(TABLE).first.locator("[id^='glide-cell-1-']").filter(has_text="zero-shot").first.wait_for(
        state="attached")  # the grid has drawn the new table
    table = table_names(page)
    assert [name for name in table if "zero-shot" in name] == ["bi-encoder · zero-shot", "poly-encoder · zero-shot",
                                                              "bi → cross · zero-shot"]
    added = [name for name in table if name.endswith(" on sample")]  # "tried on": no step beat the start
    assert [name.split(" · ")[0] for name in added] == ["bi-encoder", "poly-encoder", "cross-encoder",
                                                        "early-layer embedder"]  # the table's order of kinds
    assert all(name.endswith(("fine-tuned on sample", "tried on sample")) for name in added)
    run_from_settings(page, f"Done: {len(table)} contestants on 29 queries")
    visit(page, "rankings", "Rankings")
    side_by_side(page, added)  # the four fine-tuned ones
    headings = [name for name, _ in page.evaluate(SWATCHES)]  # a model that kept its start says so after its name
    assert [heading.split(" (")[0] for heading in headings] == added
    assert all(heading == name or heading == f"{name} (no gain: kept the untrained start)"
               for heading, name in zip(headings, added))
    shoot_at(page, "32_rankings_fine_tuned")


def test_uploaded_markup_is_shown_as_text(page, server):
    """A corpus (and its file name) holding script and img tags is displayed literally and runs nothing."""
    script, image = "<script>window.__xss=1</script>", '<img src=x onerror="window.__xss=1">'
    name = "<img src=x onerror=window.__xss=2>"
    corpus = io.StringIO()
    csv.writer(corpus).writerows([("id", "title", "text"), ("d1", image, f"{script} and more"),
                                  ("d2", "Bread", "Bread goes stale.")])
    page.goto(f"{server}/data")
    settle(page, "Data")
    inputs = page.locator("[data-testid='stFileUploader'] input[type=file]")
    inputs.nth(0).set_input_files({"name": f"{name}.csv", "mimeType": "text/csv", "buffer": corpus.getvalue().encode()})
    inputs.nth(1).set_input_files({"name": "queries.txt", "mimeType": "text/plain",
                                   "buffer": f"{script} stale bread\n{image}\n".encode()})
    page.get_by_role("button", name="Load these files").click()
    settle(page, f"Loaded: {name}")
    assert page.get_by_text(f"Loaded {name}: 2 documents, 2 queries; no relevance labels (qrels): contestants are "
                            "compared by how much they agree.").is_visible()
    assert page.get_by_text(f"{script} and more", exact=True).is_visible()
    assert page.get_by_text(image, exact=True).is_visible()
    shoot(page, "10_data_markup_as_text")
    visit(page, "settings", "Settings")
    page.get_by_role("button", name="Run the comparison").click()
    page.get_by_text("Done: 5 contestants").wait_for()
    visit(page, "rankings", "Rankings")
    picked = page.get_by_role("combobox", name="…or pick a query of the data").input_value()
    assert picked == f"q1 · {script} stale bread"
    shoot(page, "11_rankings_markup_as_text")
    assert page.evaluate("typeof window.__xss") == "undefined"


def upload_files(page, corpus: tuple[str, bytes], queries: tuple[str, bytes]) -> None:
    """Choose a corpus and a queries file on the Data page and press Load."""
    inputs = page.locator("[data-testid='stFileUploader'] input[type=file]")
    for index, (name, content) in enumerate((corpus, queries)):
        inputs.nth(index).set_input_files({"name": name, "mimeType": "text/plain", "buffer": content})
    page.get_by_role("button", name="Load these files").click()


def test_a_bad_upload_is_a_message_and_the_loaded_data_stays(page, server):
    page.goto(f"{server}/data")
    settle(page, "Data")
    upload_files(page, ("good.csv", b"id,text\nd1,Paris is in France.\n"), ("queries.txt", b"capital of France\n"))
    settle(page, "Loaded: good")
    upload_files(page, ("broken.csv", b"id,text\nd1,caf\xe9 au lait\nd1,again\n"), ("queries.txt", b"x\n"))
    settle(page, "Loaded: good")
    alert = page.locator("[data-testid='stAlert']").filter(has_text="Could not load the data")
    assert alert.inner_text().strip() == ("Could not load the data: broken.csv, line 2: not UTF-8 text (byte 0xE9; "
                                          "try saving as UTF-8). The previously loaded dataset is kept.")
    shoot(page, "12_data_bad_upload")


SESSIONS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliett")
SEEN_WAITING = r"""new MutationObserver(() => {  // every waiting notice a session showed, however briefly
    for (const alert of document.querySelectorAll("[data-testid='stAlert']")) {
        const seen = alert.innerText.match(/\d+ comparisons? ahead of yours/);
        if (seen) window.__waiting = (window.__waiting || new Set()).add(seen[0]);
    }
}).observe(document, {subtree: true, childList: true, characterData: true});"""


def _peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM), in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))) / 1024


def test_many_sessions_compare_at_once_on_one_server(browser, served):
    """Browser sessions upload their own corpora and start comparisons within seconds of each other: the server
    survives, each session sees only its own results, and those that queue are told how many runs are ahead."""
    server, process = served
    words = SESSIONS[:int(os.environ.get("ARENA_E2E_SESSIONS", "3"))]
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in words]
    try:
        pages = [context.new_page() for context in contexts]
        for tab, word in zip(pages, words):
            tab.set_default_timeout(PAGE_MS)
            tab.add_init_script(SEEN_WAITING)
            tab.goto(f"{server}/data")
            settle(tab, "Data")
            corpus = "".join(f"{word}-d{i},{word} passage {i} about {topic}\n"
                             for i, topic in enumerate(("rivers", "bread", "taxes"), 1))
            upload_files(tab, (f"{word}.csv", f"id,text\n{corpus}".encode()),
                         (f"{word}-queries.txt", f"{word} question about bread\n{word} rivers\n".encode()))
        for tab, word in zip(pages, words):
            settle(tab, f"Loaded: {word}")
            visit(tab, "settings", "Settings")
        start = time.monotonic()
        for tab in pages:  # start every run before waiting for any
            tab.get_by_role("button", name="Run the comparison").click()
        for tab in pages:
            tab.get_by_text("Done: 5 contestants").wait_for(timeout=DEMO_MS)
            settle(tab, "Settings")
        seconds = time.monotonic() - start
        for tab, word in zip(pages, words):
            visit(tab, "rankings", "Rankings")
            tab.locator("[data-testid='stPlotlyChart'] .main-svg").first.wait_for()
            shown = tab.locator("[data-testid='stMain']").inner_text() + tab.locator("[data-testid='stSidebar']").inner_text()
            assert tab.get_by_role("combobox", name="Query").input_value() == f"q1 · {word} question about bread"
            assert f"{word}-d" in shown
            assert [other for other in SESSIONS if other != word and other in shown] == []
        shoot(pages[-1], "13_rankings_concurrent_session")
        waited = sorted({line for tab in pages for line in tab.evaluate("[...(window.__waiting || [])]")})
        assert process.poll() is None  # the server that started the module is still the one serving
        figures = {"sessions": len(words), "server_pid": process.pid, "wall_s": round(seconds, 1),
                   "peak_rss_mb": round(_peak_rss_mb(process.pid)), "waiting_messages": waited}
        (ARTIFACTS / "many_sessions.json").write_text(json.dumps(figures, indent=1))
        assert waited, "no session was shown that it waits for other comparisons"
    finally:
        for context in contexts:
            context.close()
