"""Take a run away: its quarterly series and its events as CSV, and a link that opens the
same run (issue 14, point 6). The files are the model's own tables
(:func:`model.run.series_of`, :func:`model.run.events_of`), as ``pax-silica run --out``
writes them; the link is :mod:`server.share`'s."""

from __future__ import annotations

import html

import solara

from model.run import events_of, series_of
from server import share


def series_csv(m) -> bytes:
    return series_of(m).to_csv(index=False).encode()


def events_csv(m) -> bytes:
    return events_of(m).to_csv(index=False).encode()


@solara.component
def CsvDownload(css: str, make, filename: str, label: str):
    """A button that downloads the CSV ``make()`` returns (made when clicked)."""
    with solara.Div(classes=[css]):
        solara.FileDownload(make, filename=filename, label=label, mime_type="text/csv")


@solara.component
def ExportRow(state):
    """Downloads of the run on screen (up to its current quarter) and its link."""
    m = state.model.value
    s = share.with_seed_of(state.applied.value, m)  # a blank seed box: the seed drawn
    name = f"pax-silica-{s.scenario}-seed{s.seed}"
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    link = "?" + share.query_of(s)
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        CsvDownload(
            "pax-export-series", lambda: series_csv(m), f"{name}-series.csv", "Series (CSV)"
        )
        CsvDownload(
            "pax-export-events", lambda: events_csv(m), f"{name}-events.csv", "Events (CSV)"
        )
        solara.HTML(
            tag="div",
            classes=["pax-share"],
            unsafe_innerHTML=(
                f"<a class='pax-share-link' href='{html.escape(link, quote=True)}'>Link to this "
                "run</a> <span style='font-size:0.85em;color:#555'>(opens the same scenario, "
                "seed and settings)</span>"
            ),
        )
