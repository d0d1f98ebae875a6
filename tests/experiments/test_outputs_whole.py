"""Outputs appear whole or not at all, whatever kills the writer.

``run --out`` and ``report --out`` are started over a previous complete output and killed
with SIGKILL (no handler can run) at seeded random moments: some at a random time after
the start, some a few milliseconds after the last part of the output starts being
written, when the files are about to be put in place. Afterwards the output is the old
one or the new one, never a mix (a run's series and events carry one run id, which
``model.run.read_run`` checks); anything left behind is a hidden temporary of the dead
writer, and the next write of the same target removes it. A writer stopped by SIGTERM
(``kill``, ``timeout``) cleans up itself and leaves nothing.
"""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from experiments.cli import main
from model.files import SUFFIX, atomic_write_all, remove_stale
from model.run import MixedRunError, events_path, read_run

ROOT = Path(__file__).resolve().parents[2]
RUN = ["run", "--steps", "16"]
REPORT = ["report", "--steps", "6", "--replications", "2", "--force"]
SEEDS = {"old": "1", "new": "2"}


def _cli(argv: list[str]) -> None:
    assert main(argv) == 0


def _start(argv: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "experiments.cli", *argv],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _hidden_temps(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.startswith(".") and p.name.endswith(SUFFIX)]


def _kill(procs: list[tuple[subprocess.Popen, Path, str, float, int]]) -> None:
    """Send each child its signal at its moment: ``("after", s)`` s seconds after it started, or
    ``(glob, s)`` s seconds after a file matching ``glob`` appears in its folder (the
    last part of the output being written: then the renames follow)."""
    t0 = time.monotonic()
    pending = list(procs)
    while pending:
        for item in list(pending):
            proc, folder, how, delay, sig = item
            if proc.poll() is not None:
                pending.remove(item)  # finished first: then the new output must be whole
                continue
            if (how == "after" and time.monotonic() - t0 >= delay) or (
                how != "after" and any(folder.glob(how))
            ):
                if how != "after":
                    time.sleep(delay)
                proc.send_signal(sig)
                proc.wait()
                pending.remove(item)
        time.sleep(0.002)
        assert time.monotonic() - t0 < 120, "a child neither finished nor was killed"


def _leftovers_are_the_dead_writers(folder: Path, proc: subprocess.Popen) -> None:
    for p in _hidden_temps(folder):
        assert f".{proc.pid}" in p.name, p  # this writer's, hidden, named .tmp


@pytest.fixture(scope="module")
def expected(tmp_path_factory):
    """The old and the new output of each command, written in this process."""
    base = tmp_path_factory.mktemp("expected")
    out = {}
    for which, seed in SEEDS.items():
        _cli([*RUN, "--seed", seed, "--out", str(base / f"{which}.parquet")])
        series, events, _ = read_run(base / f"{which}.parquet")
        _cli([*REPORT, "--seed", seed, "--out", str(base / which)])
        report = {f: (base / which / f).read_bytes() for f in ("summary.md", "series.csv")}
        out[which] = (series, events, report)
    assert not out["old"][0].equals(out["new"][0])  # the two outputs can be told apart
    out["folder"] = base
    return out


def test_killed_writers_leave_the_old_or_the_new_output_never_a_mix(tmp_path, expected):
    rng = random.Random(16)
    plan = [("run", "after"), ("run", "writing"), ("run", "writing")]
    plan += [("report", "after"), ("report", "writing"), ("report", "term")]
    procs = []
    for i, (cmd, how) in enumerate(plan):
        folder = tmp_path / f"{cmd}{i}"
        folder.mkdir()
        old = expected["folder"]  # the old output, copied in place
        if cmd == "run":
            target = folder / "out.parquet"
            shutil.copy(old / "old.parquet", target)
            shutil.copy(old / "old.events.parquet", events_path(target))
            argv = [*RUN, "--seed", SEEDS["new"], "--out", str(target)]
        else:
            target = folder / "rep"
            shutil.copytree(old / "old", target)
            argv = [*REPORT, "--seed", SEEDS["new"], "--out", str(target)]
        sig = signal.SIGTERM if how == "term" else signal.SIGKILL
        if how == "after":
            delay = rng.uniform(0.5, 6.0)
        elif how == "term":  # while the report is being computed in its temporary folder
            how, delay = ".rep.*.tmp", rng.uniform(0.0, 0.5)
        else:  # the series' temporary (the events' is complete), the report's last file
            how = ".out.parquet.*.tmp" if cmd == "run" else ".rep.*.tmp/summary.md"
            delay = rng.uniform(0.0, 0.01)
        procs.append((_start(argv), folder, how, delay, sig, cmd, target))
    _kill([p[:5] for p in procs])

    seen = set()
    for proc, folder, _, _, sig, cmd, target in procs:
        if sig == signal.SIGTERM:  # a handler runs: the writer cleans up after itself
            assert proc.returncode in (0, 128 + signal.SIGTERM)
            assert not _hidden_temps(folder)
        _leftovers_are_the_dead_writers(folder, proc)
        for path in (target, events_path(target)) if cmd == "run" else (target,):
            remove_stale(path)  # what the next write of the target does first
        if cmd == "run":
            assert {p.name for p in folder.iterdir()} == {target.name, events_path(target).name}
            series, events, _ = read_run(target)  # MixedRunError if old and new were mixed
            which = "old" if series.equals(expected["old"][0]) else "new"
            pd.testing.assert_frame_equal(series, expected[which][0])
            pd.testing.assert_frame_equal(events, expected[which][1])
        else:
            assert [p.name for p in folder.iterdir()] == ["rep"]
            report = {f: (target / f).read_bytes() for f in ("summary.md", "series.csv")}
            which = "old" if report == expected["old"][2] else "new"
            assert report == expected[which][2]
        seen.add(which)
        assert not _hidden_temps(folder)
    assert seen <= {"old", "new"}


@pytest.mark.parametrize("ext", [".parquet", ".csv"])
def test_a_series_beside_another_runs_events_is_refused(tmp_path, ext):
    a, b = tmp_path / f"a{ext}", tmp_path / f"b{ext}"
    # Eight quarters: a log with a row (an empty CSV log has no row to carry the stamp).
    _cli(["run", "--steps", "8", "--seed", "1", "--out", str(a)])
    _cli(["run", "--steps", "8", "--seed", "1", "--out", str(b)])  # same data, another run
    assert read_run(a)[2] != read_run(b)[2] and len(read_run(b)[1]) > 0
    shutil.copy(events_path(b), events_path(a))
    with pytest.raises(MixedRunError, match="not written by the same run"):
        read_run(a)


def test_a_failed_write_of_the_pair_keeps_the_old_pair(tmp_path):
    target = tmp_path / "out.parquet"
    _cli(["run", "--steps", "6", "--seed", "1", "--out", str(target)])
    before = read_run(target)

    def fail(path: Path) -> None:
        path.write_bytes(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write_all([(events_path(target), lambda p: p.write_bytes(b"new")), (target, fail)])
    after = read_run(target)
    assert after[2] == before[2]
    pd.testing.assert_frame_equal(after[0], before[0])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.events.parquet", "out.parquet"]
