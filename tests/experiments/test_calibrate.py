"""``pax-silica calibrate`` (issue 13, point 2): it recovers parameters the model itself
made the data with, resumes from its SQLite history, runs unchanged on a scheduler and
workers started as separate processes, and refuses bad input with one clear line.

Small on purpose: two free parameters (the rest fixed at their defaults), a few hundred
simulations, four runs per scenario. The full calibration is the benchmark's job."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

from experiments.calibrate import calibrate, from_logit, particle_seed, to_logit
from experiments.cli import main
from model.observables import fitted, simulate
from model.params import defaults, registry, uncertain
from model.posterior import load_posterior
from tests.dask_cluster import free_port, running_cluster

TRUTH = {"price_pain": 0.38, "defection_threshold": 1.3}
FREE = tuple(TRUTH)
REPS = 4


def _args(out, **kw) -> argparse.Namespace:
    d = defaults()
    base = dict(
        out=str(out),
        simulations=400,
        population=40,
        generations=1000,
        tolerance=0.0,
        min_fall=0.0,
        replications=REPS,
        seed=3,
        resume=False,
        fixed=[(s.name, d[s.name]) for s in uncertain() if s.name not in FREE],
        scheduler=None,
        in_process=True,
        workers=None,
        batch=5,
        screen_trajectories=2,
        screen_threshold=0.0,
    )
    base.update(kw)
    return argparse.Namespace(**base)


def test_the_logit_scale_maps_the_prior_range_onto_the_line_and_back():
    for s in uncertain():
        lo, hi = s.prior
        for x in np.linspace(lo, hi, 7)[1:-1]:
            assert from_logit(s, to_logit(s, x)) == pytest.approx(x, rel=1e-9)
        assert lo <= from_logit(s, -50) <= from_logit(s, 50) <= hi


def test_a_particle_meets_the_same_runs_wherever_it_is_evaluated():
    p = {"price_pain": 0.3}
    assert particle_seed(p, 0) == particle_seed(dict(p), 0)
    assert particle_seed(p, 0) != particle_seed(p, 1)
    assert particle_seed(p, 0) != particle_seed({"price_pain": 0.31}, 0)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """Calibrate to targets the model simulated at TRUTH (not the record's)."""
    observed = simulate({**TRUTH, "n_investors": 50}, seed=12345, replications=16, chosen=fitted())
    out = tmp_path_factory.mktemp("synthetic")
    path = calibrate(_args(out, simulations=900, population=80), observed=observed)
    return load_posterior(path), observed


def test_calibration_recovers_the_parameters_it_was_made_with(synthetic):
    """Synthetic truth: the data say members leave under the April-2025 shock (at a high
    price pain and a low threshold); the posterior moves from the prior's middle toward
    the truth and holds it in its 90% interval."""
    post, observed = synthetic
    assert observed["ree_april_2025_members_hold"] > 0.3  # the data are informative
    spec = registry()
    for name, truth in TRUTH.items():
        lo, med, hi = post.quantiles(name)
        prior_mid = sum(spec[name].prior) / 2
        assert lo <= truth <= hi, (name, lo, med, hi)
        assert abs(med - truth) < abs(prior_mid - truth), (name, med, prior_mid)


def test_the_posterior_holds_the_fixed_parameters_and_its_provenance(synthetic):
    post, _ = synthetic
    d = defaults()
    j = post.names.index("social_influence")
    assert set(post.values[:, j]) == {d["social_influence"]}
    prov = post.provenance
    assert prov["calibrated"] == list(FREE)
    assert prov["simulations"] >= 900
    assert prov["targets"] == [t.name for t in fitted()]


def test_a_calibration_resumes_from_its_history(tmp_path, capsys):
    first = calibrate(_args(tmp_path, simulations=150))
    before = load_posterior(first).provenance
    calibrate(_args(tmp_path, simulations=400, resume=True))
    after = load_posterior(first).provenance
    assert after["simulations"] >= 400 > before["simulations"]
    assert after["generations"] > before["generations"]
    assert "resuming after" in capsys.readouterr().err


def test_the_same_command_runs_on_an_external_scheduler(tmp_path_factory, capsys):
    logs = tmp_path_factory.mktemp("dask-calibrate")
    out = tmp_path_factory.mktemp("calibrate-ext")
    with running_cluster(logs, ("c1", "c2")) as c:
        path = calibrate(_args(out, simulations=150, in_process=False, scheduler=c["address"]))
    err = capsys.readouterr().err
    assert c["address"] in err
    assert "generation 0" in err
    assert load_posterior(path).provenance["simulations"] >= 150


def _cli(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as e:  # argparse's own usage errors
        return e.code


@pytest.mark.parametrize(
    "argv, says",
    [
        (["--in-process", "--resume"], "--resume: no calibration history"),
        (["--in-process", "--population", "5"], "--population: expected a whole number of"),
        (["--in-process", "--simulations", "abc"], "--simulations: expected a whole number"),
        (["--in-process", "--tolerance", "-1"], "--tolerance: expected a number of at least"),
        (["--in-process", "--fix", "price_elasticity=0.5"], "NAME an uncertain parameter"),
        (["--in-process", "--fix", "price_pain=9"], "price_pain: expected a value in [0.1, 0.4]"),
        (["--in-process", "--scheduler", "tcp://127.0.0.1:1"], "not allowed with argument"),
        (["--scheduler", "tcp://127.0.0.1:1", "--workers", "2"], "--workers: not with"),
    ],
)
def test_bad_input_is_one_error_line(tmp_path, capsys, argv, says):
    code = _cli(["calibrate", "--out", str(tmp_path / "c"), *argv])
    err = capsys.readouterr().err
    assert code == 2
    assert says in err, err
    assert err.count("error:") == 1 and "Traceback" not in err
    assert not (tmp_path / "c" / "history.db").exists()


def test_an_unreachable_scheduler_is_one_error_line(tmp_path, capsys):
    port = free_port()  # nothing listens there
    code = _cli(
        ["calibrate", "--out", str(tmp_path / "c"), "--scheduler", f"tcp://127.0.0.1:{port}"]
    )
    err = capsys.readouterr().err
    assert code == 2 and "--scheduler: cannot connect" in err, err
    assert not (tmp_path / "c" / "history.db").exists()


def test_a_second_calibration_into_the_same_folder_is_refused(tmp_path, capsys):
    calibrate(_args(tmp_path, simulations=60, population=40))
    assert _cli(["calibrate", "--out", str(tmp_path), "--in-process"]) == 2
    assert "already holds a calibration" in capsys.readouterr().err


def test_the_tolerance_falls_past_a_tie_but_not_to_a_lone_particle():
    import pandas as pd

    from experiments.calibrate import FallingMedian

    def population(d):
        return pd.DataFrame({"distance": d, "w": np.ones(len(d))})

    eps = FallingMedian(min_share=0.05)
    eps._look_up = {0: 3.0}
    eps._update(1, population([3.0] * 80 + [2.0] * 20))  # a tie at the median
    assert eps(1) == 2.0  # falls to the largest distance below it (20% of particles)
    eps._update(2, population([2.0] * 99 + [1.0]))  # one particle in 100 below
    assert eps(2) == 2.0  # stays: the run stops rather than chase it
    eps._update(3, population([2.0] * 10 + [1.0] * 90))
    assert eps(3) == 1.0  # an ordinary median fall
