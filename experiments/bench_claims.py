"""The claims benchmark (issue 13, point 4): ``pax-silica claims`` as a user runs it, in a
fresh process, at its defaults (the whole ledger and the calibration fit over 100 posterior
draws), timed from the outside, against the target of 10 minutes on this machine.
``--quick``: 4 draws in process, a smoke test of the benchmark itself."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 10 * 60


def run_claims(quick: bool = False, extra: list[str] | None = None) -> dict:
    """Run ``claims`` once in a child process; its wall time, CPU, runs and the load."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "claims"
        cmd = [sys.executable, "-m", "experiments.cli", "claims", "--out", str(out)]
        if quick:
            cmd += ["--in-process", "--draws", "4", "--reps", "1"]
        cmd += list(extra or [])
        load = os.getloadavg()[0]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        r = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if r.returncode != 0:
            raise RuntimeError(f"claims failed ({r.returncode}): {r.stderr[-2000:]}")
        import json

        results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    runs = int(results["session"]["runs"])
    return {
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "runs": runs,
        "runs_per_second": runs / wall,
        "draws": int(results["provenance"]["draws"]),
        "load_average_before": load,
        "load_average_after": os.getloadavg()[0],
        "meets_target": wall < TARGET_SECONDS,
    }


def report(f: dict, quick: bool) -> str:
    what = "quick (4 draws, in process)" if quick else "default (local Dask cluster)"
    return "\n".join(
        [
            f"Claims benchmark, {what}:",
            f"  {f['runs']:,} runs over {f['draws']} draws (and the calibration targets) in "
            f"{f['wall_seconds']:.0f} s wall ({f['runs_per_second']:.1f} runs/s), "
            f"{f['cpu_seconds']:.0f} CPU-seconds in the child processes; load average "
            f"{f['load_average_before']:.1f} before, {f['load_average_after']:.1f} after",
            f"  target: under {TARGET_SECONDS // 60} minutes: "
            f"{'met' if f['meets_target'] else 'NOT met'}",
        ]
    )
