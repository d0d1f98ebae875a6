"""Seeded replications shared by the statistical tests (each scenario run once per
session), and the small statistics the claims are tested with."""

from __future__ import annotations

import math
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from functools import cache

import numpy as np

from model.model import PaxSilicaModel
from model.scenario import changed_parameters, load_scenario

N_REPS = 40
Z95 = 1.6449  # one-sided 95%


# The claims about what helps the alliance survive counter-pressure are tested under the
# ``sustained_pressure`` preset's condition, applied to every scenario alike (at the 2025
# level the baseline rarely collapses): (name, value) pairs, hashable for the caches.
STRESS = tuple(
    sorted(
        changed_parameters(load_scenario("sustained_pressure"), load_scenario("baseline")).items()
    )
)


# The replications run on every core (a run's result depends on its seed alone, not on the
# process: the model's own reproducibility), so the dose-response tests take half the time
# on two cores. Workers are spawned, not forked: the test process may hold Dask's threads.
_POOL: ProcessPoolExecutor | None = None
INLINE_BELOW = 8  # runs: fewer are run here, not worth a round trip to the workers


def _workers() -> int:
    """The pool's size: the cores shared among pytest-xdist's workers (each has a pool of
    its own), at least 2 where there are 2 cores (another worker is often waiting on a
    browser or a subprocess), at most 4."""
    cores = len(os.sched_getaffinity(0))
    share = cores // max(1, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
    return max(1, min(4, cores, max(2, share)))


def _map_seeds(scen, seeds, settings: dict) -> list[dict]:
    """:func:`_runs` over chunks of ``seeds``, on the workers; the outcomes in the order
    of the seeds."""
    global _POOL
    seeds = list(seeds)
    if len(seeds) < INLINE_BELOW or _workers() == 1:
        return _runs(scen, seeds, settings)
    if _POOL is None:
        _POOL = ProcessPoolExecutor(_workers(), mp_context=multiprocessing.get_context("spawn"))
    size = -(-len(seeds) // (4 * _workers()))  # a few chunks a worker: none waits long
    chunks = [seeds[i : i + size] for i in range(0, len(seeds), size)]
    parts = _POOL.map(_runs, [scen] * len(chunks), chunks, [settings] * len(chunks))
    return [o for part in parts for o in part]  # map keeps the chunks' order


def _runs(scen, seeds, settings: dict) -> list[dict]:
    """One run's outcome per seed, with its initial refining share; ``settings``: the
    model's keyword arguments (parameter overrides, ``collect``, ``n_investors``)."""
    out = []
    for seed in seeds:
        m = PaxSilicaModel(scen, rng=seed, **settings)
        m.run()
        out.append({**m.outcome(), "initial_refining_share": m.initial_refining_share})
    return out


@cache
def outcomes(scenario: str, n: int = N_REPS, overrides: tuple = ()) -> dict[str, np.ndarray]:
    """Outcome columns of ``n`` seeded runs (seeds 1000..1000+n-1), with the parameter
    ``overrides`` ((name, value) pairs) applied to every run alike."""
    rows = _map_seeds(load_scenario(scenario), range(1000, 1000 + n), dict(overrides))
    return {
        k: np.array([r[k] for r in rows], dtype=float)
        for k in rows[0]
        if isinstance(rows[0][k], int | float | bool) and rows[0][k] is not None
    }


def lean_outcomes(scenario, seeds, **overrides) -> list[dict]:
    """The outcome of one lean run (no data collector, 200 investors) per seed, with the
    parameter ``overrides``: the loop of the dose-response tests, which vary one cause
    and hold the rest. ``scenario``: a preset name, a path or a ``Scenario``."""
    scen = load_scenario(scenario) if isinstance(scenario, str) else scenario
    return _map_seeds(scen, seeds, {**overrides, "collect": False, "n_investors": 200})


def proportion_gap_lower(a: np.ndarray, b: np.ndarray) -> float:
    """One-sided 95% lower confidence bound of mean(a) - mean(b) for 0/1 samples
    (Wald interval with a continuity-free Agresti-Caffo adjustment)."""
    pa = (a.sum() + 1) / (a.size + 2)
    pb = (b.sum() + 1) / (b.size + 2)
    se = math.sqrt(pa * (1 - pa) / (a.size + 2) + pb * (1 - pb) / (b.size + 2))
    return (pa - pb) - Z95 * se


def mean_gap_lower(a: np.ndarray, b: np.ndarray) -> float:
    """One-sided 95% lower confidence bound of mean(a) - mean(b) (Welch, normal approx.)."""
    se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    return float(a.mean() - b.mean()) - Z95 * se
