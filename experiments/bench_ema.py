"""The EMA Workbench's side of ``pax-silica bench --sweeps``: the same runs on its
``MultiprocessingEvaluator`` (a ``multiprocessing`` pool, forked on Linux).

The EMA Workbench is a benchmark-only dependency (``uv sync --group bench``): this module
imports it at the top and is imported only when it is installed (see
``bench_sides.ema_available``). Each run is one EMA experiment: a ``Sample`` holding the
point's parameters and the run's seed (the sweep's), so the Workbench samples nothing and
runs exactly the runs the other sides run. The model function returns ``outcome()``; each
column is declared with its type up front, so the Workbench's arrays hold them as they are
(a float column never takes the type of its first value, which may be a whole number).
"""

from __future__ import annotations

import math
import time
from functools import cache
from typing import Any

import numpy as np
from ema_workbench import (
    Constant,
    IntegerParameter,
    Model,
    MultiprocessingEvaluator,
    RealParameter,
    Sample,
    ScalarOutcome,
)
from ema_workbench.em_framework.outcomes import Outcome

from experiments.bench_sides import (
    Config,
    _worker_peak,
    _worker_ready,
    design,
    each_worker,
    keep_rows,
    outcome_keys,
    runs,
)
from model.model import PaxSilicaModel

SEED_MAX = 2**63 - 1  # the sweep's seeds fit a signed 64-bit column (design.run_seed)


class TextOutcome(ScalarOutcome):
    """A text outcome (``collapse_reason``): a ScalarOutcome takes numbers only."""

    def process(self, values):
        return Outcome.process(self, values)


def _nan_if_none(x: Any) -> float:
    """``collapse_quarter`` is None for a run that survived; the array is float."""
    return math.nan if x is None else float(x)


def pax_run(config: Config, seed: int, **params: Any) -> dict:
    """One run, as the Workbench calls it: keyword arguments in, outcomes out."""
    m = PaxSilicaModel(design(config).scenario, rng=int(seed), collect=False, **params)
    m.run()
    return m.outcome()


@cache
def _sample_types(config: Config) -> dict[str, type]:
    """Each outcome column's type, from a model built but not run."""
    m = PaxSilicaModel(design(config).scenario, rng=0, collect=False)
    return {k: type(v) for k, v in m.outcome().items()}


def _outcome(name: str, kind: type):
    if kind is bool:
        return ScalarOutcome(name, dtype=bool)
    if kind is str:
        return TextOutcome(name, dtype=object)
    if name == "collapse_quarter":
        return ScalarOutcome(name, function=_nan_if_none, dtype=float)
    return ScalarOutcome(name, dtype=float)


def ema_model(config: Config) -> Model:
    """The Workbench's model: the grid's parameters and the seed as uncertainties (their
    bounds unused: every sample is given), the config a constant, every outcome column."""
    model = Model("paxsilica", function=pax_run)
    model.uncertainties = [
        RealParameter(name, min(values), max(values)) for name, values in config.grid
    ] + [IntegerParameter("seed", 0, SEED_MAX)]
    model.constants = [Constant("config", config)]
    model.outcomes = [_outcome(k, _sample_types(config)[k]) for k in outcome_keys(config)]
    return model


def samples(config: Config) -> list[Sample]:
    """One Sample per run: the point's parameters and the sweep's seed for it."""
    return [Sample(**params, seed=seed) for _, _, seed, params in runs(config)]


def rows(experiments, outcomes: dict) -> list[dict]:
    """The Workbench's result (a DataFrame of experiments; a dict of outcome arrays, one
    column each) as one dict per run, for the digest."""
    n = len(experiments)
    cols = {k: experiments[k].tolist() for k in experiments.columns}
    cols.update({k: np.asarray(v).reshape(n).tolist() for k, v in outcomes.items()})
    return [{k: v[i] for k, v in cols.items()} for i in range(n)]


def run_ema(config: Config, workers: int) -> dict:
    """The runs on a MultiprocessingEvaluator; the pool started and every worker answering
    before the clock (forked workers inherit this process's imports)."""
    model = ema_model(config)
    todo = samples(config)
    out: dict = {"peaks": {}}
    t = time.perf_counter()
    with MultiprocessingEvaluator(model, n_processes=workers) as ev:
        each_worker(ev._pool, _worker_ready, workers)
        out["start"] = time.perf_counter() - t
        t = time.perf_counter()
        experiments, outcomes = ev.perform_experiments(scenarios=todo, log_progress=True)
        out["rows"] = rows(experiments, outcomes)
        keep_rows(out["rows"], config)
        out["running"] = time.perf_counter() - t
        out["peaks"]["workers"] = sorted(each_worker(ev._pool, _worker_peak, workers).values())
    return out
