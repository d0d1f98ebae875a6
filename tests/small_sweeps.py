"""What the sweep tests share: a small sweep (200 runs of 8 quarters, 50 investors: the
point is the machinery, not the model), how many of its parts are written, and a child
interpreter that runs a command as ``pax-silica`` would on two cores and reports the
modules it imported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# 10 points x 20 replications = 200 runs of 8 quarters.
DESIGN = [
    "--vary",
    "pressure_intensity=0.5:3",
    "--levels",
    "5",
    "--vary",
    "invitations=true,false",
    "--replications",
    "20",
    "--seed",
    "11",
    "--steps",
    "8",
    "--set",
    "n_investors=50",
    "--no-progress",
]
N_RUNS = 200

# A command run as `pax-silica` runs it, in a fresh interpreter, with two cores (the
# cut-off for workers counts them): its output, then a line of JSON with its exit status
# and every module it imported.
CHILD = """\
import json, os, sys
os.cpu_count = lambda: 2
from experiments.cli import main
status = main(sys.argv[1:])
print(json.dumps({"status": status, "modules": sorted(sys.modules)}))
"""


def run_command(argv: list[str], timeout: float) -> tuple[list[str], list[str]]:
    """``argv`` run by ``CHILD`` from the project's root, which must succeed: the lines it
    printed, and the modules it imported."""
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stderr
    *lines, last = proc.stdout.splitlines()
    got = json.loads(last)
    assert got["status"] == 0, proc.stderr
    return lines, got["modules"]


def parts(out: Path) -> int:
    """How many parts of runs a sweep has written to ``out``."""
    return len(list((out / "runs").glob("part-*.parquet")))
