"""Survival of the alliance over many runs: the one Kaplan-Meier estimator that the app's
Replications tab, ``pax-silica report`` and ``pax-silica analyze survival`` share.

A run that survives is censored at its horizon. When every run has the same horizon no run
is censored before it, and the estimate is simply the share of runs still standing at the
end of each quarter (a run that collapses in quarter q counts as fallen at q).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Survival:
    """The estimate on the quarters 0..horizon (``times``), with its 95% band."""

    times: np.ndarray
    survival: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    median: float  # first quarter with survival at or below 1/2; inf if none; nan if no runs
    fitter: Any  # the fitted lifelines.KaplanMeierFitter (for its plot); None if no runs

    def at(self, quarter: int) -> float:
        """Survival at the end of ``quarter`` (the last estimate for a later one)."""
        return float(self.survival[min(quarter, len(self.survival) - 1)])


def kaplan_meier(
    durations: Sequence[float], observed: Sequence[bool], horizon: int, label: str | None = None
) -> Survival:
    """Kaplan-Meier estimate of survival from each run's time to collapse (``durations``:
    the quarter of collapse, or the horizon for a survivor) and whether it collapsed
    (``observed``), on the quarters 0..``horizon``. With no runs every value is nan."""
    times = np.arange(horizon + 1)
    t = np.asarray(durations, dtype=float)
    if t.size == 0:
        nan = np.full(times.size, np.nan)
        return Survival(times, nan, nan, nan, float("nan"), None)
    from lifelines import KaplanMeierFitter  # heavy: loaded when an estimate is wanted

    kmf = KaplanMeierFitter(label=label)
    kmf.fit(t, event_observed=np.asarray(observed, dtype=bool), timeline=times)
    ci = kmf.confidence_interval_survival_function_
    return Survival(
        times=times,
        survival=kmf.survival_function_.iloc[:, 0].to_numpy(),
        lower=ci.iloc[:, 0].to_numpy(),
        upper=ci.iloc[:, 1].to_numpy(),
        median=float(kmf.median_survival_time_),
        fitter=kmf,
    )


def share_interval(successes: float, n: float, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson score interval (95% by default) of a share of ``successes`` in ``n``
    runs: unlike the normal approximation it stays inside [0, 1] and is not empty when
    every run (or none) succeeds. ``n`` may be an effective number of runs (not whole),
    ``successes`` then the share times it. ``(nan, nan)`` with no runs."""
    if n <= 0:
        return (float("nan"), float("nan"))
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    lo = 0.0 if successes <= 0 else max(0.0, centre - half)
    hi = 1.0 if successes >= n else min(1.0, centre + half)
    return (float(lo), float(hi))
