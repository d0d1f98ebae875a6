"""Replications of one setting: how often, and when, the alliance collapses.

Seed rule: replication ``k`` (k = 0, 1, ..., n-1) is the run with seed ``k``, that is
``model.run.run_model(scenario, seed=k)``, the same run as
``pax-silica run --scenario NAME --set ... --seed k`` (with ``--posterior default`` when
the app's posterior switch is on). The seed typed in the app's seed box
does not enter; it picks the single run on screen.

The survival curve is the Kaplan-Meier estimate. Every run goes to the horizon, so the only
censoring is at the horizon and the estimate is simply the share of runs still standing at
the end of each quarter.

Each run also keeps two of its quarterly series (members and credibility), for the fan
charts that overlay several settings; a cancelled job keeps the runs it finished (marked
partial). :func:`labels` names each kept result by what differs between them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from model.estimates import Survival, kaplan_meier
from model.posterior import Posterior
from model.replicate import replicate as runs
from model.scenario import Scenario

FAN_SERIES = ("members", "credibility")  # the model's series kept for the fan charts
FAN_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


@dataclass(frozen=True)
class Replications:
    """Outcomes of ``n`` seeded runs. ``collapse_quarter[k]`` is run k's quarter of
    collapse, or None if it survived to the horizon."""

    scenario: str
    seeds: tuple[int, ...]
    horizon: int
    collapse_quarter: tuple[int | None, ...]
    asked: int = 0  # the runs asked for (more than ``n`` when the job was cancelled)
    # per run, per quarter 0..horizon: the series of the fan charts (FAN_SERIES)
    series: tuple[tuple[tuple[float, ...], ...], ...] = ()

    @property
    def n(self) -> int:
        return len(self.seeds)

    @property
    def n_collapsed(self) -> int:
        return sum(q is not None for q in self.collapse_quarter)

    @property
    def share_collapsed(self) -> float:
        return self.n_collapsed / self.n if self.n else float("nan")

    def survival(self) -> np.ndarray:
        """Share of runs still standing at the end of quarter q, for q = 0..horizon."""
        return survival_curve(self.collapse_quarter, self.horizon)

    @property
    def complete(self) -> bool:
        return self.n >= self.asked

    def fan(self, name: str, quantiles=FAN_QUANTILES) -> np.ndarray:
        """Quantiles across runs of series ``name`` (one of FAN_SERIES), one row per
        quantile, one column per quarter 0..horizon."""
        k = FAN_SERIES.index(name)
        values = np.array([run[k] for run in self.series], dtype=float)
        return np.quantile(values, quantiles, axis=0)

    def median_collapse(self) -> int | None:
        """First quarter at which half the runs or more have collapsed (None if never)."""
        median = _estimate(self.collapse_quarter, self.horizon).median
        return int(median) if np.isfinite(median) else None


def survival_curve(collapse_quarter, horizon: int) -> np.ndarray:
    """Survival S(q), q = 0..horizon, of runs that collapsed in ``collapse_quarter[k]`` (None:
    survived to the horizon): the fraction not collapsed by the end of quarter q."""
    return _estimate(collapse_quarter, horizon).survival


def _estimate(collapse_quarter, horizon: int) -> Survival:
    durations = [horizon if c is None else c for c in collapse_quarter]
    return kaplan_meier(durations, [c is not None for c in collapse_quarter], horizon)


def replicate(
    scenario: Scenario,
    n: int = 50,
    progress: Callable[[int, int], None] | None = None,
    stop: Callable[[], bool] | None = None,
    posterior: Posterior | None = None,
) -> Replications:
    """Run seeds 0..n-1 of ``scenario``; ``progress(done, n)`` after each run. If
    ``stop()`` turns true the runs so far are returned. ``posterior``: each run draws its
    uncertain parameters from it by its seed (``pax-silica run --posterior``)."""
    if n < 1:
        raise ValueError(f"expected at least one replication, got {n}")
    seeds, quarters, series = [], [], []
    wanted = itertools.takewhile(lambda _: stop is None or not stop(), range(n))
    for k, m in enumerate(runs(scenario, wanted, collect=True, posterior=posterior)):
        o = m.outcome()
        seeds.append(k)
        quarters.append(o["collapse_quarter"] if o["event_observed"] else None)
        kept = m.datacollector.model_vars
        series.append(tuple(tuple(float(x) for x in kept[name]) for name in FAN_SERIES))
        if progress is not None:
            progress(k + 1, n)
    return Replications(
        scenario=scenario.name,
        seeds=tuple(seeds),
        horizon=int(scenario.params["steps"]),
        collapse_quarter=tuple(quarters),
        asked=n,
        series=tuple(series),
    )


def labels(settings: list[list[str]]) -> list[str]:
    """A label for each of several results, from its settings as ``key=value`` words
    (``scenario=...``, each ``--set`` override, ``posterior=on``): the words it does not
    share with all the others, so overlaid curves are told apart by what differs. Results
    whose settings are the same as another's are numbered; one whose words all the others
    share is named by its first word (``scenario=baseline only``)."""
    common = set.intersection(*map(set, settings)) if settings else set()
    alike = all(set(w) == set(settings[0]) for w in settings)
    out = []
    for words in settings:
        own = [w for w in words if w not in common]
        if own:
            out.append(", ".join(own))
        else:  # the others add to these settings: named by the first word (the scenario)
            out.append("same settings" if alike else f"{words[0] if words else 'defaults'} only")
    return _numbered(out)


def _numbered(out: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    numbered = []
    for label in out:
        seen[label] = seen.get(label, 0) + 1
        numbered.append(f"{label} (#{seen[label]})" if out.count(label) > 1 else label)
    return numbered
