"""The app's replications panel gives the same figures as the same seeds run one by one:
through ``model.run.run_model``, through the command line, and through an independent
Kaplan-Meier estimate (lifelines)."""

from __future__ import annotations

import re
import shlex

import numpy as np
import pytest

from experiments.cli import main
from model.run import run_model
from model.scenario import load_scenario
from server import controls
from server.replications import replicate, survival_curve

N = 12


@pytest.fixture(scope="module")
def settings():
    """Settings as the app's controls would hold them: a preset, a moved slider and a
    switched-on expansion member (a mix of runs that collapse and runs that survive: a
    credibility crisis under doubled pressure; the baseline itself rarely collapses)."""
    s = controls.settings_for("credibility_crisis").with_value("pressure_intensity", 2.0)
    return s.with_member("TWN", True)


@pytest.fixture(scope="module")
def reps(settings):
    return replicate(controls.scenario_of(settings), N)


@pytest.fixture(scope="module")
def direct(settings):
    """The same seeds run one by one, on the scenario the command line would load."""
    scen = load_scenario(settings.scenario, controls.overrides(settings))
    return [run_model(scen, seed=k).outcome for k in range(N)]


def test_seed_rule_and_outcomes_match_run_model(reps, direct):
    assert reps.seeds == tuple(range(N))
    assert reps.collapse_quarter == tuple(
        o["collapse_quarter"] if o["event_observed"] else None for o in direct
    )
    assert 0 < reps.n_collapsed < N, "the check needs runs of both kinds"
    assert reps.share_collapsed == np.mean([o["event_observed"] for o in direct])


def test_survival_curve_is_the_kaplan_meier_estimate(reps, direct):
    from lifelines import KaplanMeierFitter

    km = KaplanMeierFitter().fit(
        [o["time_to_collapse"] for o in direct], [o["event_observed"] for o in direct]
    )
    q = np.arange(reps.horizon + 1)
    expected = km.survival_function_at_times(q).to_numpy()
    np.testing.assert_allclose(reps.survival(), expected, atol=1e-12)
    assert reps.survival()[-1] == pytest.approx(1 - reps.share_collapsed)


def test_the_command_line_tells_the_same_runs(settings, reps, capsys):
    cmd = shlex.split(controls.cli_command(settings, seed=0))
    assert cmd[:3] == ["uv", "run", "pax-silica"]
    args = cmd[3:]
    collapsed = next(k for k, q in enumerate(reps.collapse_quarter) if q is not None)
    survived = next(k for k, q in enumerate(reps.collapse_quarter) if q is None)
    for k in (collapsed, survived):
        args[args.index("--seed") + 1] = str(k)
        assert main(args) == 0
        out = capsys.readouterr().out
        q = reps.collapse_quarter[k]
        if q is None:
            assert "The alliance SURVIVED" in out
        else:
            assert re.search(rf"COLLAPSED in .* \(quarter {q}\)", out), out


def test_survival_curve_by_hand():
    np.testing.assert_allclose(survival_curve([None, 3, 3, 5], 6), [1, 1, 1, 0.5, 0.5, 0.25, 0.25])
    assert survival_curve([None, None], 2).tolist() == [1, 1, 1]


def test_stop_returns_the_runs_so_far(settings):
    done = []
    reps = replicate(
        controls.scenario_of(settings),
        5,
        progress=lambda d, n: done.append(d),
        stop=lambda: len(done) >= 2,
    )
    assert reps.seeds == (0, 1) and done == [1, 2]
    with pytest.raises(ValueError):
        replicate(controls.scenario_of(settings), 0)


def test_posterior_replications_are_the_posterior_runs_of_the_command_line(settings):
    """With the posterior switch on, run k is ``pax-silica run --seed k --posterior``: the
    same draw of the uncertain parameters and the same outcome; and the draws move it."""
    from tests.model.test_posterior import small

    post = small(6)
    scen = load_scenario(settings.scenario, [*controls.overrides(settings), "steps=12"])
    reps = replicate(scen, 6, posterior=post)
    direct = [run_model(scen, seed=k, posterior=post).outcome for k in range(6)]
    assert list(reps.collapse_quarter) == [
        o["collapse_quarter"] if o["event_observed"] else None for o in direct
    ]
    plain = [run_model(scen, seed=k).outcome for k in range(6)]
    assert [o["final_credibility"] for o in direct] != [o["final_credibility"] for o in plain]


def test_labels_name_what_differs():
    from server.replications import labels

    base, more = ["scenario=baseline"], ["scenario=baseline", "pressure_intensity=2"]
    assert labels([base, more]) == ["scenario=baseline only", "pressure_intensity=2"]
    assert labels([base, base]) == ["same settings (#1)", "same settings (#2)"]
    other = ["scenario=expansion", "posterior=on"]
    assert labels([base, other]) == ["scenario=baseline", "scenario=expansion, posterior=on"]
    assert labels([more]) == ["same settings"]


def test_fans_are_quantiles_across_runs(reps):
    from server.replications import FAN_QUANTILES

    fan = reps.fan("members")
    assert fan.shape == (len(FAN_QUANTILES), reps.horizon + 1)
    assert (np.diff(fan, axis=0) >= 0).all()  # the quantiles in order, at every quarter
    runs = np.array([r[0] for r in reps.series])
    np.testing.assert_array_equal(fan[2], np.median(runs, axis=0))
    assert reps.complete and reps.asked == N
