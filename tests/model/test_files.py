"""Writing results atomically (model/files.py): nothing half-written, no temporary left
beside a result, whether the writer fails or is killed outright."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from model.files import atomic_write, temporary


def test_a_temporary_left_by_a_killed_writer_goes_with_the_next_write(tmp_path):
    out = tmp_path / "run.parquet"
    # a writer that is killed (SIGKILL) in the middle of writing its temporary
    code = (
        "import os, time, pathlib; from model.files import atomic_write\n"
        f"def slow(p):\n    p.write_bytes(b'half'); print('writing', flush=True); time.sleep(60)\n"
        f"atomic_write(pathlib.Path({str(out)!r}), slow)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    left = [p.name for p in tmp_path.iterdir()]
    assert left == [f".run.parquet.{proc.pid}.tmp"], left  # hidden, clearly a temporary
    atomic_write(out, lambda p: p.write_bytes(b"whole"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.parquet"]
    assert out.read_bytes() == b"whole"


def test_nothing_is_left_after_an_exception(tmp_path):
    out = tmp_path / "chart.png"
    out.write_bytes(b"old")

    def fails(p):
        p.write_bytes(b"partial")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        atomic_write(out, fails)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chart.png"]
    assert out.read_bytes() == b"old"  # the old result stands


def test_a_folder_is_replaced_whole_and_failures_leave_the_old_one(tmp_path):
    out = tmp_path / "report"
    atomic_write(out, lambda d: (d / "a.md").write_text("one"), folder=True)
    atomic_write(out, lambda d: (d / "b.md").write_text("two"), folder=True)
    assert [p.name for p in out.iterdir()] == ["b.md"]

    def fails(d):
        (d / "c.md").write_text("three")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(out, fails, folder=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]
    assert [p.name for p in out.iterdir()] == ["b.md"]


def test_a_live_writers_temporary_and_other_targets_are_left_alone(tmp_path):
    out = tmp_path / "run.csv"
    live = tmp_path / f".run.csv.{os.getppid()}.tmp"  # a running process's temporary
    other = temporary(tmp_path / "run.csv.events")  # another target's
    live.write_text("x")
    other.write_text("y")
    atomic_write(out, lambda p: p.write_text("z"))
    assert live.exists() and other.exists()
