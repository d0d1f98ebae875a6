"""``pax-silica sweep``: many runs of a scenario (or of several: ``--vary scenario=a,b``)
over a design, on this machine's cores or a Dask cluster; with nothing varied, replications
of one point.

A sweep runs every point of a design (``experiments.design``) ``replications`` times and
writes a Parquet dataset folder::

    DIR/manifest.json            provenance: versions, git commit, scenario and its hash,
                                 the resolved design and its hash, the seed rule, every seed,
                                 parameter ranges, start and end times
    DIR/runs/part-*.parquet      one row per run: point, replication, seed, the varied
                                 parameters, scenario, and the model's outcome() columns
    DIR/series/part-*.parquet    with --series: every quarter of every run (point,
                                 replication, then the model's data-collector columns)
    DIR/.lock                    the writer's lock and pid (see --resume below)

Runs go to the workers in chunks (``--chunk-size``); each chunk's rows come back as soon
as it finishes and are written as one part (a temporary file renamed into place, so a part
is either whole or absent), then dropped: memory stays bounded whatever the sweep's size,
and at most a few chunks are in flight at once. A part is named after the first run it
holds (run id = point * replications + replication).

``--resume DIR`` reads the manifest, re-derives the design (and refuses if its hash
differs, or if a design flag given differs from the sweep's, naming it), finds the runs
already written and runs only the others. A folder is written by one process at a time:
``DIR/.lock`` holds an OS lock (``fcntl.lockf``) for the whole sweep or resume, so a second
writer is refused at once; the OS drops the lock when its holder dies, however it dies.
Seeds depend only on (seed, point, replication), so a finished sweep holds the same rows
with the same values however it was chunked, interrupted, resumed or spread over workers;
``load_results`` returns them in the canonical order (point, replication), and refuses a
folder that holds a run twice or a part that does not read.

Execution: by default on worker processes of this machine, one per core (``LocalPool``:
``--workers N`` to choose; forked on Linux), with no scheduler to start or feed; on an
existing Dask cluster with ``--scheduler tcp://HOST:PORT``, or on a local Dask
``LocalCluster`` with ``--local-cluster`` (its dashboard; ``local_start_method``). A worker
lost mid-sweep has its chunks run again (by Dask elsewhere, or by ``LocalPool`` on a pool
started afresh); each chunk's result is written once, by this process. A sweep too small
to pay for starting workers (``workers_pay``) runs in this process instead
(``InProcess``), the same chunks through the same ``run_chunk``, so with the same rows;
``--in-process`` decides it either way.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import functools
import gc
import itertools
import json
import logging
import math
import multiprocessing
import os
import platform
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.args import CliError, add_posterior_arg, natural_int, positive_int
from experiments.catalogue import add_catalogue_arg, register_study
from experiments.design import (
    DESIGN_FILE_KEYS,
    DESIGNS,
    SEED_RULE,
    Design,
    DesignError,
    DesignSpec,
    check_spec,
    is_scenario_vary,
    parse_vary,
    read_design_file,
    resolve,
    scenario_refs,
)
from model.files import atomic_write, write_bytes
from model.posterior import Posterior
from model.replicate import replicate
from model.scenario import Scenario, is_path

FORMAT = "pax-silica-sweep/1"
MANIFEST = "manifest.json"
LOCK = ".lock"
RUNS = "runs"
SERIES = "series"
MAX_CHUNK = 100
EXIT_INTERRUPTED = 130
# Outcome columns by type; any other outcome column is a float (or text if not a number).
INT_COLUMNS = {
    "posterior_draw",
    "time_to_collapse",
    "quarters_run",
    "final_members",
    "final_founding_members",
    "final_defectors",
    "final_joined",
    "final_covered_phases",
    "final_bottleneck",
}
NULLABLE_INT_COLUMNS = {"collapse_quarter"}
BOOL_COLUMNS = {"survived", "event_observed"}
TEXT_COLUMNS = {"collapse_reason", "scenario"}
KEY_COLUMNS = ["point", "replication", "seed"]


# ----------------------------------------------------------------- worker side -------
def _typed_runs(rows: list[dict], names: list[str]) -> pd.DataFrame:
    """A chunk's rows as a table, each column of its fixed type (the same in every part),
    made column by column from the rows' values: a frame made from the dicts and then
    converted a column at a time costs a task some milliseconds, as much as a lean run."""
    columns: dict[str, Any] = {}
    for c in rows[0]:  # every row of a chunk has the same columns
        values = [r[c] for r in rows]
        if c in KEY_COLUMNS or c in INT_COLUMNS:
            columns[c] = np.array(values, dtype=np.int64)
        elif c in NULLABLE_INT_COLUMNS:
            columns[c] = pd.array(values, dtype="Int64")
        elif c in BOOL_COLUMNS:
            columns[c] = np.array(values, dtype=bool)
        elif c in TEXT_COLUMNS:
            columns[c] = np.array([str(v) for v in values], dtype=object)
        else:
            column = pd.Series(values)
            if c in names or pd.api.types.is_bool_dtype(column):
                columns[c] = column  # a parameter keeps its own type (float, int or bool)
            elif pd.api.types.is_numeric_dtype(column):
                columns[c] = column.astype("float64")
            else:
                columns[c] = column.astype(str)
    return pd.DataFrame(columns)


def _typed_series(df: pd.DataFrame) -> pd.DataFrame:
    for c in df.columns:
        if c in ("point", "replication", "quarter"):
            df[c] = df[c].astype("int64")
        elif pd.api.types.is_bool_dtype(df[c]):
            continue
        elif pd.api.types.is_numeric_dtype(df[c]):
            df[c] = df[c].astype("float64")
    return df


_heap_frozen = False


def _freeze_heap() -> None:
    """Before a process's first chunk: what it holds already (modules, caches) is frozen
    out of the collector's view, so each collection after a chunk costs milliseconds, not
    a scan of every module's objects (a full first collection costs a small sweep in
    process about a tenth of its runs' time)."""
    global _heap_frozen
    if not _heap_frozen:
        gc.freeze()
        _heap_frozen = True


def _tidy_heap() -> None:
    """Collect the chunk's garbage now: models hold reference cycles, which otherwise pile
    up in the oldest generation and lift a worker's memory by 10% or more over thousands
    of runs."""
    gc.collect()


def run_chunk(
    scenarios: dict[str, Scenario],
    runs: list[tuple],
    names: list[str],
    series: bool = False,
    posterior: Posterior | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Run a chunk on a worker. ``runs``: (point, replication, seed, params, variant);
    ``scenarios[variant]`` is the scenario to run, ``params`` the values to override;
    ``posterior``: each run draws its uncertain parameters from it by its seed (column
    ``posterior_draw``: which accepted set, 0-based)."""
    _freeze_heap()
    rows, frames = [], []
    # a point's replications run one after another: one replicate() per point
    for _, group in itertools.groupby(runs, key=lambda r: (r[0], r[4])):
        group = list(group)
        point, _, _, params, variant = group[0]
        scen = scenarios[variant]
        # Without --series, no data collector (the outcome does not read it; collecting
        # each quarter costs about a fifth of a run).
        seeds = [seed for _, _, seed, _, _ in group]
        for (_, rep, seed, _, _), m in zip(
            group,
            replicate(scen, seeds, collect=series, posterior=posterior, **params),
            strict=True,
        ):
            row = {"point": point, "replication": rep, "seed": seed}
            row.update({n: params[n] for n in names})
            if posterior is not None:
                row["posterior_draw"] = posterior.index(seed)
            row["scenario"] = scen.name
            row.update(m.outcome())
            rows.append(row)
            if series:
                df = m.datacollector.get_model_vars_dataframe().reset_index(drop=True)
                df.insert(0, "point", point)
                df.insert(1, "replication", rep)
                frames.append(df)
        del m
    runs_df = _typed_runs(rows, names)
    series_df = _typed_series(pd.concat(frames, ignore_index=True)) if series else None
    _tidy_heap()
    return runs_df, series_df


# ------------------------------------------------------------------- executor -------


START_METHOD_KEY = "distributed.worker.multiprocessing-method"


def local_start_method() -> str:
    """How the local cluster starts its worker processes. Dask's default, ``spawn``, starts
    each worker as a fresh interpreter that imports Dask, NumPy, pandas, SciPy, Mesa and the
    model again: seconds per worker, or ten and more where Python cannot cache bytecode.
    On Linux the workers are forked instead, from this process once it has imported the
    model, so they start at once. Elsewhere (macOS, Windows: fork is unsafe or absent), or
    when Dask's configuration asks for another method, Dask's choice stands. A worker that
    dies mid-sweep is restarted by its nanny with Dask's configured method. To keep
    ``spawn`` on Linux, set it explicitly: ``DASK_DISTRIBUTED__WORKER__MULTIPROCESSING_METHOD
    =spawn``."""
    import dask

    configured = dask.config.get(START_METHOD_KEY, "spawn")
    explicit = "DASK_DISTRIBUTED__WORKER__MULTIPROCESSING_METHOD" in os.environ
    if explicit or configured != "spawn" or not sys.platform.startswith("linux"):
        return configured
    return "fork"


class Workers:
    """What the executors that run on workers (``Executor``, ``LocalPool``) share: runs
    handed out in tasks of about 16 a worker. Each says how many workers it has
    (``nthreads``) and runs tasks with ``map_chunks(fn, tasks, on_result, in_flight)``."""

    def nthreads(self) -> int:
        raise NotImplementedError

    def chunk_size(self, n_runs: int) -> int:
        """Runs per task: about 16 tasks a worker (``default_chunk_size``)."""
        return default_chunk_size(n_runs, self.nthreads())

    def in_flight(self, asked: int | None) -> int:
        """Tasks handed out at once: as asked, else two a worker and a few more, so that no
        worker waits for its next task while results are written."""
        return asked or max(4, 2 * self.nthreads() + 2)


class Executor(Workers):
    """A Dask client, on a local cluster or connected to a scheduler; ``map_chunks`` runs
    tasks with a bounded number in flight and hands each result over as it completes."""

    def __init__(
        self,
        scheduler: str | None = None,
        workers: int | None = None,
        client: Any = None,
        connect_timeout: float = 10.0,
    ):
        self.scheduler = scheduler
        self.workers = workers
        self.client = client
        self.cluster = None
        self._own_client = client is None
        self.connect_timeout = connect_timeout
        self.startup_seconds = 0.0

    def __enter__(self) -> Executor:
        if self.client is not None:
            return self
        from distributed import Client, LocalCluster

        t = time.perf_counter()
        if self.scheduler:
            try:
                self.client = Client(self.scheduler, timeout=f"{self.connect_timeout}s")
            except (OSError, TimeoutError, ValueError) as e:
                raise CliError(
                    f"--scheduler: cannot connect to {self.scheduler} "
                    f"({type(e).__name__}: {e}); expected a running "
                    "`dask scheduler`"
                ) from None
        else:
            n = self.workers or os.cpu_count() or 1
            import dask

            method = local_start_method()
            if method == "fork":
                import model.model  # noqa: F401  (the forked workers inherit it)
            # Worker processes start with Ctrl-C ignored (ignored signals survive fork and
            # exec), so an interrupt reaches only this process, which stops the workers.
            restore = None
            if threading.current_thread() is threading.main_thread():
                restore = signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                # Dask's statistical profiler samples each worker's stack every 10 ms (for
                # its dashboard's profile page); a sweep does not need it, and on a small
                # machine it costs a tenth of a run's time. Every Dask server (scheduler,
                # nannies, workers) also ticks every 20 ms to notice a blocked event loop, a
                # diagnostic worth 3% of two cores here; once a second is enough. Likewise
                # the nannies and workers read their memory every 100 ms and the servers
                # their CPU and network every 500 ms (for the dashboard): once a second and
                # every two seconds cut an idle local cluster's CPU from 0.6 to 0.2
                # CPU-seconds per 10 s. A worker that outgrows its memory is still stopped.
                quiet = {
                    START_METHOD_KEY: method,
                    "distributed.worker.profile.enabled": False,
                    "distributed.admin.tick.interval": "1s",
                    "distributed.worker.memory.monitor-interval": "1s",
                    "distributed.admin.system-monitor.interval": "2s",
                }
                with dask.config.set(quiet), warnings.catch_warnings():
                    # Python 3.12 warns of fork() in a process with threads (Dask's event
                    # loop); the worker process runs only the forking thread's work.
                    warnings.filterwarnings(
                        "ignore", ".*use of fork\\(\\) may lead to deadlocks", DeprecationWarning
                    )
                    # Forked workers start one after another: forks from two threads at
                    # once are refused by filelock's fork guard (installed in any process
                    # that imported it, e.g. one that also serves the app or a notebook).
                    first = 1 if method == "fork" else n
                    self.cluster = LocalCluster(
                        n_workers=first,
                        threads_per_worker=1,
                        processes=True,
                        host="127.0.0.1",
                        dashboard_address="127.0.0.1:0",
                        silence_logs=logging.ERROR,
                    )
                    for k in range(first + 1, n + 1):
                        self.cluster.scale(k)
                        self.cluster.wait_for_workers(k, timeout=60)
            finally:
                if restore is not None:
                    signal.signal(signal.SIGINT, restore)
            self.client = Client(self.cluster)
        # Import the model on every worker now, not inside the first chunk's timing.
        with contextlib.suppress(Exception):
            self.client.run(_worker_ready)
        self.startup_seconds = time.perf_counter() - t
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if not self._own_client:
            return
        with contextlib.suppress(Exception):
            if self.client is not None:
                self.client.close(timeout=10)
        with contextlib.suppress(Exception):
            if self.cluster is not None:
                self.cluster.close(timeout=20)
        self.client = self.cluster = None

    @property
    def where(self) -> str:
        """Where the runs went, for the manifest's session: the scheduler, or ``local``."""
        return self.scheduler or "local"

    def nthreads(self) -> int:
        return sum(self.client.nthreads().values())

    def describe(self, n: int | None = None) -> str:
        n = self.nthreads() if n is None else n
        where = self.scheduler or "a local cluster"
        return f"{n} worker thread{'s' if n != 1 else ''} on {where}"

    def map_chunks(
        self,
        fn: Callable,
        tasks: Iterable[tuple],
        on_result: Callable,
        in_flight: int | None = None,
    ) -> None:
        """Submit ``fn(*task)`` for each task, at most ``in_flight`` at a time, and call
        ``on_result(task, result)`` in completion order. On any error or Ctrl-C the
        unfinished tasks are cancelled before the exception propagates."""
        from distributed import as_completed

        limit = self.in_flight(in_flight)
        it: Iterator[tuple] = iter(tasks)
        pending: dict[Any, tuple] = {}
        ac = as_completed()

        def submit_next() -> bool:
            task = next(it, None)
            if task is None:
                return False
            f = self.client.submit(fn, *task, pure=False, key=f"pax-chunk-{uuid.uuid4().hex}")
            pending[f.key] = (f, task)
            ac.add(f)
            return True

        try:
            while len(pending) < limit and submit_next():
                pass
            for f in ac:
                _, task = pending.pop(f.key)
                result = f.result()
                f.release()
                on_result(task, result)
                while len(pending) < limit and submit_next():
                    pass
        except BaseException:
            futures = [f for f, _ in pending.values()]
            with contextlib.suppress(Exception):
                self.client.cancel(futures, force=True)
            raise


class InProcess:
    """The executor with no workers: every task runs here, one after another, as it is
    handed over. For a sweep too small to pay for starting a cluster (``workers_pay``).
    The tasks and ``run_chunk`` are those a cluster would run, and every run's seed is
    fixed by the design, so the rows are the same bit for bit."""

    scheduler = None
    where = "in-process"
    startup_seconds = 0.0

    def __init__(self, reason: str):
        self.reason = reason

    def __enter__(self) -> InProcess:
        return self

    def __exit__(self, *exc) -> None:
        return None

    def nthreads(self) -> int:
        return 1

    def chunk_size(self, n_runs: int) -> int:
        """Runs per task: up to ``MAX_CHUNK``. With no worker to balance, a task is only a
        part written and a step of the progress bar, and each part costs its typing and
        its write (a 20-run sweep in chunks of 2 spent more on its ten parts than on its
        runs)."""
        return max(1, min(MAX_CHUNK, n_runs))

    def describe(self, n: int | None = None) -> str:
        return f"in process ({self.reason})"

    def map_chunks(
        self,
        fn: Callable,
        tasks: Iterable[tuple],
        on_result: Callable,
        in_flight: int | None = None,
    ) -> None:
        """``on_result(task, fn(*task))`` for each task in turn (as ``Executor.map_chunks``)."""
        for task in tasks:
            on_result(task, fn(*task))


def _ignore_interrupts() -> None:
    """A pool worker's first act: Ctrl-C is for the sweep's own process, which stops the
    workers (a terminal sends it to the whole process group); SIGTERM ends a worker at
    once (a forked worker would otherwise keep the command's handler, which unwinds it)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _worker_ready(*_: Any) -> int:
    """A first task for each worker: the model imported (a spawned worker has not yet),
    a short wait so that each worker of a pool takes one, its pid. (Dask runs it on every
    worker at once: ``Executor.__enter__``.)"""
    import model.model  # noqa: F401

    time.sleep(0.01)
    return os.getpid()


def pool_start_method() -> str:
    """How ``LocalPool`` starts its workers: forked on Linux, from this process once it has
    imported the model, so they start at once; spawned elsewhere (macOS, Windows: fork is
    unsafe or absent), each a fresh interpreter that imports the model."""
    return "fork" if sys.platform.startswith("linux") else "spawn"


class WorkersLost(RuntimeError):
    """The worker processes died more often than ``LocalPool.MAX_RESTARTS`` allows."""


class LocalPool(Workers):
    """Worker processes on this machine, one per core by default: the executor of a local
    sweep (``concurrent.futures.ProcessPoolExecutor``). No scheduler, no nannies, no
    dashboard in this process: started in hundredths of a second, where a local Dask
    cluster takes half a second after importing ``distributed`` (a quarter of a second
    more), and this process some 25 MB lighter; two cores run at twice the speed of one
    (the scheduler's own CPU held a local cluster to about 1.9x). A worker that dies
    (killed, out of memory) breaks the pool: it is started again and the unfinished tasks
    are run again, as Dask runs a lost worker's tasks elsewhere, up to ``MAX_RESTARTS``
    times. ``--local-cluster`` asks for the Dask cluster instead (its dashboard, its
    nannies)."""

    scheduler = None
    where = "local"
    MAX_RESTARTS = 3

    def __init__(self, workers: int | None = None):
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.pool: ProcessPoolExecutor | None = None
        self.startup_seconds = 0.0

    def __enter__(self) -> LocalPool:
        t = time.perf_counter()
        self._start()
        self.startup_seconds = time.perf_counter() - t
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _start(self) -> None:
        method = pool_start_method()
        if method == "fork":
            import model.model  # noqa: F401  (the forked workers inherit it)
        with warnings.catch_warnings():
            # Python 3.12 warns of fork() in a process with threads (a test runner's, an
            # app's); a worker runs only its tasks, in the thread that forked it.
            warnings.filterwarnings(
                "ignore", ".*use of fork\\(\\) may lead to deadlocks", DeprecationWarning
            )
            self.pool = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context(method),
                initializer=_ignore_interrupts,
            )
            # Every worker started and the model imported now, not in the first chunk.
            list(self.pool.map(_worker_ready, range(self.workers)))

    def close(self, stop: bool = False) -> None:
        """Shut the pool down; ``stop``: at once, the workers ended mid-task (after an
        error or Ctrl-C: their chunks would be thrown away)."""
        pool, self.pool = self.pool, None
        if pool is None:
            return
        if stop:
            # The workers from the pool's own table, read before shutdown() clears it
            # (Python 3.14 has pool.terminate_workers()).
            workers = list((getattr(pool, "_processes", None) or {}).values())
            for proc in workers:
                with contextlib.suppress(Exception):
                    proc.terminate()
            pool.shutdown(wait=False, cancel_futures=True)
            for proc in workers:
                with contextlib.suppress(Exception):
                    proc.join(timeout=5)
        else:
            pool.shutdown(wait=True)

    def nthreads(self) -> int:
        return self.workers

    def describe(self, n: int | None = None) -> str:
        n = self.workers if n is None else n
        return f"{n} worker process{'es' if n != 1 else ''} on this machine"

    def map_chunks(
        self,
        fn: Callable,
        tasks: Iterable[tuple],
        on_result: Callable,
        in_flight: int | None = None,
    ) -> None:
        """Submit ``fn(*task)`` for each task, at most ``in_flight`` at a time, and call
        ``on_result(task, result)`` in completion order (as ``Executor.map_chunks``). On an
        error or Ctrl-C the workers are stopped before the exception propagates."""
        limit = self.in_flight(in_flight)
        it: Iterator[tuple] = iter(tasks)
        pending: dict[Future, tuple] = {}
        lost: list[tuple] = []  # tasks a dead worker took with it, or a broken pool refused
        restarts = 0

        def submit(task: tuple) -> None:
            try:
                pending[self.pool.submit(fn, *task)] = task
            except BrokenProcessPool:
                lost.append(task)

        def fill() -> None:
            while not lost and len(pending) < limit and (task := next(it, None)) is not None:
                submit(task)

        try:
            fill()
            while pending or lost:
                if pending:  # on a broken pool every pending task fails at once
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for f in done:
                        task = pending.pop(f)
                        try:
                            result = f.result()
                        except BrokenProcessPool:
                            lost.append(task)
                            continue
                        on_result(task, result)
                if lost and not pending:  # a worker died: its tasks run on a new pool
                    restarts += 1
                    if restarts > self.MAX_RESTARTS:
                        raise WorkersLost(
                            f"a worker process died {restarts} times (killed, or out of memory?)"
                        )
                    again, lost[:] = list(lost), []
                    self.close(stop=True)
                    self._start()
                    for task in again:
                        submit(task)
                fill()
        except BaseException:
            self.close(stop=True)
            raise


# What worker processes cost and what they save, measured on 2 cores with the model of this
# version (whole processes, median of 3): ``LocalPool`` starts two forked workers in 0.02 s,
# but each then copies the pages of this process's heap that it touches (copy-on-write),
# 0.1-0.2 CPU-seconds a worker; 20 runs of 8 quarters (50 investors) took 0.1-0.2 s longer
# on the pool than in process, 100 of them about as long, 10 runs of 40 quarters (1,000
# investors) 0.13 s less. A quarter of a run (1,000 investors, parts written) costs 2.1 ms.
POOL_START_SECONDS = 0.4
SECONDS_PER_QUARTER = 0.002


def workers_pay(n_runs: int, steps: int, workers: int) -> bool:
    """Whether ``workers`` worker processes are worth starting for ``n_runs`` runs of up
    to ``steps`` quarters. Spread over ``workers`` cores (no more than the machine has), the
    work takes ``1/workers`` of its time, so the workers save ``1 - 1/workers`` of it; they
    pay when that is more than what they cost (``POOL_START_SECONDS``). On 2 cores the
    cut-off is 400 run-quarters (10 runs of 40 quarters); one worker never pays.
    Run-quarters, not runs: a run's time is its quarters'."""
    cores = min(workers, os.cpu_count() or 1)
    work = n_runs * steps * SECONDS_PER_QUARTER
    return work * (1 - 1 / max(cores, 1)) > POOL_START_SECONDS


def executor_for(args, n_runs: int, steps: int) -> Executor | LocalPool | InProcess:
    """Where a sweep's ``n_runs`` runs go: the scheduler named, if one is; a local Dask
    cluster if asked (``--local-cluster``); in this process if asked (``--in-process``) or
    if worker processes would not pay for themselves (``workers_pay``); else worker
    processes of this machine (``LocalPool``)."""
    if args.scheduler:
        return Executor(args.scheduler)
    if getattr(args, "in_process", False):  # (a command may offer neither flag)
        return InProcess("as asked: --in-process")
    if getattr(args, "local_cluster", False):
        return Executor(None, args.workers)
    workers = args.workers or os.cpu_count() or 1
    if not workers_pay(n_runs, steps, workers):
        one = min(workers, os.cpu_count() or 1) <= 1
        return InProcess("one worker would be no faster" if one else "too few to pay for workers")
    return LocalPool(args.workers)


# ------------------------------------------------------------------- progress -------
class Progress:
    """A one-line progress bar on stderr: runs done, rate and time left."""

    def __init__(self, total: int, done: int = 0, stream=None, enabled: bool = True):
        self.total, self.start_done, self.done = total, done, done
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.t0 = time.perf_counter()
        self.last = 0.0

    def update(self, n: int) -> None:
        self.done += n
        now = time.perf_counter()
        if not self.enabled:
            return
        if self.tty or now - self.last >= 10.0 or self.done >= self.total:
            self.last = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        new = self.done - self.start_done
        elapsed = max(now - self.t0, 1e-9)
        rate = new / elapsed
        left = (self.total - self.done) / rate if rate > 0 else math.inf
        frac = self.done / self.total if self.total else 1.0
        bar = "#" * int(30 * frac) + "-" * (30 - int(30 * frac))
        line = (
            f"[{bar}] {self.done:,}/{self.total:,} runs  {rate:,.1f} runs/s  {_duration(left)} left"
        )
        if self.tty:
            self.stream.write("\r" + line + "\033[K")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.tty:
            self.stream.write("\n")
            self.stream.flush()


def _duration(s: float) -> str:
    if not math.isfinite(s):
        return "?"
    s = int(round(s))
    if s >= 3600:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    if s >= 60:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s}s"


# ------------------------------------------------------------------ the folder ------
def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def write_part(folder: Path, name: str, df: pd.DataFrame) -> None:
    """Write one Parquet part atomically (``model.files``). The folder holds thousands of
    parts, so the temporaries of killed writers are removed once, by ``_tidy`` on resume."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False)
    atomic_write(folder / name, lambda tmp: pq.write_table(table, tmp), tidy=False)


def write_manifest(out: Path, manifest: dict) -> None:
    write_bytes(out / MANIFEST, (json.dumps(manifest, indent=1) + "\n").encode())


def read_manifest(
    folder: Path,
    flag: str = "--resume",
    kind: str = "sweep",
    command: str = "sweep",
    fmt: str = FORMAT,
) -> dict:
    """The manifest of a ``kind`` folder (written by ``pax-silica command``, format
    ``fmt``), or one ``CliError`` under ``flag`` saying why it is not one."""
    path = folder / MANIFEST
    article = "an" if kind[0] in "aeiou" else "a"
    if not path.is_file():
        raise CliError(
            f"{flag}: {folder} is not {article} {kind} folder (no {MANIFEST}); expected "
            f"the --out folder of `pax-silica {command}`"
        )
    try:
        m = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise CliError(f"{flag}: {path} is not valid JSON ({e})") from None
    if not isinstance(m, dict) or m.get("format") != fmt:
        raise CliError(f"{flag}: {path} is not {article} {kind} manifest (expected format {fmt!r})")
    return m


@contextlib.contextmanager
def writing(folder: Path, flag: str) -> Iterator[None]:
    """Hold ``folder``'s write lock while the block runs; refuse (``CliError``) if another
    process holds it. A POSIX record lock (``lockf``), not ``flock``: it belongs to this
    process alone, so the Dask workers forked from it do not inherit it and cannot keep it
    held after this process is killed; the OS releases it when its holder exits in any
    way, so a lock file left by a dead sweep never blocks. The file keeps the holder's pid
    for the refusal's message."""
    path = folder / LOCK
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise CliError(
            f"{flag}: cannot write in {folder} ({e.strerror}); expected a writable folder"
        ) from None
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            who = f"process {holder}" if holder.isdigit() else "another process"
            raise CliError(
                f"{flag}: {folder} is being written by {who} (a sweep or a resume); "
                "wait for it to finish, or stop it, then resume"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def unreadable_part(part: Path, e: Exception, folder: Path) -> CliError:
    """The refusal for a part that is not a whole Parquet file (it was damaged after it was
    written: parts are renamed into place whole). It is not removed here: the runs it holds
    are seeded, so removing it and resuming re-runs them exactly, but that is the user's
    call on their own data."""
    remove = "remove it"
    if part.parent.name == SERIES:  # its runs part marks those runs done: that goes too
        remove += f" and {folder / RUNS / part.name}"
    return CliError(
        f"{part}: not a readable Parquet part ({type(e).__name__}: {e}); {remove} and run "
        f"pax-silica sweep --resume {folder}: its runs will be re-run, with the same seeds"
    )


def _git_commit() -> dict:
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        if head.returncode != 0:
            return {"commit": None, "dirty": None}
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        return {"commit": head.stdout.strip(), "dirty": bool(dirty.stdout.strip())}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def _version_of(dist) -> str:
    """A distribution's version from the head of its METADATA file: the same string as
    ``dist.version``, without parsing the whole file as an e-mail message (which costs a
    small sweep more than its runs)."""
    for line in (dist.read_text("METADATA") or "").splitlines():
        if line.startswith("Version:"):
            return line.partition(":")[2].strip()
        if not line:  # the end of the headers
            break
    return dist.version


def _versions() -> dict:
    """The versions of Python and the packages a sweep's results depend on (a copy: the
    caller may keep it in a manifest it changes)."""
    return dict(_read_versions())


@functools.cache
def _read_versions() -> dict:
    """Read once a process: the versions cannot change under it."""
    from importlib import metadata

    out = {"python": platform.python_version()}
    for pkg in (
        "pax-silica",
        "mesa",
        "numpy",
        "scipy",
        "SALib",
        "pandas",
        "pyarrow",
        "dask",
        "distributed",
    ):
        try:
            out[pkg] = _version_of(metadata.distribution(pkg))
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return out


def new_manifest(design: Design, chunk_size: int | None, series: bool) -> dict:
    spec = design.spec
    return {
        "format": FORMAT,
        "package": {"name": "pax-silica", "version": _versions()["pax-silica"]},
        "git": _git_commit(),
        "versions": _versions(),
        "scenario": {
            "ref": spec.scenario,
            "name": design.scenario.name,
            "file": design.scenario_file,
            "file_sha256": design.scenario_file_sha256,
            "overrides": list(spec.set)
            + ([f"steps={spec.steps}"] if spec.steps is not None else []),
            "steps": design.scenario.params["steps"],
        },
        "posterior": None
        if design.posterior is None
        else {
            "ref": spec.posterior,
            "file": str(design.posterior.path),
            "file_sha256": design.posterior_sha256,
            "provenance": design.posterior.provenance,
        },
        **({"scenarios": design.scenario_records} if design.scenario_records else {}),
        "design": design.to_manifest(),
        "design_hash": design.hash,
        "parameter_ranges": {v.name: v.to_dict() for v in spec.vary},
        "seed": spec.seed,
        "seed_rule": SEED_RULE,
        "seeds": design.seeds(),
        "runs_total": design.n_runs,
        "series": series,
        "chunk_size": chunk_size,
        "status": "running",
        "started_at": _now(),
        "finished_at": None,
        "sessions": [],
    }


def _part_name(first_run: int) -> str:
    return f"part-{first_run:09d}.parquet"


def _parts(folder: Path) -> list[Path]:
    return sorted(folder.glob("part-*.parquet")) if folder.is_dir() else []


def done_runs(out: Path, replications: int, n_runs: int) -> set[int]:
    """The run ids already written to ``out/runs``; duplicates, strangers or unreadable
    parts (runs or series) are an error."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    done: set[int] = set()
    for part in _parts(out / SERIES):
        try:
            pq.read_metadata(part)
        except (OSError, pa.ArrowException) as e:
            raise unreadable_part(part, e, out) from None
    for part in _parts(out / RUNS):
        try:
            t = pq.read_table(part, columns=["point", "replication"])
        except (OSError, pa.ArrowException) as e:
            raise unreadable_part(part, e, out) from None
        ids = (
            t.column("point").to_numpy() * replications + t.column("replication").to_numpy()
        ).tolist()
        for i in ids:
            if i in done or not 0 <= i < n_runs:
                what = "twice" if i in done else "outside the design"
                raise CliError(
                    f"--resume: {part} holds run {i} {what}; the folder was changed by hand"
                )
            done.add(i)
    return done


def _tidy(out: Path) -> None:
    """Remove what an interrupted sweep may leave: temporary files, and series parts
    whose runs part was never written (their runs are redone)."""
    for sub in (RUNS, SERIES):
        for tmp in (out / sub).glob(".*.tmp") if (out / sub).is_dir() else []:
            tmp.unlink(missing_ok=True)
    for tmp in out.glob(f".{MANIFEST}.*.tmp"):
        tmp.unlink(missing_ok=True)
    runs = {p.name for p in _parts(out / RUNS)}
    for p in _parts(out / SERIES):
        if p.name not in runs:
            p.unlink()


def default_chunk_size(n_runs: int, workers: int) -> int:
    """About 16 chunks per worker (load balance, progress, little lost to an interrupt),
    at most 100 runs each (a few seconds of work), at least 1."""
    return max(1, min(MAX_CHUNK, math.ceil(n_runs / (max(workers, 1) * 16))))


def _chunks(design: Design, run_ids: list[int], size: int) -> Iterator[list[tuple]]:
    r_total = design.spec.replications
    batch: list[tuple] = []
    for rid in run_ids:
        p, r = divmod(rid, r_total)
        batch.append((p, r, design.seed_of(p, r), design.points[p], design.variant_of(p)))
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def execute(
    design: Design,
    out: Path,
    executor: Executor | LocalPool | InProcess,
    *,
    series: bool = False,
    chunk_size: int | None = None,
    progress: bool = True,
    manifest: dict | None = None,
    done: set[int] | None = None,
) -> dict:
    """Run the runs of ``design`` missing from ``out`` and write them; return figures.
    ``out`` must hold a manifest already (``new_manifest``), and the caller its lock
    (``writing``). ``done``: the runs already written, if the caller has read them
    (after ``_tidy``)."""
    manifest = manifest or read_manifest(out)
    if done is None:
        _tidy(out)
        done = done_runs(out, design.spec.replications, design.n_runs)
    (out / RUNS).mkdir(exist_ok=True)
    if series:
        (out / SERIES).mkdir(exist_ok=True)
    todo = [i for i in range(design.n_runs) if i not in done]
    workers = executor.nthreads()
    size = chunk_size or executor.chunk_size(len(todo))
    session = {
        "started_at": _now(),
        "finished_at": None,
        "runs_before": len(done),
        "runs_written": 0,
        "workers": workers,
        "chunk_size": size,
        "scheduler": executor.where,
    }
    manifest["sessions"].append(session)
    manifest["status"] = "running"
    write_manifest(out, manifest)
    bar = Progress(design.n_runs, len(done), enabled=progress)
    names = design.names
    scenarios = design.run_scenarios
    t0 = time.perf_counter()

    def on_result(task: tuple, result: tuple) -> None:
        runs_df, series_df = result
        name = _part_name(
            int(runs_df["point"].iloc[0]) * design.spec.replications
            + int(runs_df["replication"].iloc[0])
        )
        if series_df is not None:
            write_part(out / SERIES, name, series_df)  # series first: runs mark it done
        write_part(out / RUNS, name, runs_df)
        session["runs_written"] += len(runs_df)
        bar.update(len(runs_df))

    tasks = (
        (scenarios, chunk, names, series, design.posterior) for chunk in _chunks(design, todo, size)
    )
    status = "interrupted"
    try:
        executor.map_chunks(run_chunk, tasks, on_result)
        status = "complete"
    except KeyboardInterrupt:
        raise
    except BaseException:
        status = "failed"
        raise
    finally:
        bar.close()
        session["finished_at"] = _now()
        manifest["status"] = status
        if status == "complete":
            manifest["finished_at"] = session["finished_at"]
        with contextlib.suppress(OSError):
            write_manifest(out, manifest)
    seconds = time.perf_counter() - t0
    return {
        "runs_total": design.n_runs,
        "runs_before": len(done),
        "runs_written": session["runs_written"],
        "seconds": seconds,
        "startup_seconds": executor.startup_seconds,
        "workers": workers,
        "chunk_size": size,
    }


# -------------------------------------------------------------------- results -------
def _read_parts(parts: list[Path], columns: list[str] | None, folder: Path) -> pd.DataFrame:
    """The parts as one DataFrame; a part that does not read is named in the error."""
    import pyarrow as pa
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    try:
        return (
            ds.dataset([str(p) for p in parts], format="parquet")
            .to_table(columns=columns)
            .to_pandas()
        )
    except (OSError, pa.ArrowException) as first:
        for part in parts:  # which one? (only on this path: reading each is slower)
            try:
                pq.read_table(part, columns=columns)
            except (OSError, pa.ArrowException) as e:
                raise unreadable_part(part, e, folder) from None
        raise first


def _refuse_duplicates(df: pd.DataFrame, keys: list[str], folder: Path, what: str) -> None:
    """Each run (or run quarter) once: two rows of one are two writers of one folder (or a
    part copied in by hand), and a count or a mean over them would be silently wrong."""
    dup = df.duplicated(keys, keep=False)
    if dup.any():
        first = df.loc[dup, keys].iloc[0]
        times = int((df[keys] == first).all(axis=1).sum())
        at = ", ".join(f"{k} {int(first[k])}" for k in keys)
        extra = int(df.duplicated(keys).sum())
        raise CliError(
            f"{folder}: {extra:,} duplicate {what} (e.g. {at} is there {times} times); "
            "expected each once: "
            "the folder was written by two sweeps at once or changed by hand; remove the "
            "parts that repeat runs, or run the sweep again with --out"
        )


def load_results(folder: str | Path, columns: list[str] | None = None) -> pd.DataFrame:
    """Every run of a sweep folder, one row each, sorted by (point, replication); an error
    if a part is unreadable or a run is there twice."""
    folder = Path(folder)
    parts = _parts(folder / RUNS)
    if not parts:
        return pd.DataFrame(columns=columns or KEY_COLUMNS)
    cols = None if columns is None else list(dict.fromkeys(["point", "replication", *columns]))
    df = _read_parts(parts, cols, folder)
    _refuse_duplicates(df, ["point", "replication"], folder, "run rows")
    df = df.sort_values(["point", "replication"], kind="stable").reset_index(drop=True)
    return df if columns is None else df[columns]


def load_series(folder: str | Path, columns: list[str] | None = None) -> pd.DataFrame:
    """Every quarter of every run (``--series``), sorted by (point, replication, quarter);
    an error if a part is unreadable or a quarter of a run is there twice."""
    folder = Path(folder)
    runs = {p.name for p in _parts(folder / RUNS)}
    parts = [p for p in _parts(folder / SERIES) if p.name in runs]
    if not parts:
        raise CliError(f"{folder}: no per-quarter series (run the sweep with --series)")
    keys = ["point", "replication", "quarter"]
    cols = None if columns is None else list(dict.fromkeys([*keys, *columns]))
    df = _read_parts(parts, cols, folder)
    _refuse_duplicates(df, keys, folder, "series rows")
    df = df.sort_values(keys, kind="stable").reset_index(drop=True)
    return df if columns is None else df[columns]


# ------------------------------------------------------------ command line ----------
def register(sub, add_scenario_args) -> None:
    p = sub.add_parser(
        "sweep",
        help="run a scenario over a design of parameter values, on Dask",
        description="Run a scenario over a design of parameter values with replications, on a "
        "local Dask cluster or an existing one (a sweep too small to pay for starting workers "
        "runs in this process), writing a Parquet dataset folder.",
    )
    add_scenario_args(p)
    add_posterior_arg(p)
    p.set_defaults(scenario=None)
    p.add_argument(
        "--vary",
        action="append",
        default=[],
        metavar="NAME=LOW:HIGH|A,B,C",
        help="a parameter to vary over a range or a list of values (repeatable); "
        "scenario=A,B (presets or .toml paths) varies the scenario; with no --vary, "
        "the sweep is the replications of one point",
    )
    p.add_argument("--design", choices=DESIGNS, help="grid (default), lhs, sobol or morris")
    p.add_argument(
        "--samples",
        type=positive_int,
        help="lhs: points; sobol: base sample N (power of 2); morris: trajectories",
    )
    p.add_argument(
        "--levels",
        type=positive_int,
        help="grid: values per range (default 3); morris: levels (default 4)",
    )
    p.add_argument("--replications", type=positive_int, help="runs per point (default 1)")
    p.add_argument("--seed", type=natural_int, help="master seed of the sweep (default 0)")
    p.add_argument(
        "--design-seed",
        type=natural_int,
        help="seed of the lhs/sobol/morris sampler (default: --seed)",
    )
    p.add_argument(
        "--second-order",
        action="store_true",
        default=None,
        help="sobol: also second-order indices (N * (2D + 2) points)",
    )
    p.add_argument("--steps", type=positive_int, help="quarters per run (default: scenario's)")
    p.add_argument(
        "--design-file",
        type=Path,
        help="a TOML file with any of scenario, vary, design, samples, levels, "
        "replications, seed, design_seed, steps, set (flags override it)",
    )
    p.add_argument("--out", type=Path, help="a new (or empty) folder for the results")
    p.add_argument(
        "--resume",
        type=Path,
        metavar="DIR",
        help="continue an interrupted sweep in DIR (runs only what is missing)",
    )
    p.add_argument(
        "--series",
        action="store_true",
        default=None,
        help="also write every quarter of every run to DIR/series/",
    )
    p.add_argument(
        "--workers",
        type=positive_int,
        help="worker processes on this machine (default: one per core)",
    )
    p.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="use a running Dask scheduler instead of this machine's cores",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--in-process",
        action="store_true",
        help="run every run in this process, with no workers (the default for a sweep too "
        "small to pay for starting them)",
    )
    where.add_argument(
        "--local-cluster",
        action="store_true",
        help="run on a local Dask cluster (its dashboard, its nannies), whatever the "
        "sweep's size, instead of worker processes of the sweep's own",
    )
    p.add_argument(
        "--chunk-size",
        type=positive_int,
        help="runs per task (default: about 16 tasks per worker, at most 100)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    add_catalogue_arg(p)
    p.set_defaults(func=run)


# The flags that say how a design is made: every key a design file may hold (``set`` is
# the flag ``--set``, held in ``args.overrides``), and the design file itself.
DESIGN_FLAGS = (*sorted(DESIGN_FILE_KEYS - {"set"}), "design_file")


def _design_flags_given(args) -> bool:
    return any(getattr(args, k) not in (None, []) for k in DESIGN_FLAGS) or bool(args.overrides)


def spec_from_args(args) -> tuple[DesignSpec, str | None]:
    """The design asked for: defaults, then the design file, then the flags."""
    spec, source = DesignSpec(), None
    if args.design_file is not None:
        spec, _ = read_design_file(args.design_file)
        source = str(args.design_file)
    if args.scenario is not None:
        s = args.scenario
        spec.scenario = str(Path(s).resolve()) if is_path(s) and Path(s).is_file() else s
    if args.overrides:
        spec.set = list(spec.set) + list(args.overrides)
    scen_vary = [t for t in args.vary if is_scenario_vary(t)]
    if len(scen_vary) > 1:
        raise DesignError("--vary", "scenario is varied twice; expected it once")
    if scen_vary:
        if args.scenario is not None:
            raise DesignError(
                "--scenario",
                "not with --vary scenario=... (the scenarios are varied); expected one of them",
            )
        spec.scenarios = scenario_refs(scen_vary[0].split("=", 1)[1])
        spec.scenario = spec.scenarios[0]
    elif args.scenario is not None:
        spec.scenarios = []  # --scenario replaces a design file's varied scenarios
    params_vary = [t for t in args.vary if not is_scenario_vary(t)]
    if params_vary:
        cli = [parse_vary(t) for t in params_vary]
        names = {v.name for v in cli}
        if len(names) < len(cli):
            dup = next(v.name for v in cli if [w.name for w in cli].count(v.name) > 1)
            raise DesignError("--vary", f"{dup} is varied twice; expected each parameter once")
        spec.vary = [v for v in spec.vary if v.name not in names] + cli
    for k in (
        "design",
        "samples",
        "levels",
        "replications",
        "seed",
        "design_seed",
        "steps",
        "posterior",
    ):
        if getattr(args, k) is not None:
            setattr(spec, k, getattr(args, k))
    if args.second_order:
        spec.second_order = True
    return spec, source


def _check_where(args) -> None:
    """``--in-process`` and ``--local-cluster`` against the flags that name workers."""
    if args.in_process and (args.scheduler or args.workers):
        flag = "--scheduler" if args.scheduler else "--workers"
        raise CliError(f"{flag}: names workers; --in-process runs every run here, with none")
    if args.local_cluster and args.scheduler:
        raise CliError(
            "--local-cluster: not with --scheduler (the sweep then runs on that cluster)"
        )


def _check_scheduler(args) -> None:
    if args.scheduler and args.workers:
        raise CliError(
            "--workers: sets the size of the local cluster; with --scheduler "
            "the cluster's own workers are used (start them with `dask worker`)"
        )
    if args.scheduler:
        a = args.scheduler.strip()
        if "://" not in a:
            a = f"tcp://{a}"
        if not re.fullmatch(r"(tcp|tls|inproc|ws|wss|ucx)://[^\s/:]+(:\d{1,5})?", a):
            raise CliError(f"--scheduler: expected tcp://HOST:PORT, got {args.scheduler!r}")
        args.scheduler = a


def _is_empty(out: Path) -> bool:
    return not any(p.name != LOCK for p in out.iterdir())


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise CliError(f"--out: {out} is a file; expected a new or empty folder")
    if out.is_dir() and not _is_empty(out):
        hint = f"; to continue that sweep use --resume {out}" if (out / MANIFEST).exists() else ""
        raise CliError(f"--out: {out} is not empty; expected a new or empty folder{hint}")
    parent = out.resolve().parent
    if parent.exists() and not parent.is_dir():
        raise CliError(f"--out: {parent} is a file; expected {out} to be a folder path")
    if not parent.is_dir():
        raise CliError(f"--out: the folder {parent} does not exist")
    try:
        out.mkdir(exist_ok=True)
    except OSError as e:
        raise CliError(
            f"--out: cannot create {out} ({e.strerror}); expected a writable place"
        ) from None


def run(args) -> int:
    _check_scheduler(args)
    _check_where(args)
    if args.resume is not None and args.out is not None:
        raise CliError("--out: not with --resume (the sweep continues in its own folder)")
    if args.resume is None and args.out is None:
        raise CliError(
            "--out: missing; expected a new folder for the results (or --resume "
            "DIR to continue a sweep)"
        )
    if args.resume is not None:
        return _resume(args)
    spec, source = spec_from_args(args)
    design = resolve(spec, source)
    _check_out(args.out)
    series = bool(args.series)
    with writing(args.out, "--out"):
        if not _is_empty(args.out):  # another sweep started here between the check and the lock
            raise CliError(f"--out: {args.out} is not empty; expected a new or empty folder")
        manifest = new_manifest(design, args.chunk_size, series)
        try:
            write_manifest(args.out, manifest)
        except OSError as e:
            raise CliError(f"--out: cannot write in {args.out} ({e.strerror})") from None
        steps = design.max_steps
        with executor_for(args, design.n_runs, steps) as ex:
            return _go(design, args.out, ex, series, args, manifest)


def design_from_manifest(manifest: dict, folder: Path) -> Design:
    try:
        spec = DesignSpec.from_dict(manifest["design"]["spec"])
    except (KeyError, TypeError, ValueError) as e:
        raise CliError(f"--resume: {folder / MANIFEST} has no readable design ({e})") from None
    try:
        design = resolve(spec)
    except DesignError as e:
        raise CliError(
            f"--resume: the design in {folder / MANIFEST} no longer loads: {e}"
        ) from None
    if design.hash != manifest.get("design_hash"):
        raise CliError(
            f"--resume: the design in {folder / MANIFEST} no longer gives the "
            f"same runs (design hash {manifest.get('design_hash')}, now "
            f"{design.hash}): its scenario file or a sampling library changed "
            "since the sweep started; start a new sweep with --out"
        )
    return design


def _flag(field: str) -> str:
    return "--vary scenario" if field == "scenarios" else f"--{field.replace('_', '-')}"


def _shown(field: str, value: Any) -> str:
    if value is None:
        return "none"
    if field == "vary":
        return " ".join(v.text() for v in value) or "none"
    if field == "set":
        return " ".join(value) or "none"
    if field == "scenarios":
        return ",".join(value) or "none"
    return str(value).lower() if isinstance(value, bool) else str(value)


def resume_differences(args, sweep: DesignSpec) -> list[str]:
    """The design flags given to ``--resume`` whose value differs from the sweep's, each as
    "--flag: the sweep's X, given Y". Only the flags given are compared (and a design file's
    keys), each laid over the sweep's own spec and normalized like it (if they fit it at all),
    so repeating the sweep's command, or part of it, resumes; anything else names what
    differs."""
    asked, _ = spec_from_args(args)
    given = {k for k in DESIGN_FLAGS if k != "design_file" and getattr(args, k) not in (None, [])}
    if args.overrides:
        given.add("set")
    if args.design_file is not None:
        _, keys = read_design_file(args.design_file)
        given |= keys & set(DesignSpec.__dataclass_fields__)
    if given & {"vary", "scenario"}:  # the scenarios are varied with --vary scenario=...
        given |= {"scenario", "scenarios"}
    merged = DesignSpec.from_dict(sweep.to_dict())
    for k in given:
        setattr(merged, k, getattr(asked, k))
    with contextlib.suppress(DesignError):  # the flags do not fit the sweep's design
        check_spec(merged)  # defaults filled in as in the sweep's spec
    return [
        f"{_flag(k)}: the sweep's {_shown(k, was)}, given {_shown(k, now)}"
        for k in DesignSpec.__dataclass_fields__
        if (was := getattr(sweep, k)) != (now := getattr(merged, k))
    ]


def _resume(args) -> int:
    folder = args.resume
    manifest = read_manifest(folder)
    design = design_from_manifest(manifest, folder)
    if _design_flags_given(args):
        diff = resume_differences(args, design.spec)
        if diff:
            raise CliError(
                f"--resume: the design differs from the sweep in {folder} (design hash "
                f"{design.hash}): "
                f"{'; '.join(diff)}; resume with the same design flags (or none: the "
                "manifest's design is used), or start a new sweep with --out"
            )
    series = bool(manifest.get("series"))
    if args.series and not series:
        raise CliError(
            f"--series: the sweep in {folder} was started without series; "
            "resume it without --series"
        )
    with writing(folder, "--resume"):
        _tidy(folder)
        done = done_runs(folder, design.spec.replications, design.n_runs)
        manifest = read_manifest(folder)  # as the last writer left it
        steps = design.max_steps
        with executor_for(args, design.n_runs - len(done), steps) as ex:
            return _go(design, folder, ex, series, args, manifest, done)


def _go(
    design: Design,
    out: Path,
    ex: Executor | LocalPool | InProcess,
    series: bool,
    args,
    manifest: dict,
    done: set[int] | None = None,
) -> int:
    def on_term(signum, frame):
        raise KeyboardInterrupt

    register_study("sweep", out, manifest, args)  # listed as partial until it completes
    restore = signal.signal(signal.SIGTERM, on_term)
    try:
        figures = execute(
            design,
            out,
            ex,
            series=series,
            chunk_size=args.chunk_size,
            progress=not args.no_progress,
            manifest=manifest,
            done=done,
        )
    except KeyboardInterrupt:
        written = len(done_runs(out, design.spec.replications, design.n_runs))
        print(
            f"interrupted: {written:,} of {design.n_runs:,} runs are in {out}; continue "
            f"with: pax-silica sweep --resume {out}",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    except Exception as e:  # a run raised, or the cluster failed (e.g. KilledWorker)
        written = len(done_runs(out, design.spec.replications, design.n_runs))
        print(
            f"error: the sweep stopped: {type(e).__name__}: {e}; {written:,} of "
            f"{design.n_runs:,} runs are in {out}; continue with: pax-silica sweep "
            f"--resume {out}",
            file=sys.stderr,
        )
        return 1
    finally:
        signal.signal(signal.SIGTERM, restore)
        register_study("sweep", out, manifest, args)
    print(summary(design, out, figures, ex))
    return 0


def summary(design: Design, out: Path, f: dict, ex: Executor | LocalPool | InProcess) -> str:
    spec = design.spec
    which = (
        f"scenarios {', '.join(repr(k) for k in design.scenarios)}"
        if design.scenarios
        else f"scenario {design.scenario.name!r}"
    )
    lines = [
        f"Sweep complete: {design.n_runs:,} runs ({design.n_points:,} point"
        f"{'s' if design.n_points != 1 else ''} x {spec.replications} replications, "
        f"{spec.design} design) of {which} in {out}"
    ]
    if f["runs_before"] and not f["runs_written"]:
        lines.append(
            f"  resumed: all {f['runs_before']:,} runs were already written; nothing to run"
        )
    elif f["runs_before"]:
        lines.append(
            f"  resumed: {f['runs_before']:,} runs were already written; "
            f"{f['runs_written']:,} run now"
        )
    rate = f["runs_written"] / f["seconds"] if f["seconds"] > 0 else 0.0
    if f["runs_written"] and isinstance(ex, InProcess):
        lines.append(
            f"  {f['runs_written']:,} runs {ex.describe()}: {f['seconds']:.1f} s "
            f"({rate:,.1f} runs/s)"
        )
    elif f["runs_written"]:
        lines.append(
            f"  {f['runs_written']:,} runs in {f['seconds']:.1f} s ({rate:,.1f} "
            f"runs/s) on {ex.describe(f['workers'])}, {f['chunk_size']} runs per "
            "task"
        )
    df = load_results(out, columns=["event_observed"])
    if len(df):
        lines.append(
            f"  collapsed in {df['event_observed'].mean():.1%} of runs; results: "
            f"load_results({str(out)!r}) or `pax-silica analyze survival {out}`"
        )
    return "\n".join(lines)
