"""The Judge page end to end in a real Chromium, at a laptop's 1024 × 768: data without relevance labels, three
contestants, a judge grading three queries' pools (keys and clicks, timed) and casting five blind votes; the
metrics and significance tests that the judgements make possible, on other pages; a reload that keeps the data,
the comparison and the judgements; and the exported qrels, line for line what was clicked.

Reuses the server, browser and helpers of `test_e2e.py` (its own module-scoped server, on an empty disk cache).
Screenshots go to test-artifacts/ (judge_grade, judge_vote, judge_board, after_reload, each also as the
1024 × 768 viewport alone: `_viewport`), and the time per graded document to test-artifacts/judge_timing.json.
"""

from __future__ import annotations

import json
import re
import statistics
import time

import pytest

from tests.e2e.test_e2e import (  # noqa: F401 - fixtures are found by name
    ARTIFACTS,
    DEMO_MS,
    PAGE_MS,
    ROOT,
    browser,
    delete_rows,
    download,
    expect_names,
    rerun_done,
    served,
    server,
    settle,
    shoot,
    upload_files,
    visit,
)

pytestmark = pytest.mark.browser

SIZE = {"width": 1024, "height": 768}
BEIR = ROOT / "sample_data" / "beir"
QUERIES = 12
CONTESTANTS = ["BM25", "bi-encoder", "bi → cross · zero-shot"]  # the demo's table less the poly-encoder and fine-tuned head
DEPTH = 5  # each contestant's top 5 go into a pool: at most 15 documents a query
GRADED_QUERIES = 3
VOTES = ["a", "b", "t", "x", "A is better"]  # keys, then one click
PROGRESS = re.compile(r"Query (\d+) of (\d+) · (\d+) of (\d+) documents judged")
NO_LABELS = "This dataset has no relevance labels, so accuracy cannot be measured"
NO_SIGNIFICANCE = "Significance tests need relevance labels and at least two contestants."
SIGNIFICANCE = f"Paired two-sided Student's t-test over the {GRADED_QUERIES} judged queries"


BELOW_THE_FOLD = """(() => {
    const box = selector => document.querySelector(selector)?.getBoundingClientRect();
    const grade = [...document.querySelectorAll("[data-testid='stMain'] button")].find(b => b.innerText.includes("2 · "));
    return {document_top_px: Math.round(box(".arena-document").top), viewport_height_px: window.innerHeight,
            grade_buttons_bottom_px: Math.round(grade.getBoundingClientRect().bottom)};
})()"""
"""Where the document and the grade buttons sit in the viewport (without scrolling)."""


def _lines(path):
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _sample():
    """The sample data's corpus (as uploaded), its first `QUERIES` queries, document ids by title, query ids by text,
    and the sample's own grades (on the app's 0–2 scale), which the judge here gives."""
    corpus = [json.loads(line) for line in _lines(BEIR / "corpus.jsonl")]
    queries = [json.loads(line) for line in _lines(BEIR / "queries.jsonl")][:QUERIES]
    grades: dict[tuple[str, str], int] = {}
    for line in _lines(BEIR / "qrels" / "test.tsv")[1:]:
        query_id, doc_id, grade = line.split("\t")
        grades[(query_id, doc_id)] = min(int(grade), 2)
    corpus_bytes = "".join(json.dumps(doc) + "\n" for doc in corpus).encode()
    queries_bytes = "".join(json.dumps(query) + "\n" for query in queries).encode()
    return (corpus_bytes, queries_bytes, {doc["title"]: doc["_id"] for doc in corpus},
            {query["text"]: query["_id"] for query in queries}, grades)


def progress(page) -> tuple[int, int, int, int]:
    """(query number, of how many, documents judged, of how many) from the Judge page's progress bar."""
    found = PROGRESS.search(page.locator("[data-testid='stMain'] [data-testid='stProgress']").inner_text())
    assert found, page.locator("[data-testid='stMain'] [data-testid='stProgress']").inner_text()
    return tuple(int(number) for number in found.groups())


def judged_count_is(page, count: int) -> None:
    """Wait until the progress bar says `count` documents are judged and the rerun has finished."""
    page.wait_for_function(
        """count => [...document.querySelectorAll("[data-testid='stMain'] [data-testid='stProgress']")]
               .some(bar => new RegExp(`· ${count} of \\\\d+ documents judged`).test(bar.innerText))""", arg=count)
    settle(page, "Judge")


def blur(page) -> None:
    """Leave any text box, so that the page's keyboard shortcuts reach its buttons."""
    page.evaluate("document.activeElement && document.activeElement.blur()")


def fits_the_width(page, selectors: list[str]) -> None:
    """Nothing in the main area scrolls sideways, and each element of `selectors` lies whole within the viewport's
    width."""
    overflow = page.evaluate("(() => { const main = document.querySelector(\"[data-testid='stMain']\");"
                             " return [main.scrollWidth, main.clientWidth, document.documentElement.scrollWidth,"
                             " window.innerWidth]; })()")
    assert overflow[0] <= overflow[1] and overflow[2] <= overflow[3], overflow
    for selector in selectors:
        box = page.locator(selector).first.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= SIZE["width"], (selector, box)


def snap(page, name: str) -> None:
    """The 1024 × 768 viewport as it is (`<name>_viewport.png`), and the whole page at that width (`<name>.png`)."""
    page.screenshot(path=str(ARTIFACTS / f"{name}_viewport.png"))
    shoot(page, name)


def mode(page, name: str) -> None:
    page.locator("[data-testid='stMain'] [data-testid='stButtonGroup'] button").filter(has_text=name).click()
    page.wait_for_function("([selector, name]) => [...document.querySelectorAll(selector)].some("
                           "b => b.innerText.includes(name) && (b.getAttribute('aria-checked') === 'true'"
                           " || b.getAttribute('aria-pressed') === 'true' || b.dataset.testid?.includes('Active')))",
                           arg=["[data-testid='stMain'] [data-testid='stButtonGroup'] button", name], timeout=10_000)
    settle(page, "Judge")


def test_a_judge_labels_unlabelled_data_and_every_page_measures_with_it(browser, server):  # noqa: F811
    """Corpus and queries without qrels; BM25, bi-encoder and bi → cross compared; three queries' pools graded in
    the Judge page (keys and clicks) and five blind votes cast; then Trade-offs shows metrics and significance tests,
    a reload keeps it all, and the exported qrels hold every grade clicked."""
    corpus, queries, doc_by_title, query_by_text, sample_grades = _sample()
    context = browser.new_context(viewport=SIZE, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(PAGE_MS)
    try:
        page.goto(f"{server}/data")
        settle(page, "Data")
        upload_files(page, ("unlabelled.jsonl", corpus), ("questions.jsonl", queries))
        settle(page, "Loaded: unlabelled")
        assert page.get_by_text(f"Loaded unlabelled: {len(doc_by_title)} documents, {QUERIES} queries; no relevance "
                                "labels (qrels)").is_visible()

        visit(page, "settings", "Settings")  # the demo's table, less the poly-encoder and the fine-tuned head
        delete_rows(page, 2, 4)
        expect_names(page, CONTESTANTS)
        confirm = page.get_by_text("Yes, run it")  # asked when the machine is slow enough to estimate over a minute
        if confirm.count():
            confirm.click()
            settle(page, "Settings")
        started = time.monotonic()
        page.get_by_role("button", name="Run the comparison").click()
        page.get_by_text("Done: 3 contestants").wait_for(timeout=DEMO_MS)
        settle(page, "Settings")
        comparison_s = time.monotonic() - started

        visit(page, "tradeoffs", "Trade-offs")  # before judging: agreement only, no significance
        assert page.get_by_text(NO_LABELS).is_visible()
        assert page.get_by_text(NO_SIGNIFICANCE).is_visible()

        visit(page, "judge", "Judge")
        assert page.get_by_text("Type your name above to start judging.").is_visible()
        name = page.get_by_role("textbox", name="Your name as a judge")
        name.fill("Ana")
        name.press("Enter")
        page.locator("[data-testid='stMain'] [data-testid='stProgress']").wait_for()
        settle(page, "Judge")
        top = page.get_by_role("spinbutton", name="Each contestant's top")
        top.fill(str(DEPTH))
        top.press("Enter")
        rerun_done(page, "Judge")
        _, of_queries, done, total = progress(page)
        assert of_queries == QUERIES and done == 0 and total <= QUERIES * DEPTH * len(CONTESTANTS)
        blur(page)

        clicked: dict[tuple[str, str], int] = {}
        timings: list[dict] = []
        for number in range(1, GRADED_QUERIES + 1):
            question = page.locator("[data-testid='stMain'] h4").first.inner_text().strip()
            query_id = query_by_text[question]
            assert progress(page)[0] == number
            by_key = number != 2  # the second query by clicking the buttons, the others by keys
            undone = False
            while page.locator(".arena-document").count():
                title = page.locator(".arena-document .title").inner_text().strip()
                doc_id = doc_by_title[title]
                grade = sample_grades.get((query_id, doc_id), 0)
                done = progress(page)[2]
                if number == 1 and not undone and done == 1:  # a wrong grade, taken back with U
                    page.keyboard.press(str(2 - grade if grade != 1 else 0))
                    judged_count_is(page, done + 1)
                    page.keyboard.press("u")
                    judged_count_is(page, done)
                    assert page.locator(".arena-document .title").inner_text().strip() == title
                    undone = True
                if number == 1 and done == 0:
                    snap(page, "judge_grade")
                    fits_the_width(page, ["[data-testid='stMain'] button:has-text('0 · not relevant')",
                                          "[data-testid='stMain'] button:has-text('1 · partly relevant')",
                                          "[data-testid='stMain'] button:has-text('2 · relevant')",
                                          "[data-testid='stMain'] button:has-text('Skip')"])
                    for words in ("0 · not relevant", "1 · partly relevant", "2 · relevant", "Skip", "Next query"):
                        assert page.locator(f"[data-testid='stMain'] button:has-text('{words}')").first.is_visible()
                if number == 1 and done == 3:  # judging under way: the options folded away
                    page.screenshot(path=str(ARTIFACTS / "judge_grade_under_way_viewport.png"))
                    layout = page.evaluate(BELOW_THE_FOLD)
                    assert layout["grade_buttons_bottom_px"] <= layout["viewport_height_px"], layout  # no scrolling
                start = time.monotonic()
                if by_key:
                    page.keyboard.press(str(grade))
                else:
                    page.locator(f"[data-testid='stMain'] button:has-text('{grade} · ')").first.click()
                judged_count_is(page, done + 1)
                timings.append({"query": query_id, "document": doc_id, "grade": grade,
                                "how": "key" if by_key else "click", "seconds": round(time.monotonic() - start, 3)})
                clicked[(query_id, doc_id)] = grade
            page.get_by_text("This query's pool is judged.").wait_for()
            if number < GRADED_QUERIES:
                page.get_by_role("button", name="Next query").click()
                page.wait_for_function(f"/^Query {number + 1} of /.test(document.querySelector(\"[data-testid="
                                       "'stMain'] [data-testid='stProgress']\").innerText)")
                settle(page, "Judge")
                blur(page)
        pace_text = page.locator("[data-testid='stMain'] [data-testid='stProgress']").inner_text()
        assert progress(page)[2] == len(clicked) and "left at your pace" in pace_text
        seconds = [timing["seconds"] for timing in timings]
        figures = {"documents": len(timings), "queries": GRADED_QUERIES, "pool_depth": DEPTH,
                   "contestants": len(CONTESTANTS), "comparison_s": round(comparison_s, 1),
                   "median_s_per_document": round(statistics.median(seconds), 3),
                   "mean_s_per_document": round(statistics.mean(seconds), 3),
                   "max_s_per_document": round(max(seconds), 3),
                   "median_s_by_key": round(statistics.median(t["seconds"] for t in timings if t["how"] == "key"), 3),
                   "median_s_by_click": round(statistics.median(t["seconds"] for t in timings
                                                                if t["how"] == "click"), 3),
                   "progress_text": pace_text.strip(), "layout_at_1024x768_under_way": layout,
                   "each": timings}
        (ARTIFACTS / "judge_timing.json").write_text(json.dumps(figures, indent=1, ensure_ascii=False))

        mode(page, "Blind head-to-head")
        page.get_by_role("button", name="A is better").wait_for()
        blur(page)
        snap(page, "judge_vote")
        fits_the_width(page, ["[data-testid='stMain'] button:has-text('A is better')",
                              "[data-testid='stMain'] button:has-text('Both bad')"])
        assert page.locator("[data-testid='stMain'] ol.arena-list").count() == 2
        assert page.locator("[data-testid='stMain'] ol.arena-list .score").count() == 0  # blind: no scores, no ids
        assert page.locator("[data-testid='stMain'] ol.arena-list .doc").count() == 0
        for count, how in enumerate(VOTES, start=1):
            if len(how) == 1:
                page.keyboard.press(how)
            else:
                page.get_by_role("button", name=how).click()
            page.get_by_role("heading", name=f"Leaderboard from {count} blind votes").wait_for()
            settle(page, "Judge")
            assert page.get_by_text(re.compile(r"A was .*, B was .* \(you chose")).is_visible()
            blur(page)
        board = page.locator("[data-testid='stMain'] [data-testid='stDataFrame']").last
        board.scroll_into_view_if_needed()
        board.locator("[id^='glide-cell-0-']").first.wait_for(state="attached")
        shown = " | ".join(board.locator("[id^='glide-cell-0-']").all_inner_texts())
        assert all(name in shown for name in CONTESTANTS), shown
        assert page.get_by_text("Bradley–Terry strengths fitted to every vote").is_visible()
        snap(page, "judge_board")
        figures["layout_at_1024x768_leaderboard"] = {  # the table scrolls sideways inside itself when it is too wide
            "columns_shown": board.locator("th").all_inner_texts(),
            **board.locator(".dvn-scroller").first.evaluate(
                "el => ({table_content_px: el.scrollWidth, table_width_px: el.clientWidth})")}
        (ARTIFACTS / "judge_timing.json").write_text(json.dumps(figures, indent=1, ensure_ascii=False))
        board_width = figures["layout_at_1024x768_leaderboard"]
        assert board_width["table_content_px"] <= board_width["table_width_px"] + 2, board_width  # every column seen

        sidebar = page.locator("[data-testid='stSidebar']")
        assert f"{len(clicked)} judgements and {len(VOTES)} votes made here" in sidebar.inner_text()

        visit(page, "tradeoffs", "Trade-offs")  # the judgements are labels: metrics and significance tests
        trade_offs_with_labels(page, len(clicked))

        page.reload()  # a new session: the URL names the data, the server kept it, the comparison and the judgements
        settle(page, "Trade-offs")
        assert "data=" in page.url
        sidebar = page.locator("[data-testid='stSidebar']")
        sidebar.get_by_text("judgements and").wait_for()
        text = sidebar.inner_text()
        assert f"{len(doc_by_title)} documents · {QUERIES} queries" in text, text
        assert f"{len(clicked)} judgements and {len(VOTES)} votes made here" in text, text
        assert all(name in text for name in CONTESTANTS), text
        trade_offs_with_labels(page, len(clicked))
        snap(page, "after_reload")

        visit(page, "judge", "Judge")
        mode(page, "Judgements and export")
        page.get_by_text("Who judged").wait_for()
        exported = download(page, lambda: page.get_by_role("button", name="Judgements as TREC qrels").click())
        lines = {tuple(line.split()) for line in _lines(exported)}
        expected = {(query_id, "0", doc_id, str(grade)) for (query_id, doc_id), grade in clicked.items()}
        assert expected <= lines, sorted(expected - lines)
        assert lines == expected  # nothing but what was clicked (the undone grade replaced)
        assert exported.name == "unlabelled_judged.qrels"
    finally:
        context.close()


def trade_offs_with_labels(page, judgements: int) -> None:
    """The Trade-offs page measures on the judgements: its note names them, and the significance table is shown."""
    assert page.get_by_text(NO_LABELS).count() == 0
    assert page.get_by_text(NO_SIGNIFICANCE).count() == 0
    assert page.get_by_text(f"metrics include {judgements:,} judgements made in the app").is_visible()
    page.get_by_text(SIGNIFICANCE).wait_for()
    table = page.locator("[data-testid='stMain'] [data-testid='stDataFrame']").first
    table.locator("th").first.wait_for(state="attached")
    headers = table.locator("th").all_inner_texts()
    assert "ndcg@10" in headers, headers
