"""``pax-silica bench``: how fast and how lean the model is, next to Mesa's own example.

Every figure is printed as median (min..max) over ``--repeats`` interleaved rounds (3;
``experiments.bench_stats`` says why), a comparison as a ratio taken within each round.

* the cost of one quarter of a default run (baseline, 1,000 investors, 22 states, data
  collected as in the app), against one step of Mesa's ``BoltzmannWealth`` example at its
  defaults (100 agents on a 10 x 10 grid, its Gini collected), timed in the same process
  so that the machine's speed cancels out; and per state agent, against a Boltzmann
  agent's step. Per state agent, not per agent: the 1,000 investors are rows of numpy
  arrays, not Python agents, and counting them would make a quarter look 46 times
  cheaper per agent than it is;
* the time of a default run, its build apart;
* 10x the investors: a run at 10,000 investors against one at 1,000 (build and run);
* runs at 100, 1,000 and 10,000 investors, each in a fresh process: time (model build
  and run) and the process's own peak memory (``bench_stats.own_peak_mb``), imports
  included.

Targets (issue 3): 10x the investors at most 11x the time; a 10,000-investor run under
300 MB. (Issue 3's "per agent-step at most 2x Mesa's reference" counted the investors as
agents; it is gone with the per agent-step figure.)

With ``--sweeps`` it also compares sweep execution (``experiments.bench_sweeps``); with
``--only-sweeps``, only that. ``--only-calibration``, ``--only-claims`` and
``--only-optimize`` time those commands in a fresh process (``experiments.bench_*``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import replace

from experiments.args import positive_int
from experiments.bench_stats import ok, own_peak_mb, per_round, show, spread

TARGET_SCALING = 11.0
TARGET_MB = 300.0
SIZES = (100, 1000, 10_000)
BOLTZMANN_STEPS = 200
# Issue 17's throughput targets: lean runs (a cheap sweep's: 8 quarters, 50 investors)
# per second per core, and the CPU of a default run (40 quarters, 1,000 investors).
LEAN = {"steps": 8, "n_investors": 50}
LEAN_RUNS, DEFAULT_RUNS = 500, 30
TARGET_LEAN_PER_S = 1000.0
TARGET_DEFAULT_MS = 6.0


def register(sub, add_scenario_args) -> None:
    p = sub.add_parser("bench", help="benchmark speed and memory against targets")
    p.add_argument(
        "--repeats",
        "--rounds",
        dest="repeats",
        type=positive_int,
        default=3,
        help="interleaved rounds; every figure is median (min..max) over them (default 3)",
    )
    p.add_argument("--quick", action="store_true", help="one round, a smaller sweep: a smoke test")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument(
        "--sweeps",
        action="store_true",
        help="also benchmark sweeps: the sweep executor against mesa.batch_run, the EMA "
        "Workbench (if installed: uv sync --group bench) and a plain loop on the same runs, "
        "parallel efficiency, memory from 1,000 to 10,000 runs (about 20 minutes)",
    )
    p.add_argument(
        "--only-sweeps",
        action="store_true",
        help="the sweep benchmark alone (skip the single-run figures)",
    )
    p.add_argument(
        "--only-calibration",
        action="store_true",
        help="time `pax-silica calibrate` at its defaults in a fresh process (at least "
        "10,000 simulations; about 15 minutes on two cores), against the 30-minute target",
    )
    p.add_argument(
        "--only-claims",
        action="store_true",
        help="time `pax-silica claims` at its defaults in a fresh process (the whole ledger "
        "and the calibration fit over 100 posterior draws), against the 10-minute target",
    )
    p.add_argument(
        "--only-optimize",
        action="store_true",
        help="time `pax-silica optimize` in a fresh process at 5,000 search runs (25 "
        "candidates x 10 generations x 20 runs) and the front's validation, against the "
        "15-minute target",
    )
    p.set_defaults(func=run)


def run(args) -> int:
    if getattr(args, "only_optimize", False):
        from experiments.bench_optimize import report, run_optimize

        f = run_optimize(quick=args.quick)
        print(json.dumps(f, indent=2) if args.json else report(f, args.quick))
        return 0 if f["meets_target"] else 1
    if getattr(args, "only_claims", False):
        from experiments.bench_claims import report, run_claims

        f = run_claims(quick=args.quick)
        print(json.dumps(f, indent=2) if args.json else report(f, args.quick))
        return 0 if f["meets_target"] else 1
    if getattr(args, "only_calibration", False):
        from experiments.bench_calibration import report, run_calibration

        f = run_calibration(quick=args.quick)
        print(json.dumps(f, indent=2) if args.json else report(f, args.quick))
        return 0 if f["meets_target"] else 1
    if getattr(args, "only_sweeps", False):
        return run_sweeps(args)
    status = run_models(args)
    if getattr(args, "sweeps", False):
        if not args.json:
            print()
        status = run_sweeps(args) or status
    return status


def rounds_of(args) -> int:
    return 1 if args.quick else max(1, args.repeats)


# ---------------------------------------------------------------- single runs -------
def boltzmann_step(steps: int = BOLTZMANN_STEPS) -> dict:
    """Seconds per step of Mesa's BoltzmannWealth at its defaults (built outside the
    clock), and its number of agents."""
    from mesa.examples.basic.boltzmann_wealth_model.model import BoltzmannScenario, BoltzmannWealth

    m = BoltzmannWealth(BoltzmannScenario(rng=1))
    t = time.perf_counter()
    for _ in range(steps):
        m.step()
    return {"step_s": (time.perf_counter() - t) / steps, "agents": len(m.agents)}


def pax_run(n_investors: int = 1000) -> dict:
    """A baseline run: its build and its quarters timed apart, and what it holds."""
    from model.model import PaxSilicaModel  # here, so `bench --only-sweeps` never loads it

    t = time.perf_counter()
    m = PaxSilicaModel("baseline", rng=1, n_investors=n_investors)
    build = time.perf_counter() - t
    t = time.perf_counter()
    m.run()
    quarters = time.perf_counter() - t
    return {
        "build_s": build,
        "quarters_s": quarters,
        "quarter_s": quarters / m.steps,
        "quarters": m.steps,
        "states": len(m.states),
        # the states and the investors (numpy rows: their Mesa façades are made only if
        # someone looks, so ``len(m.agents)`` counts the states alone)
        "agents": len(m.states) + m.investors.n,
    }


def cpu_runs(n_runs: int, **params) -> float:
    """CPU seconds per baseline run (build and quarters, ``collect=False``: what a sweep
    runs), over seeds 0..n_runs-1. CPU time, not wall: another process on the same
    core does not count, so the figure is per core."""
    from model.model import PaxSilicaModel
    from model.scenario import load_scenario

    scenario = load_scenario("baseline")  # loaded once, as a sweep's worker does
    PaxSilicaModel(scenario, rng=0, collect=False, **params).run()  # warm the caches
    t = time.process_time()
    for seed in range(n_runs):
        PaxSilicaModel(scenario, rng=seed, collect=False, **params).run()
    return (time.process_time() - t) / n_runs


def throughput_round(quick: bool = False) -> dict:
    """Issue 17's two figures: lean runs (8 quarters, 50 investors) per CPU second, and
    the CPU milliseconds of a default run (40 quarters, 1,000 investors), both without
    collection."""
    lean = cpu_runs(100 if quick else LEAN_RUNS, **LEAN)
    default = cpu_runs(5 if quick else DEFAULT_RUNS)
    return {"lean_runs_per_cpu_s": 1.0 / lean, "default_cpu_ms": default * 1e3}


def _child(n_investors: int) -> None:
    """Run once in this (fresh) process and print time and own peak memory as JSON."""
    from model.model import PaxSilicaModel  # in the child: its imports are measured too

    t = time.perf_counter()
    m = PaxSilicaModel("baseline", rng=1, n_investors=n_investors)
    m.run()
    dt = time.perf_counter() - t
    print(json.dumps({"n_investors": n_investors, "seconds": dt, "peak_mb": own_peak_mb()}))


def fresh_run(n: int) -> dict:
    res = subprocess.run(
        [sys.executable, "-c", f"from experiments.bench import _child; _child({n})"],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(res.stdout.strip().splitlines()[-1])


def model_round() -> dict:
    """One round of the single-run figures, back to back."""
    return {
        "boltzmann": boltzmann_step(),
        "pax": pax_run(1000),
        "pax_10k": pax_run(10_000),
        "fresh": {n: fresh_run(n) for n in SIZES},
        "throughput": throughput_round(),
    }


def model_figures(rs: list[dict]) -> dict:
    """The single-run figures over the rounds; each ratio within its round."""

    def per_state(r):
        return (r["pax"]["quarter_s"] / r["pax"]["states"]) / (
            r["boltzmann"]["step_s"] / r["boltzmann"]["agents"]
        )

    def whole(r, k):
        return r[k]["build_s"] + r[k]["quarters_s"]

    return {
        "boltzmann_agents": rs[0]["boltzmann"]["agents"],
        "states": rs[0]["pax"]["states"],
        "agents": rs[0]["pax"]["agents"],
        "quarters": rs[0]["pax"]["quarters"],
        "boltzmann_step_us": spread([r["boltzmann"]["step_s"] * 1e6 for r in rs]),
        "quarter_ms": spread([r["pax"]["quarter_s"] * 1e3 for r in rs]),
        "quarter_in_boltzmann_steps": spread(
            per_round(rs, lambda r: r["pax"]["quarter_s"] / r["boltzmann"]["step_s"])
        ),
        "per_state_agent_us": spread(
            [r["pax"]["quarter_s"] / r["pax"]["states"] * 1e6 for r in rs]
        ),
        "per_boltzmann_agent_us": spread(
            [r["boltzmann"]["step_s"] / r["boltzmann"]["agents"] * 1e6 for r in rs]
        ),
        "per_state_agent_ratio": spread(per_round(rs, per_state)),
        "build_s": spread([r["pax"]["build_s"] for r in rs]),
        "run_s": spread([whole(r, "pax") for r in rs]),
        "run_10k_s": spread([whole(r, "pax_10k") for r in rs]),
        "scaling_10x": spread(per_round(rs, lambda r: whole(r, "pax_10k") / whole(r, "pax"))),
        "fresh": {
            n: {
                "seconds": spread([r["fresh"][n]["seconds"] for r in rs]),
                "peak_mb": spread([r["fresh"][n]["peak_mb"] for r in rs]),
            }
            for n in SIZES
        },
        "lean_runs_per_cpu_s": spread([r["throughput"]["lean_runs_per_cpu_s"] for r in rs]),
        "default_cpu_ms": spread([r["throughput"]["default_cpu_ms"] for r in rs]),
    }


def run_models(args) -> int:
    load_before = os.getloadavg()
    rs = [model_round() for _ in range(rounds_of(args))]
    f = model_figures(rs)
    f["load_average"] = {"before": load_before, "after": os.getloadavg()}
    if args.json:
        print(json.dumps({**f, "raw_rounds": rs}, indent=2))
        return 0
    print_models(f, len(rs))
    return 0


def print_models(f: dict, n_rounds: int) -> None:
    """The single-run figures as text, every one median (min..max) over the rounds."""
    print(
        f"Pax Silica benchmark (baseline, {f['quarters']} quarters); median (min..max) over "
        f"{n_rounds} interleaved rounds, ratios taken within each round"
    )
    print(
        f"  one quarter (1,000 investors, {f['states']} states; {f['agents']:,} agents, of "
        f"which {f['agents'] - f['states']:,} investors as numpy rows): "
        f"{show(f['quarter_ms'], '{:.2f}', ' ms')} = "
        f"{show(f['quarter_in_boltzmann_steps'], '{:.1f}')} steps of Mesa's BoltzmannWealth "
        f"({f['boltzmann_agents']} agents, {show(f['boltzmann_step_us'], '{:.0f}', ' us')} a "
        "step)"
    )
    print(
        f"  per state agent: {show(f['per_state_agent_us'], '{:.1f}', ' us')} a quarter = "
        f"{show(f['per_state_agent_ratio'], '{:.1f}', 'x')} a Boltzmann agent's step "
        f"({show(f['per_boltzmann_agent_us'], '{:.1f}', ' us')}; investors' cost included)"
    )
    print(
        f"  default run (1,000 investors): {show(f['run_s'], '{:.3f}', ' s')}, of which "
        f"build {show(f['build_s'], '{:.3f}', ' s')}"
    )
    sc = f["scaling_10x"]
    print(
        f"  10x investors: {show(f['run_s'], '{:.3f}', ' s')} -> "
        f"{show(f['run_10k_s'], '{:.3f}', ' s')} = {show(sc, '{:.2f}', 'x')} "
        f"(target <= {TARGET_SCALING}x, median)  [{ok(sc['median'] <= TARGET_SCALING)}]"
    )
    print("  fresh-process runs (time: build and run; peak: the process's own, imports incl.):")
    for n in SIZES:
        r = f["fresh"][n]
        good = n < 10_000 or r["peak_mb"]["max"] < TARGET_MB
        target = f" (target < {TARGET_MB:.0f} MB, max)  [{ok(good)}]" if n == 10_000 else ""
        print(
            f"    {n:>6,} investors: {show(r['seconds'], '{:.3f}', ' s')}, peak "
            f"{show(r['peak_mb'], '{:.0f}', ' MB')}{target}"
        )
    lean, cpu = f["lean_runs_per_cpu_s"], f["default_cpu_ms"]
    print(
        f"  throughput, CPU time (collect=False): lean runs (8 quarters, 50 investors) "
        f"{show(lean, '{:.0f}', ' runs/s/core')} (target >= {TARGET_LEAN_PER_S:.0f}, median)  "
        f"[{ok(lean['median'] >= TARGET_LEAN_PER_S)}]; a default run (40 quarters, 1,000 "
        f"investors) {show(cpu, '{:.1f}', ' ms CPU')} (target <= {TARGET_DEFAULT_MS:.0f}, "
        f"median)  [{ok(cpu['median'] <= TARGET_DEFAULT_MS)}]"
    )
    la = f["load_average"]
    print(
        f"  load average (1 min) on {os.cpu_count()} cores: {la['before'][0]:.2f} before, "
        f"{la['after'][0]:.2f} after (above about 2, other work shared the machine)"
    )


# --------------------------------------------------------------------- sweeps -------
def run_sweeps(args) -> int:
    # bench_sides imports the model: here, not at the top, so that the command line does
    # not load it for other commands (each side's figures come from its own process).
    from experiments.bench_sides import Config
    from experiments.bench_sweeps import ema_available, print_sweeps, sweep_figures

    quick = args.quick
    config = Config(replications=4 if quick else 20)
    sizes = (200, 2000) if quick else (1000, 10_000)

    def config_of(n_runs: int) -> Config:
        return replace(config, replications=n_runs // config.n_points)

    f = sweep_figures(config, sizes, rounds_of(args), ema_available(), config_of)
    if args.json:
        print(json.dumps({"sweeps": f}, indent=2))
        return 0
    print_sweeps(f)
    return 0
