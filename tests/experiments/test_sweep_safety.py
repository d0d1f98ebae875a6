"""A sweep folder stays whole whatever else happens: one writer at a time (a second one is
refused at once, a dead one never blocks), no run twice, a damaged part named, a resume
whose flags differ from the sweep's told which flag. Small sweeps (2 points x 2
replications of 4 quarters, in this process unless the local cluster's workers are what is
tested): the point is the folder, not the model."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from experiments.args import CliError
from experiments.cli import EXIT_USAGE, main
from experiments.sweep import load_results, load_series

ROOT = Path(__file__).resolve().parents[2]
PAX = [sys.executable, "-m", "experiments.cli"]
DESIGN = [
    "--vary",
    "pressure_intensity=0.5:3",
    "--levels",
    "2",
    "--replications",
    "2",
    "--seed",
    "11",
    "--steps",
    "4",
    "--set",
    "n_investors=50",
    "--no-progress",
]
N_RUNS = 4


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The whole sweep, uninterrupted, with series (one part per run)."""
    out = tmp_path_factory.mktemp("ref") / "sweep"
    argv = ["sweep", *DESIGN, "--series", "--workers", "1", "--chunk-size", "1", "--out", str(out)]
    assert main(argv) == 0
    return out


def interrupted(reference: Path, into: Path) -> Path:
    """A copy of the sweep as an interrupt leaves it: the last two runs not written."""
    out = into / "sweep"
    shutil.copytree(reference, out)
    for sub in ("runs", "series"):
        for part in sorted((out / sub).glob("part-*.parquet"))[2:]:
            part.unlink()
    m = json.loads((out / "manifest.json").read_text())
    (out / "manifest.json").write_text(json.dumps({**m, "status": "interrupted"}))
    return out


def one_error(capsys, argv, *names) -> str:
    status = main(argv)
    out, err = capsys.readouterr()
    assert status == EXIT_USAGE, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), err
    for n in names:
        assert n in lines[0], lines[0]
    return lines[0]


def _wait_for_lock(folder: Path, p: subprocess.Popen) -> None:
    """Until ``p`` holds the folder's lock (it writes its pid there once it does)."""
    deadline = time.time() + 60
    lock = folder / ".lock"
    while not (lock.exists() and lock.read_text().strip() == str(p.pid)):
        assert p.poll() is None, "the writer ended before it took the lock"
        assert time.time() < deadline
        time.sleep(0.02)


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _resume(out: Path, stderr, *flags: str) -> subprocess.Popen:
    """``sweep --resume OUT`` in a process of its own (one local worker: in this process,
    unless ``flags`` ask for the local cluster)."""
    return subprocess.Popen(
        [*PAX, "sweep", "--resume", str(out), "--workers", "1", "--no-progress", *flags],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        start_new_session=True,
    )


def test_two_resumes_at_once_one_is_refused(reference, tmp_path, capsys):
    out = interrupted(reference, tmp_path)
    first = _resume(out, stderr=subprocess.PIPE)
    try:
        _wait_for_lock(out, first)
        os.kill(first.pid, signal.SIGSTOP)  # the first resume, caught mid-way, holds on
        try:
            err = one_error(capsys, ["sweep", "--resume", str(out)], str(out), str(first.pid))
            assert "being written" in err
        finally:
            os.kill(first.pid, signal.SIGCONT)
        assert first.wait(timeout=120) == 0, first.stderr.read()
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    got = load_results(out)
    assert len(got) == N_RUNS and not got.duplicated(["point", "replication"]).any()
    pd.testing.assert_frame_equal(got, load_results(reference))
    pd.testing.assert_frame_equal(load_series(out), load_series(reference))


def test_a_killed_writer_does_not_block(reference, tmp_path, capsys):
    """Only the sweep's own process is killed: the local cluster's workers, forked from it,
    may outlive it a moment, and must not keep the folder locked."""
    out = interrupted(reference, tmp_path)
    p = _resume(out, subprocess.DEVNULL, "--local-cluster")
    try:
        _wait_for_lock(out, p)
        time.sleep(0.5)  # into the start of its local cluster
        os.kill(p.pid, signal.SIGKILL)
        assert p.wait(timeout=30) == -signal.SIGKILL
        assert (out / ".lock").read_text().strip() == str(p.pid)  # the stale lock file
        assert main(["sweep", "--resume", str(out), "--workers", "1", "--no-progress"]) == 0
    finally:
        try:
            os.killpg(p.pid, signal.SIGKILL)  # its workers, if still there
        except ProcessLookupError:
            pass
    capsys.readouterr()
    pd.testing.assert_frame_equal(load_results(out), load_results(reference))


def test_out_taken_by_another_writer_is_refused(tmp_path, capsys):
    out = tmp_path / "new"
    out.mkdir()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from experiments.sweep import writing\n"
            "with writing(Path(sys.argv[1]), '--out'):\n    time.sleep(120)",
            str(out),
        ],
        cwd=ROOT,
    )
    try:
        _wait_for_lock(out, holder)
        one_error(capsys, ["sweep", *DESIGN, "--out", str(out)], "--out", str(holder.pid))
        assert not (out / "manifest.json").exists()
    finally:
        holder.kill()
        holder.wait()


def test_duplicate_runs_are_refused(reference, tmp_path, capsys):
    out = tmp_path / "sweep"
    shutil.copytree(reference, out)
    part = sorted((out / "runs").glob("part-*.parquet"))[1]
    shutil.copy(part, out / "runs" / "part-000000099.parquet")  # as a second writer would
    with pytest.raises(CliError, match="1 duplicate run rows"):
        load_results(out)
    with pytest.raises(CliError, match="duplicate run rows"):
        load_results(out, columns=["survived"])
    shutil.copy(out / "series" / part.name, out / "series" / "part-000000099.parquet")
    with pytest.raises(CliError, match="duplicate series rows"):
        load_series(out)
    one_error(
        capsys, ["analyze", "survival", str(out)], str(out), "duplicate", "expected each once"
    )
    one_error(capsys, ["sweep", "--resume", str(out)], "part-000000099.parquet", "twice")


def test_a_truncated_part_is_named(reference, tmp_path, capsys):
    out = interrupted(reference, tmp_path)
    part = sorted((out / "runs").glob("part-*.parquet"))[0]
    part.write_bytes(part.read_bytes()[:100])
    before = _files(out)
    err = one_error(capsys, ["sweep", "--resume", str(out)], str(part), "remove it", "--resume")
    assert "Traceback" not in err
    one_error(capsys, ["analyze", "survival", str(out)], str(part))
    with pytest.raises(CliError, match=part.name):
        load_results(out)
    assert _files(out) == before  # nothing changed, nothing removed
    # the way out the message gives: the same rows as the uninterrupted sweep
    part.unlink()
    assert main(["sweep", "--resume", str(out), "--workers", "1", "--no-progress"]) == 0
    capsys.readouterr()
    pd.testing.assert_frame_equal(load_results(out), load_results(reference))


def test_a_truncated_series_part_is_named(reference, tmp_path, capsys):
    out = interrupted(reference, tmp_path)
    part = sorted((out / "series").glob("part-*.parquet"))[0]
    part.write_bytes(part.read_bytes()[:100])
    one_error(capsys, ["sweep", "--resume", str(out)], str(part), str(out / "runs" / part.name))
    with pytest.raises(CliError, match=part.name):
        load_series(out)


@pytest.mark.parametrize(
    "flags,named",
    [
        (["--seed", "12"], ["--seed: the sweep's 11, given 12"]),
        (["--replications", "3"], ["--replications: the sweep's 2, given 3"]),
        (["--steps", "6"], ["--steps: the sweep's 4, given 6"]),
        (["--levels", "3"], ["--levels: the sweep's 2, given 3"]),
        (["--set", "n_investors=60"], ["--set: the sweep's n_investors=50, given n_investors=60"]),
        (["--scenario", "fragmented"], ["--scenario: the sweep's baseline, given fragmented"]),
        (
            ["--vary", "pressure_intensity=1:3"],
            ["--vary: the sweep's pressure_intensity=0.5:3, given pressure_intensity=1:3"],
        ),
        (
            ["--design", "lhs", "--samples", "4"],
            ["--design: the sweep's grid, given lhs", "--samples: the sweep's none, given 4"],
        ),
        (["--second-order"], ["--second-order: the sweep's false, given true"]),
        (["--design-seed", "3"], ["--design-seed: the sweep's none, given 3"]),
    ],
)
def test_a_resume_with_other_flags_names_them(reference, tmp_path, capsys, flags, named):
    out = tmp_path / "sweep"
    shutil.copytree(reference, out)
    before = _files(out)
    err = one_error(capsys, ["sweep", "--resume", str(out), *flags], "--resume", *named)
    assert "nothing to vary" not in err
    assert _files(out) == before


def test_a_resume_with_the_sweeps_own_flags_goes_on(reference, tmp_path, capsys):
    out = interrupted(reference, tmp_path)
    assert main(["sweep", "--resume", str(out), "--seed", "11", "--workers", "1"]) == 0
    capsys.readouterr()
    pd.testing.assert_frame_equal(load_results(out), load_results(reference))


def test_out_that_cannot_be_written(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    one_error(capsys, ["sweep", *DESIGN, "--out", str(tmp_path / "file" / "sub")], "--out", "file")
    assert (tmp_path / "file").read_text() == "x"
    one_error(capsys, ["sweep", *DESIGN, "--out", "/proc/pax-silica-sweep"], "--out", "cannot")
