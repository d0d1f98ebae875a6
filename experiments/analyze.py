"""``pax-silica analyze``: what a sweep says about the alliance's survival.

* ``survival DIR [DIR ...] [--by PARAM --bins K]``: Kaplan-Meier curves of the time to
  collapse (event = collapse; survivors censored at the horizon), one per scenario or per
  bin of a varied parameter; median time to collapse; a PNG and a table on stdout.
* ``compare DIR [DIR ...] [--by scenario|PARAM]``: groups of runs (the scenarios of a
  ``--vary scenario`` sweep, several sweep folders, or bins of a varied parameter) side by
  side: overlaid Kaplan-Meier curves, the log-rank test of each pair, and the difference
  in collapse share, restricted mean time to collapse and final capital with 95%
  percentile bootstrap intervals.
* ``sensitivity DIR``: Sobol indices (a ``sobol`` design) or Morris elementary effects (a
  ``morris`` design) of the collapse probability (share of replications that collapse, per
  point) and of the mean time to collapse; a bar chart PNG and a table.
* ``discover DIR``: scenario discovery with PRIM (below): the box of parameter ranges in
  which the alliance collapses, with its coverage and density (``--box N`` picks a box of
  the peeling trajectory by index); or, ``--method cart``, a shallow classification tree
  (scikit-learn) whose leaves are printed as rules.
* ``features DIR``: feature scores (extra-trees importances) of the varied parameters for
  collapse and for the time to collapse, ranked.
* ``criticality``: every member but the leader knocked out in turn (a scripted
  ``force_out`` at quarter ``--at``) over the same seeds, ranked by how much survival
  falls without it; runs on Dask like a sweep.

The computations are plain functions (``km_table``, ``compare_groups``, ``rmst``,
``sobol_indices``, ``morris_indices``, ``prim``, ``cart_rules``, ``feature_scores``,
``criticality_table``) so they can be tested on known cases and used from Python.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.args import (
    CliError,
    load_from_args,
    markdown_table,
    natural_int,
    positive_int,
    whole_number,
)
from experiments.design import run_seed
from experiments.sweep import (
    EXIT_INTERRUPTED,
    Progress,
    _check_scheduler,
    executor_for,
    load_results,
    read_manifest,
    run_chunk,
)
from model.estimates import kaplan_meier
from model.scenario import Event
from model.world import LEADER

OUTPUTS = {
    "collapse_probability": "collapse probability",
    "time_to_collapse": "mean time to collapse (quarters)",
}


# ------------------------------------------------------------------- survival -------
def km_table(
    df: pd.DataFrame,
    by: str | None = None,
    horizon: int | None = None,
    marks: list[int] | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Kaplan-Meier estimates per group of ``df`` (columns ``time_to_collapse``,
    ``event_observed`` and ``by``; all runs one group if ``by`` is None).

    Returns a table (group, runs, collapses, survival at ``marks``, collapse probability by
    the horizon, median time to collapse, NaN when survival never falls to one half) and
    the fitted ``lifelines.KaplanMeierFitter`` of each group (``model.estimates``)."""
    if horizon is None:
        horizon = int(df["time_to_collapse"].max()) if len(df) else 0
    if marks is None:
        marks = sorted({max(1, round(horizon * f)) for f in (0.25, 0.5, 0.75, 1.0)})
    groups = (
        [("all runs", df)]
        if by is None
        else [(str(k), g) for k, g in df.groupby(by, sort=True, observed=True)]
    )
    rows, fits = [], {}
    for label, g in groups:
        km = kaplan_meier(g["time_to_collapse"], g["event_observed"], horizon, label=label)
        fits[label] = km.fitter
        row: dict[str, Any] = {
            "group": label,
            "runs": len(g),
            "collapses": int(g["event_observed"].sum()),
        }
        for t in marks:
            row[f"survival_q{t}"] = km.at(t)
        row["collapse_by_horizon"] = 1.0 - km.at(horizon)
        med = km.median
        row["median_time_to_collapse"] = med if math.isfinite(med) else math.nan
        rows.append(row)
    return pd.DataFrame(rows), fits


def plot_survival(
    fits: dict, path: Path, title: str, horizon: int, note: str | None = None
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for kmf in fits.values():
        kmf.plot_survival_function(ax=ax, ci_show=len(fits) <= 4)
    ax.set_xlim(0, horizon)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("quarter")
    ax.set_ylabel("share of runs in which the alliance survives")
    ax.axhline(0.5, color="grey", lw=0.6, ls=":")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="lower left")
    if note:
        ax.text(0.98, 0.04, note, transform=ax.transAxes, ha="right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def binned(
    df: pd.DataFrame, param: str, bins: int, bounds: tuple[float, float] | None
) -> pd.Series:
    """Group labels for ``param``: its values if it has at most ``bins`` of them, else
    ``bins`` equal-width intervals over ``bounds`` (the varied range)."""
    x = df[param]
    if pd.api.types.is_bool_dtype(x) or x.nunique() <= bins:
        values = sorted(x.unique())
        labels = [f"{param}={_fmt_value(v)}" for v in values]
        lookup = dict(zip(values, labels, strict=True))
        return pd.Series(
            pd.Categorical([lookup[v] for v in x], categories=labels, ordered=True), index=df.index
        )
    lo, hi = bounds if bounds else (float(x.min()), float(x.max()))
    edges = np.linspace(lo, hi, bins + 1)
    idx = np.clip(np.searchsorted(edges, x.to_numpy(dtype=float), side="right") - 1, 0, bins - 1)
    labels = [f"{param} {_fmt_value(edges[i])}-{_fmt_value(edges[i + 1])}" for i in range(bins)]
    return pd.Series(
        pd.Categorical([labels[i] for i in idx], categories=labels, ordered=True), index=df.index
    )


def _fmt_value(v: Any) -> str:
    if isinstance(v, bool | np.bool_):
        return str(bool(v)).lower()
    if isinstance(v, float | np.floating):
        return f"{float(v):.3g}"
    return str(v)


# -------------------------------------------------------------------- compare -------
CAPITAL = "final_capital_committed"
COMPARED = {
    "collapse_share": "share of runs that collapse",
    "rmst": "restricted mean time to collapse (quarters, to the horizon)",
    "final_capital": "mean capital committed at the end",
}
BOOT_CHUNK = 250  # bootstrap resamples drawn at a time (bounded memory for large groups)


def rmst(durations: np.ndarray, observed: np.ndarray, horizon: int) -> np.ndarray:
    """Restricted mean survival time to ``horizon``: the area under the Kaplan-Meier curve
    on [0, horizon], for whole-quarter times. ``durations`` and ``observed`` may be 1-D
    (one sample) or 2-D (one sample per row, e.g. bootstrap resamples); one value per
    sample. The estimator of ``lifelines.utils.restricted_mean_survival_time``, vectorised
    for the bootstrap (the tests check the two agree)."""
    t = np.atleast_2d(np.asarray(durations)).astype(np.int64)
    e = np.atleast_2d(np.asarray(observed, dtype=bool))
    b, n = t.shape
    width = horizon + 1
    t = np.clip(t, 0, horizon)
    flat = (t + width * np.arange(b)[:, None]).ravel()
    size = b * width
    events = np.bincount(flat, weights=e.ravel().astype(float), minlength=size).reshape(b, width)
    leaving = np.bincount(flat, minlength=size).reshape(b, width)
    at_risk = n - np.cumsum(leaving, axis=1) + leaving  # still in at the start of each quarter
    hazard = np.divide(events, at_risk, out=np.zeros_like(events), where=at_risk > 0)
    surv = np.cumprod(1.0 - hazard, axis=1)
    return surv[:, :horizon].sum(axis=1)  # S is constant on [q, q + 1)


def _group_statistics(g: pd.DataFrame, horizon: int) -> dict[str, float]:
    t = g["time_to_collapse"].to_numpy()
    e = g["event_observed"].to_numpy(dtype=bool)
    out = {"collapse_share": float(e.mean()), "rmst": float(rmst(t, e, horizon)[0])}
    if CAPITAL in g:
        out["final_capital"] = float(g[CAPITAL].mean())
    return out


def _bootstrap(g: pd.DataFrame, horizon: int, reps: int, rng) -> dict[str, np.ndarray]:
    """``reps`` resamples of the group's runs (with replacement) and each statistic on each."""
    t = g["time_to_collapse"].to_numpy()
    e = g["event_observed"].to_numpy(dtype=bool)
    cap = g[CAPITAL].to_numpy(dtype=float) if CAPITAL in g else None
    out: dict[str, list] = {k: [] for k in COMPARED if k != "final_capital" or cap is not None}
    n = len(t)
    for start in range(0, reps, BOOT_CHUNK):
        idx = rng.integers(0, n, size=(min(BOOT_CHUNK, reps - start), n))
        out["collapse_share"].append(e[idx].mean(axis=1))
        out["rmst"].append(rmst(t[idx], e[idx], horizon))
        if cap is not None:
            out["final_capital"].append(cap[idx].mean(axis=1))
    return {k: np.concatenate(v) for k, v in out.items()}


def compare_groups(
    df: pd.DataFrame,
    by: str,
    horizon: int,
    reps: int = 2000,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Groups of runs (column ``by``) compared: a table per group (runs, collapses, share
    that collapse, restricted mean time to collapse to ``horizon``, median time to
    collapse, mean final capital), a table per pair of groups (a before b, in group order)
    and statistic (each group's value, the difference b - a with a 95% percentile
    bootstrap interval, ``reps`` resamples of each group's runs drawn from
    ``numpy.random.default_rng([seed, group])``, and the log-rank test's p-value of the
    pair), and the Kaplan-Meier fits of the groups (for the plot)."""
    from lifelines.statistics import logrank_test

    table, fits = km_table(df, by=by, horizon=horizon)
    groups = [(str(k), g) for k, g in df.groupby(by, sort=True, observed=True)]
    values, boots = {}, {}
    for i, (label, g) in enumerate(groups):
        values[label] = _group_statistics(g, horizon)
        boots[label] = _bootstrap(g, horizon, reps, np.random.default_rng([seed, i]))
    stats = [k for k in COMPARED if all(k in v for v in values.values())]
    per_group = pd.DataFrame(
        [
            {
                "group": label,
                "runs": len(g),
                "collapses": int(g["event_observed"].sum()),
                **{k: values[label][k] for k in stats},
                "median_time_to_collapse": table.set_index("group").loc[
                    label, "median_time_to_collapse"
                ],
            }
            for label, g in groups
        ]
    )
    rows = []
    for i, (a, ga) in enumerate(groups):
        for b, gb in groups[i + 1 :]:
            p = logrank_test(
                ga["time_to_collapse"],
                gb["time_to_collapse"],
                ga["event_observed"].astype(bool),
                gb["event_observed"].astype(bool),
            ).p_value
            for k in stats:
                diff = boots[b][k] - boots[a][k]
                lo, hi = np.quantile(diff, [0.025, 0.975])
                rows.append(
                    {
                        "a": a,
                        "b": b,
                        "statistic": k,
                        "value_a": values[a][k],
                        "value_b": values[b][k],
                        "difference": values[b][k] - values[a][k],
                        "low_95": float(lo),
                        "high_95": float(hi),
                        "logrank_p": float(p),
                        "runs_a": len(ga),
                        "runs_b": len(gb),
                    }
                )
    return per_group, pd.DataFrame(rows), fits


# ---------------------------------------------------------------- sensitivity -------
def sobol_indices(
    problem: dict, X: np.ndarray | None, Y: np.ndarray, second_order: bool = False, seed: int = 1
) -> pd.DataFrame:
    """First-order (S1) and total (ST) Sobol indices with 95% confidence half-widths, from
    outputs ``Y`` of a Saltelli sample (``SALib.sample.sobol``) in sample order. ``X`` is
    accepted for a uniform signature; Saltelli's estimators need only the order of Y.
    ``seed`` seeds the bootstrap of the confidence intervals (SALib ignores 0)."""
    from SALib.analyze import sobol

    Y = np.asarray(Y, dtype=float)
    res = sobol.analyze(
        problem, Y, calc_second_order=second_order, seed=seed, print_to_console=False
    )
    return pd.DataFrame(
        {
            "parameter": problem["names"],
            "S1": res["S1"],
            "S1_conf": res["S1_conf"],
            "ST": res["ST"],
            "ST_conf": res["ST_conf"],
        }
    )


def morris_indices(
    problem: dict, X: np.ndarray, Y: np.ndarray, num_levels: int = 4, seed: int = 1
) -> pd.DataFrame:
    """Morris elementary effects: mu* (mean absolute effect, with 95% confidence), mu and
    sigma, per parameter, from a Morris sample ``X`` and its outputs ``Y``."""
    from SALib.analyze import morris

    res = morris.analyze(
        problem,
        np.asarray(X, dtype=float),
        np.asarray(Y, dtype=float),
        num_levels=num_levels,
        seed=seed,
        print_to_console=False,
    )
    return pd.DataFrame(
        {
            "parameter": problem["names"],
            "mu_star": res["mu_star"],
            "mu_star_conf": res["mu_star_conf"],
            "mu": res["mu"],
            "sigma": res["sigma"],
        }
    )


def sensitivity_indices(
    method: str, problem: dict, X: np.ndarray | None, Y: np.ndarray, **kw
) -> pd.DataFrame:
    """``sobol_indices`` or ``morris_indices`` by name."""
    if method == "sobol":
        return sobol_indices(problem, X, Y, **kw)
    if method == "morris":
        return morris_indices(problem, X, Y, **kw)
    raise ValueError(f"unknown method {method!r}")


def point_outputs(df: pd.DataFrame, n_points: int) -> pd.DataFrame:
    """Per design point: collapse probability (mean over replications) and mean time to
    collapse, in point order."""
    g = df.groupby("point").agg(
        collapse_probability=("event_observed", "mean"),
        time_to_collapse=("time_to_collapse", "mean"),
    )
    return g.reindex(range(n_points))


def plot_indices(tables: dict[str, pd.DataFrame], method: str, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(tables), figsize=(5.5 * len(tables), 4), squeeze=False)
    for ax, (out, t) in zip(axes[0], tables.items(), strict=True):
        x = np.arange(len(t))
        if method == "sobol":
            ax.bar(x - 0.2, t["S1"], 0.4, yerr=t["S1_conf"], label="first order S1", capsize=3)
            ax.bar(x + 0.2, t["ST"], 0.4, yerr=t["ST_conf"], label="total ST", capsize=3)
            ax.set_ylabel("Sobol index")
            ax.legend(fontsize=8)
        else:
            ax.bar(x, t["mu_star"], 0.6, yerr=t["mu_star_conf"], capsize=3)
            ax.set_ylabel("Morris mu* (effect over the full range)")
        ax.set_xticks(x, t["parameter"], rotation=30, ha="right", fontsize=8)
        ax.set_title(OUTPUTS[out], fontsize=10)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


# ----------------------------------------------------------------------- PRIM -------
@dataclass(frozen=True)
class Box:
    """A box of parameter ranges and how well it captures the runs of interest:
    coverage = share of all cases of interest inside the box; density = share of the runs
    inside the box that are cases of interest; support = share of all runs inside."""

    limits: dict[str, tuple[float, float]]
    coverage: float
    density: float
    support: float
    n: int

    def restricted(self, full: dict[str, tuple[float, float]]) -> dict:
        return {k: v for k, v in self.limits.items() if v != full[k]}


def prim(
    X: pd.DataFrame, y: np.ndarray, alpha: float = 0.05, min_support: float = 0.05
) -> list[Box]:
    """PRIM's peeling trajectory (Friedman and Fisher 1999), as used in scenario discovery.

    Starting from the box that holds every run, each step considers, for every parameter,
    cutting off the ``alpha`` share of the runs still in the box with the lowest values
    or the highest (all runs at a tied boundary value go together, so a true/false
    parameter is cut in one piece) and makes the cut that raises the density of cases of
    interest (``y`` true) in the box most per run cut off: for continuous parameters, where
    every cut removes about ``alpha``, this is Friedman and Fisher's highest density; the
    rate keeps a cut that halves the box at once (a tie-heavy or true/false parameter) from
    winning on a chance gain. Peeling stops when no cut raises the density or the box
    would hold fewer than ``min_support`` of the runs. Returns every box along the way,
    the first holding all runs."""
    Xv = X.to_numpy(dtype=float)
    y = np.asarray(y, dtype=bool)
    n, total = len(y), int(y.sum())
    if n == 0 or total == 0:
        raise ValueError("PRIM needs at least one case of interest")
    names = list(X.columns)
    inside = np.ones(n, dtype=bool)
    limits = {k: (float(Xv[:, j].min()), float(Xv[:, j].max())) for j, k in enumerate(names)}

    def box() -> Box:
        m = int(inside.sum())
        hit = int(y[inside].sum())
        return Box(dict(limits), hit / total, hit / m if m else 0.0, m / n, m)

    traj = [box()]
    min_n = max(1, math.ceil(min_support * n))
    while True:
        cur = y[inside].mean()
        best = None
        idx = np.flatnonzero(inside)
        for j in range(len(names)):
            xj = Xv[idx, j]
            lo_cut = np.quantile(xj, alpha, method="lower")
            hi_cut = np.quantile(xj, 1 - alpha, method="higher")
            keep_lo = xj > lo_cut  # peel the lowest values, ties included
            keep_hi = xj < hi_cut  # peel the highest values, ties included
            for keep in (keep_lo, keep_hi):
                k = int(keep.sum())
                if k == len(xj) or k < min_n:
                    continue
                dens = y[idx[keep]].mean()
                if dens <= cur + 1e-12:
                    continue
                rate = (dens - cur) / (len(xj) - k)  # density gained per run peeled
                if (
                    best is None
                    or rate > best[0] + 1e-15
                    or (abs(rate - best[0]) <= 1e-15 and k > best[1])
                ):
                    best = (rate, k, j, keep)
        if best is None:
            break
        _, _, j, keep = best
        inside[idx[~keep]] = False
        kept = Xv[idx[keep], j]
        limits[names[j]] = (float(kept.min()), float(kept.max()))
        traj.append(box())
    return traj


def choose_box(traj: list[Box], min_coverage: float = 0.5) -> Box:
    """The box to report: among the boxes with coverage at least ``min_coverage``, the
    least peeled (most coverage) whose density is within one standard error,
    sqrt(d (1 - d) / n), of the densest one's. Peeling on past that point mostly trims
    noise at the edges: density rises by chance while coverage falls."""
    ok = [b for b in traj if b.coverage >= min_coverage - 1e-12] or traj[:1]
    best = max(ok, key=lambda b: (b.density, b.coverage))
    se = math.sqrt(best.density * (1 - best.density) / best.n) if best.n else 0.0
    return next(b for b in ok if b.density >= best.density - se - 1e-12)


# ---------------------------------------------------------------- criticality -------
def knockout_scenarios(scen, at: int) -> dict[str, Any]:
    """The scenario as is (key "") and, per member but the leader, a copy in which that
    member is forced out at quarter ``at``."""

    out = {"": scen}
    for a in scen.members:
        if a == LEADER:
            continue
        out[a] = replace(
            scen,
            name=f"{scen.name} without {a}",
            events=list(scen.events) + [Event(at, "force_out", actor=a)],
        )
    return out


def criticality_table(df: pd.DataFrame) -> pd.DataFrame:
    """From runs with a ``knocked_out`` column ("" = nobody): survival (share of runs that
    reach the horizon) and mean time to collapse per member knocked out, with the fall in
    survival against the unchanged scenario; ranked, largest fall first."""
    g = df.groupby("knocked_out").agg(
        runs=("event_observed", "size"),
        survival=("survived", "mean"),
        mean_time_to_collapse=("time_to_collapse", "mean"),
    )
    if "" not in g.index:
        raise ValueError("criticality needs the runs of the unchanged scenario")
    base = g.loc[""]
    t = g.drop(index="").reset_index().rename(columns={"knocked_out": "member"})
    t["survival_drop"] = base["survival"] - t["survival"]
    t["time_drop"] = base["mean_time_to_collapse"] - t["mean_time_to_collapse"]
    t = t.sort_values(
        ["survival_drop", "time_drop", "member"], ascending=[False, False, True], kind="stable"
    ).reset_index(drop=True)
    t.insert(0, "rank", range(1, len(t) + 1))
    t.attrs["baseline_survival"] = float(base["survival"])
    t.attrs["baseline_time"] = float(base["mean_time_to_collapse"])
    t.attrs["runs_per_member"] = int(base["runs"])
    return t


def run_criticality(
    scen,
    replications: int,
    seed: int,
    at: int,
    executor,
    chunk_size: int | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Run the unchanged scenario and every knock-out over the same seeds (replication r
    uses ``run_seed(seed, 0, r)`` in every variant) on ``executor``; return all runs."""

    scenarios = knockout_scenarios(scen, at)
    keys = list(scenarios)
    runs = [
        (i, r, run_seed(seed, 0, r), {}, k) for i, k in enumerate(keys) for r in range(replications)
    ]
    size = chunk_size or executor.chunk_size(len(runs))
    chunks = [runs[i : i + size] for i in range(0, len(runs), size)]
    bar = Progress(len(runs), enabled=progress)
    frames = []

    def on_result(task, result):
        frames.append(result[0])
        bar.update(len(result[0]))

    try:
        executor.map_chunks(run_chunk, ((scenarios, c, [], False) for c in chunks), on_result)
    finally:
        bar.close()
    df = pd.concat(frames, ignore_index=True).sort_values(["point", "replication"])
    df["knocked_out"] = [keys[p] for p in df["point"]]
    return df.reset_index(drop=True)


# ------------------------------------------------------------------- commands -------
def register(sub, add_scenario_args) -> None:
    p = sub.add_parser(
        "analyze",
        help="survival, comparison, sensitivity, scenario discovery, feature scores, "
        "criticality of a sweep",
    )
    a = p.add_subparsers(dest="analysis", metavar="ANALYSIS")
    a.required = True

    s = a.add_parser("survival", help="Kaplan-Meier survival curves and median time to collapse")
    s.add_argument("dirs", nargs="+", type=Path, metavar="DIR", help="sweep folder(s)")
    s.add_argument(
        "--by", metavar="PARAM", help="a varied parameter to group runs by (default: by scenario)"
    )
    s.add_argument(
        "--bins",
        type=positive_int,
        default=4,
        help="groups for a numeric --by parameter (default 4, equal width)",
    )
    _output_args(s)
    s.set_defaults(func=cmd_survival)

    k = a.add_parser(
        "compare",
        help="compare scenarios (or groups of a parameter): Kaplan-Meier curves, log-rank "
        "tests, differences with 95% intervals",
    )
    k.add_argument(
        "dirs",
        nargs="+",
        type=Path,
        metavar="DIR",
        help="a sweep folder with two or more groups, or several sweep folders",
    )
    k.add_argument(
        "--by",
        default="scenario",
        metavar="scenario|PARAM",
        help="group runs by scenario (default) or by a varied parameter",
    )
    k.add_argument(
        "--bins",
        type=positive_int,
        default=4,
        help="groups for a numeric --by parameter (default 4, equal width)",
    )
    k.add_argument(
        "--resamples",
        type=whole_number(100, 100_000),
        default=2000,
        help="bootstrap resamples of each group's runs for the 95%% intervals (default 2000)",
    )
    k.add_argument("--seed", type=natural_int, default=0, help="seed of the bootstrap (default 0)")
    _output_args(k)
    k.set_defaults(func=cmd_compare)

    e = a.add_parser(
        "sensitivity", help="Sobol or Morris indices of collapse probability and time to collapse"
    )
    e.add_argument("dir", type=Path, metavar="DIR")
    _output_args(e)
    e.set_defaults(func=cmd_sensitivity)

    d = a.add_parser(
        "discover", help="scenario discovery (PRIM or CART): where the alliance collapses"
    )
    d.add_argument("dir", type=Path, metavar="DIR")
    d.add_argument(
        "--method",
        choices=["prim", "cart"],
        default="prim",
        help="prim: a box of parameter ranges (default); cart: a classification tree's rules",
    )
    d.add_argument(
        "--box",
        type=natural_int,
        metavar="N",
        help="prim: report box N of the peeling trajectory (default: chosen by --min-coverage)",
    )
    d.add_argument(
        "--trajectory",
        action="store_true",
        help="prim: print every box of the peeling trajectory (by index) instead of one box",
    )
    d.add_argument(
        "--depth", type=whole_number(1, 8), default=3, help="cart: levels of the tree (default 3)"
    )
    d.add_argument(
        "--min-leaf",
        type=_share,
        default=0.05,
        help="cart: each leaf holds at least this share of the runs (default 0.05)",
    )
    d.add_argument("--seed", type=natural_int, default=0, help="cart: random state (default 0)")
    d.add_argument(
        "--alpha", type=_share, default=0.05, help="share of the box peeled per step (default 0.05)"
    )
    d.add_argument(
        "--min-support",
        type=_share,
        default=0.05,
        help="stop when the box holds fewer runs than this share (default 0.05)",
    )
    d.add_argument(
        "--min-coverage",
        type=_share,
        default=0.5,
        help="the box reported is the densest with at least this coverage (default 0.5)",
    )
    _output_args(d)
    d.set_defaults(func=cmd_discover)

    f = a.add_parser(
        "features", help="feature scores (extra-trees): which parameters tell collapse"
    )
    f.add_argument("dir", type=Path, metavar="DIR")
    f.add_argument("--trees", type=whole_number(10, 5000), default=250, help="trees (default 250)")
    f.add_argument("--seed", type=natural_int, default=0, help="random state (default 0)")
    _output_args(f)
    f.set_defaults(func=cmd_features)

    c = a.add_parser(
        "criticality",
        help="knock out each member in turn and rank members by how much survival falls",
    )
    add_scenario_args(c)
    c.add_argument(
        "--replications",
        type=positive_int,
        default=20,
        help="runs per member (same seeds for every member; default 20)",
    )
    c.add_argument("--seed", type=natural_int, default=0, help="master seed (default 0)")
    c.add_argument(
        "--at", type=positive_int, default=1, help="quarter of the knock-out (default 1)"
    )
    c.add_argument("--steps", type=positive_int, help="quarters per run")
    c.add_argument("--workers", type=positive_int, help="worker processes (one per core)")
    c.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="a running Dask scheduler")
    c.add_argument("--chunk-size", type=positive_int, help="runs per task")
    c.add_argument("--no-progress", action="store_true")
    _output_args(c)
    c.set_defaults(func=cmd_criticality)


def _output_args(p) -> None:
    p.add_argument(
        "--format",
        choices=["markdown", "csv"],
        default="markdown",
        help="table on stdout (default markdown)",
    )
    p.add_argument("--plot", type=Path, help="PNG file for the chart (default: in DIR)")


def _share(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {text!r}") from None
    if not 0.0 < v < 1.0:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {text!r}")
    return v


def _table(df: pd.DataFrame, fmt: str) -> str:
    if fmt == "csv":
        return df.to_csv(index=False).rstrip("\n")
    return markdown_table(df, _cell)


def _cell(v: Any) -> str:
    if isinstance(v, float | np.floating):
        return "-" if math.isnan(v) else f"{v:.3f}"
    return str(v)


def _plot_path(args, default: Path) -> Path:
    path = args.plot or default
    if path.suffix.lower() != ".png":
        raise CliError(f"--plot: expected a file ending in .png, got {path}")
    if not path.resolve().parent.is_dir():
        raise CliError(f"--plot: the folder {path.parent} does not exist")
    return path


def _sweep(folder: Path, flag: str = "DIR") -> tuple[dict, pd.DataFrame]:
    """The manifest and runs of a sweep folder; an error if it is not one or is empty."""

    if not folder.exists():
        raise CliError(
            f"{flag} {folder}: no such folder; expected the --out folder of `pax-silica sweep`"
        )
    manifest = read_manifest(folder, flag=f"{flag} {folder}")
    df = load_results(folder)
    if df.empty:
        raise CliError(f"{flag} {folder}: no runs written yet")
    return manifest, df


def _complete(manifest: dict, df: pd.DataFrame, folder: Path) -> None:
    if len(df) != manifest["runs_total"]:
        raise CliError(
            f"DIR {folder}: the sweep is incomplete ({len(df):,} of "
            f"{manifest['runs_total']:,} runs); finish it with "
            f"pax-silica sweep --resume {folder}"
        )


def cmd_survival(args) -> int:
    df, manifests, horizon = _labelled(args.dirs)
    if args.by is not None:
        bounds = _by_bounds(args.dirs, manifests, args.by)
        df["group"] = binned(df, args.by, args.bins, bounds)
        if df["scenario"].nunique() > 1:
            df["group"] = df["scenario"] + ": " + df["group"].astype(str)
        by, title = "group", f"Survival of the alliance by {args.by}"
    else:
        by, title = "scenario", "Survival of the alliance by scenario"
    table, fits = km_table(df, by=by, horizon=horizon)
    path = _plot_path(
        args, args.dirs[0] / (f"survival-by-{args.by}.png" if args.by else "survival.png")
    )
    plot_survival(fits, path, title, horizon)
    print(_table(table, args.format))
    print(f"Plot written to {path}", file=sys.stderr)
    return 0


def _by_bounds(
    dirs: list[Path], manifests: list[dict], by: str, also: str = ""
) -> tuple[float, float] | None:
    """The range of ``--by``'s parameter over the folders (None for lists of values); an
    error if a folder does not vary it."""
    bounds = None
    for folder, manifest in zip(dirs, manifests, strict=True):
        params = manifest["design"]["parameters"]
        known = [p["name"] for p in params]
        if by not in known:
            raise CliError(
                f"--by: {by!r} is not varied in {folder}; expected {also}one of "
                f"{', '.join(known) or '(none: nothing is varied there)'}"
            )
        spec = next(p for p in params if p["name"] == by)
        if spec["kind"] == "range":
            lo, hi = float(spec["low"]), float(spec["high"])
            bounds = (min(lo, bounds[0]), max(hi, bounds[1])) if bounds else (lo, hi)
    return bounds


def _labelled(dirs: list[Path]) -> tuple[pd.DataFrame, list[dict], int]:
    """The runs of every folder, their ``scenario`` label made unique across folders (a
    scenario in more than one folder gets the folder's name); the manifests; the horizon."""
    loaded = [(folder, *_sweep(folder)) for folder in dirs]
    seen: dict[str, int] = {}
    for _, _, df in loaded:
        for label in df["scenario"].unique():
            seen[label] = seen.get(label, 0) + 1
    names = [f.name for f, _, _ in loaded]
    frames, horizon = [], 0
    for folder, manifest, df in loaded:
        tag = folder.name if names.count(folder.name) == 1 else str(folder)
        df = df.assign(scenario=[f"{s} ({tag})" if seen[s] > 1 else s for s in df["scenario"]])
        steps = [manifest["scenario"]["steps"]]
        steps += [r["steps"] for r in manifest.get("scenarios", [])]
        horizon = max(horizon, int(df["time_to_collapse"].max()), *map(int, steps))
        frames.append(df)
    return pd.concat(frames, ignore_index=True), [m for _, m, _ in loaded], horizon


def cmd_compare(args) -> int:
    df, manifests, horizon = _labelled(args.dirs)
    where = f"DIR {args.dirs[0]}" if len(args.dirs) == 1 else "the folders"
    scenarios = list(dict.fromkeys(df["scenario"]))  # in the order of the runs
    if args.by == "scenario":
        df["group"], order = df["scenario"], scenarios
    else:
        bounds = _by_bounds(args.dirs, manifests, args.by, "scenario or ")
        bins = binned(df, args.by, args.bins, bounds)
        df["group"] = bins.astype(str)
        order = list(bins.cat.categories)
        if len(scenarios) > 1:
            df["group"] = df["scenario"] + ": " + df["group"]
            order = [f"{s}: {b}" for s in scenarios for b in order]
    groups = [g for g in order if g in set(df["group"])]  # a first, b after, in each pair
    if len(groups) < 2:
        hint = (
            "sweep with --vary scenario=A,B, give two sweep folders, or --by a varied parameter"
            if args.by == "scenario"
            else f"vary {args.by} over two or more values"
        )
        raise CliError(
            f"{where}: all {len(df):,} runs are one group ({groups[0]!r} by {args.by}); "
            f"compare needs two or more: {hint}"
        )
    df["group"] = pd.Categorical(df["group"], categories=groups, ordered=True)
    per_group, pairs, fits = compare_groups(
        df, "group", horizon, reps=args.resamples, seed=args.seed
    )
    path = _plot_path(
        args,
        args.dirs[0] / ("compare.png" if args.by == "scenario" else f"compare-by-{args.by}.png"),
    )
    note = f"log-rank p = {pairs['logrank_p'].iloc[0]:.3g}" if len(fits) == 2 else None
    plot_survival(fits, path, f"Survival of the alliance by {args.by}", horizon, note)
    if args.format == "markdown":
        print(f"Runs by {args.by} (horizon {horizon} quarters):\n")
        print(_table(per_group, args.format))
        print(
            f"\nDifferences b - a with 95% intervals (percentile bootstrap over runs, "
            f"{args.resamples} resamples, seed {args.seed}); logrank_p: the log-rank "
            "test of equal survival curves:\n"
        )
    print(_table(pairs, args.format))
    print(f"Plot written to {path}", file=sys.stderr)
    return 0


def cmd_sensitivity(args) -> int:
    manifest, df = _sweep(args.dir)
    design = manifest["design"]
    method = design["kind"]
    if method not in ("sobol", "morris"):
        raise CliError(
            f"DIR {args.dir}: sensitivity needs a sobol or morris design; this "
            f"sweep used {method} (run the sweep with --design sobol or "
            "--design morris)"
        )
    _complete(manifest, df, args.dir)
    X = np.asarray(design["unit"], dtype=float)
    names = [p["name"] for p in design["parameters"]]
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    outs = point_outputs(df, design["n_points"])
    spec = design["spec"]
    kw = (
        {"second_order": bool(spec.get("second_order"))}
        if method == "sobol"
        else {"num_levels": int(spec["levels"])}
    )
    tables, rows, notes = {}, [], []
    for out in OUTPUTS:
        Y = outs[out].to_numpy(dtype=float)
        if np.nanstd(Y) == 0.0:
            notes.append(f"{OUTPUTS[out]} is the same at every point ({Y[0]:g}): no indices")
            continue
        t = sensitivity_indices(method, problem, X, Y, **kw)
        tables[out] = t
        rows.append(t.assign(output=out)[["output", *t.columns]])
    for n in notes:
        print(f"note: {n}", file=sys.stderr)
    if not tables:
        raise CliError(
            f"DIR {args.dir}: neither output varies across the design; nothing to attribute"
        )
    path = _plot_path(args, args.dir / "sensitivity.png")
    plot_indices(
        tables,
        method,
        path,
        f"{'Sobol' if method == 'sobol' else 'Morris'} sensitivity "
        f"({manifest['scenario']['name']}, {len(df):,} runs)",
    )
    print(_table(pd.concat(rows, ignore_index=True), args.format))
    print(f"Plot written to {path}", file=sys.stderr)
    return 0


def _discovery_data(args) -> tuple[dict, pd.DataFrame, list[dict], pd.DataFrame, np.ndarray]:
    """A sweep's runs for discovery: the manifest, the runs, the varied parameters, their
    values (floats; true/false as 1/0) and whether each run collapsed; an error if
    nothing is varied or collapse does not vary. In a sweep over scenarios, each scenario
    but the first is a true/false factor too (``scenario=LABEL``: the run is of it)."""
    manifest, df = _sweep(args.dir)
    params = list(manifest["design"]["parameters"])
    labels = manifest["design"].get("scenarios", [])
    for label in labels[1:]:
        params.append({"name": f"{SCENARIO_IS}{label}", "type": "bool", "kind": "values"})
        df[f"{SCENARIO_IS}{label}"] = df["scenario"] == label
    if not params:
        raise CliError(
            f"DIR {args.dir}: no parameter is varied in this sweep; discovery looks for "
            "ranges of varied parameters (sweep with --vary NAME=LOW:HIGH)"
        )
    y = df["event_observed"].to_numpy(dtype=bool)
    if not y.any():
        raise CliError(f"DIR {args.dir}: no run collapsed ({len(df):,} runs); nothing to discover")
    if y.all():
        raise CliError(
            f"DIR {args.dir}: every run collapsed ({len(df):,} runs); no "
            "range separates collapse from survival"
        )
    X = df[[p["name"] for p in params]].astype(float)
    return manifest, df, params, X, y


def cmd_discover(args) -> int:
    if args.method == "cart" and (args.box is not None or args.trajectory):
        flag = "--box" if args.box is not None else "--trajectory"
        raise CliError(f"{flag}: chooses among PRIM's boxes; not with --method cart")
    _, df, params, X, y = _discovery_data(args)
    if args.method == "cart":
        return _discover_cart(args, params, X, y)
    names = [p["name"] for p in params]
    traj = prim(X, y, alpha=args.alpha, min_support=args.min_support)
    if args.box is None:
        best = choose_box(traj, args.min_coverage)
        chosen = next(i for i, b in enumerate(traj) if b is best)
    elif args.box >= len(traj):
        raise CliError(
            f"--box: expected an index of the peeling trajectory in [0, {len(traj) - 1}] "
            f"(0 is the box of every run), got {args.box}"
        )
    else:
        chosen, best = args.box, traj[args.box]
    full = traj[0].limits
    kinds = {p["name"]: p["type"] for p in params}
    if args.trajectory:
        return _print_trajectory(args, traj, chosen, X, y, kinds)

    def show(name: str, v: float) -> Any:
        return str(bool(v)).lower() if kinds[name] == "bool" else v

    rows = []
    for name in names:
        lo, hi = best.limits[name]
        rows.append(
            {
                "parameter": name,
                "low": show(name, lo),
                "high": show(name, hi),
                "restricted": "yes" if (lo, hi) != full[name] else "no",
                "full_low": show(name, full[name][0]),
                "full_high": show(name, full[name][1]),
            }
        )
    table = pd.DataFrame(rows)
    path = _plot_path(args, args.dir / "discovery.png")
    _plot_prim(traj, chosen, X, y, path, kinds)
    if args.format == "markdown":
        how = "chosen with --box" if args.box is not None else "reported"
        print(
            f"Collapse in {y.mean():.1%} of {len(df):,} runs. Box {chosen} of the peeling "
            f"trajectory ({how}) holds {best.support:.1%} of runs: coverage "
            f"{best.coverage:.1%} (share of all collapses inside), density "
            f"{best.density:.1%} (share of runs inside that collapse)."
        )
    print(_table(table, args.format))
    if args.format == "markdown":
        print("\nPeeling trajectory (box: coverage, density, support; --box N to choose one):")
        step = max(1, len(traj) // 10)
        for i, b in enumerate(traj):
            if i % step == 0 or i == chosen or i == len(traj) - 1:
                mark = "  <- reported" if i == chosen else ""
                print(f"  {i:3d}: {b.coverage:.3f} {b.density:.3f} {b.support:.3f}{mark}")
    print(f"Plot written to {path}", file=sys.stderr)
    return 0


def _print_trajectory(
    args, traj: list[Box], chosen: int, X: pd.DataFrame, y: np.ndarray, kinds: dict
) -> int:
    """Every box of the peeling trajectory, by index: what ``--box N`` chooses from."""
    full = traj[0].limits
    rows = [
        {
            "box": i,
            "coverage": b.coverage,
            "density": b.density,
            "support": b.support,
            "runs": b.n,
            "restricted": " ".join(sorted(b.restricted(full))) or "-",
            "reported": "yes" if i == chosen else "",
        }
        for i, b in enumerate(traj)
    ]
    path = _plot_path(args, args.dir / "discovery.png")
    _plot_prim(traj, chosen, X, y, path, kinds)
    print(_table(pd.DataFrame(rows), args.format))
    print(f"Plot written to {path}", file=sys.stderr)
    return 0


def _most_restricted(
    box: Box, full: dict[str, tuple[float, float]], kinds: dict[str, str] | None = None
) -> list[str]:
    """The parameters by how much of their range the box cuts away, most first (ties in
    the order of the design); with ``kinds``, numbers before true/false parameters (a
    scatter of a true/false parameter is two lines)."""

    def cut(name: str) -> float:
        lo, hi = full[name]
        if hi <= lo:
            return 0.0
        blo, bhi = box.limits[name]
        return 1.0 - (bhi - blo) / (hi - lo)

    names = list(full)
    kinds = kinds or {}
    return sorted(names, key=lambda n: (kinds.get(n) == "bool", -cut(n), names.index(n)))


def _plot_prim(
    traj: list[Box],
    chosen: int,
    X: pd.DataFrame,
    y: np.ndarray,
    path: Path,
    kinds: dict[str, str] | None = None,
) -> None:
    """Two panels: the peeling trajectory (coverage against density, each box labelled by
    its index, the chosen one circled), and the runs on the chosen box's two most
    restricted parameters (numbers first), coloured by outcome, with the box drawn on
    them."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    best = traj[chosen]
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.6))
    sc = ax.scatter(
        [b.coverage for b in traj],
        [b.density for b in traj],
        c=[b.support for b in traj],
        cmap="viridis",
        s=18,
    )
    step = max(1, len(traj) // 15)
    for i, b in enumerate(traj):
        if i % step == 0 or i == chosen or i == len(traj) - 1:
            ax.annotate(
                str(i),
                (b.coverage, b.density),
                textcoords="offset points",
                xytext=(4, 3),
                fontsize=7,
            )
    ax.scatter(
        [best.coverage],
        [best.density],
        s=120,
        facecolors="none",
        edgecolors="red",
        label=f"box {chosen}",
    )
    fig.colorbar(sc, ax=ax, label="support")
    ax.set_xlabel("coverage")
    ax.set_ylabel("density")
    ax.set_title("PRIM peeling trajectory (box index)", fontsize=10)
    ax.legend(fontsize=8)

    full = traj[0].limits
    dims = _most_restricted(best, full, kinds)[:2]
    xs = X[dims[0]].to_numpy(dtype=float)
    rng = np.random.default_rng(0)
    if len(dims) == 2:
        ys = X[dims[1]].to_numpy(dtype=float)
    else:  # one parameter: the runs spread upwards at random, to be seen
        ys = rng.random(len(xs))
    for mask, colour, label in ((~y, "tab:blue", "survives"), (y, "tab:red", "collapses")):
        bx.scatter(xs[mask], ys[mask], s=6, c=colour, alpha=0.5, label=label, lw=0)
    (x0, x1) = best.limits[dims[0]]
    (y0, y1) = best.limits[dims[1]] if len(dims) == 2 else (0.0, 1.0)
    bx.add_patch(
        Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ec="black", lw=1.6, label=f"box {chosen}")
    )
    bx.set_xlabel(dims[0])
    bx.set_ylabel(dims[1] if len(dims) == 2 else "(spread at random)")
    bx.set_title(
        f"box {chosen}: coverage {best.coverage:.2f}, density {best.density:.2f}", fontsize=10
    )
    bx.legend(fontsize=8, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


# ----------------------------------------------------------------------- CART -------
def cart_tree(
    X: pd.DataFrame, y: np.ndarray, depth: int = 3, min_leaf: float = 0.05, seed: int = 0
):
    """A shallow classification tree of collapse on the varied parameters (scikit-learn's
    ``DecisionTreeClassifier``, Gini impurity): at most ``depth`` levels, each leaf
    holding at least ``min_leaf`` of the runs."""
    from sklearn.tree import DecisionTreeClassifier

    tree = DecisionTreeClassifier(
        max_depth=depth,
        min_samples_leaf=max(1, math.ceil(min_leaf * len(y))),
        random_state=seed,
    )
    return tree.fit(X.to_numpy(dtype=float), np.asarray(y, dtype=bool))


SCENARIO_IS = "scenario="  # a scenario of a sweep over scenarios, as a true/false factor


def _condition(name: str, kind: str, thr: float, low: bool) -> str:
    if name.startswith(SCENARIO_IS):
        return f"scenario {'!=' if low else '='} {name.removeprefix(SCENARIO_IS)}"
    if kind == "bool":
        return f"{name} = {'false' if low else 'true'}"
    if kind == "int":
        return f"{name} <= {math.floor(thr)}" if low else f"{name} >= {math.floor(thr) + 1}"
    return f"{name} <= {thr:.4g}" if low else f"{name} > {thr:.4g}"


def cart_rules(tree, names: list[str], kinds: dict[str, str]) -> pd.DataFrame:
    """Each leaf of ``tree`` as a rule in the parameters' own terms (conditions joined by
    "and"), with its runs, collapses and share collapsing; the leaves most prone to collapse
    first."""
    t = tree.tree_
    classes = list(tree.classes_)
    hit = classes.index(True) if True in classes else None
    rows = []

    def walk(node: int, path: list[str]) -> None:
        left, right = t.children_left[node], t.children_right[node]
        if left == right:  # a leaf
            n = int(t.n_node_samples[node])
            share = float(t.value[node][0][hit]) if hit is not None else 0.0  # class fractions
            rows.append(
                {
                    "rule": " and ".join(path) or "(every run)",
                    "runs": n,
                    "collapses": int(round(share * n)),
                    "collapse_share": share,
                }
            )
            return
        name = names[t.feature[node]]
        thr = float(t.threshold[node])
        walk(left, [*path, _condition(name, kinds[name], thr, True)])
        walk(right, [*path, _condition(name, kinds[name], thr, False)])

    walk(0, [])
    out = pd.DataFrame(rows).sort_values(
        ["collapse_share", "runs"], ascending=[False, False], kind="stable"
    )
    out.insert(0, "leaf", range(1, len(out) + 1))
    return out.reset_index(drop=True)


def first_split(tree, names: list[str]) -> tuple[str, float] | None:
    """The parameter and threshold of the tree's first split (None if it made none)."""
    t = tree.tree_
    if t.children_left[0] == t.children_right[0]:
        return None
    return names[t.feature[0]], float(t.threshold[0])


def _discover_cart(args, params: list[dict], X: pd.DataFrame, y: np.ndarray) -> int:
    names = [p["name"] for p in params]
    kinds = {p["name"]: p["type"] for p in params}
    tree = cart_tree(X, y, args.depth, args.min_leaf, args.seed)
    rules = cart_rules(tree, names, kinds)
    path = _plot_path(args, args.dir / "cart.png")
    _plot_cart(tree, names, path)
    if args.format == "markdown":
        split = first_split(tree, names)
        first = (
            f"first split on {split[0]} at {split[1]:.4g}" if split else "no split improves on it"
        )
        print(
            f"Collapse in {y.mean():.1%} of {len(y):,} runs. Classification tree (CART, "
            f"depth at most {args.depth}, each leaf at least {args.min_leaf:.0%} of runs): "
            f"{first}. Leaves, most prone to collapse first:\n"
        )
    print(_table(rules, args.format))
    print(f"Plot written to {path}", file=sys.stderr)
    return 0


def _plot_cart(tree, names: list[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.tree import plot_tree

    depth = tree.get_depth()
    fig, ax = plt.subplots(figsize=(max(6.0, 3.2 * 2 ** max(depth - 1, 0)), 1.8 + 1.6 * depth))
    plot_tree(
        tree,
        feature_names=names,
        class_names=["survives", "collapses"] if len(tree.classes_) == 2 else None,
        filled=True,
        impurity=False,
        proportion=True,
        fontsize=7,
        ax=ax,
    )
    ax.set_title("Where the alliance collapses: classification tree (CART)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


# ------------------------------------------------------------ feature scoring -------
def feature_scores(
    X: pd.DataFrame,
    y: np.ndarray,
    time: np.ndarray | None = None,
    trees: int = 250,
    seed: int = 0,
) -> pd.DataFrame:
    """How much each parameter tells about collapse: the impurity importance of an
    extra-trees classifier of collapse (``ExtraTreesClassifier``, ``trees`` trees, fixed
    ``random_state``), and with ``time`` that of an extra-trees regressor of the time to
    collapse; each sums to 1 over the parameters. Ranked, most telling first."""
    from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor

    Xv = X.to_numpy(dtype=float)
    leaf = max(1, len(y) // 200)  # no leaf of a single run: noise would score as signal
    clf = ExtraTreesClassifier(n_estimators=trees, min_samples_leaf=leaf, random_state=seed)
    clf.fit(Xv, np.asarray(y, dtype=bool))
    out = pd.DataFrame({"parameter": list(X.columns), "collapse": clf.feature_importances_})
    if time is not None:
        reg = ExtraTreesRegressor(n_estimators=trees, min_samples_leaf=leaf, random_state=seed)
        reg.fit(Xv, np.asarray(time, dtype=float))
        out["time_to_collapse"] = reg.feature_importances_
    out = out.sort_values("collapse", ascending=False, kind="stable").reset_index(drop=True)
    out.insert(0, "rank", range(1, len(out) + 1))
    return out


def cmd_features(args) -> int:
    _, df, params, X, y = _discovery_data(args)
    t = feature_scores(X, y, df["time_to_collapse"].to_numpy(), args.trees, args.seed)
    path = _plot_path(args, args.dir / "features.png")
    _plot_features(t, path)
    if args.format == "markdown":
        print(
            f"Feature scores of {len(X.columns)} varied parameters over {len(y):,} runs "
            f"(extra-trees, {args.trees} trees, seed {args.seed}; impurity importance, each "
            "column sums to 1):\n"
        )
    print(_table(t, args.format))
    print(f"Plot written to {path}", file=sys.stderr)
    return 0


def _plot_features(t: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 0.9 + 0.4 * len(t)))
    yy = np.arange(len(t))[::-1]
    ax.barh(yy + 0.2, t["collapse"], 0.4, label="collapse")
    if "time_to_collapse" in t:
        ax.barh(yy - 0.2, t["time_to_collapse"], 0.4, label="time to collapse")
    ax.set_yticks(yy, t["parameter"], fontsize=8)
    ax.set_xlabel("feature score (extra-trees impurity importance)")
    ax.legend(fontsize=8)
    ax.set_title("Which parameters tell collapse", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def cmd_criticality(args) -> int:

    _check_scheduler(args)
    if args.steps:
        args.overrides = list(args.overrides) + [f"steps={args.steps}"]
    scen = load_from_args(args)
    steps = scen.params["steps"]
    if args.at > steps:
        raise CliError(f"--at: expected a quarter in [1, {steps}] (the horizon), got {args.at}")
    if args.plot is not None:
        _plot_path(args, args.plot)
    # where a sweep of as many runs would go: the baseline and a knock-out of each member
    # but the leader, ``--replications`` runs each
    with executor_for(args, len(scen.members) * args.replications, steps) as ex:
        try:
            df = run_criticality(
                scen,
                args.replications,
                args.seed,
                args.at,
                ex,
                args.chunk_size,
                progress=not args.no_progress,
            )
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED
    t = criticality_table(df)
    if args.format == "markdown":
        print(
            f"Scenario {scen.name!r}: survival to quarter {steps} is "
            f"{t.attrs['baseline_survival']:.1%} with every member "
            f"({t.attrs['runs_per_member']} runs, mean time to collapse "
            f"{t.attrs['baseline_time']:.1f} quarters). Each member forced out at quarter "
            f"{args.at}, same seeds:\n"
        )
    print(_table(t, args.format))
    if args.plot is not None:
        _plot_criticality(t, args.plot, scen.name)
        print(f"Plot written to {args.plot}", file=sys.stderr)
    return 0


def _plot_criticality(t: pd.DataFrame, path: Path, name: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    ax.bar(t["member"], t["survival_drop"])
    ax.axhline(0, color="grey", lw=0.6)
    ax.set_ylabel("fall in survival without the member")
    ax.set_title(f"Criticality of members ({name})", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
