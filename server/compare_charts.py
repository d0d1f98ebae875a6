"""The Replications tab's charts, drawn in the browser (Plotly): several kept results
overlaid, each in its own colour and labelled by what differs between them.

* survival: the share of runs still standing at the end of each quarter (Kaplan-Meier);
* fans: the median across runs of members and credibility, with the 25-75% band shaded
  and the 5-95% band lighter.

Text is at least 12 px (read on a 1024x768 projector); hovering a curve shows its value.
"""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go

from server import palette
from server.replications import FAN_QUANTILES, Replications

# Okabe-Ito: told apart by readers with the common colour-vision deficiencies
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
FONT = {"size": palette.TEXT_PX, "family": palette.FONT}
FAN_TITLES = {"members": "Members of the alliance", "credibility": "US policy credibility"}


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _years(horizon: int, start_year: int) -> np.ndarray:
    """Quarter q as a decimal year (quarter 0 is the start of ``start_year``)."""
    return start_year + np.arange(horizon + 1) / 4


def _layout(fig: go.Figure, title: str, y_title: str, y_range=None) -> dict:
    """The figure as the page's charts take it (:mod:`server.plot`: data and layout)."""
    fig.update_layout(
        title={"text": title, "font": {"size": palette.TITLE_PX}},
        font=FONT,
        hovermode="x unified",
        legend={"orientation": "h", "y": -0.2, "font": FONT},
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
        height=380,
        plot_bgcolor="white",
    )
    fig.update_xaxes(title_text="year", tickformat="d", gridcolor="#eeeeee")
    fig.update_yaxes(title_text=y_title, range=y_range, gridcolor="#eeeeee")
    if y_title == "share of runs":
        fig.update_yaxes(tickformat=".0%")
    return json.loads(fig.to_json())  # plain data (lists: the traces are given as lists)


def survival_figure(results: list[Replications], labels: list[str], start_year: int) -> dict:
    """The survival curves of ``results``, one per kept result."""
    fig = go.Figure()
    for i, (r, label) in enumerate(zip(results, labels, strict=True)):
        fig.add_trace(
            go.Scatter(
                x=_years(r.horizon, start_year).tolist(),
                y=r.survival().tolist(),
                name=f"{label} ({r.n} runs)",
                line={"color": colour(i), "shape": "hv", "width": 2.5},
                hovertemplate="%{y:.0%}",
            )
        )
    return _layout(
        fig, "Share of runs in which the alliance still stands", "share of runs", [0, 1.02]
    )


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[k : k + 2], 16) for k in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def fan_figure(results: list[Replications], labels: list[str], start_year: int, name: str) -> dict:
    """Series ``name`` across the runs of each result: the median line, the 25-75% band
    and the 5-95% band (quantiles of FAN_QUANTILES)."""
    fig = go.Figure()
    lo, q25, med, q75, hi = range(len(FAN_QUANTILES))
    for i, (r, label) in enumerate(zip(results, labels, strict=True)):
        x = _years(r.horizon, start_year)
        q = r.fan(name)
        c = colour(i)
        for a, b, alpha in ((lo, hi, 0.12), (q25, q75, 0.25)):
            fig.add_trace(
                go.Scatter(
                    x=np.concatenate([x, x[::-1]]).tolist(),
                    y=np.concatenate([q[a], q[b][::-1]]).tolist(),
                    fill="toself",
                    fillcolor=_rgba(c, alpha),
                    line={"width": 0},
                    hoverinfo="skip",
                    showlegend=False,
                    legendgroup=label,
                )
            )
        fig.add_trace(
            go.Scatter(
                x=x.tolist(),
                y=q[med].tolist(),
                name=label,
                legendgroup=label,
                line={"color": c, "width": 2.5},
                hovertemplate="median %{y:.2f}",
            )
        )
    title = f"{FAN_TITLES.get(name, name)}: median, 25-75% and 5-95% of runs"
    return _layout(fig, title, name)
