"""Scenario discovery an analyst can steer: on synthetic runs whose collapse depends on one
known parameter threshold (pressure_intensity above 3, with 5% noise), CART's first split,
the extra-trees' top feature and PRIM's box all name it; ``--box N`` reports box N of the
peeling trajectory; the plots are drawn; bad input is one error."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest

from experiments.analyze import (
    cart_rules,
    cart_tree,
    choose_box,
    feature_scores,
    first_split,
    prim,
)
from experiments.cli import EXIT_USAGE
from experiments.design import DesignSpec, make_range, make_values
from tests.experiments.test_analyze import fake_sweep, run_cli

THRESHOLD = 3.0


def _outcome(v, rng):
    hit = v["pressure_intensity"] > THRESHOLD
    if rng.random() < 0.05:  # noise: 5% of runs go the other way
        hit = not hit
    return bool(hit), 4 if hit else 8


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    spec = DesignSpec(
        vary=[
            make_range("pressure_intensity", 0.0, 5.0),
            make_range("initial_credibility", 0.0, 1.0),
            make_range("china_budget", 1.0, 5.0),
            make_values("invitations", [True, False]),
        ],
        design="lhs",
        samples=1500,
        steps=8,
    )
    folder = tmp_path_factory.mktemp("d") / "s"
    df = fake_sweep(folder, spec, _outcome)
    return folder, df


NAMES = ["pressure_intensity", "initial_credibility", "china_budget", "invitations"]
KINDS = {"pressure_intensity": "float", "initial_credibility": "float"}
KINDS |= {"china_budget": "float", "invitations": "bool"}


def test_cart_splits_first_on_the_threshold(sweep):
    _, df = sweep
    X, y = df[NAMES].astype(float), df["event_observed"].to_numpy(bool)
    tree = cart_tree(X, y, depth=2)
    name, thr = first_split(tree, NAMES)
    assert name == "pressure_intensity" and thr == pytest.approx(THRESHOLD, abs=0.05)
    rules = cart_rules(tree, NAMES, KINDS)
    assert rules["runs"].sum() == len(df)
    top = rules.iloc[0]
    assert top["rule"].startswith("pressure_intensity > 3") and top["collapse_share"] > 0.9
    # each leaf's counts are those of the runs its rule selects
    assert rules["collapses"].sum() == y.sum()


def test_extra_trees_rank_the_parameter_first(sweep):
    _, df = sweep
    X, y = df[NAMES].astype(float), df["event_observed"].to_numpy(bool)
    t = feature_scores(X, y, df["time_to_collapse"].to_numpy(), trees=100, seed=0)
    assert t["parameter"].iloc[0] == "pressure_intensity"
    assert t["collapse"].iloc[0] > 3 * t["collapse"].iloc[1]
    assert t["time_to_collapse"].idxmax() == 0
    assert t["collapse"].sum() == pytest.approx(1.0)
    again = feature_scores(X, y, df["time_to_collapse"].to_numpy(), trees=100, seed=0)
    pd.testing.assert_frame_equal(again, t)  # fixed random state: the same scores


def _csv(out: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(out))


def test_discover_commands(sweep, tmp_path, capsys):
    folder, df = sweep
    status, out, err = run_cli(capsys, "analyze", "discover", str(folder), "--format", "csv")
    assert status == 0, err
    t = _csv(out).set_index("parameter")
    assert t.loc["pressure_intensity", "restricted"] == "yes"
    assert float(t.loc["pressure_intensity", "low"]) == pytest.approx(THRESHOLD, abs=0.15)
    assert (folder / "discovery.png").stat().st_size > 10_000

    status, out, err = run_cli(capsys, "analyze", "discover", str(folder), "--method", "cart")
    assert status == 0, err
    assert "first split on pressure_intensity at 3." in out
    assert (folder / "cart.png").stat().st_size > 5_000

    status, out, err = run_cli(capsys, "analyze", "features", str(folder), "--format", "csv")
    assert status == 0, err
    assert _csv(out)["parameter"].iloc[0] == "pressure_intensity"
    assert (folder / "features.png").exists()


def test_box_picks_that_index_of_the_trajectory(sweep, capsys):
    folder, df = sweep
    traj = prim(df[NAMES].astype(float), df["event_observed"].to_numpy(bool))
    assert len(traj) > 4
    for n in (3, len(traj) - 1):
        status, out, err = run_cli(
            capsys, "analyze", "discover", str(folder), "--box", str(n), "--format", "csv"
        )
        assert status == 0, err
        t = _csv(out).set_index("parameter")
        for name in ("pressure_intensity", "initial_credibility", "china_budget"):
            lo, hi = traj[n].limits[name]
            got = (float(t.loc[name, "low"]), float(t.loc[name, "high"]))
            assert got == pytest.approx((lo, hi))
    status, out, err = run_cli(
        capsys, "analyze", "discover", str(folder), "--trajectory", "--format", "csv"
    )
    t = _csv(out)
    assert list(t["box"]) == list(range(len(traj)))
    assert t["coverage"].to_numpy() == pytest.approx([b.coverage for b in traj])
    assert t.loc[t["reported"] == "yes", "box"].tolist() == [
        next(i for i, b in enumerate(traj) if b is choose_box(traj, 0.5))
    ]
    status, out, err = run_cli(capsys, "analyze", "discover", str(folder), "--box", str(n))
    assert f"Box {n} of the peeling trajectory (chosen with --box)" in out
    cov = float(re.search(r"coverage ([\d.]+)%", out).group(1))
    assert cov == pytest.approx(100 * traj[n].coverage, abs=0.05)
    assert re.search(rf"^\s+{n}: .*<- reported$", out, re.M)


def test_discovery_bad_input(sweep, tmp_path, capsys):
    folder, _ = sweep

    def one_error(*argv, names=()):
        status, out, err = run_cli(capsys, "analyze", *argv)
        assert status == EXIT_USAGE, (out, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:"), err
        for n in names:
            assert n in lines[0], lines[0]

    traj = prim(*_xy(folder))
    one_error("discover", str(folder), "--box", "999", names=["--box", f"[0, {len(traj) - 1}]"])
    one_error("discover", str(folder), "--method", "tree", names=["--method"])
    one_error("discover", str(folder), "--depth", "0", names=["--depth"])
    one_error("discover", str(folder), "--method", "cart", "--box", "2", names=["--box", "cart"])
    reps = tmp_path / "reps"
    fake_sweep(reps, DesignSpec(replications=10, steps=8), lambda v, rng: (rng.random() < 0.5, 5))
    one_error("discover", str(reps), names=["no parameter is varied"])
    one_error("features", str(reps), names=["no parameter is varied"])
    one_error("features", str(tmp_path / "nowhere"), names=["no such folder"])


def _xy(folder):
    from experiments.sweep import load_results

    df = load_results(folder)
    return df[NAMES].astype(float), df["event_observed"].to_numpy(bool)


def test_the_scenario_of_a_sweep_over_scenarios_is_a_factor(tmp_path, capsys):
    """Expansion never collapses, the baseline does above the threshold: the scenario is
    what CART splits on, or what it splits on next, and a top-two feature."""
    spec = DesignSpec(
        scenarios=["baseline", "expansion"],
        vary=[make_range("pressure_intensity", 0.0, 5.0), make_range("china_budget", 1.0, 5.0)],
        design="lhs",
        samples=400,
        steps=8,
    )

    def outcome(v, rng):
        hit = v["scenario"] == "baseline" and v["pressure_intensity"] > THRESHOLD
        return bool(hit), 4 if hit else 8

    folder = tmp_path / "s"
    fake_sweep(folder, spec, outcome)
    status, out, err = run_cli(
        capsys, "analyze", "discover", str(folder), "--method", "cart", "--format", "csv"
    )
    assert status == 0, err
    top = _csv(out).iloc[0]
    assert top["collapse_share"] == 1.0
    rule = sorted(top["rule"].split(" and "))
    assert rule[0].startswith("pressure_intensity > 3") and rule[1:] == ["scenario != expansion"]
    assert float(rule[0].split(" > ")[1]) == pytest.approx(THRESHOLD, abs=0.05)
    status, out, err = run_cli(capsys, "analyze", "features", str(folder), "--format", "csv")
    assert status == 0, err
    assert set(_csv(out)["parameter"].iloc[:2]) == {"pressure_intensity", "scenario=expansion"}
    status, out, err = run_cli(capsys, "analyze", "discover", str(folder), "--format", "csv")
    t = _csv(out).set_index("parameter")
    assert status == 0 and t.loc["scenario=expansion", "high"] == "false"
