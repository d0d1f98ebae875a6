"""What every figure of ``pax-silica bench`` is made of: rounds, spreads, ratios, peaks.

The machine a benchmark runs on is shared (two cores here, other jobs beside): one timing
says little, and a best-of hides how often a run is slow. So each case runs in several
rounds, the cases interleaved within a round (a burst of other load hits them alike), and
each figure is printed as median (min..max) over the rounds. A comparison is a ratio taken
within each round, then spread over the rounds: not a ratio of two medians, which can pair
a quiet round of one side with a loaded round of the other.
"""

from __future__ import annotations

import resource
import statistics
import sys
from collections.abc import Callable, Sequence
from pathlib import Path


def spread(values: Sequence[float]) -> dict:
    """min, median and max of one figure over the rounds (and how many rounds)."""
    xs = [float(v) for v in values]
    if not xs:
        raise ValueError("no rounds to summarise")
    return {"min": min(xs), "median": statistics.median(xs), "max": max(xs), "n": len(xs)}


def per_round(rounds: Sequence, fn: Callable) -> list[float]:
    """``fn`` applied within each round: a ratio of two sides measured back to back."""
    return [fn(r) for r in rounds]


def show(s: dict, fmt: str = "{:.2f}", unit: str = "") -> str:
    """``median (min..max)`` of a spread, the median first because it is the one to quote;
    a single round shows its one value alone (no spread to claim)."""
    med = fmt.format(s["median"]) + unit
    if s["n"] == 1:
        return med
    return f"{med} ({fmt.format(s['min'])}..{fmt.format(s['max'])})"


def own_peak_mb() -> float:
    """This process's own peak resident memory in MB.

    Linux keeps ``ru_maxrss`` across ``exec``: a child started by ``subprocess`` (vfork,
    then exec) reports its parent's peak if that is higher, so every fresh process of the
    old benchmark showed the same ~200 MB. ``VmHWM`` in ``/proc/self/status`` is the peak
    of this process's own address space, new at exec. (A forked worker's starts at its
    size at the fork: the pages it shares with its parent count, as they do in its RSS.)
    Elsewhere, ``ru_maxrss`` is the best there is (kB on Linux, bytes on macOS)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024.0 * 1024.0) if sys.platform == "darwin" else peak / 1024.0


def ok(good: bool) -> str:
    """The mark printed after a figure that has a target."""
    return "OK " if good else "MISS"


def run_command(name: str, args: list[str]) -> dict:
    """``pax-silica NAME ARGS`` once in a child process, timed from outside as a user runs
    it: wall seconds, the child's CPU seconds, its stderr, and the load average before and
    after. A failed command raises with the end of its stderr."""
    import os
    import subprocess
    import time

    cmd = [sys.executable, "-m", "experiments.cli", name, *args]
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise RuntimeError(f"{name} failed ({r.returncode}): {r.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "stderr": r.stderr,
        "load_average_before": load,
        "load_average_after": os.getloadavg()[0],
    }
