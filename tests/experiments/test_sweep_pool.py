"""Sweeps on worker processes of this machine (``LocalPool``, the default for a sweep big
enough to pay for them): the same rows and series as in process, bit for bit, without
importing Dask; a worker killed mid-sweep and the sweep still whole; a task that fails;
workers that keep dying; Ctrl-C is in ``test_sweep_dask.py``
(``test_ctrl_c_stops_cleanly_and_resume_hint``).

Small sweeps (8 quarters, 50 investors): the point is the machinery, not the model."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from experiments.cli import main
from experiments.sweep import LocalPool, WorkersLost, load_results, load_series
from tests.dask_cluster import kill as _kill
from tests.small_sweeps import DESIGN, N_RUNS, run_command
from tests.small_sweeps import parts as _parts

ROOT = Path(__file__).resolve().parents[2]
PAX = [sys.executable, "-m", "experiments.cli"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The same sweep in process, with series."""
    out = tmp_path_factory.mktemp("ref") / "sweep"
    assert main(["sweep", *DESIGN, "--series", "--in-process", "--out", str(out)]) == 0
    return out


def _assert_same(out: Path, reference: Path) -> None:
    got = load_results(out)
    assert len(got) == N_RUNS and not got.duplicated(["point", "replication"]).any()
    pd.testing.assert_frame_equal(got, load_results(reference))
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"
    assert not list(out.rglob(".*.tmp"))


def test_the_default_sweep_runs_on_worker_processes_without_dask(reference, tmp_path):
    out = tmp_path / "sweep"
    lines, modules = run_command(["sweep", *DESIGN, "--series", "--out", str(out)], timeout=300)
    assert any("on 2 worker processes on this machine" in line for line in lines), lines
    assert not [m for m in ("dask", "distributed") if m in modules]
    _assert_same(out, reference)
    pd.testing.assert_frame_equal(load_series(out), load_series(reference))
    session = json.loads((out / "manifest.json").read_text())["sessions"][0]
    assert session["scheduler"] == "local" and session["workers"] == 2


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(x) for x in text.split()]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_worker_killed_mid_sweep_is_replaced_and_the_sweep_is_whole(reference, tmp_path):
    out = tmp_path / "sweep"
    p = subprocess.Popen(
        [*PAX, "sweep", *DESIGN, "--workers", "2", "--chunk-size", "1", "--out", str(out)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.time() + 120
        while _parts(out) < 10 or len(_children(p.pid)) < 2:
            assert p.poll() is None, "the sweep ended before the kill"
            assert time.time() < deadline
            time.sleep(0.01)
        victim = _children(p.pid)[0]
        os.kill(victim, signal.SIGKILL)
        killed_at = _parts(out)
        _, err = p.communicate(timeout=180)
    finally:
        _kill(p)
    assert p.returncode == 0, err
    assert killed_at < N_RUNS
    _assert_same(out, reference)


def _add(a: int, b: int) -> int:
    return a + b


def _fail(x: int) -> int:
    if x == 3:
        raise ValueError("run 3 is broken")
    return x


def _sleep(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def _die(x: int) -> int:
    os._exit(1)  # the worker dies, as one killed or out of memory would


def test_every_task_runs_once_and_reaches_its_result():
    seen: dict = {}
    with LocalPool(2) as pool:
        pool.map_chunks(_add, [(i, 10 * i) for i in range(30)], seen.__setitem__)
    assert seen == {(i, 10 * i): 11 * i for i in range(30)}
    assert pool.pool is None  # shut down on leaving


def test_a_failing_task_stops_the_pool_with_its_error():
    done = []
    with LocalPool(2) as pool, pytest.raises(ValueError, match="run 3 is broken"):
        pool.map_chunks(_fail, [(i,) for i in range(8)], lambda t, r: done.append(r), 1)
    assert done == [0, 1, 2] and pool.pool is None


def test_workers_that_keep_dying_give_up_after_a_few_restarts():
    with LocalPool(1) as pool, pytest.raises(WorkersLost, match="died 4 times"):
        pool.map_chunks(_die, [(1,)], lambda t, r: None)
    assert pool.pool is None


def test_stopping_the_pool_ends_its_workers_mid_task():
    """After an error or Ctrl-C the workers are ended at once, not after their chunks."""
    pool = LocalPool(2).__enter__()
    workers = list(pool.pool._processes.values())
    pool.pool.submit(_sleep, 60)
    t = time.perf_counter()
    pool.close(stop=True)
    assert time.perf_counter() - t < 10 and pool.pool is None
    assert all(not w.is_alive() for w in workers)


def test_criticality_runs_on_worker_processes_as_on_the_cluster(capsys, monkeypatch):
    """``analyze criticality`` without --scheduler goes where a sweep of as many runs
    would: 12 x 6 runs of 8 quarters, on the worker processes."""
    used = []
    real = LocalPool.map_chunks
    monkeypatch.setattr(LocalPool, "map_chunks", lambda self, *a: used.append(1) or real(self, *a))
    argv = ["analyze", "criticality", "--replications", "6", "--steps", "8", "--workers", "2"]
    argv += ["--set", "n_investors=50", "--format", "csv", "--no-progress"]
    assert main(argv) == 0
    assert used == [1]
    t = pd.read_csv(pd.io.common.StringIO(capsys.readouterr().out))
    assert len(t) == 11 and "USA" not in set(t["member"])
    assert list(t["rank"]) == list(range(1, 12)) and t["survival_drop"].is_monotonic_decreasing
