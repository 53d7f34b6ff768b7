"""A self-contained HTML report of one comparison, for presentations and offline sharing.

The document embeds plotly.js once (inline, with the first figure) and needs no network: no external
scripts, styles or fonts. Every piece of user text (dataset name, model names, labels, notes, query
text, figure headings) goes through `html.escape`; the figures' own data is JSON-encoded by plotly,
which escapes `<` and `/` inside strings.
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import plotly.graph_objects as go

from core.analysis.query_analysis import (
    EXPLAINED,
    QueryAnalysis,
    analyse,
    matrix_table,
    means_table,
    pairs_table,
)
from core.analysis.tradeoff_points import tradeoff_points
from core.contestants.kind import DEPTH, FIRST, TAIL
from core.contestants.spec import settings
from core.evaluate import METRICS
from core.present.analysis_figures import intervals_figure, win_tie_loss_figure
from core.present.figures import (
    AGREEMENT_METRICS,
    latency_figure,
    metric_name,
    metrics_figure,
    plain,
    rank_shift_figure,
    score_distribution_figure,
    score_frame,
    tradeoff_figure,
)
from core.present.summary import findings
from core.types import Dataset

if TYPE_CHECKING:
    from core.comparison.results import Comparison

PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}
STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem auto;
       max-width: 1200px; padding: 0 1rem; color: #222; line-height: 1.45; }
h1 { font-size: 2rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.4rem; margin-top: 2.2rem; border-bottom: 1px solid #ddd; padding-bottom: 0.3rem; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.95rem; }
th, td { border: 1px solid #ccc; padding: 0.35rem 0.6rem; text-align: left; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f3f3f3; }
pre { background: #f7f7f7; padding: 0.8rem; overflow-x: auto; font-size: 0.85rem; }
.muted { color: #666; }
.swatch { display: inline-block; width: 0.8em; height: 0.8em; margin-right: 0.4em; border-radius: 2px; }
"""


def _e(value: object) -> str:
    """`value` as escaped HTML text."""
    return html.escape(str(value))


def _number(value: float | None, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}f}"


def _metrics_table(comparison: Comparison) -> str:
    """One row per ranker: label, model, quality or agreement, latency and throughput."""
    columns = METRICS if comparison.has_qrels else AGREEMENT_METRICS
    head = ["contestant", "model", "training", *(metric_name(c) for c in columns), "ms per query (median)",
            "ms per query (95th percentile)", "queries per second", "index build (s)"]
    rows = []
    for name, result in comparison.results.items():
        values = result.metrics if comparison.has_qrels else result.agreement
        quality = [("reference" if not comparison.has_qrels and name == comparison.reference
                    else _number(values.get(c))) for c in columns]
        latency = result.latency_ms
        numbers = [*quality, _number(latency["p50"], 2), _number(latency["p95"], 2),
                   _number(result.queries_per_s, 1), _number(result.index_s, 2)]
        swatch = f'<span class="swatch" style="background:{_e(result.colour)}"></span>'
        cells = [f"<td>{swatch}{_e(result.label)}</td>", f"<td>{_e(result.model)}</td>",
                 f"<td>{_e(result.training)}</td>"]
        cells += [f'<td class="number">{_e(n)}</td>' for n in numbers]
        rows.append(f"<tr>{''.join(cells)}</tr>")
    header = "".join(f"<th>{_e(h)}</th>" for h in head)
    caption = ("Relevance metrics (ranx)" if comparison.has_qrels else
               f"No relevance labels: agreement with {_e(comparison.reference or 'the reference')}")
    return (f"<table><caption>{caption}</caption><thead><tr>{header}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def _contestants_table(comparison: Comparison) -> str:
    """The comparison as people read it: one row per contestant (kind, model, options), then the settings."""
    rows = []
    for entry in comparison.spec.contestants:
        result = comparison.results.get(entry.name)
        reranks = bool(entry.option(FIRST.name))  # without a first stage, a depth or a tail means nothing
        options = ", ".join(f"{key} = {str(value).lower() if isinstance(value, bool) else value}"
                            for key, value in entry.options
                            if value not in ("", None) and (reranks or key not in (DEPTH.name, TAIL.name)))
        rows.append(f"<tr><td>{_e(entry.name)}</td><td>{_e(result.kind_title if result else entry.kind)}</td>"
                    f"<td>{_e(result.model if result else entry.model)}</td><td>{_e(options or '–')}</td>"
                    f"<td>{_e(result.device if result else '–')}</td></tr>")
    return (f"<table><thead><tr><th>contestant</th><th>kind</th><th>model</th><th>options</th><th>ran on</th></tr>"
            f"</thead><tbody>{''.join(rows)}</tbody></table>")


def _settings_table(comparison: Comparison) -> str:
    """The comparison-wide settings, one row each, in words."""
    meanings = {setting.name: setting.metadata["setting"].help for setting in settings()}
    rows = "".join(f"<tr><th>{_e(key)}: {_e(meanings.get(key, ''))}</th><td>{_e(_yes_no(value))}</td></tr>"
                   for key, value in comparison.spec.to_dict().items() if key != "contestants")
    return f"<table><tbody>{rows}</tbody></table>"


def _yes_no(value: object) -> object:
    return {True: "yes", False: "no"}.get(value, value) if isinstance(value, bool) else value


def _dataset_summary(comparison: Comparison) -> str:
    data = comparison.dataset
    parts = [f"<strong>{_e(data.get('name', ''))}</strong>"]
    parts += [f"{_e(data[key])} {label}" for key, label in
              (("documents", "documents"), ("queries", "queries"), ("judged_queries", "judged queries"))
              if key in data]
    if data.get("split"):
        parts.append(f"split: {_e(data['split'])}")
    return f"<p>Dataset: {', '.join(parts)}</p>"


def _judging_section(comparison: Comparison) -> str:
    """Who judged how many documents in the app, the votes, and how far the judges agreed ("" without judging)."""
    record = comparison.dataset.get("judging")
    if not record:
        return ""
    judges = "".join(f"<tr><td>{_e(judge or '(unnamed)')}</td><td class=\"number\">{count}</td></tr>"
                     for judge, count in record["judged_by"].items())
    agreement = record["agreement"]
    agreed = (f"{_e(agreement['method'])} {agreement['kappa']:.2f} ({_e(agreement['reading'])}) on "
              f"{agreement['shared_documents']} documents judged by more than one"
              if agreement["method"] else "not measured (no document was judged by two judges)")
    return (f"<h2>Judged in the app</h2><p>{record['added_to_qrels']} judgements added to the labels, "
            f"{record['conflicts_with_uploaded']} differing from uploaded labels (which count); {record['votes']} "
            f"blind votes by {record['voters']} voters. Agreement between judges: {agreed}.</p>"
            f"<table><tr><th>judge</th><th>documents graded</th></tr>{judges}</table>")


def _frame_table(frame: pd.DataFrame, index: bool = False) -> str:
    """A data frame as an escaped HTML table, numbers to three decimals."""
    head = ([""] if index else []) + [str(column) for column in frame.columns]
    rows = []
    for label, row in frame.iterrows():
        cells = [f"<th>{_e(label)}</th>"] if index else []
        cells += [f'<td class="number">{_number(value)}</td>' if isinstance(value, float) else f"<td>{_e(value)}</td>"
                  for value in row]
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><tr>{''.join(f'<th>{_e(h)}</th>' for h in head)}</tr>{''.join(rows)}</table>"


def query_analysis(comparison: Comparison, metric: str = "ndcg@10") -> QueryAnalysis | None:
    """The per-query analysis of `metric` (`core.analysis.query_analysis`), or None without relevance labels."""
    if not comparison.has_qrels or len(comparison.results) < 2:
        return None
    return analyse(comparison, metric)


def _analysis_section(found: QueryAnalysis | None) -> str:
    """Can the contestants be told apart: means with intervals and groups, every pair's corrected test, and the
    win / tie / loss matrix, each with what its numbers mean."""
    if found is None:
        return ""
    words = " ".join(EXPLAINED.values())
    return (f"<h2>Can they be told apart? ({_e(metric_name(found.metric))}, per query)</h2>"
            f"<p class=\"muted\">{_e(words)}</p>{_frame_table(means_table(found))}{_frame_table(pairs_table(found))}"
            f"<h3>Wins / ties / losses, row against column</h3>{_frame_table(matrix_table(found), index=True)}")


def _list(items: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{_e(item)}</li>" for item in items) + "</ul>"


def html_report(comparison: Comparison, figures: dict[str, go.Figure], title: str = "Encoder Arena report") -> str:
    """One self-contained HTML document: what it shows, the metrics, the figures, then an appendix of how it was run
    (contestants, pipelines, technical notes, settings and the comparison file).

    Args:
        comparison: The comparison to report.
        figures: Heading → figure, in display order (e.g. `standard_figures`).
        title: Document title.

    Returns:
        The HTML text. plotly.js is inlined once, with the first figure; nothing is fetched from a URL.
        The comparison file (`--comparison`, Settings' import) is in `<pre id="arena-config">` and the whole `metrics.json` shape in
        `<pre id="arena-metrics">`, both as (HTML-escaped) JSON.
    """
    pipelines = [f"{result.label}: {result.pipeline}" for result in comparison.results.values()]
    notes = [*comparison.notes, *comparison.dataset.get("notes", [])]
    config = json.dumps(comparison.spec.to_dict(), indent=2, ensure_ascii=False)
    everything = json.dumps(comparison.to_dict(), indent=2, ensure_ascii=False, default=str)
    sections = []
    for i, (heading, figure) in enumerate(figures.items()):
        div = figure.to_html(full_html=False, include_plotlyjs=i == 0, config=PLOTLY_CONFIG,
                             default_width="100%")
        sections.append(f"<section><h2>{_e(heading)}</h2>{div}</section>")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title>
<style>{STYLE}</style>
</head>
<body>
<h1>{_e(title)}</h1>
{_dataset_summary(comparison)}
<h2>What this shows</h2>
{_list(findings(comparison))}
<h2>Results</h2>
{_metrics_table(comparison)}
{_judging_section(comparison)}
{_analysis_section(query_analysis(comparison))}
{''.join(sections)}
<h2>Appendix: how it was run</h2>
<h3>The contestants</h3>
{_contestants_table(comparison)}
<h3>How each ranking was made</h3>
{_list(pipelines)}
{f"<h3>Technical notes</h3>{_list(notes)}" if notes else ""}
<h3>Settings</h3>
{_settings_table(comparison)}
<details><summary>To run this comparison again (for the command line)</summary>
<p class="muted">Save the first block as comparison.json and run
<code>python -m core compare DATA --comparison comparison.json --out OUT</code>; the second holds every result.</p>
<pre id="arena-config">{_e(config)}</pre>
<pre id="arena-metrics">{_e(everything)}</pre>
</details>
</body>
</html>
"""


def standard_figures(comparison: Comparison, dataset: Dataset) -> dict[str, go.Figure]:
    """The figures that need no model calls, by heading: metrics (or agreement), quality vs latency,
    latency, min–max score distributions, and the rank shift of the first query.

    Args:
        comparison: The comparison.
        dataset: The dataset it ran on (for qrels and the first query's text).

    Returns:
        Heading → figure, in display order.
    """
    figures = {
        "Retrieval quality" if comparison.has_qrels else "Agreement": metrics_figure(comparison),
        "Quality vs latency": tradeoff_figure(tradeoff_points(comparison)),
        "Latency per query": latency_figure(comparison),
        "Score distributions": score_distribution_figure(score_frame(comparison, "minmax", dataset.qrels)),
    }
    found = query_analysis(comparison)
    if found is not None:
        colours = {result.label: result.colour for result in comparison.results.values()}
        figures["Can they be told apart?"] = intervals_figure(found.intervals, colours, found.groups, found.metric)
        figures["Wins / ties / losses"] = win_tie_loss_figure(found.outcomes, list(found.intervals))
    if len(dataset.queries) and comparison.results:
        query_id, text = dataset.queries.ids[0], dataset.queries.texts[0]
        runs = {result.label: result.run.get(query_id, {}) for result in comparison.results.values()}
        figure = rank_shift_figure(runs, 10, (dataset.qrels or {}).get(query_id))
        short = text if len(text) <= 80 else text[:79] + "…"
        figure.update_layout(title_text=f"How the top-10 moves for query {plain(query_id)}: “{plain(short)}”")
        figures["Rank shift (first query)"] = figure
    return figures


def write_report(comparison: Comparison, dataset: Dataset, path: str | Path) -> None:
    """Write `html_report` of `standard_figures` to `path` (UTF-8)."""
    report = html_report(comparison, standard_figures(comparison, dataset),
                         title=f"Encoder Arena report: {dataset.name}" if dataset.name else "Encoder Arena report")
    Path(path).write_text(report, encoding="utf-8")
