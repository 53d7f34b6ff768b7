"""Figures of the per-query analysis (`core.analysis.per_query`, `core.analysis.statistics`): each contestant's mean
with its interval, the win / tie / loss matrix, and the metric by slices of the queries. Pure, like
`core.present.figures`, whose house style they share."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.analysis.per_query import Outcome
from core.analysis.statistics import LEVEL, Interval
from core.present.figures import metric_name, plain, styled


def intervals_figure(intervals: Mapping[str, Interval], colours: Mapping[str, str], groups: Mapping[str, str],
                     metric: str = "ndcg@10") -> go.Figure:
    """Each contestant's mean `metric` (dot) and bootstrap interval (bar), best at the top, labelled with its group
    letters: contestants sharing a letter cannot be told apart."""
    order = sorted(intervals, key=lambda name: intervals[name].mean)
    fig = go.Figure()
    for name in order:
        interval = intervals[name]
        fig.add_trace(go.Scatter(
            x=[interval.mean], y=[f"{plain(name)}  ({groups.get(name, '')})"], mode="markers",
            marker={"color": colours[name], "size": 14}, name=plain(name), showlegend=False,
            error_x={"type": "data", "symmetric": False, "array": [interval.high - interval.mean],
                     "arrayminus": [interval.mean - interval.low], "thickness": 3, "width": 8,
                     "color": colours[name]},
            hovertemplate=(f"{plain(name)}<br>{metric_name(metric)} %{{x:.3f}} "
                           f"({interval.low:.3f} to {interval.high:.3f})<extra></extra>")))
    fig.update_layout(height=max(300, 70 * len(order) + 170), margin={"l": 20})
    fig.update_yaxes(automargin=True)
    return styled(fig, f"Mean {metric_name(metric)} with its {LEVEL:.0%} interval", metric_name(metric), None,
                  "letters in brackets: contestants sharing a letter cannot be told apart")


def win_tie_loss_figure(outcomes: Mapping[tuple[str, str], Outcome], names: list[str]) -> go.Figure:
    """The matrix of row-against-column outcomes: each cell "wins / ties / losses" of the row's contestant, coloured
    by (wins − losses) / queries, green where the row wins more often."""
    size = len(names)
    balance = np.full((size, size), np.nan)
    text = [["" for _ in names] for _ in names]
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            if (a, b) in outcomes:
                found = outcomes[(a, b)]
                total = len(found.wins) + len(found.ties) + len(found.losses)
                balance[i, j] = (len(found.wins) - len(found.losses)) / max(1, total)
                text[i][j] = found.counts
    labels = [wrapped(name) for name in names]
    fig = go.Figure(go.Heatmap(z=balance, x=labels, y=labels, text=text, texttemplate="%{text}",
                               textfont={"size": 14 if size <= 4 else 12}, colorscale="RdYlGn", zmin=-1, zmax=1,
                               colorbar={"title": {"text": "wins − losses<br>per query"}, "thickness": 14},
                               hovertemplate="%{y} against %{x}: %{text} (wins / ties / losses)<extra></extra>"))
    fig.update_xaxes(side="top", tickangle=0, automargin=True, tickfont={"size": 13})
    fig.update_yaxes(autorange="reversed", automargin=True, tickfont={"size": 13})
    fig.update_layout(height=max(380, 90 * size + 230))
    return styled(fig, "Wins / ties / losses, row against column", None, None,
                  "per judged query; values closer than the tie margin are ties")


def wrapped(name: str, width: int = 16) -> str:
    """`name` escaped for plotly and broken into lines of about `width` characters at spaces (axis labels)."""
    lines: list[str] = []
    for word in name.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return "<br>".join(plain(line) for line in lines)


def slice_figure(table: pd.DataFrame, colours: Mapping[str, str], title: str, metric: str = "ndcg@10") -> go.Figure:
    """Grouped bars of each contestant's mean `metric` per group of a slice (`core.analysis.per_query.slice_table`),
    the group's number of queries under its name."""
    groups = [f"{plain(group)}<br>({count} quer{'y' if count == 1 else 'ies'})"
              for group, count in zip(table["group"], table["queries"])]
    fig = go.Figure()
    for label, colour in colours.items():
        if label in table:
            fig.add_trace(go.Bar(x=groups, y=table[label], name=plain(label), marker={"color": colour},
                                 hovertemplate=f"{plain(label)}<br>%{{x}}: %{{y:.3f}}<extra></extra>"))
    fig.update_layout(barmode="group", legend={"orientation": "h", "yanchor": "top", "y": -0.25, "x": 0})
    fig.update_yaxes(range=[0, 1.05])
    return styled(fig, f"{metric_name(metric)} by {plain(title)}", None, metric_name(metric))
