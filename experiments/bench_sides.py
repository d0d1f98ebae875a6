"""The sides of ``pax-silica bench --sweeps``: one list of runs, done five ways.

Every side does the same work, so that a ratio of their times is a ratio of their
overheads and nothing else:

* the same runs: the points of ``Config.grid``, ``Config.replications`` seeds a point, the
  seed of run (point, replication) being the sweep's own (``Design.seed_of``: batch_run's
  ``rng`` values are replication numbers, mapped to that seed in ``BenchModel``; the EMA
  Workbench is given each run's seed as a parameter);
* the same model: ``PaxSilicaModel`` on the design's scenario object (loaded once per
  process, not once per run), built with ``collect=False`` on every side;
* the same result: one row per run, its seed, the varied parameters and ``outcome()``
  (batch_run's collector is replaced at the end of a run by one holding that row, so it
  returns one row per run, not one per agent), kept where a study keeps it: a Parquet
  file on disk, written on the clock on every side (``keep_rows``; the sweep writes its
  parts), and read back off it (the sweep's ``load_results``, for the digest);
* the same start: in the *running* figure each side's pool or cluster is started and every
  worker has imported the model before the clock starts; the *end to end* figure starts
  the clock at the child process's first line, imports included, on every side.

Each side runs in a fresh process (``bench_sweeps.child``), which prints one JSON line:
times, the number of rows, a digest of the rows (``rows_digest``: the parent checks that
every side returned the same rows) and each process's own peak memory
(``bench_stats.own_peak_mb``, asked of each worker before its pool closes). The EMA
Workbench's side is ``experiments.bench_ema`` (an optional dependency).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import numbers
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any
from unittest import mock

import pandas as pd

from experiments.bench_stats import own_peak_mb
from experiments.design import Design, DesignSpec, make_values, resolve
from model.model import PaxSilicaModel

GRID = (
    ("pressure_intensity", tuple(round(0.5 + 0.25 * i, 2) for i in range(10))),
    ("china_budget", tuple(round(1.0 + 0.5 * i, 2) for i in range(10))),
)


@dataclass(frozen=True)
class Config:
    """A cheap sweep (8 quarters, 50 investors, stop at collapse, a 10 x 10 grid): its runs
    are short, so the sides' overheads show. Frozen and small: batch_run carries it to its
    workers as a parameter, and it keys the per-process caches."""

    replications: int = 20
    steps: int = 8
    n_investors: int = 50
    grid: tuple = GRID
    seed: int = 0

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.grid]

    @property
    def n_points(self) -> int:
        return math.prod(len(values) for _, values in self.grid)

    @property
    def n_runs(self) -> int:
        return self.n_points * self.replications

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Config:
        d = json.loads(text)
        d["grid"] = tuple((name, tuple(values)) for name, values in d["grid"])
        return cls(**d)


@cache
def design(config: Config) -> Design:
    """The sweep's design of ``config``: its points, seeds and scenario (every side's)."""
    spec = DesignSpec(
        scenario="baseline",
        steps=config.steps,
        set=[f"n_investors={config.n_investors}", "stop_at_collapse=true"],
        vary=[make_values(name, list(values)) for name, values in config.grid],
        replications=config.replications,
        seed=config.seed,
    )
    return resolve(spec)


@cache
def _point_index(config: Config) -> dict[tuple, int]:
    d = design(config)
    return {tuple(p[n] for n in d.names): i for i, p in enumerate(d.points)}


def seed_of(config: Config, params: dict, rep: int) -> int:
    """The sweep's seed for replication ``rep`` of the point with these parameters."""
    point = _point_index(config)[tuple(params[n] for n in config.names)]
    return design(config).seed_of(point, rep)


def runs(config: Config) -> list[tuple[int, int, int, dict]]:
    """Every run as (point, replication, seed, parameters), in the sweep's order."""
    d = design(config)
    return [
        (p, r, d.seed_of(p, r), d.points[p])
        for p in range(d.n_points)
        for r in range(config.replications)
    ]


@cache
def outcome_keys(config: Config) -> tuple[str, ...]:
    """The names of ``outcome()``'s columns, from a model built but not run."""
    return tuple(PaxSilicaModel(design(config).scenario, rng=0, collect=False).outcome())


# ------------------------------------------------------------------- the rows -------
def _canon(x: Any) -> Any:
    """A value as every side's container gives it back, made comparable: batch_run keeps
    Python values, the sweep's Parquet gives numpy and pandas ones (a missing collapse
    quarter is ``pd.NA``), the EMA Workbench float arrays (``nan``)."""
    if x is None or x is pd.NA:
        return None
    if isinstance(x, float) and math.isnan(x):
        return None
    if type(x).__name__ in ("bool", "bool_"):
        return bool(x)
    if isinstance(x, numbers.Number):
        f = float(x)
        return None if math.isnan(f) else round(f, 9)
    return str(x)


def rows_digest(rows: list[dict], config: Config) -> str:
    """A digest of the rows' seeds, parameters and outcomes, in seed order: equal on two
    sides only if they ran the same runs and got the same results."""
    keys = ("seed", *config.names, *outcome_keys(config))
    canon = sorted(tuple(_canon(r[k]) for k in keys) for r in rows)
    return hashlib.sha256(json.dumps(canon).encode()).hexdigest()[:12]


def keep_rows(rows: list[dict], config: Config) -> None:
    """Write the rows to a Parquet file, as a study keeps them (and as the sweep does with
    its parts): the part of a side's work that a run's result in memory would leave out.
    Every side writes the same columns (the seed, the varied parameters, the outcome), to a
    temporary folder removed afterwards."""
    keys = ["seed", *config.names, *outcome_keys(config)]
    with tempfile.TemporaryDirectory() as tmp:
        columns = {k: [r[k] for r in rows] for k in keys}  # a row short of one: KeyError
        pd.DataFrame(columns).to_parquet(Path(tmp) / "runs.parquet")


# ---------------------------------------------------------------- one process -------
def loop(config: Config) -> dict:
    """The floor: the runs one after another in this process, no pool, no scheduler,
    their rows kept in a Parquet file (``keep_rows``)."""
    scen = design(config).scenario
    t = time.perf_counter()
    rows = []
    for _, _, seed, params in runs(config):
        m = PaxSilicaModel(scen, rng=seed, collect=False, **params)
        m.run()
        rows.append({"seed": seed, **params, **m.outcome()})
    keep_rows(rows, config)
    return {"running": time.perf_counter() - t, "rows": rows, "peaks": {}}


# ----------------------------------------------------------------- batch_run -------
class BenchModel(PaxSilicaModel):
    """``PaxSilicaModel`` as batch_run gets it here: the sweep's seed for (point,
    replication), no per-quarter collection, and at the end a collector holding one row,
    the run's seed and outcome (batch_run returns what the collector holds: with the
    model's own collector, a row per agent, 22 of them)."""

    def __init__(self, config: Config, rng: int, **params: Any):
        seed = seed_of(config, params, rng)
        super().__init__(design(config).scenario, rng=seed, collect=False, **params)

    def step(self) -> None:
        super().step()
        if not self.running:
            import mesa

            row = {"seed": self.rng_seed, **self.outcome()}
            self.datacollector = mesa.DataCollector(
                model_reporters={k: (lambda m, v=v: v) for k, v in row.items()}
            )
            self.datacollector.collect(self)


class _StartedPool:
    """batch_run's ``with Pool(n) as p`` on a pool started (and warmed) before the clock:
    batch_run runs its own code on it; leaving its ``with`` leaves the pool open."""

    def __init__(self, pool):
        self.pool = pool

    def __call__(self, processes: int):
        return self

    def __enter__(self):
        return self.pool

    def __exit__(self, *exc) -> None:
        return None


def _worker_ready() -> int:
    """A pool task: import the model (so no run pays for it) and say which worker ran it.
    The short sleep lets the other workers take the next tasks."""
    import model.model  # noqa: F401

    time.sleep(0.02)
    return os.getpid()


def _worker_peak() -> tuple[int, float]:
    time.sleep(0.02)
    return os.getpid(), own_peak_mb()


def each_worker(pool, fn, workers: int) -> dict:
    """``fn()`` on every worker of a multiprocessing pool (a pool has no broadcast): tasks
    in rounds until every worker has answered; worker -> answer."""
    seen: dict = {}
    for _ in range(200):
        for answer in pool.map(_call, [fn] * workers, chunksize=1):
            pid, value = answer if isinstance(answer, tuple) else (answer, answer)
            seen[pid] = value
        if len(seen) >= workers:
            return seen
    raise RuntimeError(f"only {len(seen)} of {workers} pool workers answered")


def _call(fn):
    return fn()


def batch(config: Config, workers: int, warm: bool) -> dict:
    """``mesa.batch_run`` over the grid, ``rng`` = replication numbers. ``warm``: on a pool
    started and warmed before the clock (otherwise batch_run starts its own, spawned, and
    its workers import Mesa and the model on the clock)."""
    import multiprocessing

    from mesa.batchrunner import batch_run

    params = {"config": config, **{name: list(values) for name, values in config.grid}}
    reps = list(range(config.replications))
    out: dict = {"peaks": {}}
    with contextlib.ExitStack() as stack:
        pool = None
        if warm:
            t = time.perf_counter()
            pool = stack.enter_context(multiprocessing.get_context("spawn").Pool(workers))
            each_worker(pool, _worker_ready, workers)
            out["start"] = time.perf_counter() - t
            stack.enter_context(mock.patch("mesa.batchrunner.Pool", _StartedPool(pool)))
        t = time.perf_counter()
        rows = batch_run(
            BenchModel,
            params,
            number_processes=workers,
            rng=reps,
            data_collection_period=-1,
            max_steps=10**9,
            display_progress=False,
        )
        keep_rows(rows, config)
        out["running"] = time.perf_counter() - t
        if pool is not None:
            out["peaks"]["workers"] = sorted(each_worker(pool, _worker_peak, workers).values())
    out["rows"] = rows
    return out


# --------------------------------------------------------------------- sweep -------
def sweep(config: Config, workers: int, auto: bool = False) -> dict:
    """The sweep executor (``experiments.sweep``) on ``workers`` worker processes, as
    ``pax-silica sweep`` runs a sweep this big (``LocalPool``), writing its Parquet folder
    as the command does; rows read back after the clock. ``auto``: where the command would
    put these runs, in this process when workers would not pay for themselves
    (``sweep.workers_pay``), as the command decides."""
    from experiments.sweep import (
        InProcess,
        LocalPool,
        execute,
        load_results,
        new_manifest,
        workers_pay,
        write_manifest,
    )

    d = design(config)
    out: dict = {"peaks": {}}
    in_process = auto and not workers_pay(config.n_runs, config.steps, workers)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "sweep"
        folder.mkdir()
        t = time.perf_counter()
        ex = InProcess("too few to pay for workers") if in_process else LocalPool(workers)
        with ex:
            out["start"] = time.perf_counter() - t
            out["where"] = ex.where
            manifest = new_manifest(d, None, False)
            write_manifest(folder, manifest)
            t = time.perf_counter()
            f = execute(d, folder, ex, progress=False, manifest=manifest)
            out["running"] = time.perf_counter() - t
            out["chunk_size"] = f["chunk_size"]
            if not in_process:
                out["peaks"]["workers"] = sorted(
                    each_worker(ex.pool, _worker_peak, workers).values()
                )
        # The sweep's work is done and its rows are in their files: its main process's
        # peak now, before the benchmark reads them back (off the clock, and as Python
        # dicts, for the digest: 10,000 rows of them lift the peak by some 40 MB).
        out["peaks"]["main"] = own_peak_mb()
        t = time.perf_counter()
        out["rows"] = load_results(folder).to_dict("records")
        out["read_back"] = time.perf_counter() - t
    return out
