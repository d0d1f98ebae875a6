"""Sweeps over the posterior (issue 13, point 3): each run draws its uncertain parameters
by its seed, the rows say which accepted set it took, the same sweep gives the same rows,
the manifest names the posterior, and a sweep is not resumed on a changed posterior."""

from __future__ import annotations

import json
import shutil

import pandas as pd

from experiments.cli import main
from experiments.sweep import load_results
from model.posterior import load_posterior, write_posterior
from model.run import run_model
from model.scenario import load_scenario
from tests.model.test_posterior import small

FLAGS = ["--vary", "pressure_intensity=0.5,2", "--replications", "4", "--steps", "6"]
FLAGS += ["--set", "n_investors=50", "--in-process", "--no-progress"]


def _sweep(out, post_path, capsys) -> pd.DataFrame:
    assert main(["sweep", *FLAGS, "--posterior", str(post_path), "--out", str(out)]) == 0
    capsys.readouterr()
    return load_results(out).sort_values(["point", "replication"]).reset_index(drop=True)


def test_a_posterior_sweep_is_its_runs_one_by_one_and_repeats_exactly(tmp_path, capsys):
    post_path = tmp_path / "post.csv"
    write_posterior(small(6, seed=4), post_path)
    post = load_posterior(post_path)
    a = _sweep(tmp_path / "a", post_path, capsys)
    b = _sweep(tmp_path / "b", post_path, capsys)
    pd.testing.assert_frame_equal(a, b)
    assert a["posterior_draw"].tolist() == [post.index(s) for s in a["seed"]]
    assert a["posterior_draw"].nunique() > 1
    scen = load_scenario("baseline", ["n_investors=50", "steps=6"])
    for row in a.itertuples():
        r = run_model(
            scen,
            seed=int(row.seed),
            posterior=post,
            overrides={"pressure_intensity": row.pressure_intensity},
        )
        assert r.outcome["final_credibility"] == row.final_credibility
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest["posterior"]["file_sha256"]
    assert manifest["posterior"]["provenance"]["commit"] == post.provenance["commit"]


def test_a_sweep_is_not_resumed_on_a_changed_posterior(tmp_path, capsys):
    post_path = tmp_path / "post.csv"
    write_posterior(small(6, seed=4), post_path)
    _sweep(tmp_path / "a", post_path, capsys)
    shutil.rmtree(tmp_path / "a" / "runs")  # as if interrupted before any run
    write_posterior(small(6, seed=5), post_path)  # a new calibration in the same file
    assert main(["sweep", "--resume", str(tmp_path / "a"), "--in-process"]) == 2
    assert "no longer gives the same runs" in capsys.readouterr().err


def test_a_bad_posterior_is_one_error_line(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("weight,price_pain\n1,0.2\n", encoding="utf-8")  # no provenance file
    code = main(["sweep", *FLAGS, "--posterior", str(bad), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("error:") == 1
    assert "--posterior" in err and "provenance" in err
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())
