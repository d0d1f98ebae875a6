"""``pax-silica claims`` (issue 13, point 4): its statistics on synthetic data with a known
answer, the real model's C6a over a small posterior sample, a broken model variant
(pressure that helps the alliance) that the ledger must not pass, bad input, determinism,
the Dask path, and docs/VALIDATION.md in step with the committed results."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import agents.pressurer
import agents.state
from experiments.claims import (
    DOCS_RESULTS,
    VALIDATION_MD,
    analyse,
    effect_summary,
    render_validation,
    run_claims,
    sign_flip_p,
    verdict_of,
    where_fails,
)
from experiments.cli import EXIT_USAGE, main
from experiments.sweep import InProcess
from model.claims import LEDGER_FILE, file_hash, ledger
from model.observables import TARGETS_FILE
from model.params import uncertain
from model.posterior import (
    DEFAULT,
    Posterior,
    load_posterior,
    provenance_path,
    resolve,
    write_posterior,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def post(tmp_path_factory) -> Posterior:
    """The calibrated posterior if there is one; else particles drawn uniformly from each
    uncertain parameter's prior (the machinery does not depend on which)."""
    if DEFAULT.is_file():
        return load_posterior("default")
    rng = np.random.default_rng(7)
    specs = uncertain()
    vals = np.empty((200, len(specs)))
    for j, s in enumerate(specs):
        lo, hi = s.prior
        if s.prior_scale == "log":
            vals[:, j] = np.exp(rng.uniform(math.log(lo), math.log(hi), 200))
        else:
            vals[:, j] = rng.uniform(lo, hi, 200)
        if s.type == "int":
            vals[:, j] = np.round(vals[:, j])
    prov = dict(
        version="test",
        commit="none",
        created="2026-01-01",
        targets=[],
        population=200,
        generations=0,
        tolerance=0.0,
        simulations=0,
        history="uniform prior draws",
    )
    path = tmp_path_factory.mktemp("posterior") / "prior.csv"
    write_posterior(Posterior(tuple(s.name for s in specs), vals, np.ones(200) / 200, prov), path)
    return load_posterior(path)


# ------------------------------------------------------------ the statistics -------
def test_a_known_effect_is_found_with_its_interval_covering_it():
    rng = np.random.default_rng(0)
    base = rng.normal(size=200)
    per_draw = np.stack([base, base + 0.5 + rng.normal(size=200)], axis=1)
    s = effect_summary(per_draw, +1, np.random.default_rng(1))
    assert s["ci95"][0] < 0.5 < s["ci95"][1]
    assert s["verdict"] == "holds" and s["p"] < 0.01
    assert effect_summary(per_draw, -1, np.random.default_rng(1))["verdict"] == "fails"


def test_a_known_effect_on_shares_of_collapse_is_found():
    """Binary outcomes as the model gives them: 4 runs a draw, collapse 0.2 -> 0.6."""
    rng = np.random.default_rng(2)
    lo = rng.binomial(4, 0.2, size=150) / 4
    hi = rng.binomial(4, 0.6, size=150) / 4
    s = effect_summary(np.stack([lo, hi], axis=1), +1, np.random.default_rng(3))
    assert s["ci95"][0] < 0.4 < s["ci95"][1] and s["verdict"] == "holds"


def test_no_effect_gives_an_interval_covering_zero_in_most_seed_sets():
    covered, small_p = 0, 0
    for seed in range(40):
        rng = np.random.default_rng(100 + seed)
        base = rng.normal(size=100)
        per_draw = np.stack([base, base + rng.normal(size=100)], axis=1)
        s = effect_summary(per_draw, +1, rng, boot=1000, perms=999)
        covered += s["verdict"] == "not shown"
        small_p += s["p"] < 0.05
    assert covered >= 34  # 95% intervals: 38 expected; P(< 34) < 0.01
    assert small_p <= 6  # one-sided 5%: 2 expected


def test_the_sign_flip_p_value():
    rng = np.random.default_rng(4)
    assert sign_flip_p(np.full(30, 1.0), rng, 999) == pytest.approx(1 / 1000)
    assert sign_flip_p(np.zeros(30), rng, 999) == 1.0  # no effect at all: never significant
    assert sign_flip_p(np.full(30, -1.0), rng, 999) == 1.0


@pytest.mark.parametrize(
    "lo,hi,sign,verdict",
    [
        (0.1, 0.3, 1, "holds"),
        (-0.3, -0.1, 1, "fails"),
        (-0.1, 0.3, 1, "not shown"),
        (0.0, 0.3, 1, "not shown"),
        (-0.3, -0.1, -1, "holds"),
        (0.1, 0.3, -1, "fails"),
    ],
)
def test_the_verdict_reads_the_interval(lo, hi, sign, verdict):
    assert verdict_of(lo, hi, sign) == verdict


def test_prim_finds_the_region_where_a_claim_fails():
    rng = np.random.default_rng(5)
    X = pd.DataFrame({"a": rng.uniform(size=300), "b": rng.uniform(size=300)})
    wrong = (X["a"] > 0.75).to_numpy()
    w = where_fails(X, wrong)
    box = w["box"]
    assert "a" in box["limits"] and box["limits"]["a"][0] > 0.6
    assert box["coverage"] >= 0.5 and box["density"] > 0.8
    assert where_fails(X, np.zeros(300, dtype=bool))["box"] is None
    few = np.zeros(300, dtype=bool)
    few[:4] = True
    assert where_fails(X, few)["box"] is None  # under 5%: nowhere to report


# ------------------------------------------------------------- the real model -------
C6A = [e for e in ledger() if e.id == "C6a"]
SMALL = dict(seed=7, draws=16, reps=2)


def c6a(post) -> dict:
    raw = run_claims(
        C6A, post, SMALL["seed"], SMALL["draws"], SMALL["reps"], False, InProcess("test")
    )
    return analyse(C6A, raw, post, SMALL["seed"])[0]["result"]


def test_the_real_model_holds_c6a_on_a_small_posterior_sample(post):
    r = c6a(post)
    assert r["verdict"] == "holds", r
    assert r["effect"] > 0


def test_a_model_where_pressure_helps_the_alliance_does_not_pass_c6a(post, monkeypatch):
    """The pressure-pain rule of agents/pressurer.py made to return the pain's negative
    (pressure then soothes the grievances that price shocks and US reversals cause): the
    ledger must not report C6a as holding, and its effect must not point the paper's way."""
    rule = agents.pressurer.pressure_pain

    def helps(*args, **kwargs):
        return -rule(*args, **kwargs)

    monkeypatch.setattr(agents.pressurer, "pressure_pain", helps)
    monkeypatch.setattr(agents.state, "pressure_pain", helps)
    r = c6a(post)
    assert r["verdict"] in ("fails", "not shown"), r
    assert r["effect"] <= 0 and r["ci95"][1] <= 0
    assert r["right_way_share"] <= r["wrong_way_share"]


# ---------------------------------------------------------------- the command -------
def run_cli(*argv: str) -> int:
    return main(["claims", *argv])


def test_same_seed_same_results(post, tmp_path, capsys):
    args = ["--posterior", str(post.path), "--draws", "3", "--reps", "1"]
    args += ["--only", "C5,C6a,C1,fit", "--in-process", "--no-progress", "--seed", "5"]
    assert run_cli(*args, "--out", str(tmp_path / "a")) == 0
    assert run_cli(*args, "--out", str(tmp_path / "b")) == 0
    a = json.loads((tmp_path / "a" / "results.json").read_text())
    b = json.loads((tmp_path / "b" / "results.json").read_text())
    a.pop("session"), b.pop("session")
    assert a == b
    assert [r["id"] for r in a["claims"]] == ["C1", "C5", "C6a"]
    assert a["calibration"]["targets"] and a["provenance"]["draw_seeds"] == [50000, 50002]
    for f in ("claims.md", "C5.png", "C6a.png", "calibration.png"):
        assert (tmp_path / "a" / f).is_file(), f
    md = (tmp_path / "a" / "claims.md").read_text()
    assert "| C6a (primary) |" in md and "Held out:" in md
    out = capsys.readouterr().out
    assert "C6a" in out and "calibration:" in out


def test_the_dask_executor_gives_the_in_process_results(post, tmp_path):
    args = ["--posterior", str(post.path), "--draws", "2", "--reps", "1", "--only", "C5"]
    args += ["--no-progress", "--seed", "3"]
    assert run_cli(*args, "--in-process", "--out", str(tmp_path / "a")) == 0
    assert run_cli(*args, "--local-cluster", "--workers", "2", "--out", str(tmp_path / "b")) == 0
    a = json.loads((tmp_path / "a" / "results.json").read_text())
    b = json.loads((tmp_path / "b" / "results.json").read_text())
    assert b["session"]["where"] == "local"
    a.pop("session"), b.pop("session")
    assert a == b


@pytest.mark.parametrize(
    "argv,flag",
    [
        (["--draws", "1"], "--draws"),
        (["--draws", "many"], "--draws"),
        (["--reps", "0"], "--reps"),
        (["--seed", "-1"], "--seed"),
        (["--only", "C9"], "--only"),
        (["--only", ","], "--only"),
        (["--posterior", "nosuch"], "--posterior"),
        (["--in-process", "--workers", "2"], "--workers"),
        (["--scheduler", "not a host"], "--scheduler"),
        (["--write-docs", "--only", "C6a"], "--write-docs"),
        (["--out", "{file}"], "--out"),
    ],
)
def test_bad_input_is_one_error_line_naming_the_flag(argv, flag, tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    argv = [a.replace("{file}", str(f)) for a in argv]
    if "--out" not in argv:
        argv += ["--out", str(tmp_path / "out")]
    with pytest.raises(SystemExit) as ex:
        raise SystemExit(
            run_cli(*argv, "--in-process" if "--workers" not in argv else "--no-progress")
        )
    assert ex.value.code == EXIT_USAGE
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and flag in err[0], err
    assert "Traceback" not in err[0]
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------ docs/VALIDATION.md -----
needs_default = pytest.mark.skipif(
    not DEFAULT.is_file(), reason="docs/VALIDATION.md is made over the calibrated posterior"
)


@needs_default
def test_validation_doc_is_generated_from_the_committed_results():
    results = json.loads(DOCS_RESULTS.read_text(encoding="utf-8"))
    assert VALIDATION_MD.read_text(encoding="utf-8") == render_validation(results), (
        "run: uv run pax-silica claims --write-docs"
    )


@needs_default
def test_the_committed_results_are_of_the_current_ledger_targets_and_posterior():
    results = json.loads(DOCS_RESULTS.read_text(encoding="utf-8"))
    p = results["provenance"]
    assert p["ledger"]["sha256"] == file_hash(LEDGER_FILE), "the ledger changed: --write-docs"
    assert p["targets"]["sha256"] == file_hash(TARGETS_FILE), "the targets changed"
    path = resolve(p["posterior"]["name"])
    assert p["posterior"]["name"] == "default"
    assert p["posterior"]["csv_sha256"] == file_hash(path), "the posterior changed"
    assert p["posterior"]["toml_sha256"] == file_hash(provenance_path(path))
    assert [r["id"] for r in results["claims"]] == [e.id for e in ledger()]
    assert results["calibration"] is not None


def test_write_docs_writes_the_report_its_test_reads(post, tmp_path, monkeypatch):
    import experiments.claims as claims

    monkeypatch.setattr(claims, "DOCS_DIR", tmp_path / "docs" / "validation")
    monkeypatch.setattr(claims, "VALIDATION_MD", tmp_path / "docs" / "VALIDATION.md")
    (tmp_path / "docs").mkdir()
    args = ["--posterior", str(post.path), "--draws", "2", "--reps", "1", "--in-process"]
    assert run_cli(*args, "--no-progress", "--write-docs", "--out", str(tmp_path / "c")) == 0
    results = json.loads((tmp_path / "docs" / "validation" / "results.json").read_text())
    md = (tmp_path / "docs" / "VALIDATION.md").read_text()
    assert md == render_validation(results)
    assert [r["id"] for r in results["claims"]] == [e.id for e in ledger()]
    assert "## Calibration targets: posterior predictive fit" in md
    assert "## The posterior against the prior" in md
    assert (tmp_path / "docs" / "validation" / "C6a.png").is_file()
