"""The calibration benchmark (issue 13, point 5): ``pax-silica calibrate`` as a user runs
it, in a fresh process, to its default budget (at least 10,000 simulations), timed from the
outside, against the target of 30 minutes on this machine. ``--quick``: 600 simulations in
process, a smoke test of the benchmark itself."""

from __future__ import annotations

import tempfile
from pathlib import Path

from experiments.bench_stats import run_command

TARGET_SECONDS = 30 * 60
MIN_SIMULATIONS = 10_000


def meets_target(wall_seconds: float, simulations: int, quick: bool = False) -> bool:
    """At least 10,000 simulations (not asked of a quick run) in under 30 minutes."""
    return wall_seconds < TARGET_SECONDS and (quick or simulations >= MIN_SIMULATIONS)


def run_calibration(quick: bool = False, extra: list[str] | None = None) -> dict:
    """Run one calibration in a child process; its wall time, CPU and simulations."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "calibration"
        args = ["--out", str(out)]
        args += ["--catalogue", str(Path(tmp) / "catalogue.sqlite")]  # a throwaway study
        if quick:
            args += ["--in-process", "--population", "100", "--simulations", "600"]
            args += ["--screen-trajectories", "2", "--replications", "2"]
        timed = run_command("calibrate", args + list(extra or []))
        from model.posterior import load_posterior

        prov = load_posterior(out / "posterior.csv").provenance
    wall, sims = timed["wall_seconds"], int(prov["simulations"])
    return {
        "wall_seconds": wall,
        "cpu_seconds": timed["cpu_seconds"],
        "simulations": sims,
        "simulations_per_second": sims / wall,
        "generations": int(prov["generations"]),
        "tolerance": float(prov["tolerance"]),
        "population": int(prov["population"]),
        "meets_target": meets_target(wall, sims, quick),
        "progress": [
            line for line in timed["stderr"].splitlines() if line.startswith("calibrate:")
        ],
    }


def report(f: dict, quick: bool) -> str:
    what = "quick (600 simulations, in process)" if quick else "default (local Dask cluster)"
    lines = [
        f"Calibration benchmark, {what}:",
        *(f"  {line}" for line in f["progress"]),
        f"  {f['simulations']:,} simulations in {f['wall_seconds']:.0f} s wall "
        f"({f['simulations_per_second']:.1f}/s), {f['cpu_seconds']:.0f} CPU-seconds in the "
        f"child processes, {f['generations']} generations, final tolerance "
        f"{f['tolerance']:.3g}",
        f"  target: at least {MIN_SIMULATIONS:,} simulations in under "
        f"{TARGET_SECONDS // 60} minutes: {'met' if f['meets_target'] else 'NOT met'}",
    ]
    return "\n".join(lines)
