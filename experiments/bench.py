"""``pax-silica bench``: how fast and how lean the model is, measured in this process.

* per agent-step cost of Pax Silica next to Mesa's own ``BoltzmannWealth`` example,
  timed in the same process (a ratio, so the machine's speed cancels out);
* wall time of a default run;
* time and peak memory of a run at 100, 1,000 and 10,000 investors (each in a fresh
  subprocess, so peak memory is the run's own, imports included).

Targets (issue 3): per agent-step cost at most 2x Mesa's reference; 10x the investors at
most 11x the time; a 10,000-investor run under 300 MB.

With ``--sweeps`` (issue 5) it also compares sweep execution, each case in a fresh
subprocess (peak memory from ``resource.getrusage``: the process itself, and its largest
child, i.e. a worker), on a cheap configuration (``SWEEP_CONFIG``: 8 quarters, 50
investors, stop at collapse; a 10 x 10 grid of pressure_intensity x china_budget with
replications):

* ``mesa.batch_run`` (parameters as keyword arguments, a scenario name) and the sweep
  executor (Dask local cluster) on the same design and the same number of processes:
  runs per second end to end (worker processes and cluster start included; in both cases
  the clock starts once the model module is imported, which batch_run needs to be given
  the model class) and peak memory, the best of ``--repeats`` (3) interleaved rounds (the
  machine may be shared), and the ratio within each round;
* parallel efficiency of the sweep executor from 1 to 2 workers, (t1 / t2) / 2;
* peak memory as the sweep grows from 1,000 to 10,000 runs (batch_run beside it).

Targets (issue 5): at least 1.5x batch_run's throughput; parallel efficiency at least 85%;
flat peak memory from 1,000 to 10,000 runs.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from experiments.args import positive_int

TARGET_RATIO = 2.0
TARGET_SCALING = 11.0
TARGET_MB = 300.0


def register(sub, add_scenario_args) -> None:
    p = sub.add_parser("bench", help="benchmark speed and memory against targets")
    p.add_argument(
        "--repeats", type=positive_int, default=3, help="timing repeats (best of; default 3)"
    )
    p.add_argument("--quick", action="store_true", help="fewer repeats, for a smoke test")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument(
        "--sweeps",
        action="store_true",
        help="also benchmark sweeps: the Dask executor against mesa.batch_run, "
        "parallel efficiency, memory from 1,000 to 10,000 runs (a few minutes)",
    )
    p.add_argument(
        "--only-sweeps",
        action="store_true",
        help="the sweep benchmark alone (skip the single-run figures)",
    )
    p.set_defaults(func=run)


def _best(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def boltzmann_cost(n_agents: int = 1000, steps: int = 40, repeats: int = 3) -> float:
    """Seconds per agent-step of Mesa's BoltzmannWealth example."""
    from mesa.examples.basic.boltzmann_wealth_model.model import BoltzmannScenario, BoltzmannWealth

    def go():
        m = BoltzmannWealth(BoltzmannScenario(n=n_agents, width=32, height=32, rng=1))
        for _ in range(steps):
            m.step()

    return _best(go, repeats) / (n_agents * steps)


def pax_run_time(n_investors: int = 1000, steps: int = 40, repeats: int = 3) -> tuple[float, int]:
    """Best wall time of a baseline run, and its number of agents."""
    from model.model import PaxSilicaModel  # here, so `bench --only-sweeps` never loads it

    n_agents = 0

    def go():
        nonlocal n_agents
        m = PaxSilicaModel("baseline", rng=1, n_investors=n_investors, steps=steps)
        n_agents = len(m.agents)
        m.run()

    return _best(go, repeats), n_agents


def _child(n_investors: int) -> None:
    """Run once in this (fresh) process and print time and peak memory as JSON."""
    from model.model import PaxSilicaModel  # in the child: its imports are measured too

    t = time.perf_counter()
    m = PaxSilicaModel("baseline", rng=1, n_investors=n_investors)
    m.run()
    dt = time.perf_counter() - t
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"n_investors": n_investors, "seconds": dt, "peak_mb": peak_mb}))


def scaling(sizes=(100, 1000, 10_000)) -> list[dict]:
    out = []
    for n in sizes:
        res = subprocess.run(
            [sys.executable, "-c", f"from experiments.bench import _child; _child({n})"],
            capture_output=True,
            text=True,
            check=True,
        )
        out.append(json.loads(res.stdout.strip().splitlines()[-1]))
    return out


def run(args) -> int:
    if getattr(args, "only_sweeps", False):
        return run_sweeps(args)
    status = run_models(args)
    if getattr(args, "sweeps", False):
        if not args.json:
            print()
        status = run_sweeps(args) or status
    return status


def run_models(args) -> int:
    repeats = 1 if args.quick else max(1, args.repeats)
    ref = boltzmann_cost(repeats=repeats)
    run_s, n_agents = pax_run_time(repeats=repeats)
    pax = run_s / (n_agents * 40)
    # Linear scaling: time at 10,000 investors against 1,000, in this process.
    t1k, _ = pax_run_time(1000, repeats=repeats)
    t10k, _ = pax_run_time(10_000, repeats=repeats)
    mem = scaling()
    figures = {
        "boltzmann_us_per_agent_step": ref * 1e6,
        "pax_us_per_agent_step": pax * 1e6,
        "ratio_to_mesa": pax / ref,
        "default_run_seconds": run_s,
        "agents_in_default_run": n_agents,
        "time_1k_investors": t1k,
        "time_10k_investors": t10k,
        "scaling_10x_investors": t10k / t1k,
        "subprocess_runs": mem,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    ok = lambda good: "OK " if good else "MISS"  # noqa: E731
    print("Pax Silica benchmark (baseline, 40 quarters)")
    print(
        f"  per agent-step: Pax Silica {pax * 1e6:.2f} us, Mesa BoltzmannWealth "
        f"{ref * 1e6:.2f} us -> ratio {pax / ref:.2f} (target <= {TARGET_RATIO})"
        f"  [{ok(pax / ref <= TARGET_RATIO)}]"
    )
    print(f"  default run (1,000 investors, {n_agents} agents): {run_s:.3f} s")
    print(
        f"  10x investors: {t1k:.3f} s -> {t10k:.3f} s = {t10k / t1k:.2f}x "
        f"(target <= {TARGET_SCALING}x)  [{ok(t10k / t1k <= TARGET_SCALING)}]"
    )
    print("  fresh-process runs (time incl. model build; peak RSS incl. imports):")
    for r in mem:
        good = r["n_investors"] < 10_000 or r["peak_mb"] < TARGET_MB
        print(
            f"    {r['n_investors']:>6} investors: {r['seconds']:.3f} s, "
            f"peak {r['peak_mb']:.0f} MB  [{ok(good)}]"
        )
    return 0


# --------------------------------------------------------------------- sweeps (5) ----
TARGET_THROUGHPUT = 1.5
TARGET_EFFICIENCY = 0.85
SWEEP_CONFIG = {"steps": 8, "n_investors": 50, "stop_at_collapse": True}
GRID = {
    "pressure_intensity": [round(0.5 + 0.25 * i, 2) for i in range(10)],
    "china_budget": [round(1.0 + 0.5 * i, 2) for i in range(10)],
}


def _peaks() -> dict:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
    return {
        "peak_mb": own.ru_maxrss / 1024.0,
        "peak_child_mb": kids.ru_maxrss / 1024.0,
        "cpu_seconds": cpu,
    }


def _batch_child(n_runs: int, workers: int) -> None:
    """mesa.batch_run over the grid, ``n_runs / 100`` seeds per point, in this process."""
    # In the child, as the sweep's child imports its own: both sides load alike.
    from mesa.batchrunner import batch_run

    from model.model import PaxSilicaModel

    reps = n_runs // 100
    params = {"scenario": "baseline", **SWEEP_CONFIG, **GRID}
    t = time.perf_counter()
    res = batch_run(
        PaxSilicaModel,
        params,
        number_processes=workers,
        rng=list(range(reps)),
        data_collection_period=-1,
        display_progress=False,
    )
    dt = time.perf_counter() - t
    # batch_run returns a row per agent (the model has agent-type reporters): count runs.
    print(
        json.dumps(
            {"runs": len({r["RunId"] for r in res}), "rows": len(res), "seconds": dt, **_peaks()}
        )
    )


def _sweep_child(n_runs: int, workers: int) -> None:
    """The sweep executor over the same grid, on a local cluster, written to Parquet."""
    import model.model  # noqa: F401  (imported before the clock starts, as in _batch_child)
    from experiments.design import DesignSpec, make_values, resolve
    from experiments.sweep import Executor, execute, new_manifest, write_manifest

    spec = DesignSpec(
        scenario="baseline",
        steps=SWEEP_CONFIG["steps"],
        set=[f"n_investors={SWEEP_CONFIG['n_investors']}", "stop_at_collapse=true"],
        vary=[make_values(k, v) for k, v in GRID.items()],
        replications=n_runs // 100,
    )
    design = resolve(spec)
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "sweep"
        out.mkdir()
        t = time.perf_counter()
        with Executor(workers=workers) as ex:
            manifest = new_manifest(design, None, False)
            write_manifest(out, manifest)
            f = execute(design, out, ex, progress=False, manifest=manifest)
            startup = ex.startup_seconds
        dt = time.perf_counter() - t
    print(
        json.dumps(
            {
                "runs": f["runs_written"],
                "seconds": dt,
                "run_seconds": f["seconds"],
                "startup_seconds": startup,
                "chunk_size": f["chunk_size"],
                **_peaks(),
            }
        )
    )


def _fresh(fn: str, n_runs: int, workers: int) -> dict:
    res = subprocess.run(
        [sys.executable, "-c", f"from experiments.bench import {fn}; {fn}({n_runs}, {workers})"],
        capture_output=True,
        text=True,
        check=False,
    )
    if res.returncode != 0:
        raise RuntimeError(f"{fn}({n_runs}, {workers}) failed:\n{res.stderr[-2000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def _rounds(cases: list[tuple[str, int, int]], repeats: int) -> list[list[dict]]:
    """Each case ``repeats`` times, interleaved (so a burst of other load on the machine
    hits them alike): one list of results per round, in the order of ``cases``."""
    return [[_fresh(fn, n, w) for fn, n, w in cases] for _ in range(repeats)]


def sweep_figures(
    n_runs: int = 2000, sizes=(1000, 10_000), workers: int = 2, repeats: int = 3
) -> dict:
    rounds = _rounds(
        [
            ("_batch_child", n_runs, workers),
            ("_sweep_child", n_runs, workers),
            ("_sweep_child", n_runs, 1),
        ],
        repeats,
    )
    batch, sweep, one = (min((r[i] for r in rounds), key=lambda x: x["seconds"]) for i in range(3))
    growth = [
        {
            "runs": n,
            "sweep": _fresh("_sweep_child", n, workers),
            "batch_run": _fresh("_batch_child", n, workers),
        }
        for n in sizes
    ]
    rate = lambda r: r["runs"] / r["seconds"]  # noqa: E731
    return {
        "config": {**SWEEP_CONFIG, "grid": GRID, "runs": n_runs, "workers": workers},
        "batch_run": batch,
        "sweep": sweep,
        "sweep_1_worker": one,
        "throughput_ratio": rate(sweep) / rate(batch),
        # The same ratio within each round (batch_run and the sweep run back to back).
        "throughput_ratio_by_round": [rate(r[1]) / rate(r[0]) for r in rounds],
        "cpu_ratio": (batch["cpu_seconds"] / batch["runs"])
        / (sweep["cpu_seconds"] / sweep["runs"]),
        "load_average": os.getloadavg(),
        "efficiency": (one["seconds"] / sweep["seconds"]) / 2,
        "efficiency_running": (one["run_seconds"] / sweep["run_seconds"]) / 2,
        "efficiency_running_by_round": [
            (r[2]["run_seconds"] / r[1]["run_seconds"]) / 2 for r in rounds
        ],
        "growth": growth,
    }


def run_sweeps(args) -> int:
    load_before = os.getloadavg()[0]
    n, sizes = (400, (200, 2000)) if args.quick else (2000, (1000, 10_000))
    repeats = 1 if args.quick else max(1, args.repeats)
    f = sweep_figures(n, sizes, repeats=repeats)
    if args.json:
        print(json.dumps({"sweeps": f}, indent=2))
        return 0
    ok = lambda good: "OK " if good else "MISS"  # noqa: E731
    b, s, one = f["batch_run"], f["sweep"], f["sweep_1_worker"]
    print(
        f"Sweep benchmark: {n:,} runs of baseline, 8 quarters, 50 investors, stop at "
        f"collapse (10 x 10 grid of pressure_intensity x china_budget, {n // 100} seeds "
        f"each); each case in a fresh process, best of {repeats}; 2 processes unless "
        "noted"
    )
    print("  end to end (process/cluster start included):")
    print(
        f"    mesa.batch_run      {b['seconds']:7.1f} s  {b['runs'] / b['seconds']:6.1f} runs/s"
        f"  peak {b['peak_mb']:.0f} MB (largest worker {b['peak_child_mb']:.0f} MB)"
    )
    print(
        f"    sweep executor      {s['seconds']:7.1f} s  {s['runs'] / s['seconds']:6.1f} runs/s"
        f"  peak {s['peak_mb']:.0f} MB (largest worker {s['peak_child_mb']:.0f} MB); "
        f"cluster start {s['startup_seconds']:.1f} s, {s['chunk_size']} runs per task"
    )
    print(
        f"    CPU time per run, every process, imports included: batch_run "
        f"{1000 * b['cpu_seconds'] / b['runs']:.1f} ms, sweep "
        f"{1000 * s['cpu_seconds'] / s['runs']:.1f} ms ({f['cpu_ratio']:.2f}x; start-up, "
        "result handling and Dask's own bookkeeping included)"
    )
    print(
        f"    throughput: sweep / batch_run = {f['throughput_ratio']:.2f}x "
        f"(target >= {TARGET_THROUGHPUT}x)  [{ok(f['throughput_ratio'] >= TARGET_THROUGHPUT)}]"
    )
    print(
        "      within each round: " + ", ".join(f"{r:.2f}x" for r in f["throughput_ratio_by_round"])
    )
    print(
        f"  parallel efficiency 1 -> 2 workers: end to end {one['seconds']:.1f} s -> "
        f"{s['seconds']:.1f} s = {f['efficiency']:.0%}; running (after cluster start) "
        f"{one['run_seconds']:.1f} s -> {s['run_seconds']:.1f} s = "
        f"{f['efficiency_running']:.0%} (target >= {TARGET_EFFICIENCY:.0%})  "
        f"[{ok(f['efficiency_running'] >= TARGET_EFFICIENCY)}]"
    )
    print(
        "      running, within each round: "
        + ", ".join(f"{e:.0%}" for e in f["efficiency_running_by_round"])
    )
    print("  peak memory as the sweep grows (main process / largest worker):")
    for g in f["growth"]:
        sw, br = g["sweep"], g["batch_run"]
        print(
            f"    {g['runs']:>6,} runs: sweep {sw['peak_mb']:.0f} / {sw['peak_child_mb']:.0f} MB"
            f" ({sw['runs'] / sw['seconds']:.0f} runs/s); batch_run {br['peak_mb']:.0f} / "
            f"{br['peak_child_mb']:.0f} MB ({br['runs'] / br['seconds']:.0f} runs/s)"
        )
    first, last = f["growth"][0]["sweep"], f["growth"][-1]["sweep"]
    grow = max(last["peak_mb"] / first["peak_mb"], last["peak_child_mb"] / first["peak_child_mb"])
    print(
        f"    sweep peak {sizes[-1] // sizes[0]}x the runs: x{grow:.2f} memory "
        f"(target flat, <= x1.10)  [{ok(grow <= 1.10)}]"
    )
    print(
        f"  load average (1 min) on {os.cpu_count()} cores: {load_before:.2f} before, "
        f"{os.getloadavg()[0]:.2f} after (above about 2 other work shared the machine and "
        "wall times are pessimistic)"
    )
    return 0
