"""The claims benchmark (issue 13, point 4): ``pax-silica claims`` as a user runs it, in a
fresh process, at its defaults (the whole ledger and the calibration fit over 100 posterior
draws), timed from the outside, against the target of 10 minutes on this machine.
``--quick``: 4 draws in process, a smoke test of the benchmark itself."""

from __future__ import annotations

import tempfile
from pathlib import Path

from experiments.bench_stats import run_command

TARGET_SECONDS = 10 * 60


def run_claims(quick: bool = False, extra: list[str] | None = None) -> dict:
    """Run ``claims`` once in a child process; its wall time, CPU, runs and the load."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "claims"
        args = ["--out", str(out)]
        if quick:
            args += ["--in-process", "--draws", "4", "--reps", "1"]
        timed = run_command("claims", args + list(extra or []))
        import json

        results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    runs = int(results["session"]["runs"])
    return {
        "wall_seconds": timed["wall_seconds"],
        "cpu_seconds": timed["cpu_seconds"],
        "runs": runs,
        "runs_per_second": runs / timed["wall_seconds"],
        "draws": int(results["provenance"]["draws"]),
        "load_average_before": timed["load_average_before"],
        "load_average_after": timed["load_average_after"],
        "meets_target": timed["wall_seconds"] < TARGET_SECONDS,
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
