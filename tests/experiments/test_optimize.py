"""``pax-silica optimize`` (issue 15, point 1): the search driver recovers a known front; on
the model, an optimisation is reproducible (same seed, same front), resumes exactly
(nothing run twice), and a front point written as a scenario file reproduces its survival
on fresh seeds; bad input is one clear error."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.cli import main
from experiments.optimize import (
    SIDES,
    OptimizeSpec,
    candidate_stats,
    non_dominated,
    objective_matrix,
    parse_levers,
    regrets,
    search,
)
from model.posterior import load_posterior
from model.replicate import replicate
from model.scenario import load_scenario

# A small optimisation of the model: 20 quarters and 100 investors, to keep it fast.
SMALL = [
    "--steps",
    "20",
    "--population",
    "6",
    "--generations",
    "2",
    "--draws",
    "2",
    "--replications",
    "2",
]
SMALL += ["--validate", "3x8", "--set", "n_investors=100", "--in-process", "--no-progress"]
LEVERS = ["--lever", "side_payment_budget", "--lever", "leader_investment"]
LEVERS += ["--lever", "invitations"]


# ----------------------------------------------------------------------- the toy ----
def zdt1(X: np.ndarray) -> np.ndarray:
    """ZDT1: its Pareto front is f2 = 1 - sqrt(f1), f1 in [0, 1] (all x_2.. = 0)."""
    f1 = X[:, 0]
    g = 1 + 9 * X[:, 1:].mean(axis=1)
    return np.column_stack([f1, g * (1 - np.sqrt(f1 / g))])


def igd(F: np.ndarray) -> float:
    from pymoo.indicators.igd import IGD

    f1 = np.linspace(0, 1, 200)
    return float(IGD(np.column_stack([f1, 1 - np.sqrt(f1)]))(F))


def test_the_driver_recovers_a_known_front():
    """The same ``search`` the model's optimisation uses, on ZDT1 (6 variables): the
    front it finds lies within 0.01 (IGD) of the true one; its first generation, a Latin
    hypercube, is ten times further off."""
    seen: list[np.ndarray] = []

    def evaluate(gen, X):
        F = zdt1(X)
        seen.append(F)
        return F

    search(evaluate, 6, 2, population=40, generations=60, seed=3)
    every = np.vstack(seen)
    found = igd(every[non_dominated(every)])
    first = igd(seen[0][non_dominated(seen[0])])
    assert found < 0.01, found
    assert first > 10 * found


def test_the_driver_is_deterministic_and_a_shorter_search_is_a_prefix():
    def asked(generations):
        xs = []
        search(lambda g, X: (xs.append(X), zdt1(X))[1], 4, 2, 12, generations, seed=1)
        return np.vstack(xs)

    long, again, short = asked(6), asked(6), asked(3)
    assert np.array_equal(long, again)
    assert np.array_equal(long[: len(short)], short)


def test_robustness_and_regret_follow_the_draws():
    """Two candidates over two draws of two runs: A survives everything, B only draw 0."""
    runs = pd.DataFrame(
        {
            "point": [0, 0, 0, 0, 1, 1, 1, 1],
            "replication": [0, 1, 2, 3, 0, 1, 2, 3],
            "survived": [True] * 4 + [True, True, False, True],
            "us_cost": [1.0] * 4 + [2.0] * 4,
            "china_coercion_cost": [0.0] * 8,
            "final_capital_committed": [5.0] * 8,
        }
    )
    us = SIDES["us"]
    s = candidate_stats(runs, 2, us, 0.8)
    assert s.loc[0, "survival"] == 1.0 and s.loc[1, "survival"] == 0.75
    assert s.loc[0, "robustness"] == 1.0 and s.loc[1, "robustness"] == 0.5
    assert s.loc[1, "survival_lo"] < 0.75 < s.loc[1, "survival_hi"]
    r = regrets(runs, 2, us)
    assert r.loc[0, "max_regret"] == 0.0 and r.loc[1, "max_regret"] == 0.5
    F = objective_matrix(s, ["survival", "us_cost"], us)
    assert list(non_dominated(F)) == [0]  # A is cheaper and survives more
    china = SIDES["china"]  # China's sense: the least survival is its best
    assert list(non_dominated(objective_matrix(s, ["survival", "china_cost"], china))) == [1]
    assert regrets(runs, 2, china).loc[0, "max_regret"] == 0.5


# --------------------------------------------------------------------- the model ----
def optimize(tmp_path: Path, name: str, *extra: str) -> Path:
    out = tmp_path / name
    assert main(["optimize", *SMALL, *LEVERS, "--out", str(out), *extra]) == 0
    return out


def front(folder: Path) -> pd.DataFrame:
    return pd.read_parquet(folder / "front.parquet")


@pytest.fixture(scope="module")
def first(tmp_path_factory) -> Path:
    return optimize(tmp_path_factory.mktemp("opt"), "a")


def test_an_optimisation_writes_its_front(first, capsys):
    f = front(first)
    assert len(f) >= 1 and list(f["point"]) == list(range(len(f)))
    assert (first / "front.png").stat().st_size > 1000
    pd.testing.assert_frame_equal(pd.read_csv(first / "front.csv"), f, check_exact=False)
    # cheapest first, and on a front a dearer point must survive more or attract more
    assert f["us_cost"].is_monotonic_increasing
    assert ((f["survival_lo"] <= f["survival"]) & (f["survival"] <= f["survival_hi"])).all()
    assert (f["runs"] == 24).all()
    for name in ("side_payment_budget", "leader_investment"):
        v = parse_levers([name], SIDES["us"])[0]
        assert f[name].between(v.low, v.high).all()


def test_the_same_seed_gives_the_same_front_and_another_seed_another(first, tmp_path):
    again = optimize(tmp_path, "b")
    pd.testing.assert_frame_equal(front(first), front(again))
    other = optimize(tmp_path, "c", "--seed", "1")
    assert not front(first)[["side_payment_budget"]].equals(front(other)[["side_payment_budget"]])


def test_a_resumed_optimisation_runs_only_what_is_missing_and_ends_alike(first, tmp_path):
    """Half the search's runs and all of the validation removed, as if killed: the resume
    runs exactly those again and gives the same front."""
    copy = tmp_path / "r"
    shutil.copytree(first, copy)
    parts = sorted((copy / "runs").glob("part-*.parquet"))
    removed = sum(len(pd.read_parquet(p)) for p in parts[len(parts) // 2 :])
    for p in parts[len(parts) // 2 :]:
        p.unlink()
    validation = sum(len(pd.read_parquet(p)) for p in (copy / "validation/runs").glob("*.parquet"))
    shutil.rmtree(copy / "validation")
    for f in ("front.csv", "front.parquet", "front.png"):
        (copy / f).unlink()
    assert main(["optimize", "--resume", str(copy), "--in-process", "--no-progress"]) == 0
    pd.testing.assert_frame_equal(front(first), front(copy))
    import json

    m = json.loads((copy / "manifest.json").read_text())
    assert m["status"] == "complete"
    assert m["sessions"][-1]["runs_written"] == removed + validation


def test_a_longer_resume_extends_the_search(first, tmp_path):
    copy = tmp_path / "g"
    shutil.copytree(first, copy)
    assert main(["optimize", "--resume", str(copy), "--generations", "3", "--in-process",
                 "--no-progress"]) == 0  # fmt: skip
    assert len(list((copy / "candidates").glob("gen-*.parquet"))) == 3
    longer = optimize(tmp_path, "l", "--generations", "3")
    pd.testing.assert_frame_equal(front(copy), front(longer))


def test_a_point_as_a_scenario_file_reproduces_its_survival_on_fresh_seeds(first, tmp_path):
    """Every point of the front, written as a scenario file and run from it on 40 fresh
    seeds (each its own posterior draw, as `run --posterior default` draws), survives
    within its 95% interval; the file holds the point's levers."""
    f = front(first)
    post = load_posterior("default")
    for n in range(len(f)):
        path = tmp_path / f"p{n}.toml"
        argv = ["optimize-point", str(first), str(n), "--write-scenario", str(path)]
        assert main([*argv, "--threats", "0"]) == 0
        params = tomllib.loads(path.read_text())["parameters"]
        for lever in ("side_payment_budget", "leader_investment", "invitations"):
            assert params[lever] == f.loc[n, lever]
        scen = load_scenario(str(path))
        seeds = range(10_000, 10_040)
        survived = [m.outcome()["survived"] for m in replicate(scen, seeds, posterior=post)]
        share = float(np.mean(survived))
        assert f.loc[n, "survival_lo"] <= share <= f.loc[n, "survival_hi"], (n, share)


def test_a_point_ranks_its_threats(first, capsys):
    assert main(["optimize-point", str(first), "0", "--threats", "40", "--in-process"]) == 0
    out = capsys.readouterr().out
    assert "Threats: 40 fresh runs" in out
    assert "Threatens it most: " in out or "nothing to rank" in out


def test_china_searches_its_own_levers(tmp_path, capsys):
    out = tmp_path / "ch"
    argv = ["optimize", "--as", "china", "--lever", "china_budget", *SMALL, "--out", str(out)]
    assert main(argv) == 0
    f = front(out)
    assert "china_budget" in f and "side_payment_budget" not in f
    assert f["china_cost"].is_monotonic_increasing
    # spending nothing, China breaks nothing: the dearest point does not survive more
    assert f["survival"].iloc[-1] <= f["survival"].iloc[0]


# --------------------------------------------------------------------- bad input ----
@pytest.mark.parametrize(
    "argv, words",
    [
        (["--lever", "no_such_thing"], "--lever: 'no_such_thing': unknown parameter"),
        (["--lever", "china_budget"], "china_budget': a lever of CHN, not of the US alone"),
        (["--lever", "supply_benefit"], "an uncertain parameter, not a lever"),
        (["--lever", "side_payment_budget=5:1"], "low above high"),
        (["--as", "russia"], "--as: expected one of us, china, got 'russia'"),
        (["--objectives", "survival,glory"], "--objectives: unknown objective 'glory'"),
        (["--objectives", "survival"], "--objectives: expected at least two"),
        (["--target", "1.5"], "--target: expected a share in (0, 1)"),
        (["--validate", "10"], "--validate: expected DRAWSxREPLICATIONS"),
        (["--posterior", "nope"], "--posterior: "),
    ],
)
def test_bad_input_is_one_clear_error(tmp_path, capsys, argv, words):
    assert main(["optimize", *argv, "--out", str(tmp_path / "x"), "--in-process"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err
    assert words in err[0], err[0]
    assert not (tmp_path / "x").exists()


def test_bad_points_and_folders_are_one_clear_error(first, tmp_path, capsys):
    n = len(front(first))
    cases = [
        (["optimize-point", str(first), str(n)], f"N: {n} is not a point of the front"),
        (["optimize-point", str(tmp_path), "0"], "is not an optimisation folder"),
        (
            ["optimize-point", str(first), "0", "--write-scenario", str(tmp_path / "a.txt")],
            "--write-scenario: expected a file ending in .toml",
        ),  # fmt: skip
        (["optimize", "--resume", str(first), "--population", "9"], "--population: not with"),
        (["optimize", "--out", str(first)], "is not empty"),
    ]
    for argv, words in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and words in err[0], (argv, err)


def test_the_spec_round_trips_through_the_manifest():
    spec = OptimizeSpec(levers=parse_levers([], SIDES["us"]), objectives=["survival", "us_cost"])
    assert OptimizeSpec.from_dict(spec.to_dict()) == spec
    names = [v.name for v in spec.levers]
    assert "side_payment_budget" in names and "china_budget" not in names
    assert "refining_investors" not in names  # a list of actors is no point in a cube


def test_runs_on_one_draw_count_for_less_than_independent_ones():
    from experiments.optimize import effective_runs

    # every run alike: the draws are what was sampled
    assert effective_runs(np.ones(30), 5) == 30
    # each draw decides (all or nothing): still one run's worth per draw
    assert effective_runs(np.array([1.0, 0.0] * 15), 5) == pytest.approx(30)
    # as much variation within draws as between them: nearly every run counts
    rng = np.random.default_rng(0)
    assert effective_runs(rng.binomial(5, 0.7, 400) / 5, 5) > 0.9 * 2000
    assert effective_runs(np.ones(7), 1) == 7  # one run a draw: independent


def test_an_optimisation_is_in_the_catalogue_and_its_front_queryable(first):
    """Registered as an optimisation (the suite's catalogue: tests/conftest.py), complete,
    with its front and its search runs in the views ``front`` and ``runs``."""
    from experiments.catalogue import run_query, studies, study_id

    sid = study_id(first)
    [study] = [s for s in studies() if s.id == sid]
    assert study.kind == "optimisation" and study.status == "complete"
    got = run_query(f"select * from front_{sid} order by point", [sid])
    pd.testing.assert_frame_equal(
        got.drop(columns=["study"], errors="ignore").reset_index(drop=True),
        front(first).reset_index(drop=True),
        check_dtype=False,
    )
    n = run_query(f"select count(*) as n from runs_{sid}", [sid])["n"].iloc[0]
    assert n == len(pd.read_parquet(first / "runs"))
