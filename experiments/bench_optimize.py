"""The optimisation benchmark (issue 15, point 1): ``pax-silica optimize`` as a user runs
it, in a fresh process, on the sweeps' worker processes, at a size of at least 5,000 model
evaluations in the search (25 candidates x 10 generations x 5 posterior draws x 4 runs),
then the front re-run on fresh seeds; timed from the outside against the target of 15
minutes on this machine. ``--quick``: a tiny optimisation in process, a smoke test of the
benchmark itself."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from experiments.bench_stats import run_command

TARGET_SECONDS = 15 * 60
TARGET_RUNS = 5_000
FULL = ["--population", "25", "--generations", "10", "--draws", "5", "--replications", "4"]
QUICK = ["--population", "4", "--generations", "2", "--draws", "2", "--replications", "1"]
QUICK += ["--validate", "2x2", "--steps", "8", "--in-process"]


def meets_target(wall: float, search_runs: int, quick: bool = False) -> bool:
    return wall < TARGET_SECONDS and (quick or search_runs >= TARGET_RUNS)


def run_optimize(quick: bool = False, extra: list[str] | None = None) -> dict:
    """Run ``optimize`` once in a child process; its wall time, CPU, runs and the load."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "opt"
        args = ["--out", str(out), "--catalogue", str(Path(tmp) / "catalogue.sqlite")]
        args += (QUICK if quick else FULL) + ["--no-progress"] + list(extra or [])
        timed = run_command("optimize", args)  # a throwaway study, in its own catalogue
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        import pandas as pd

        search_runs = len(pd.read_parquet(out / "runs"))
        validation_runs = len(pd.read_parquet(out / "validation" / "runs"))
        front = len(pd.read_parquet(out / "front.parquet"))
    wall = timed["wall_seconds"]
    return {
        "wall_seconds": wall,
        "cpu_seconds": timed["cpu_seconds"],
        "search_runs": search_runs,
        "validation_runs": validation_runs,
        "runs_per_second": (search_runs + validation_runs) / wall,
        "front_points": front,
        "generations": manifest["generations_done"],
        "workers": manifest["sessions"][-1]["workers"],
        "load_average_before": timed["load_average_before"],
        "load_average_after": timed["load_average_after"],
        "meets_target": meets_target(wall, search_runs, quick),
    }


def report(f: dict, quick: bool) -> str:
    what = "quick (in process)" if quick else "default size (worker processes)"
    return "\n".join(
        [
            f"Optimisation benchmark, {what}:",
            f"  {f['search_runs']:,} search runs ({f['generations']} generations) and "
            f"{f['validation_runs']:,} validation runs of the front's {f['front_points']} "
            f"points in {f['wall_seconds']:.0f} s wall ({f['runs_per_second']:.1f} runs/s, "
            f"{f['workers']} workers), {f['cpu_seconds']:.0f} CPU-seconds in the child "
            f"processes; load average {f['load_average_before']:.1f} before, "
            f"{f['load_average_after']:.1f} after",
            f"  target: at least {TARGET_RUNS:,} model evaluations in under "
            f"{TARGET_SECONDS // 60} minutes: {'met' if f['meets_target'] else 'NOT met'}",
        ]
    )
