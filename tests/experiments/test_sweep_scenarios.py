"""Sweeps over scenarios (``--vary scenario=a,b``: the scenario as a factor of the design)
and of replications alone (nothing varied: one point). Each resumes like any sweep, gives
the same rows in process and on a local Dask cluster, records every scenario's file and
digest, and refuses to resume once a scenario file has changed.

Small sweeps (6 quarters, 50 investors): the point is the machinery, not the model."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from experiments.cli import EXIT_USAGE, main
from experiments.design import DesignSpec, make_range, read_design_file, resolve, run_seed
from experiments.sweep import load_results

SMALL = ["--steps", "6", "--set", "n_investors=50", "--no-progress"]


def one_error(capsys, argv, *names) -> str:
    try:
        status = main(argv)
    except SystemExit as e:
        status = e.code
    out, err = capsys.readouterr()
    assert status == EXIT_USAGE, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), err
    for n in names:
        assert n in lines[0], lines[0]
    return lines[0]


def _scenario_file(folder, stem: str, body: str = "") -> str:
    f = folder / f"{stem}.toml"
    f.write_text(f'name = "{stem}"\nextends = "baseline"\n{body}')
    return str(f)


def test_scenario_is_a_factor_of_the_design(tmp_path):
    spec = DesignSpec(
        scenarios=["baseline", "expansion"],
        vary=[make_range("pressure_intensity", 1.0, 2.0)],
        levels=2,
        replications=3,
        steps=6,
    )
    d = resolve(spec)
    assert d.n_points == 4 and d.n_runs == 12
    assert d.scenario_of == ["baseline", "baseline", "expansion", "expansion"]
    assert [p["pressure_intensity"] for p in d.points] == [1.0, 2.0, 1.0, 2.0]
    assert d.scenarios["expansion"].members != d.scenarios["baseline"].members
    # seeds follow the point id, scenario or not
    assert d.seeds()[3] == [run_seed(0, 3, r) for r in range(3)]
    one = resolve(DesignSpec(vary=spec.vary, levels=2, replications=3, steps=6))
    assert d.hash != one.hash and not one.scenario_of


def test_a_sweep_over_two_scenarios_in_process_and_on_dask(tmp_path, capsys):
    a = _scenario_file(tmp_path, "calm", "[parameters]\npressure_intensity = 0.5\n")
    argv = ["sweep", "--vary", f"scenario=expansion,{a}", "--replications", "4", *SMALL]
    assert main([*argv, "--in-process", "--out", str(tmp_path / "here")]) == 0
    out = capsys.readouterr().out
    assert "8 runs (2 points x 4 replications" in out and "'expansion', 'calm'" in out
    df = load_results(tmp_path / "here")
    assert list(df["scenario"]) == ["expansion"] * 4 + ["calm"] * 4
    assert (df.groupby("scenario").seed.nunique() == 4).all()
    m = json.loads((tmp_path / "here" / "manifest.json").read_text())
    recs = {r["label"]: r for r in m["scenarios"]}
    assert recs["calm"]["file"] == a and len(recs["calm"]["file_sha256"]) == 64
    assert recs["expansion"]["file"].endswith("expansion.toml") and recs["expansion"]["digest"]
    assert m["design"]["scenario_of"] == ["expansion", "calm"]
    # the same sweep on a local cluster: the same rows, bit for bit
    assert main([*argv, "--local-cluster", "--workers", "2", "--out", str(tmp_path / "dask")]) == 0
    pd.testing.assert_frame_equal(load_results(tmp_path / "dask"), df)


def test_a_scenario_sweep_resumes_and_refuses_a_changed_file(tmp_path, capsys):
    a = _scenario_file(tmp_path, "calm", "[parameters]\npressure_intensity = 0.5\n")
    argv = ["sweep", "--vary", f"scenario=baseline,{a}", "--replications", "3", *SMALL]
    out = tmp_path / "s"
    assert main([*argv, "--chunk-size", "2", "--out", str(out)]) == 0
    whole = load_results(out)
    cut = tmp_path / "cut"
    shutil.copytree(out, cut)
    parts = sorted((cut / "runs").glob("part-*.parquet"))
    for p in parts[1::2]:
        p.unlink()
    assert main(["sweep", "--resume", str(cut), "--no-progress"]) == 0
    pd.testing.assert_frame_equal(load_results(cut), whole)
    # the sweep's own flags resume; another list of scenarios is named
    shutil.copytree(out, tmp_path / "again")
    assert main([*argv, "--resume", str(tmp_path / "again")]) == 0
    capsys.readouterr()
    one_error(
        capsys,
        ["sweep", "--resume", str(out), "--vary", f"scenario=expansion,{a}"],
        "--vary scenario",
        "expansion",
    )
    # a scenario file changed since: the design no longer gives the same runs
    (tmp_path / "calm.toml").write_text(
        'name = "calm"\nextends = "baseline"\n[parameters]\npressure_intensity = 0.6\n'
    )
    one_error(capsys, ["sweep", "--resume", str(out)], "--resume", "design hash")


def test_a_sweep_of_replications_alone(tmp_path, capsys):
    out = tmp_path / "s"
    argv = ["sweep", "--scenario", "baseline", "--replications", "5", *SMALL]
    assert main([*argv, "--chunk-size", "2", "--out", str(out)]) == 0
    assert "5 runs (1 point x 5 replications" in capsys.readouterr().out
    df = load_results(out)
    assert list(df["point"]) == [0] * 5 and list(df["replication"]) == list(range(5))
    assert list(df["seed"]) == [run_seed(0, 0, r) for r in range(5)]
    (out / "runs" / "part-000000002.parquet").unlink()
    assert main(["sweep", "--resume", str(out), "--no-progress"]) == 0
    pd.testing.assert_frame_equal(load_results(out), df)
    dask = tmp_path / "dask"
    assert main([*argv, "--local-cluster", "--workers", "1", "--out", str(dask)]) == 0
    pd.testing.assert_frame_equal(load_results(dask), df)


@pytest.mark.parametrize(
    "vary,names",
    [
        ("scenario=baseline,no_such", ["--vary", "no_such", "unknown scenario", "expansion"]),
        ("scenario=baseline,nowhere/x.toml", ["--vary", "nowhere/x.toml", "no such"]),
        ("scenario=baseline", ["--vary", "two or more", "--scenario"]),
        ("scenario=baseline,baseline", ["--vary", "two or more"]),
    ],
)
def test_bad_scenario_vary_is_one_error(capsys, tmp_path, vary, names):
    out = tmp_path / "s"
    one_error(capsys, ["sweep", "--vary", vary, *SMALL, "--out", str(out)], *names)
    assert not out.exists()


def test_scenario_vary_conflicts_are_one_error(capsys, tmp_path):
    base = ["sweep", "--vary", "scenario=baseline,expansion", *SMALL]
    out = str(tmp_path / "s")
    one_error(capsys, [*base, "--scenario", "truce", "--out", out], "--scenario", "--vary")
    one_error(
        capsys,
        [*base, "--vary", "pressure_intensity=1:2", "--design", "sobol", "--samples", "4"]
        + ["--out", out],
        "--vary",
        "sobol",
        "one scenario",
    )
    one_error(capsys, ["sweep", *SMALL, "--design", "lhs", "--samples", "4", "--out", out])


def test_design_file_varies_the_scenario(tmp_path, capsys):
    _scenario_file(tmp_path, "calm")
    f = tmp_path / "design.toml"
    f.write_text('replications = 2\nsteps = 6\n[vary]\nscenario = ["truce", "calm.toml"]\n')
    d = resolve(read_design_file(f)[0])
    assert list(d.scenarios) == ["truce", "calm"] and d.n_runs == 4
    assert d.scenario_records[1]["file"] == str(tmp_path / "calm.toml")
    f.write_text('scenario = "truce"\n[vary]\nscenario = ["truce", "calm.toml"]\n')
    one_error(capsys, ["sweep", "--design-file", str(f), "--out", str(tmp_path / "s")], "vary")
