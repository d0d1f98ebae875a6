"""A sweep too small to pay for starting workers runs in this process: the cut-off
(``workers_pay``), the choice it makes (``executor_for``), the summary line that says so,
and no Dask imported on that path. That its rows are the cluster's, bit for bit, is in
``test_sweep_dask.py`` (``test_in_process_gives_the_same_results``); the worker processes'
(``LocalPool``) in ``test_sweep_pool.py``."""

from __future__ import annotations

import argparse

import pytest

from experiments import sweep
from experiments.sweep import Executor, InProcess, LocalPool, executor_for, workers_pay
from tests.small_sweeps import run_command


@pytest.fixture(autouse=True)
def two_cores(monkeypatch):
    """The cut-off counts the cores (a worker beyond them saves nothing): 2 here, as where
    it was measured, whatever this machine has."""
    monkeypatch.setattr(sweep.os, "cpu_count", lambda: 2)


def test_the_issues_small_sweep_runs_in_process():
    """The benchmark's small sweep, 20 runs of 8 quarters: what two workers cost (forking,
    then copying the pages they touch) outweighs what they would save; 100 runs of the
    default 40 quarters are worth the workers."""
    assert not workers_pay(20, 8, 2)
    assert workers_pay(100, 40, 2)


def test_the_cut_off_is_in_run_quarters():
    """A run's time is its quarters': 5 runs of 8 quarters weigh as 1 run of 40."""
    for n in range(1, 200):
        assert workers_pay(5 * n, 8, 2) == workers_pay(n, 40, 2)


def test_the_cut_off_sits_where_start_up_equals_the_saving():
    """On 2 workers half the work is saved: the cut-off is 2 x start-up / cost a quarter."""
    quarters = 2 * sweep.POOL_START_SECONDS / sweep.SECONDS_PER_QUARTER
    below, above = int(quarters * 0.99) // 40, int(quarters * 1.01) // 40 + 1
    assert not workers_pay(below, 40, 2) and workers_pay(above, 40, 2)


def test_one_worker_never_pays(monkeypatch):
    assert not workers_pay(10**6, 400, 1)
    monkeypatch.setattr(sweep.os, "cpu_count", lambda: 1)  # 8 workers on one core: one
    assert not workers_pay(10**6, 400, 8)
    monkeypatch.setattr(sweep.os, "cpu_count", lambda: 8)
    assert workers_pay(10**6, 400, 8)


def _args(**given) -> argparse.Namespace:
    flags = {"scheduler": None, "workers": None, "in_process": False, "local_cluster": False}
    return argparse.Namespace(**{**flags, **given})


@pytest.mark.parametrize(
    "given,n_runs,kind,reason",
    [
        ({}, 5, InProcess, "too few to pay for workers"),
        ({}, 20, LocalPool, None),
        ({"workers": 1}, 10**6, InProcess, "one worker would be no faster"),
        ({"in_process": True}, 10**6, InProcess, "as asked: --in-process"),
        ({"local_cluster": True}, 20, Executor, None),
        ({"scheduler": "tcp://127.0.0.1:8786"}, 20, Executor, None),
    ],
)
def test_where_the_runs_go(given, n_runs, kind, reason):
    ex = executor_for(_args(**given), n_runs, 40)  # chosen, not started
    assert type(ex) is kind
    if reason:
        assert ex.describe() == f"in process ({reason})"


def test_a_big_sweep_goes_to_worker_processes_and_the_dask_cluster_only_if_asked():
    ex = executor_for(_args(), 10**4, 40)
    assert type(ex) is LocalPool and ex.workers == 2 and ex.describe().startswith("2 worker")
    ex = executor_for(_args(local_cluster=True), 10**4, 40)
    assert type(ex) is Executor and ex.scheduler is None


def test_in_process_runs_every_task_in_order():
    seen = []
    InProcess("test").map_chunks(lambda a, b: a + b, [(1, 2), (3, 4)], lambda t, r: seen.append(r))
    assert seen == [3, 7]


# A small sweep run as `pax-silica sweep` runs it, in a fresh interpreter with two cores
# (``tests.small_sweeps.CHILD``): its summary, and which modules it imported.


def test_a_small_sweep_says_it_ran_in_process_and_never_imports_dask(tmp_path):
    argv = ["sweep", "--vary", "pressure_intensity=1:2", "--levels", "2", "--replications"]
    argv += ["2", "--steps", "4", "--set", "n_investors=50", "--no-progress"]
    out, modules = run_command([*argv, "--out", str(tmp_path / "s")], timeout=120)
    assert any(
        line.startswith("  4 runs in process (too few to pay for workers): ") for line in out
    )
    assert not [m for m in ("dask", "distributed") if m in modules]
