"""``pax-silica bench --sweeps``: the sweep executor against mesa.batch_run, the EMA
Workbench and a plain loop, on the same runs (issue 5; made fair in issue 17).

The sides (``experiments.bench_sides``) run the same runs with the same seeds and return
one row per run each; every side runs in a fresh process, and the parent checks that
they all returned the same rows (count and digest) before it prints a figure. Rounds are
interleaved, the order of the sides rotated from round to round (no side always runs
right after another's burst of writes, or always first on a cooling machine).

Figures, each as median (min..max) over the rounds:

* *running*: the runs alone, every pool or cluster started and every worker warm (the
  model imported) before the clock; the one-process loop is the floor, and each side's
  speed-up over it (2.0 would be perfect on two cores);
* *end to end*: from the child process's first line (imports, worker start, runs,
  results), each side as a user would call it: batch_run starts its own spawned pool,
  the sweep forks its workers from a process that has imported the model, the EMA
  Workbench forks its pool;
* ratios within each round: sweep / batch_run (target >= 1.5x, issue 5), sweep / EMA;
* parallel efficiency of the sweep executor from 1 to 2 workers, running (target >= 85%);
* each process's own peak memory (``VmHWM``), and the sweep's as it grows from 1,000 to
  10,000 runs (target flat: <= x1.10).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from dataclasses import replace

from experiments.bench_stats import ok, own_peak_mb, per_round, show, spread

TARGET_THROUGHPUT = 1.5
TARGET_EFFICIENCY = 0.85
TARGET_GROWTH = 1.10
WORKERS = 2
LABELS = {
    "loop": "one-process loop",
    "batch_run": "mesa.batch_run",
    "sweep": "sweep executor",
    "ema": "EMA Workbench",
    "sweep_1": "sweep executor",
}


def ema_available() -> bool:
    """Whether the EMA Workbench is installed (the ``bench`` dependency group)."""
    return importlib.util.find_spec("ema_workbench") is not None


def run_side(side: str, config, workers: int) -> dict:
    """Run one side in this process: its times, rows and peaks."""
    from experiments import bench_sides as sides

    if side == "loop":
        return sides.loop(config)
    if side == "batch_run":
        return sides.batch(config, workers, warm=False)
    if side == "batch_run_warm":
        return sides.batch(config, workers, warm=True)
    if side == "sweep":
        return sides.sweep(config, workers)
    if side == "sweep_auto":
        return sides.sweep(config, workers, auto=True)
    if side == "ema":
        from experiments.bench_ema import run_ema

        return run_ema(config, workers)
    raise ValueError(f"unknown side {side!r}")


def child(t0: float, side: str, config_json: str, workers: int) -> None:
    """Entry point of a side's fresh process; ``t0``: the clock at its first line, before
    any import, so the end to end figure counts the imports on every side."""
    from experiments.bench_sides import Config, rows_digest

    config = Config.from_json(config_json)
    res = run_side(side, config, workers)
    # a side's rows are kept in a file on the clock; reading them back (the sweep's) is not
    end_to_end = time.perf_counter() - t0 - res.get("read_back", 0.0)
    rows = res.pop("rows")
    res["peaks"].setdefault("main", own_peak_mb())  # the sweep's: before its read back
    line = {
        "side": side,
        "workers": workers,
        "end_to_end": end_to_end,
        "runs": config.n_runs,
        "rows": len(rows),
        "rows_digest": rows_digest(rows, config),
        **res,
    }
    print(json.dumps(line))


def fresh(side: str, config, workers: int) -> dict:
    """One side in a fresh Python process; its JSON line. The child's clock starts at its
    first line, before it imports anything but ``time``."""
    code = (
        "import time; t0 = time.perf_counter(); "
        "from experiments.bench_sweeps import child; "
        f"child(t0, {side!r}, {config.to_json()!r}, {workers})"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"bench side {side} ({workers} workers) failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def cases(with_ema: bool) -> list[tuple[str, str, int]]:
    """(key, side, workers) of a round. batch_run appears twice: as a user calls it (its
    own pool, started on the clock: the end to end figure) and on a pool warmed first
    (the running figure), since batch_run cannot start its pool apart from its runs."""
    out = [
        ("loop", "loop", 1),
        ("batch_run", "batch_run", WORKERS),
        ("batch_run_warm", "batch_run_warm", WORKERS),
        ("sweep", "sweep", WORKERS),
        ("sweep_1", "sweep", 1),
    ]
    if with_ema:
        out.insert(4, ("ema", "ema", WORKERS))
    return out


SMALL_RUNS = 20


def small_config(config):
    """A sweep of ``SMALL_RUNS`` runs: the first 4 x 5 points of the grid, one seed each."""
    (a, va), (b, vb) = config.grid
    return replace(config, grid=((a, va[:4]), (b, vb[:5])), replications=1)


def small_figures(config, repeats: int, run=fresh) -> dict:
    """Issue 15's small sweep: ``SMALL_RUNS`` runs as ``pax-silica sweep`` runs them (it
    decides where: in process when workers would not pay, ``sweep.workers_pay``) against
    the same runs one after another in a plain loop; each side a fresh process, the ratio
    of their times within each round, end to end (imports in both) and running."""
    small = small_config(config)
    todo = [("loop", "loop", 1), ("sweep", "sweep_auto", WORKERS)]
    rs = rounds(todo, small, repeats, run)
    check_same_work([x for r in rs for x in r.values()], small.n_runs)
    return {
        "runs": small.n_runs,
        "where": sorted({r["sweep"].get("where", "local") for r in rs}),
        "loop_end_to_end_s": spread(per_round(rs, lambda r: end_to_end(r, "loop"))),
        "sweep_end_to_end_s": spread(per_round(rs, lambda r: end_to_end(r, "sweep"))),
        "sweep_over_loop": {
            "end_to_end": throughput_ratio(rs, "sweep", "loop", end_to_end),
            "running": throughput_ratio(rs, "sweep", "loop", running),
        },
    }


def rounds(todo: list[tuple[str, str, int]], config, repeats: int, run=fresh) -> list[dict]:
    """Every case once a round, ``repeats`` rounds, the order rotated by one each round;
    one dict a round, key -> result."""
    out = []
    for i in range(repeats):
        k = i % len(todo)
        out.append({key: run(side, config, w) for key, side, w in todo[k:] + todo[:k]})
    return out


def check_same_work(results: list[dict], n_runs: int) -> str:
    """Refuse to compare sides that did different work: every result must hold one row
    per run and the same rows (digest of seeds, parameters, outcomes). The digest."""
    digests = {r["rows_digest"] for r in results}
    counts = {r["rows"] for r in results}
    if counts != {n_runs} or len(digests) != 1:
        seen = sorted({(r["side"], r["workers"], r["rows"], r["rows_digest"]) for r in results})
        raise RuntimeError(f"the sides did not do the same work ({n_runs} runs each): {seen}")
    return digests.pop()


def running(r: dict, key: str) -> float:
    """Seconds of the runs alone: batch_run's from its warmed pool."""
    return r["batch_run_warm" if key == "batch_run" else key]["running"]


def end_to_end(r: dict, key: str) -> float:
    """Seconds from the child's first line: batch_run's as a user calls it."""
    return r[key]["end_to_end"]


def peaks(r: dict, key: str) -> dict:
    """Each process's own peak: batch_run's from its warmed pool (its own pool's workers
    are gone before they can be asked)."""
    return r["batch_run_warm" if key == "batch_run" else key]["peaks"]


def side_figures(rs: list[dict], key: str, n_runs: int) -> dict:
    p = [peaks(r, key) for r in rs]
    out = {
        "running_s": spread(per_round(rs, lambda r: running(r, key))),
        "running_runs_per_s": spread(per_round(rs, lambda r: n_runs / running(r, key))),
        "end_to_end_s": spread(per_round(rs, lambda r: end_to_end(r, key))),
        "end_to_end_runs_per_s": spread(per_round(rs, lambda r: n_runs / end_to_end(r, key))),
        "main_mb": spread([x["main"] for x in p]),
    }
    if p[0].get("workers"):
        out["worker_mb"] = spread([max(x["workers"]) for x in p])
    if key in ("sweep", "sweep_1"):
        out["start_s"] = spread([r[key]["start"] for r in rs])
    return out


def throughput_ratio(rs: list[dict], side: str, over: str, of) -> dict:
    """``side``'s throughput over ``over``'s, within each round (the same runs: the ratio
    of their times, ``of``: running or end_to_end)."""
    return spread(per_round(rs, lambda r: of(r, over) / of(r, side)))


def growth_figures(config_of, sizes, repeats: int, run=fresh) -> dict:
    """Peak memory of the sweep (and batch_run, warm) at each size, in rounds; the growth
    from the first size to the last within each round: the larger of the main process's
    and the largest worker's."""
    todo = [(f"{side}@{n}", side, WORKERS) for n in sizes for side in ("sweep", "batch_run_warm")]
    rs = []
    for i in range(repeats):
        k = i % len(todo)
        rs.append(
            {
                key: run(side, config_of(int(key.split("@")[1])), w)
                for key, side, w in todo[k:] + todo[:k]
            }
        )
    for n in sizes:
        check_same_work([r[f"{s}@{n}"] for r in rs for s in ("sweep", "batch_run_warm")], n)

    def grow(r: dict, side: str) -> float:
        a, b = r[f"{side}@{sizes[0]}"]["peaks"], r[f"{side}@{sizes[-1]}"]["peaks"]
        return max(b["main"] / a["main"], max(b["workers"]) / max(a["workers"]))

    out = {"sizes": list(sizes), "rounds": rs}
    for side in ("sweep", "batch_run_warm"):
        out[side] = {
            "by_size": {
                n: {
                    "main_mb": spread([r[f"{side}@{n}"]["peaks"]["main"] for r in rs]),
                    "worker_mb": spread([max(r[f"{side}@{n}"]["peaks"]["workers"]) for r in rs]),
                    "runs_per_s": spread([n / r[f"{side}@{n}"]["running"] for r in rs]),
                }
                for n in sizes
            },
            "growth": spread([grow(r, side) for r in rs]),
        }
    return out


def sweep_figures(config, sizes, repeats: int, with_ema: bool, config_of, run=fresh) -> dict:
    """Every figure of the sweep benchmark, and the raw rounds. ``run(side, config,
    workers)``: one side's result (a fresh process; a test gives its own)."""
    load_before = os.getloadavg()
    rs = rounds(cases(with_ema), config, repeats, run)
    digest = check_same_work([x for r in rs for x in r.values()], config.n_runs)
    keys = ["loop", "batch_run", "sweep"] + (["ema"] if with_ema else [])
    f = {
        "config": json.loads(config.to_json()),
        "runs": config.n_runs,
        "workers": WORKERS,
        "rounds": repeats,
        "rows_digest": digest,
        "ema_installed": with_ema,
        "sides": {k: side_figures(rs, k, config.n_runs) for k in [*keys, "sweep_1"]},
        "sweep_over_batch_run": {
            "running": throughput_ratio(rs, "sweep", "batch_run", running),
            "end_to_end": throughput_ratio(rs, "sweep", "batch_run", end_to_end),
        },
        "speedup_over_loop": {
            k: spread(per_round(rs, lambda r, k=k: running(r, "loop") / running(r, k)))
            for k in keys[1:]
        },
        "efficiency_running": spread(
            per_round(rs, lambda r: running(r, "sweep_1") / running(r, "sweep") / WORKERS)
        ),
        "raw_rounds": rs,
    }
    if with_ema:
        f["sweep_over_ema"] = {
            "running": throughput_ratio(rs, "sweep", "ema", running),
            "end_to_end": throughput_ratio(rs, "sweep", "ema", end_to_end),
        }
    f["growth"] = growth_figures(config_of, sizes, repeats, run)
    f["small"] = small_figures(config, repeats, run)
    f["load_average"] = {"before": load_before, "after": os.getloadavg()}
    return f


# ------------------------------------------------------------------------ print -----
def _side_line(name: str, s: dict, of: str) -> str:
    return (
        f"    {name:<24} {show(s[of + '_s'], '{:.1f}', ' s'):<22} "
        f"{show(s[of + '_runs_per_s'], '{:.0f}', ' runs/s')}"
    )


def print_sweeps(f: dict) -> None:
    """The figures as text, every one median (min..max) over the rounds."""
    c, n, sides = f["config"], f["runs"], f["sides"]
    keys = ["loop", "batch_run", "sweep"] + (["ema"] if f["ema_installed"] else [])
    names = {k: f"{LABELS[k]} ({1 if k == 'loop' else f['workers']})" for k in keys}
    names["sweep_1"] = f"{LABELS['sweep_1']} (1)"
    print(
        f"Sweep benchmark: the same {n:,} runs on every side (baseline, {c['steps']} quarters, "
        f"{c['n_investors']} investors, stop at collapse; a 10 x 10 grid of pressure_intensity "
        f"x china_budget, {c['replications']} seeds a point, the sweep's seeds), each side in "
        f"a fresh process with the workers in brackets; median (min..max) over {f['rounds']} "
        "interleaved rounds, ratios taken within each round"
    )
    print(
        f"  every side returned {n:,} rows, one per run, the same rows (digest of seeds, "
        f"parameters and outcomes: {f['rows_digest']})"
    )
    if not f["ema_installed"]:
        print(
            "  EMA Workbench: not installed, side skipped "
            "(uv sync --group bench, or uv run --group bench pax-silica bench)"
        )
    print("  running (pools started and the model imported in every worker before the clock):")
    for k in [*keys, "sweep_1"]:
        print(_side_line(names[k], sides[k], "running"))
    print("  end to end (from a fresh process: imports, worker start, runs, results):")
    for k in keys:
        print(_side_line(names[k], sides[k], "end_to_end"))
    s = sides["sweep"]
    print(
        f"    (the sweep's workers' start, of its end to end: {show(s['start_s'], '{:.1f}', ' s')}"
        f"; batch_run's spawned workers import Mesa and the model on its clock)"
    )
    r = f["sweep_over_batch_run"]
    print(
        f"  sweep / batch_run throughput: running {show(r['running'], '{:.2f}', 'x')}, end to "
        f"end {show(r['end_to_end'], '{:.2f}', 'x')} (target >= {TARGET_THROUGHPUT}x, median "
        f"end to end)  [{ok(r['end_to_end']['median'] >= TARGET_THROUGHPUT)}]"
    )
    if f["ema_installed"]:
        r = f["sweep_over_ema"]
        print(
            f"  sweep / EMA Workbench throughput: running {show(r['running'], '{:.2f}', 'x')}, "
            f"end to end {show(r['end_to_end'], '{:.2f}', 'x')}"
        )
    print(
        "  speed-up over the one-process loop, running (2.00x would be perfect): "
        + ", ".join(
            f"{LABELS[k]} {show(v, '{:.2f}', 'x')}" for k, v in f["speedup_over_loop"].items()
        )
    )
    e = f["efficiency_running"]
    print(
        f"  parallel efficiency of the sweep executor 1 -> {f['workers']} workers, running: "
        f"{show(e, '{:.0%}')} (target >= {TARGET_EFFICIENCY:.0%}, median)  "
        f"[{ok(e['median'] >= TARGET_EFFICIENCY)}]"
    )
    print(
        "  peak memory, each process its own (VmHWM; a forked worker counts the pages it "
        "shares with its parent):"
    )
    for k in keys:
        s = sides[k]
        parts = [f"main {show(s['main_mb'], '{:.0f}', ' MB')}"]
        if "worker_mb" in s:
            parts.append(f"largest worker {show(s['worker_mb'], '{:.0f}', ' MB')}")
        print(f"    {names[k]:<24} " + ", ".join(parts))
    _print_growth(f["growth"])
    _print_small(f["small"])
    la = f["load_average"]
    print(
        f"  load average (1 min) on {os.cpu_count()} cores: {la['before'][0]:.2f} before, "
        f"{la['after'][0]:.2f} after (above about 2, other work shared the machine)"
    )


def _print_small(sm: dict) -> None:
    r = sm["sweep_over_loop"]
    sweep_s = show(sm["sweep_end_to_end_s"], "{:.2f}", " s")
    loop_s = show(sm["loop_end_to_end_s"], "{:.2f}", " s")
    print(
        f"  a small sweep, {sm['runs']} runs as `pax-silica sweep` runs them "
        f"({', '.join(sm['where'])}), against the same runs one after another in a plain "
        f"loop, each in a fresh process: end to end {sweep_s} against {loop_s}; sweep / loop "
        f"throughput end to end {show(r['end_to_end'], '{:.2f}', 'x')}, running "
        f"{show(r['running'], '{:.2f}', 'x')} (target: no slower, >= 1.00x, median end to end)"
        f"  [{ok(r['end_to_end']['median'] >= 1.0)}]"
    )


def _print_growth(g: dict) -> None:
    sizes = g["sizes"]
    print("  peak memory as the sweep grows (running; main process / largest worker):")
    for n in sizes:
        parts = []
        for side, name in (("sweep", "sweep"), ("batch_run_warm", "batch_run")):
            b = g[side]["by_size"][n]
            parts.append(
                f"{name} {show(b['main_mb'], '{:.0f}')} / {show(b['worker_mb'], '{:.0f}', ' MB')}"
                f" ({show(b['runs_per_s'], '{:.0f}', ' runs/s')})"
            )
        print(f"    {n:>6,} runs: " + "; ".join(parts))
    grow = g["sweep"]["growth"]
    print(
        f"    sweep, {sizes[-1] // sizes[0]}x the runs: memory x{show(grow, '{:.2f}')} "
        f"(target flat, <= x{TARGET_GROWTH:.2f}, median)  [{ok(grow['median'] <= TARGET_GROWTH)}]"
        f"; batch_run x{show(g['batch_run_warm']['growth'], '{:.2f}')}"
    )
