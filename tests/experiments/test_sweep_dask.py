"""Sweeps on Dask: the local default, a scheduler and workers started as separate processes
on 127.0.0.1, a worker killed mid-sweep, the sweep process killed and resumed, Ctrl-C.
Every finished sweep must hold the same rows as the local one, each run exactly once.

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
from experiments.sweep import load_results, load_series, run_chunk
from tests.dask_cluster import kill as _kill
from tests.dask_cluster import running_cluster
from tests.small_sweeps import DESIGN, N_RUNS
from tests.small_sweeps import parts as _parts

ROOT = Path(__file__).resolve().parents[2]
PAX = [sys.executable, "-m", "experiments.cli"]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A Dask scheduler and two named workers, each its own process (group)."""
    with running_cluster(tmp_path_factory.mktemp("dask"), ("w1", "w2")) as c:
        yield c


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The sweep on a LocalCluster of one worker per core, with series (``--local-cluster``:
    the machinery under test, whatever a sweep of this size would choose by itself)."""
    out = tmp_path_factory.mktemp("ref") / "sweep"
    assert main(["sweep", *DESIGN, "--series", "--local-cluster", "--out", str(out)]) == 0
    return out


def _assert_same(out: Path, reference: Path) -> None:
    got, want = load_results(out), load_results(reference)
    assert len(got) == N_RUNS
    assert not got.duplicated(["point", "replication"]).any()
    pd.testing.assert_frame_equal(got, want)
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "complete"
    assert m["design_hash"] == json.loads((reference / "manifest.json").read_text())["design_hash"]
    assert not list(out.rglob(".*.tmp"))


def test_local_default(reference):
    df = load_results(reference)
    assert len(df) == N_RUNS and list(df.columns[:5]) == [
        "point",
        "replication",
        "seed",
        "pressure_intensity",
        "invitations",
    ]
    assert (df.groupby("point").size() == 20).all()
    m = json.loads((reference / "manifest.json").read_text())
    assert m["seeds"] == [df[df.point == p].seed.tolist() for p in range(10)]
    for key in (
        "package",
        "git",
        "scenario",
        "design",
        "design_hash",
        "seed_rule",
        "parameter_ranges",
        "started_at",
        "finished_at",
    ):
        assert m[key] is not None, key
    assert m["scenario"]["file_sha256"] and m["design"]["n_runs"] == N_RUNS
    s = load_series(reference)
    assert len(s) == (df["quarters_run"] + 1).sum()  # the initial state and every quarter
    last = s.groupby(["point", "replication"]).tail(1).reset_index(drop=True)
    assert (last["members"].to_numpy() == df["final_members"].to_numpy()).all()


def test_in_process_gives_the_same_results(reference, tmp_path, capsys):
    """The same sweep with no workers at all: the same rows and series, bit for bit."""
    out = tmp_path / "sweep"
    assert main(["sweep", *DESIGN, "--series", "--in-process", "--out", str(out)]) == 0
    assert f"{N_RUNS} runs in process (as asked: --in-process)" in capsys.readouterr().out
    _assert_same(out, reference)
    pd.testing.assert_frame_equal(load_series(out), load_series(reference))
    assert json.loads((out / "manifest.json").read_text())["sessions"][0]["scheduler"] == (
        "in-process"
    )


def test_external_scheduler_gives_the_same_results(cluster, reference, tmp_path):
    out = tmp_path / "sweep"
    assert (
        main(
            [
                "sweep",
                *DESIGN,
                "--scheduler",
                cluster["address"],
                "--chunk-size",
                "7",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    _assert_same(out, reference)


def test_sweep_killed_then_resumed(cluster, reference, tmp_path):
    out = tmp_path / "sweep"
    p = subprocess.Popen(
        [*PAX, "sweep", *DESIGN, "--workers", "1", "--local-cluster", "--chunk-size", "1"]
        + ["--out", str(out)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.time() + 120
        while _parts(out) < 30:
            assert p.poll() is None, "the sweep ended before it could be killed"
            assert time.time() < deadline
            time.sleep(0.02)
    finally:
        _kill(p)  # SIGKILL to the sweep and its local cluster
    written = _parts(out)
    assert 30 <= written < N_RUNS
    assert json.loads((out / "manifest.json").read_text())["status"] == "running"
    partial = load_results(out)
    assert main(["sweep", "--resume", str(out), "--scheduler", cluster["address"]]) == 0
    _assert_same(out, reference)
    # the runs written before the kill are untouched
    pd.testing.assert_frame_equal(
        load_results(out).merge(partial[["point", "replication"]]), partial
    )
    m = json.loads((out / "manifest.json").read_text())
    assert [s["runs_before"] for s in m["sessions"]] == [0, len(partial)]


def test_resume_of_a_finished_sweep_runs_nothing(cluster, reference, tmp_path, capsys):
    import shutil

    out = tmp_path / "copy"
    shutil.copytree(reference, out)
    mtimes = {p: p.stat().st_mtime_ns for p in (out / "runs").iterdir()}
    assert main(["sweep", *DESIGN, "--resume", str(out), "--scheduler", cluster["address"]]) == 0
    assert "nothing to run" in capsys.readouterr().out
    assert {p: p.stat().st_mtime_ns for p in (out / "runs").iterdir()} == mtimes


def test_criticality_on_the_cluster(cluster, capsys):
    assert (
        main(
            [
                "analyze",
                "criticality",
                "--scheduler",
                cluster["address"],
                "--replications",
                "2",
                "--steps",
                "8",
                "--set",
                "n_investors=50",
                "--format",
                "csv",
                "--no-progress",
            ]
        )
        == 0
    )
    t = pd.read_csv(pd.io.common.StringIO(capsys.readouterr().out))
    assert len(t) == 11 and "USA" not in set(t["member"])  # every signatory but the leader
    assert list(t["rank"]) == list(range(1, 12))
    assert t["survival_drop"].is_monotonic_decreasing


def test_worker_killed_mid_sweep(cluster, reference, tmp_path):
    """Runs last: it kills worker w2 while it holds work; w1 finishes the sweep."""
    client = cluster["client"]
    w2, deadline = None, time.time() + 60
    while w2 is None:  # under heavy load a worker can drop out briefly and reconnect
        info = client.scheduler_info(n_workers=-1)["workers"]
        w2 = next((a for a, w in info.items() if w["name"] == "w2"), None)
        assert w2 is not None or time.time() < deadline, "worker w2 never (re)joined"
        time.sleep(0.0 if w2 else 0.5)
    out = tmp_path / "sweep"
    p = subprocess.Popen(
        [
            *PAX,
            "sweep",
            *DESIGN,
            "--scheduler",
            cluster["address"],
            "--chunk-size",
            "1",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.time() + 120
        while not (_parts(out) >= 10 and client.processing(workers=[w2]).get(w2)):
            assert p.poll() is None, "the sweep ended before the kill"
            assert time.time() < deadline
            time.sleep(0.01)
        _kill(cluster["workers"]["w2"])
        killed_at = _parts(out)
        out_text, err = p.communicate(timeout=180)
    finally:
        _kill(p)
    assert p.returncode == 0, err
    assert killed_at < N_RUNS
    _assert_same(out, reference)


def test_lean_runs_give_the_same_outcomes():
    """Without --series the data collector is skipped; outcomes must not change."""
    from model.scenario import load_scenario

    scen = load_scenario("baseline", ["steps=12", "n_investors=50"])
    runs = [(0, r, 100 + r, {"pressure_intensity": 2.5}, "") for r in range(3)]
    lean, none = run_chunk({"": scen}, runs, ["pressure_intensity"], series=False)
    full, series = run_chunk({"": scen}, runs, ["pressure_intensity"], series=True)
    assert none is None and len(series) == 3 * 13
    pd.testing.assert_frame_equal(lean, full)


def test_a_model_without_collector_says_so_and_shares_its_ties():
    """collect=False: no series (a clear error if asked for one); the tie network is built
    once per process and cannot be changed in place by one model under another."""
    from model.model import PaxSilicaModel

    a = PaxSilicaModel("baseline", rng=1, steps=2, n_investors=50, collect=False)
    b = PaxSilicaModel("baseline", rng=2, steps=2, n_investors=50)
    a.run()
    with pytest.raises(RuntimeError, match="collect=False"):
        a.datacollector.get_model_vars_dataframe()
    assert len(b.datacollector.get_model_vars_dataframe()) == 1
    assert a.ties is b.ties and a.tie_matrix is b.tie_matrix
    import networkx as nx  # the graph is the matrix's ties (one rule: model.world.tie_matrix)

    order = [s.code for s in a.states]
    assert (nx.to_numpy_array(a.ties, nodelist=order, weight="weight") == a.tie_matrix).all()
    with pytest.raises(ValueError):
        a.tie_matrix[0, 1] = 0.0
    with pytest.raises(Exception, match="[Ff]rozen"):
        a.ties.add_edge("USA", "CHN")


def test_local_workers_are_forked_on_linux_unless_dask_is_told_otherwise(monkeypatch):
    import dask

    from experiments.sweep import START_METHOD_KEY, local_start_method

    monkeypatch.delenv("DASK_DISTRIBUTED__WORKER__MULTIPROCESSING_METHOD", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert local_start_method() == "fork"
    with dask.config.set({START_METHOD_KEY: "forkserver"}):
        assert local_start_method() == "forkserver"
    monkeypatch.setenv("DASK_DISTRIBUTED__WORKER__MULTIPROCESSING_METHOD", "spawn")
    assert local_start_method() == "spawn"
    monkeypatch.delenv("DASK_DISTRIBUTED__WORKER__MULTIPROCESSING_METHOD")
    monkeypatch.setattr(sys, "platform", "darwin")
    assert local_start_method() == "spawn"


def _as_from_a_terminal() -> None:
    """In the child, before exec: Ctrl-C as a terminal delivers it. A process started in
    the background by a shell without job control (``cmd &`` in a script, as a CI runner
    may start this suite) inherits SIGINT *ignored*, and Python then installs no
    KeyboardInterrupt handler, so the sweep would rightly run on."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _group_gone(pgid: int, within: float = 10.0) -> bool:
    """Whether every process of the group has ended (within ``within`` seconds)."""
    deadline = time.time() + within
    while time.time() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize(
    "where",
    [["--workers", "1", "--local-cluster"], ["--in-process"], ["--workers", "2"]],  # the last:
    ids=["dask", "in-process", "worker-processes"],  # worker processes (the default here)
)
def test_ctrl_c_stops_cleanly_and_resume_hint(tmp_path, where):
    out = tmp_path / "sweep"
    p = subprocess.Popen(
        [*PAX, "sweep", *DESIGN, *where, "--chunk-size", "1", "--out", str(out)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=_as_from_a_terminal,
    )
    try:
        deadline = time.time() + 120
        while _parts(out) < 5:
            assert p.poll() is None and time.time() < deadline
            time.sleep(0.02)
        os.killpg(p.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole group
        _, err = p.communicate(timeout=60)
        assert _group_gone(p.pid), "a worker outlived the sweep"
    finally:
        _kill(p)
    assert p.returncode == 130, err
    assert "Traceback" not in err
    assert f"pax-silica sweep --resume {out}" in err.strip().splitlines()[-1]
    assert json.loads((out / "manifest.json").read_text())["status"] == "interrupted"
    assert 5 <= _parts(out) < N_RUNS
