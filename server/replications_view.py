"""The Replications tab: many seeded runs of the settings on screen, kept so that several
settings can be compared.

* A job runs the **applied** settings (those the run on screen was built from, by Reset),
  never controls moved since: what is compared is what was run.
* **Cancel** keeps the runs finished so far, marked partial.
* Each finished job is **kept** (up to ``MAX_KEPT``, the oldest dropped first): their survival
  curves and fan charts of members and credibility are overlaid, each labelled by what
  differs between them (:func:`server.replications.labels`).
* The runs of every kept result download as one CSV.

The runs themselves are :func:`server.replications.replicate` (the model's own
replications); nothing here re-implements a rule.
"""

from __future__ import annotations

import html
import io
import logging
import threading
from dataclasses import dataclass

import pandas as pd
import solara
import solara.lab

from model.posterior import load_posterior
from model.scenario import ScenarioError
from server import compare_charts, controls, limits, plot
from server.export_view import CsvDownload
from server.replications import FAN_SERIES, Replications, labels, replicate

log = logging.getLogger("pax_silica.app")
MAX_KEPT = 6


@dataclass(frozen=True)
class Kept:
    """One finished (or cancelled) job: its runs and the settings they ran."""

    reps: Replications
    settings: controls.Settings
    posterior: bool
    line: str  # the command line of run k

    def words(self) -> list[str]:
        """Its settings as ``key=value`` words (what :func:`labels` compares)."""
        words = [f"scenario={self.settings.scenario}", *controls.overrides(self.settings)]
        return words + (["posterior=on"] if self.posterior else [])


def kept_labels(kept: list[Kept]) -> list[str]:
    return labels([k.words() for k in kept])


def runs_csv(kept: list[Kept]) -> str:
    """Every run of every kept result, one row each: its label, the settings' command line,
    its seed and its quarter of collapse (empty: it stood to the horizon), and the final
    value of each fan series."""
    rows = []
    for label, k in zip(kept_labels(kept), kept, strict=True):
        for i, (seed, q) in enumerate(zip(k.reps.seeds, k.reps.collapse_quarter, strict=True)):
            row = {"result": label, "command": k.line, "seed": seed, "collapse_quarter": q}
            row |= {f"final_{name}": k.reps.series[i][j][-1] for j, name in enumerate(FAN_SERIES)}
            rows.append(row)
    buf = io.StringIO()
    pd.DataFrame(rows).astype({"collapse_quarter": "Int64"}).to_csv(buf, index=False)
    return buf.getvalue()


def keep(kept: list[Kept], new: Kept) -> list[Kept]:
    """The kept results with ``new`` added last (the oldest dropped beyond MAX_KEPT)."""
    return [*kept, new][-MAX_KEPT:]


@solara.component
def ReplicationsView(state):
    n_text = solara.use_reactive("50")
    message = solara.use_reactive(None)
    kept = solara.use_reactive([])  # list[Kept], oldest first
    with_posterior = solara.use_reactive(False)
    closed = solara.use_memo(threading.Event, [])

    def work(settings: controls.Settings, n: int, drawn: bool):
        scen = controls.scenario_of(settings)
        post = load_posterior("default") if drawn else None

        def progress(done, total):
            task.progress = 100.0 * done / total

        reps = replicate(
            scen, n, progress=progress, stop=lambda: not task.is_current(), posterior=post
        )
        if reps.n and not closed.is_set():  # kept even when cancelled: marked partial
            line = controls.cli_command(settings, seed="k")
            line += " --posterior default" if drawn else ""
            kept.value = keep(kept.value, Kept(reps, settings, drawn, line))
        return reps

    task = solara.lab.use_task(work, dependencies=None)

    def stop_on_close():
        """The page closed: its runs stop too (nobody is left to see them)."""
        closed.set()
        if task.pending:
            task.cancel()

    solara.use_effect(lambda: stop_on_close, [])

    def start():
        """Start a job, checked first: the number of runs and the settings within the
        app's limits (:mod:`server.limits`), and only one job at a time in this page."""
        message.value = None
        if task.pending:
            message.value = (
                "A replications job is already running in this page: wait for it or cancel it."
            )
            return
        s = state.applied.value  # what the run on screen was built from
        try:
            n = limits.check_replications(n_text.value)
            controls.scenario_of(s)
        except (ScenarioError, limits.Refused, limits.LimitError) as e:
            message.value = str(e)
            return
        task(s, n, with_posterior.value)

    solara.HTML(
        tag="p",
        unsafe_innerHTML=(
            "Run the settings of the run on screen many times with different random seeds, "
            "and see how often and when the alliance collapses. Run <i>k</i> uses seed "
            "<i>k</i> (0, 1, ..., N-1); the seed box does not enter. Each job is kept, so "
            "you can change the settings, press <b>Reset</b>, run again and compare: the "
            "curves are labelled by what differs. With the posterior switch on, each run "
            "also draws the behavioural parameters nobody measures (those tagged "
            "<i>uncertain</i>) from the calibrated posterior, so the spread carries the "
            "model's own uncertainty; those the settings change stay."
        ),
    )
    changed = controls.pending(state.settings.value, state.applied.value)
    if changed:
        solara.Warning(
            f"Replications run the settings applied by Reset; {len(changed)} control"
            f"{'s' if len(changed) != 1 else ''} changed since ({', '.join(changed)}) "
            "will not enter until you press Reset.",
            dense=True,
            classes=["pax-reps-pending"],
        )
    solara.Switch(
        label="Draw uncertain parameters from the calibrated posterior",
        value=with_posterior,
        classes=["pax-reps-posterior"],
    )
    with solara.Row(style={"align-items": "center"}):
        solara.InputText(
            "Number of runs", value=n_text, continuous_update=True, classes=["pax-reps-n"]
        )
        solara.Button(
            "Run replications",
            color="primary",
            on_click=start,
            disabled=task.pending,
            icon_name="mdi-chart-bell-curve",
            classes=["pax-reps-run"],
        )
        if task.pending:
            solara.Button(
                "Cancel (keeps the runs so far)",
                on_click=task.cancel,
                outlined=True,
                classes=["pax-reps-cancel"],
            )
    if message.value:
        solara.Error(message.value, classes=["pax-reps-error"])
    if task.pending:
        p = task.progress or 0.0
        n = int(n_text.value) if n_text.value.strip().isdigit() else 0
        solara.ProgressLinear(value=p, color="primary")
        solara.Text(
            f"{round(p * n / 100)} of {n} runs done" if n else f"{p:.0f}% done",
            classes=["pax-reps-progress"],
        )
    if task.error:
        solara.Error(f"The replications failed: {task.exception}")
    if kept.value:
        Compared(kept)


@solara.component
def Compared(kept):
    """The kept results: their curves overlaid, a summary of each, a CSV of every run."""
    results: list[Kept] = kept.value
    names = kept_labels(results) if results else []
    scenario = results[-1].settings.scenario if results else controls.DEFAULT_SCENARIO
    start_year = controls.load(scenario).params["start_year"]
    reps = [k.reps for k in results]
    figs = solara.use_memo(
        lambda: [
            compare_charts.survival_figure(reps, names, start_year),
            *(compare_charts.fan_figure(reps, names, start_year, s) for s in FAN_SERIES),
        ],
        [tuple(id(k) for k in results)],
    )
    if not results:  # cleared: this renders once more before its parent drops it
        return
    for fig, css in zip(figs, ("survival", *FAN_SERIES), strict=True):
        plot.Plot(fig, f"pax-compare-{css}", version=len(results))
    items = []
    for label, k in zip(names, results, strict=True):
        r = k.reps
        median = r.median_collapse()
        med = (
            f"half had collapsed by quarter {median}"
            if median is not None
            else "fewer than half collapsed"
        )
        partial = "" if r.complete else f" <i>(cancelled: {r.n} of {r.asked} runs)</i>"
        items.append(
            f"<li><b>{html.escape(label)}</b>: {r.n_collapsed} of {r.n} runs collapsed "
            f"({r.share_collapsed:.0%}); {med}.{partial}<br><code>{html.escape(k.line)}</code></li>"
        )
    newest = results[-1].reps
    surv = newest.survival()
    yearly = ", ".join(
        f"{start_year + q // 4 - 1}: {surv[q]:.0%}" for q in range(4, newest.horizon + 1, 4)
    )
    solara.HTML(
        tag="div",
        classes=["pax-reps-summary"],
        unsafe_innerHTML=(
            f"<p><b>Share collapsed: {newest.share_collapsed:.0%}</b> ({newest.n_collapsed} of "
            f"{newest.n} runs) in the newest result; share still standing at the end of each "
            f"year: {yearly}.</p><p>Kept results (run <i>k</i> of each from the command "
            f"line with seed k):</p><ol>{''.join(items)}</ol>"
        ),
    )
    with solara.Row():
        CsvDownload(
            "pax-reps-csv",
            lambda: runs_csv(results).encode(),
            "pax-silica-replications.csv",
            "Download every run (CSV)",
        )
        solara.Button(
            "Clear kept results",
            on_click=lambda: kept.set([]),
            outlined=True,
            classes=["pax-reps-clear"],
        )
