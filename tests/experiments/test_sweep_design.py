"""Sweep designs: sampling, seeds, hashes; and every bad design refused with one clear
``error:`` line, exit status 2 and nothing written (no cluster is started for these)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from experiments.cli import EXIT_USAGE, main
from experiments.design import (
    DesignError,
    DesignSpec,
    make_range,
    make_values,
    parse_vary,
    read_design_file,
    resolve,
    run_seed,
)


def one_error(capsys, argv, *names):
    try:
        status = main(argv)
    except SystemExit as e:  # argparse's own checks (a choice, a whole number)
        status = e.code
    out, err = capsys.readouterr()
    assert status == EXIT_USAGE, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), err
    assert "Traceback" not in err
    for n in names:
        assert n in lines[0], lines[0]
    return lines[0]


BASE = ["sweep", "--steps", "8", "--set", "n_investors=50"]


@pytest.mark.parametrize(
    "vary,names",
    [
        ("no_such_parameter=1:2", ["no_such_parameter", "unknown parameter"]),
        ("pressure_intensity=", ["pressure_intensity", "empty range"]),
        ("pressure_intensity=1:", ["pressure_intensity", "empty range", "high end is missing"]),
        ("pressure_intensity=2:2", ["pressure_intensity", "empty range", "low below high"]),
        ("pressure_intensity=3:1", ["pressure_intensity", "low above high"]),
        ("pressure_intensity=a:b", ["pressure_intensity", "expected a number in [0, 5]", "'a'"]),
        ("pressure_intensity=1,x", ["pressure_intensity", "expected a number", "'x'"]),
        ("pressure_intensity=0:9", ["pressure_intensity", "expected a number in [0, 5]", "9"]),
        ("n_investors=10:20.5", ["n_investors", "expected a whole number"]),
        ("invitations=0:1", ["invitations", "range", "numeric", "invitations=true,false"]),
        ("invitations=maybe", ["invitations", "true or false"]),
        ("refining_investors=USA,JPN", ["refining_investors", "cannot be varied"]),
        ("pressure_intensity", ["--vary", "name=low:high"]),
        ("pressure_intensity=1:2:3", ["pressure_intensity", "low:high"]),
    ],
)
def test_bad_vary_is_one_error_and_nothing_written(capsys, tmp_path, vary, names):
    out = tmp_path / "sweep"
    one_error(capsys, [*BASE, "--vary", vary, "--out", str(out)], *names)
    assert not out.exists()


@pytest.mark.parametrize(
    "extra,names",
    [
        (["--design", "sobol", "--samples", "10"], ["--samples", "power of 2", "8 or 16"]),
        (["--design", "lhs"], ["--samples", "lhs"]),
        (["--design", "grid", "--samples", "8"], ["--samples", "--levels"]),
        (["--design", "lhs", "--samples", "8", "--levels", "3"], ["--levels"]),
        (["--second-order", "--design", "lhs", "--samples", "4"], ["second", "sobol"]),
        (["--design", "nope"], ["--design", "nope"]),
        (["--replications", "0"], ["--replications", "at least 1"]),
        (["--seed", "-1"], ["--seed"]),
        (["--levels", "1"], ["--levels", "at least 2"]),
        (["--set", "coverage_threshold=7"], ["coverage_threshold", "expected a number in [0, 1]"]),
        (["--scenario", "no_such_preset"], ["no_such_preset", "no such scenario file"]),
        (["--vary", "pressure_intensity=2,3"], ["pressure_intensity", "varied twice"]),
        (["--scheduler", "not an address"], ["--scheduler", "tcp://HOST:PORT"]),
        (["--scheduler", "tcp://127.0.0.1:8786", "--workers", "2"], ["--workers"]),
        (["--in-process", "--workers", "2"], ["--workers", "--in-process"]),
        (["--in-process", "--scheduler", "tcp://127.0.0.1:8786"], ["--scheduler", "--in-process"]),
        (["--local-cluster", "--scheduler", "tcp://127.0.0.1:8786"], ["--local-cluster"]),
        (["--local-cluster", "--in-process"], ["--in-process", "--local-cluster"]),
    ],
)
def test_bad_design_flags(capsys, tmp_path, extra, names):
    out = tmp_path / "sweep"
    one_error(
        capsys, [*BASE, "--vary", "pressure_intensity=0.5:3", *extra, "--out", str(out)], *names
    )
    assert not out.exists()


def test_nothing_to_vary_and_no_out(capsys, tmp_path):
    one_error(
        capsys,
        [*BASE, "--design", "lhs", "--samples", "4", "--out", str(tmp_path / "s")],
        "--vary",
        "needs a parameter to vary",
    )
    one_error(capsys, [*BASE, "--vary", "pressure_intensity=1:2"], "--out", "missing")


def test_out_must_be_new_or_empty(capsys, tmp_path):
    (tmp_path / "keep.txt").write_text("x")
    one_error(
        capsys,
        [*BASE, "--vary", "pressure_intensity=1:2", "--out", str(tmp_path)],
        "--out",
        "not empty",
    )
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


@pytest.mark.parametrize(
    "body,names",
    [
        (
            'design = "grid"\n[vary]\npressure_intensity = "3:1"\n',
            ["design.toml", "pressure_intensity", "low above high"],
        ),
        ("[vary]\nno_such = [1, 2]\n", ["design.toml", "no_such", "unknown parameter"]),
        (
            "[vary]\npressure_intensity = {low = 1}\n",
            ["design.toml", "vary.pressure_intensity", "high end is missing"],
        ),
        ("[vary]\npressure_intensity = []\n", ["vary.pressure_intensity", "empty list"]),
        (
            '[vary]\npressure_intensity = ["a", 2]\n',
            ["vary.pressure_intensity", "expected a number"],
        ),
        ("[vary]\npressure_intensity = true\n", ["vary.pressure_intensity", "low:high"]),
        (
            'replications = 0\n[vary]\npressure_intensity = "1:2"\n',
            ["design.toml", "replications", "at least 1"],
        ),
        (
            'samples = "many"\ndesign = "lhs"\n[vary]\npressure_intensity = "1:2"\n',
            ["design.toml", "samples", "whole number"],
        ),
        ('colour = "red"\n', ["design.toml", "colour", "unknown key"]),
        ("[vary\n", ["design.toml", "TOML syntax"]),
    ],
)
def test_bad_design_file(capsys, tmp_path, body, names):
    f = tmp_path / "design.toml"
    f.write_text(body)
    out = tmp_path / "sweep"
    one_error(capsys, ["sweep", "--design-file", str(f), "--out", str(out)], *names)
    assert not out.exists()


def test_missing_design_file(capsys, tmp_path):
    one_error(
        capsys,
        ["sweep", "--design-file", str(tmp_path / "nope.toml"), "--out", str(tmp_path / "s")],
        "--design-file",
        "no such file",
    )


def test_resume_refuses_other_folders_and_designs(capsys, tmp_path):
    one_error(capsys, ["sweep", "--resume", str(tmp_path)], "--resume", "not a sweep folder")
    from experiments.sweep import new_manifest, write_manifest

    design = resolve(
        DesignSpec(
            steps=8, set=["n_investors=50"], vary=[make_range("pressure_intensity", 1.0, 2.0)]
        )
    )
    write_manifest(tmp_path, new_manifest(design, None, False))
    before = (tmp_path / "manifest.json").read_text()
    one_error(
        capsys,
        [*BASE, "--vary", "pressure_intensity=1:3", "--resume", str(tmp_path)],
        "--resume",
        "design differs",
        "design hash",
    )
    m = json.loads(before)
    m["design_hash"] = "sha256:0"
    (tmp_path / "manifest.json").write_text(json.dumps(m))
    one_error(capsys, ["sweep", "--resume", str(tmp_path)], "--resume", "no longer gives")
    one_error(capsys, ["sweep", "--resume", str(tmp_path), "--out", str(tmp_path)], "--out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json"]


# ----------------------------------------------------------------- the designs ------
def test_grid_is_full_factorial_with_types():
    spec = DesignSpec(
        vary=[
            parse_vary("pressure_intensity=0.5:3"),
            parse_vary("n_investors=10:13"),
            parse_vary("invitations=true,false"),
        ],
        levels=3,
        replications=2,
        steps=8,
    )
    d = resolve(spec)
    assert d.n_points == 3 * 3 * 2 and d.n_runs == 36
    assert {p["pressure_intensity"] for p in d.points} == {0.5, 1.75, 3.0}
    assert {p["n_investors"] for p in d.points} == {10, 12, 13}  # rounded, whole numbers
    assert all(isinstance(p["n_investors"], int) for p in d.points)
    assert {p["invitations"] for p in d.points} == {True, False}
    assert d.unit is None


@pytest.mark.parametrize(
    "design,samples,n_points",
    [("lhs", 20, 20), ("sobol", 8, 8 * (3 + 2)), ("morris", 5, 5 * (3 + 1))],
)
def test_sampled_designs(design, samples, n_points):
    vary = [
        make_range("pressure_intensity", 0.5, 3.0),
        make_range("n_investors", 10, 20),
        make_values("invitations", [True, False]),
    ]
    spec = DesignSpec(vary=vary, design=design, samples=samples, seed=3, steps=8)
    d = resolve(spec)
    assert d.n_points == n_points and d.unit.shape == (n_points, 3)
    for p in d.points:
        assert 0.5 <= p["pressure_intensity"] <= 3.0
        assert 10 <= p["n_investors"] <= 20 and isinstance(p["n_investors"], int)
        assert p["invitations"] in (True, False)
    again = resolve(DesignSpec(vary=vary, design=design, samples=samples, seed=3, steps=8))
    assert again.points == d.points and again.hash == d.hash
    other = resolve(
        DesignSpec(vary=vary, design=design, samples=samples, seed=3, steps=8, design_seed=4)
    )
    assert other.points != d.points and other.hash != d.hash
    assert other.seeds() == d.seeds()  # run seeds follow --seed, not the design seed


def test_lhs_strata():
    d = resolve(
        DesignSpec(
            vary=[make_range("pressure_intensity", 0.0, 5.0)], design="lhs", samples=10, steps=8
        )
    )
    cells = sorted(int(p["pressure_intensity"] // 0.5) for p in d.points)
    assert cells == list(range(10))  # one point in each tenth of the range


def test_seed_rule():
    assert run_seed(42, 3, 5) == int(
        np.random.SeedSequence(42).spawn(4)[3].spawn(6)[5].generate_state(1, np.uint64)[0] >> 1
    )
    seeds = {run_seed(7, p, r) for p in range(50) for r in range(20)}
    assert len(seeds) == 1000 and all(0 <= s < 2**63 for s in seeds)
    d = resolve(
        DesignSpec(
            vary=[make_range("pressure_intensity", 1.0, 2.0)],
            levels=2,
            replications=3,
            seed=7,
            steps=8,
        )
    )
    assert d.seeds() == [[run_seed(7, p, r) for r in range(3)] for p in range(2)]


def test_hash_follows_every_field():
    base = DesignSpec(vary=[make_range("pressure_intensity", 1.0, 2.0)], steps=8)
    h = resolve(base).hash
    for change in (
        dict(seed=1),
        dict(replications=2),
        dict(levels=4),
        dict(steps=9),
        dict(set=["n_investors=60"]),
        dict(scenario="escalation"),
        dict(vary=[make_range("pressure_intensity", 1.0, 2.5)]),
    ):
        assert resolve(DesignSpec(**{**base.__dict__, **change})).hash != h, change


def test_design_file_and_flags(tmp_path):
    f = tmp_path / "design.toml"
    f.write_text(
        'scenario = "escalation"\ndesign = "lhs"\nsamples = 6\nreplications = 2\n'
        "seed = 9\nsteps = 8\n[set]\nn_investors = 50\n[vary]\n"
        'pressure_intensity = "0.5:3"\nchina_budget = [1.0, 3.2]\n'
        "invitations = [true, false]\n"
    )
    spec, keys = read_design_file(f)
    assert spec.scenario == "escalation" and spec.design == "lhs" and spec.samples == 6
    assert spec.set == ["n_investors=50"] and len(spec.vary) == 3
    d = resolve(spec)
    assert d.n_runs == 12 and d.scenario.params["n_investors"] == 50
    assert d.scenario.params["steps"] == 8


def test_design_error_is_a_scenario_error():
    from model.scenario import ScenarioError

    with pytest.raises(ScenarioError, match="low above high"):
        parse_vary("pressure_intensity=3:1")
    with pytest.raises(DesignError):
        make_values("pressure_intensity", [])
