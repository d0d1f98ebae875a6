"""``pax-silica analyze`` on known cases: Kaplan-Meier against a hand calculation, Sobol
indices of the Ishigami function, Morris on a function with known effects, PRIM finding a
planted box, and the commands on sweep folders made of synthetic outcomes (no model runs)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from experiments.analyze import (
    choose_box,
    criticality_table,
    km_table,
    morris_indices,
    prim,
    sensitivity_indices,
    sobol_indices,
)
from experiments.cli import EXIT_USAGE, main
from experiments.design import DesignSpec, make_range, make_values, resolve
from experiments.sweep import KEY_COLUMNS, _typed_runs, new_manifest, write_manifest, write_part


# ------------------------------------------------------------------ Kaplan-Meier ----
def test_kaplan_meier_by_hand():
    # Six runs: collapses at 1, 2 and 3; one censored at 2; two survive to the horizon 4.
    # S(1) = 5/6; at 2, 4 at risk... no: 5 at risk, 1 collapse -> 5/6 * 4/5 = 2/3;
    # the censored run leaves; at 3, 3 at risk, 1 collapse -> 2/3 * 2/3 = 4/9; S(4) = 4/9.
    df = pd.DataFrame(
        {
            "time_to_collapse": [1, 2, 2, 3, 4, 4],
            "event_observed": [True, True, False, True, False, False],
        }
    )
    t, fits = km_table(df, horizon=4)
    row = t.iloc[0]
    assert row["runs"] == 6 and row["collapses"] == 3
    assert row["survival_q1"] == pytest.approx(5 / 6)
    assert row["survival_q2"] == pytest.approx(2 / 3)
    assert row["survival_q3"] == pytest.approx(4 / 9)
    assert row["survival_q4"] == pytest.approx(4 / 9)
    assert row["collapse_by_horizon"] == pytest.approx(5 / 9)
    assert row["median_time_to_collapse"] == 3  # first quarter with S <= 1/2


def test_kaplan_meier_groups_and_no_median():
    df = pd.DataFrame(
        {
            "time_to_collapse": [1, 2, 2, 3, 4, 4, 4, 4, 4, 3],
            "event_observed": [1, 1, 0, 1, 0, 0, 0, 0, 0, 1],
            "g": ["a"] * 6 + ["b"] * 4,
        }
    )
    t, _ = km_table(df, by="g", horizon=4)
    b = t.set_index("group").loc["b"]
    assert b["survival_q3"] == pytest.approx(3 / 4) and b["survival_q4"] == pytest.approx(3 / 4)
    assert math.isnan(b["median_time_to_collapse"])  # never falls to one half


# ------------------------------------------------------------------- sensitivity ----
def test_sobol_recovers_ishigami():
    from SALib.sample import sobol
    from SALib.test_functions import Ishigami

    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-math.pi, math.pi]] * 3}
    X = sobol.sample(problem, 4096, calc_second_order=False, seed=1)
    t = sobol_indices(problem, X, Ishigami.evaluate(X)).set_index("parameter")
    # Analytical values (a = 7, b = 0.1): S1 = 0.314, 0.442, 0; ST3 = 0.244.
    assert t["S1"].to_numpy() == pytest.approx([0.314, 0.442, 0.0], abs=0.04)
    assert t.loc["x3", "ST"] == pytest.approx(0.244, abs=0.04)
    assert t.loc["x1", "ST"] == pytest.approx(0.558, abs=0.05)
    same = sensitivity_indices("sobol", problem, X, Ishigami.evaluate(X)).set_index("parameter")
    pd.testing.assert_frame_equal(same, t)


def test_morris_ranks_known_effects():
    from SALib.sample import morris

    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0.0, 1.0]] * 3}
    X = morris.sample(problem, 40, num_levels=4, seed=2)
    Y = 4 * X[:, 0] + 0 * X[:, 1] + X[:, 2]
    t = morris_indices(problem, X, Y, num_levels=4).set_index("parameter")
    assert t.loc["a", "mu_star"] == pytest.approx(4.0)
    assert t.loc["b", "mu_star"] == pytest.approx(0.0)
    assert t.loc["c", "mu_star"] == pytest.approx(1.0)


# -------------------------------------------------------------------------- PRIM ----
def test_prim_finds_a_planted_box():
    rng = np.random.default_rng(5)
    X = pd.DataFrame(rng.random((5000, 4)), columns=["a", "b", "c", "d"])
    inside = (X.a > 0.2) & (X.a < 0.5) & (X.b > 0.6) & (X.b < 0.9)
    y = (inside.to_numpy() & (rng.random(5000) < 0.95)) | (rng.random(5000) < 0.02)
    traj = prim(X, y)
    box = choose_box(traj, min_coverage=0.5)
    assert box.limits["a"] == pytest.approx((0.2, 0.5), abs=0.04)
    assert box.limits["b"] == pytest.approx((0.6, 0.9), abs=0.04)
    for free in ("c", "d"):  # barely restricted
        lo, hi = box.limits[free]
        assert hi - lo > 0.85
    assert box.density > 0.85 and box.coverage > 0.7
    # coverage and density as defined: share of cases inside; share inside that are cases
    m = np.ones(len(X), bool)
    for k, (lo, hi) in box.limits.items():
        m &= (X[k] >= lo).to_numpy() & (X[k] <= hi).to_numpy()
    assert box.coverage == pytest.approx(y[m].sum() / y.sum())
    assert box.density == pytest.approx(y[m].mean())
    assert traj[0].coverage == 1.0 and traj[0].support == 1.0


def test_criticality_table_ranks_by_fall_in_survival():
    rows = []
    for who, surv in (("", 0.8), ("JPN", 0.2), ("KOR", 0.7), ("AUS", 0.8)):
        for r in range(10):
            s = r < surv * 10
            rows.append(
                {
                    "knocked_out": who,
                    "survived": s,
                    "event_observed": not s,
                    "time_to_collapse": 40 if s else 10,
                }
            )
    t = criticality_table(pd.DataFrame(rows))
    assert list(t["member"]) == ["JPN", "KOR", "AUS"]
    assert t["survival_drop"].to_numpy() == pytest.approx([0.6, 0.1, 0.0])
    assert t.attrs["baseline_survival"] == pytest.approx(0.8)


# -------------------------------------------------- commands on synthetic sweeps ----
def fake_sweep(folder, spec: DesignSpec, outcome) -> pd.DataFrame:
    """A sweep folder whose outcomes come from ``outcome(point_values, rng)``:
    (collapsed, time_to_collapse), written as the sweep command writes its own."""
    design = resolve(spec)
    folder.mkdir()
    write_manifest(folder, {**new_manifest(design, None, False), "status": "complete"})
    (folder / "runs").mkdir()
    rng = np.random.default_rng(0)
    rows = []
    for p, values in enumerate(design.points):
        label = design.scenario_of[p] if design.scenario_of else design.scenario.name
        for r in range(spec.replications):
            collapsed, ttc = outcome({**values, "scenario": label}, rng)
            rows.append(
                {
                    "point": p,
                    "replication": r,
                    "seed": design.seed_of(p, r),
                    **values,
                    "scenario": label,
                    "survived": not collapsed,
                    "collapse_quarter": ttc if collapsed else None,
                    "time_to_collapse": ttc,
                    "event_observed": collapsed,
                }
            )
    df = _typed_runs(rows, design.names)
    for start in range(0, len(df), 50):  # parts as chunks would be
        write_part(folder / "runs", f"part-{start:09d}.parquet", df.iloc[start : start + 50])
    return df


def run_cli(capsys, *argv):
    try:
        status = main(list(argv))
    except SystemExit as e:
        status = e.code
    out, err = capsys.readouterr()
    return status, out, err


def test_survival_command(tmp_path, capsys):
    spec = DesignSpec(
        vary=[make_range("pressure_intensity", 0.0, 4.0)], levels=5, replications=40, steps=8
    )

    def outcome(v, rng):  # more pressure, earlier collapse
        t = int(rng.integers(1, 9))
        return bool(rng.random() < v["pressure_intensity"] / 4), t

    folder = tmp_path / "s"
    fake_sweep(folder, spec, outcome)
    status, out, err = run_cli(
        capsys,
        "analyze",
        "survival",
        str(folder),
        "--by",
        "pressure_intensity",
        "--bins",
        "2",
        "--format",
        "csv",
    )
    assert status == 0, err
    t = pd.read_csv(pd.io.common.StringIO(out))
    assert list(t["group"]) == ["pressure_intensity 0-2", "pressure_intensity 2-4"]
    assert t["runs"].sum() == 200
    assert t["collapse_by_horizon"].iloc[1] > t["collapse_by_horizon"].iloc[0]
    assert (folder / "survival-by-pressure_intensity.png").stat().st_size > 1000
    status, out, err = run_cli(
        capsys, "analyze", "survival", str(folder), "--plot", str(tmp_path / "km.png")
    )
    assert status == 0 and "| baseline | 200 |" in out
    assert (tmp_path / "km.png").exists()


def test_sensitivity_command_on_ishigami(tmp_path, capsys):
    """The sweep's own Sobol design (unit cube mapped to the ranges), outputs from the
    Ishigami function of the mapped values: the command recovers its indices."""
    from SALib.test_functions import Ishigami

    pi = math.pi
    names = [
        "price_pain",
        "escalation_rate",
        "truce_cost_share",
    ]  # ranges wide enough for [-pi, pi]
    spec = DesignSpec(
        vary=[make_range(n, 0.0, 2 * pi) for n in names],
        design="sobol",
        samples=2048,
        replications=1,
        steps=8,
    )

    def outcome(v, rng):  # collapse iff Ishigami(x - pi) is large; time = Ishigami itself
        x = np.array([[v[n] - pi for n in names]])
        y = float(Ishigami.evaluate(x)[0])
        return y > 3.5, int(round(1000 * y))  # whole "quarters": scaled, as the schema wants

    folder = tmp_path / "s"
    df = fake_sweep(folder, spec, outcome)
    status, out, err = run_cli(capsys, "analyze", "sensitivity", str(folder), "--format", "csv")
    assert status == 0, err
    t = pd.read_csv(pd.io.common.StringIO(out)).set_index(["output", "parameter"])
    tt = t.loc["time_to_collapse"]
    assert tt["S1"].to_numpy() == pytest.approx([0.314, 0.442, 0.0], abs=0.06)
    assert tt.loc["truce_cost_share", "ST"] == pytest.approx(0.244, abs=0.06)
    assert (folder / "sensitivity.png").exists()
    assert len(df) == 2048 * 5


def test_discover_command_finds_the_planted_box(tmp_path, capsys):
    spec = DesignSpec(
        vary=[
            make_range("pressure_intensity", 0.0, 5.0),
            make_range("initial_credibility", 0.0, 1.0),
            make_values("invitations", [True, False]),
        ],
        design="lhs",
        samples=2000,
        replications=1,
        steps=8,
    )

    def outcome(v, rng):
        hit = v["pressure_intensity"] > 3.0 and v["initial_credibility"] < 0.4
        return bool(hit), 4 if hit else 8

    folder = tmp_path / "s"
    fake_sweep(folder, spec, outcome)
    status, out, err = run_cli(capsys, "analyze", "discover", str(folder), "--format", "csv")
    assert status == 0, err
    t = pd.read_csv(pd.io.common.StringIO(out)).set_index("parameter")
    assert float(t.loc["pressure_intensity", "low"]) == pytest.approx(3.0, abs=0.1)
    assert float(t.loc["initial_credibility", "high"]) == pytest.approx(0.4, abs=0.03)
    assert t.loc["invitations", "restricted"] == "no"
    status, out, err = run_cli(capsys, "analyze", "discover", str(folder))
    import re

    cov, dens = (
        float(x) for x in re.search(r"coverage ([\d.]+)%.*density ([\d.]+)%", out).groups()
    )
    assert cov >= 90 and dens >= 90


def test_analyze_bad_input(tmp_path, capsys):
    def one_error(*argv, names=()):
        status, out, err = run_cli(capsys, *argv)
        assert status == EXIT_USAGE, (out, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:"), err
        for n in names:
            assert n in lines[0], lines[0]

    one_error("analyze", "survival", str(tmp_path), names=["not a sweep folder"])
    grid = tmp_path / "grid"
    fake_sweep(
        grid,
        DesignSpec(
            vary=[make_range("pressure_intensity", 0.0, 4.0)], levels=3, replications=2, steps=8
        ),
        lambda v, rng: (False, 8),
    )
    one_error("analyze", "sensitivity", str(grid), names=["sobol or morris", "grid"])
    one_error(
        "analyze",
        "survival",
        str(grid),
        "--by",
        "china_budget",
        names=["--by", "china_budget", "pressure_intensity"],
    )
    one_error("analyze", "discover", str(grid), names=["no run collapsed"])
    one_error(
        "analyze",
        "survival",
        str(grid),
        "--plot",
        str(tmp_path / "x.jpg"),
        names=["--plot", ".png"],
    )
    one_error("analyze", "discover", str(grid), "--alpha", "2", names=["--alpha"])
    one_error("analyze", "criticality", "--steps", "8", "--at", "9", names=["--at", "[1, 8]"])
    one_error("analyze", "nothing", names=["invalid choice"])
    sob = tmp_path / "sob"
    fake_sweep(
        sob,
        DesignSpec(
            vary=[make_range("pressure_intensity", 0.0, 4.0), make_range("china_budget", 0.0, 4.0)],
            design="sobol",
            samples=4,
            steps=8,
        ),
        lambda v, rng: (True, 3),
    )
    m = json.loads((sob / "manifest.json").read_text())
    m["runs_total"] += 1
    (sob / "manifest.json").write_text(json.dumps(m))
    one_error("analyze", "sensitivity", str(sob), names=["incomplete", "--resume"])


def test_key_columns_first():
    assert KEY_COLUMNS == ["point", "replication", "seed"]
