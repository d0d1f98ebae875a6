"""The posterior file (issue 13, point 3): it round-trips, a draw is a function of the seed,
a malformed file gets one clear message, and posterior runs are reproducible."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from model.params import defaults, uncertain
from model.posterior import (
    DEFAULT,
    Posterior,
    PosteriorError,
    load_posterior,
    posterior_overrides,
    write_posterior,
)
from model.replicate import replicate
from model.run import run_model
from model.scenario import load_scenario

PROV = {
    "version": "0.1.0",
    "commit": "abc1234",
    "created": "2026-12-02T00:00:00Z",
    "targets": ["a", "b"],
    "population": 3,
    "generations": 2,
    "tolerance": 0.5,
    "simulations": 100,
    "history": "calibration/history.db",
}


def small(n: int = 5, seed: int = 0) -> Posterior:
    """A posterior of ``n`` random particles inside every uncertain parameter's prior."""
    rng = np.random.default_rng(seed)
    specs = uncertain()
    vals = np.array(
        [
            [
                round(rng.uniform(*s.prior)) if s.type == "int" else rng.uniform(*s.prior)
                for s in specs
            ]
            for _ in range(n)
        ]
    )
    w = rng.uniform(0.5, 2.0, n)
    return Posterior(
        names=tuple(s.name for s in specs),
        values=vals,
        weights=w / w.sum(),
        provenance={**PROV, "population": n},
    )


def test_a_posterior_round_trips_exactly(tmp_path):
    post = small()
    write_posterior(post, tmp_path / "p.csv")
    back = load_posterior(tmp_path / "p.csv")
    assert back.names == post.names
    np.testing.assert_array_equal(back.values, post.values)
    np.testing.assert_allclose(back.weights, post.weights, rtol=0, atol=1e-15)
    assert back.provenance == post.provenance
    assert [back.index(s) for s in range(50)] == [post.index(s) for s in range(50)]


def test_draws_follow_the_weights_and_the_seed():
    post = small(4)
    idx = np.array([post.index(s) for s in range(4000)])
    freq = np.bincount(idx, minlength=4) / len(idx)
    assert np.abs(freq - post.weights).max() < 0.03
    assert post.draw(7) == post.draw(7)
    assert len({post.index(s) for s in range(40)}) > 1


def test_the_scenario_s_own_choices_are_not_drawn_over():
    post = small()
    scen = load_scenario("baseline", ["initial_credibility=0.5"])
    drawn = posterior_overrides(post, scen, 3)
    assert "initial_credibility" not in drawn
    assert set(drawn) == set(post.names) - {"initial_credibility"}
    assert posterior_overrides(None, scen, 3) == {}


def test_posterior_runs_are_reproducible_from_their_seed_and_differ_from_the_point():
    post = small()
    scen = load_scenario("baseline", ["n_investors=50", "steps=8"])
    a = [m.outcome() for m in replicate(scen, [1, 2, 3], posterior=post)]
    b = [m.outcome() for m in replicate(scen, [1, 2, 3], posterior=post)]
    assert a == b
    r1 = run_model(scen, seed=2, posterior=post)
    assert r1.outcome == b[1]
    assert r1.model.p["price_pain"] == post.draw(2)["price_pain"]
    assert r1.model.p["price_pain"] != defaults()["price_pain"]


def _write(tmp: Path, csv: str, toml: str | None = None) -> Path:
    path = tmp / "p.csv"
    path.write_text(csv, encoding="utf-8")
    if toml is None:
        toml = "[provenance]\n" + "".join(
            f"{k} = {v!r}\n".replace("'", '"') for k, v in PROV.items()
        )
    path.with_suffix(".toml").write_text(toml, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "csv, says",
    [
        ("", "empty"),
        ("w,price_pain\n1,0.2\n", "column 1: expected 'weight'"),
        ("weight,price_elasticity\n1,0.5\n", "column 'price_elasticity': expected an uncertain"),
        ("weight,price_pain\n", "no particles"),
        ("weight,price_pain\n1,0.2,3\n", "row 2: expected 2 values"),
        ("weight,price_pain\n0,0.2\n", "row 2: weight: expected > 0"),
        ("weight,price_pain\n1,abc\n", "row 2: price_pain: expected a number"),
        ("weight,price_pain\n1,nan\n", "row 2: price_pain: expected a finite number"),
        ("weight,price_pain\n1,7\n", "row 2: price_pain: expected a value in its prior [0.1, 0.4]"),
        ("weight,price_pain,price_pain\n1,0.2,0.2\n", "each parameter once"),
    ],
)
def test_a_malformed_posterior_is_one_clear_error(tmp_path, csv, says):
    with pytest.raises(PosteriorError) as e:
        load_posterior(_write(tmp_path, csv))
    assert says in str(e.value)
    assert "p.csv" in str(e.value)


def test_its_mended_twin_loads(tmp_path):
    post = load_posterior(_write(tmp_path, "weight,price_pain\n1,0.2\n3,0.3\n"))
    assert post.weights.tolist() == [0.25, 0.75]


@pytest.mark.parametrize(
    "toml, says",
    [
        (None, None),
        ("not = [toml", "not valid TOML"),
        ("[other]\nx = 1\n", "expected a [provenance] table"),
        ('[provenance]\nversion = "1"\n', "provenance.commit: missing"),
    ],
)
def test_the_provenance_must_be_there_and_whole(tmp_path, toml, says):
    path = _write(tmp_path, "weight,price_pain\n1,0.2\n", toml)
    if says is None:
        path.with_suffix(".toml").unlink()
        says = "missing; a posterior needs its provenance file"
    with pytest.raises(PosteriorError) as e:
        load_posterior(path)
    assert says in str(e.value)


def test_an_unknown_name_lists_the_named_posteriors(tmp_path):
    with pytest.raises(PosteriorError) as e:
        load_posterior("no_such_posterior")
    assert "no such posterior file" in str(e.value)


def test_the_committed_default_posterior_loads_with_its_provenance():
    post = load_posterior("default")
    assert post.path == DEFAULT
    assert len(post) >= 500
    assert set(post.names) == {s.name for s in uncertain()}
    assert post.provenance["simulations"] >= 10_000
    assert post.ess() > 100
