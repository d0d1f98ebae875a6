"""``pax-silica bench``: how fast and how lean the model is, measured in this process.

* per agent-step cost of Pax Silica next to Mesa's own ``BoltzmannWealth`` example,
  timed in the same process (a ratio, so the machine's speed cancels out);
* wall time of a default run;
* time and peak memory of a run at 100, 1,000 and 10,000 investors (each in a fresh
  subprocess, so peak memory is the run's own, imports included).

Targets (issue 3): per agent-step cost at most 2x Mesa's reference; 10x the investors at
most 11x the time; a 10,000-investor run under 300 MB.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

TARGET_RATIO = 2.0
TARGET_SCALING = 11.0
TARGET_MB = 300.0


def register(sub, add_scenario_args) -> None:
    p = sub.add_parser("bench", help="benchmark speed and memory against targets")
    p.add_argument("--repeats", type=int, default=3, help="timing repeats (best of)")
    p.add_argument("--quick", action="store_true", help="fewer repeats, for a smoke test")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
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


def pax_run_time(n_investors: int = 1000, steps: int = 40, repeats: int = 3) -> tuple[float,
                                                                                    int]:
    """Best wall time of a baseline run, and its number of agents."""
    from model.model import PaxSilicaModel

    n_agents = 0

    def go():
        nonlocal n_agents
        m = PaxSilicaModel("baseline", rng=1, n_investors=n_investors, steps=steps)
        n_agents = len(m.agents)
        m.run()

    return _best(go, repeats), n_agents


def _child(n_investors: int) -> None:
    """Run once in this (fresh) process and print time and peak memory as JSON."""
    import resource

    from model.model import PaxSilicaModel

    t = time.perf_counter()
    m = PaxSilicaModel("baseline", rng=1, n_investors=n_investors)
    m.run()
    dt = time.perf_counter() - t
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"n_investors": n_investors, "seconds": dt, "peak_mb": peak_mb}))


def scaling(sizes=(100, 1000, 10_000)) -> list[dict]:
    out = []
    for n in sizes:
        res = subprocess.run([sys.executable, "-c",
                              f"from experiments.bench import _child; _child({n})"],
                             capture_output=True, text=True, check=True)
        out.append(json.loads(res.stdout.strip().splitlines()[-1]))
    return out


def run(args) -> int:
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
    print(f"  per agent-step: Pax Silica {pax * 1e6:.2f} us, Mesa BoltzmannWealth "
          f"{ref * 1e6:.2f} us -> ratio {pax / ref:.2f} (target <= {TARGET_RATIO})"
          f"  [{ok(pax / ref <= TARGET_RATIO)}]")
    print(f"  default run (1,000 investors, {n_agents} agents): {run_s:.3f} s")
    print(f"  10x investors: {t1k:.3f} s -> {t10k:.3f} s = {t10k / t1k:.2f}x "
          f"(target <= {TARGET_SCALING}x)  [{ok(t10k / t1k <= TARGET_SCALING)}]")
    print("  fresh-process runs (time incl. model build; peak RSS incl. imports):")
    for r in mem:
        good = r["n_investors"] < 10_000 or r["peak_mb"] < TARGET_MB
        print(f"    {r['n_investors']:>6} investors: {r['seconds']:.3f} s, "
              f"peak {r['peak_mb']:.0f} MB  [{ok(good)}]")
    return 0
