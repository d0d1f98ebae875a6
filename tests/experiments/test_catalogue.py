"""The catalogue of studies (``experiments.catalogue``): sweeps and reports register
themselves, ``pax-silica runs`` lists them, ``pax-silica query`` runs SQL across their data.

Two small sweeps varying different parameters (so their columns differ) and a report,
each a few runs of 4 quarters, written once for the module into a catalogue of its own."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from experiments import sweep
from experiments.catalogue import (
    Study,
    catalogue_path,
    register_study,
    run_query,
    studies,
    study_id,
)
from experiments.cli import main
from experiments.sweep import load_results, load_series

SMALL = ["--levels", "2", "--replications", "2", "--steps", "4", "--set", "n_investors=50"]


def _sweep(out: Path, vary: str, cat: Path, *extra: str) -> int:
    argv = ["sweep", "--vary", vary, *SMALL, "--no-progress", "--in-process", *extra]
    return main([*argv, "--out", str(out), "--catalogue", str(cat)])


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A catalogue with sweeps ``a`` (pressure_intensity, with series) and ``b``
    (political_noise, 3 levels) and a report of 3 replications."""
    root = tmp_path_factory.mktemp("store")
    cat = root / "cat.sqlite"
    assert _sweep(root / "a", "pressure_intensity=1:2", cat, "--series") == 0
    assert _sweep(root / "b", "political_noise=0:0.2", cat, "--levels", "3") == 0
    argv = ["report", "--replications", "3", "--steps", "4", "--set", "n_investors=50"]
    assert main([*argv, "--out", str(root / "rep"), "--catalogue", str(cat)]) == 0
    return root, cat


def _cli(argv: list[str], capsys) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _query(sql: str, cat: Path, capsys, *extra: str) -> pd.DataFrame:
    code, out, err = _cli(
        ["query", sql, "--catalogue", str(cat), "--format", "json", *extra], capsys
    )
    assert code == 0, err
    return pd.DataFrame(json.loads(out))


def test_each_study_is_listed_with_its_kind_runs_and_status(store, capsys):
    root, cat = store
    code, out, _ = _cli(["runs", "--catalogue", str(cat), "--format", "json"], capsys)
    assert code == 0
    rows = {Path(r["folder"]).name: r for r in json.loads(out)}
    assert set(rows) == {"a", "b", "rep"}
    assert {k: r["kind"] for k, r in rows.items()} == {"a": "sweep", "b": "sweep", "rep": "report"}
    assert {k: r["runs"] for k, r in rows.items()} == {"a": "4", "b": "6", "rep": "3"}
    assert {r["status"] for r in rows.values()} == {"complete"}
    assert rows["a"]["id"] == study_id(root / "a")
    assert (
        rows["a"]["manifest"]["design_hash"]
        == json.loads((root / "a" / "manifest.json").read_text())["design_hash"]
    )
    assert rows["b"]["command"].startswith("pax-silica sweep --vary political_noise=0:0.2")
    code, out, _ = _cli(["runs", "--catalogue", str(cat), "--kind", "report"], capsys)
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2 and lines[0].split()[:3] == ["id", "kind", "created"]
    assert lines[1].split()[:2] == [study_id(root / "rep"), "report"]


def test_a_count_across_two_studies_is_the_sum_of_their_rows(store, capsys):
    root, cat = store
    a, b = (study_id(root / n) for n in "ab")
    got = _query("select count(*) as n from runs", cat, capsys, "--study", a, "--study", b)
    assert got["n"].tolist() == [len(load_results(root / "a")) + len(load_results(root / "b"))]


def _study_rows(df: pd.DataFrame, sid: str) -> pd.DataFrame:
    """One study's rows of a union, without the columns only other studies have."""
    rows = df[df["study"] == sid].drop(columns="study").dropna(axis=1, how="all")
    return rows.sort_values(["point", "replication"]).reset_index(drop=True)


def _same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    want = want.dropna(axis=1, how="all")  # collapse_quarter: no collapse in 4 quarters
    assert set(got.columns) == set(want.columns)  # in the union's order: the first study's
    got = got[list(want.columns)]
    pd.testing.assert_frame_equal(
        got.astype(object).where(got.notna(), None),
        want.astype(object).where(want.notna(), None),
        check_dtype=False,
    )


def test_select_star_returns_exactly_the_rows_of_both_studies(store):
    root, cat = store
    a, b = (study_id(root / n) for n in "ab")
    df = run_query("select * from runs", [a, b], cat)
    assert df.columns[0] == "study" and set(df["study"]) == {a, b}
    _same(_study_rows(df, a), load_results(root / "a"))
    _same(_study_rows(df, b), load_results(root / "b"))
    # unioned by name: each sweep's varied parameter is NULL in the other's rows
    assert df.loc[df["study"] == a, "political_noise"].isna().all()
    assert df.loc[df["study"] == b, "pressure_intensity"].isna().all()


def test_series_and_per_study_views(store):
    root, cat = store
    a = study_id(root / "a")
    df = run_query(f"select * from series_{a}", catalogue=cat).drop(columns="study")
    want = load_series(root / "a")
    assert len(df) == len(want) and list(df.columns) == list(want.columns)
    pd.testing.assert_frame_equal(
        df.sort_values(["point", "replication", "quarter"]).reset_index(drop=True),
        want,
        check_dtype=False,
    )
    mine = run_query(f"select * from runs_{a}", catalogue=cat)
    only = run_query("select * from runs", [a], cat)
    assert len(mine) == len(only) == len(load_results(root / "a"))


def test_a_report_joins_the_union_with_its_replications(store):
    root, cat = store
    rep = study_id(root / "rep")
    df = run_query("select study, seed, time_to_collapse from runs", catalogue=cat)
    want = pd.read_csv(root / "rep" / "replications.csv")
    got = df[df["study"] == rep].sort_values("seed")
    assert got["seed"].tolist() == sorted(want["seed"]) and len(df) == 4 + 6 + 3
    by_kind = run_query(
        "select kind, sum(runs) as n from studies group by kind order by kind", catalogue=cat
    )
    assert by_kind.to_dict("list") == {"kind": ["report", "sweep"], "n": [3, 10]}


@pytest.mark.parametrize(
    "sql,says",
    [
        ("selec 1", "error: query: Parser Error: syntax error at or near"),
        ("select * from nosuch", "error: query: Catalog Error: Table with name nosuch"),
        ("select 1; select 2", "error: query: expected one SELECT statement, got 2"),
        ("copy (select 1) to 'x.csv'", "error: query: only a SELECT is run (read-only)"),
        ("create table t (a int)", "error: query: only a SELECT is run (read-only)"),
        ("select * from read_csv('/etc/passwd')", "error: query: Permission Error"),
    ],
)
def test_a_malformed_or_writing_query_is_one_error_line(store, capsys, sql, says):
    _, cat = store
    code, out, err = _cli(["query", sql, "--catalogue", str(cat)], capsys)
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith(says), err


def test_an_unknown_study_is_one_error_line(store, capsys):
    _, cat = store
    code, out, err = _cli(["query", "select 1", "--study", "nope", "--catalogue", str(cat)], capsys)
    assert code == 2 and out == ""
    assert err == "error: --study: no study named nope (see pax-silica runs)\n"


def test_an_empty_catalogue_says_so(tmp_path, capsys):
    cat = tmp_path / "none.sqlite"
    code, out, err = _cli(["query", "select 1", "--catalogue", str(cat)], capsys)
    assert code == 2 and len(err.splitlines()) == 1
    assert err.startswith(f"error: query: the catalogue {cat} lists no studies yet")
    code, out, err = _cli(["runs", "--catalogue", str(cat)], capsys)
    assert code == 0 and out == "" and err.startswith("no studies in the catalogue")
    assert not cat.exists()  # reading never creates it


def test_a_deleted_folder_is_shown_as_missing_not_an_error(tmp_path, capsys):
    cat = tmp_path / "cat.sqlite"
    assert _sweep(tmp_path / "gone", "pressure_intensity=1:2", cat) == 0
    assert _sweep(tmp_path / "kept", "pressure_intensity=1:2", cat) == 0
    shutil.rmtree(tmp_path / "gone")
    code, out, _ = _cli(["runs", "--catalogue", str(cat), "--format", "csv"], capsys)
    assert code == 0
    status = {
        Path(r["folder"]).name: r["status"]
        for r in pd.read_csv(__import__("io").StringIO(out)).to_dict("records")
    }
    assert status == {"gone": "missing", "kept": "complete"}
    code, out, err = _cli(
        ["query", "select count(*) as n from runs", "--catalogue", str(cat)], capsys
    )
    assert code == 0 and out.split()[-1] == "4"
    assert f"left out, their folders missing: {study_id(tmp_path / 'gone')}" in err
    gone = study_id(tmp_path / "gone")
    code, _, err = _cli(["query", "select 1", "--study", gone, "--catalogue", str(cat)], capsys)
    assert code == 2 and len(err.splitlines()) == 1 and "is missing" in err


def test_an_interrupted_sweep_is_partial_and_complete_once_resumed(tmp_path, monkeypatch, capsys):
    cat = tmp_path / "cat.sqlite"
    real, calls = sweep.run_chunk, []

    def stops_after_two(*a, **k):
        calls.append(1)
        if len(calls) > 2:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(sweep, "run_chunk", stops_after_two)
    out = tmp_path / "s"
    assert _sweep(out, "pressure_intensity=1:2", cat, "--chunk-size", "1") == 130
    (s,) = studies(cat)
    assert (s.status, s.registered_status, s.row()["runs"]) == ("partial", "partial", "2/4")
    monkeypatch.setattr(sweep, "run_chunk", real)
    assert main(["sweep", "--resume", str(out), "--no-progress", "--catalogue", str(cat)]) == 0
    (t,) = studies(cat)
    assert (t.id, t.created) == (s.id, s.created)  # the same study, updated
    assert (t.status, t.registered_status, t.row()["runs"]) == ("complete", "complete", "4")
    assert t.command.startswith("pax-silica sweep --resume")
    assert t.manifest["sessions"][-1]["runs_before"] == 2


def test_the_environment_names_the_catalogue_and_the_flag_overrides_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PAX_SILICA_CATALOGUE", str(tmp_path / "env.sqlite"))
    assert catalogue_path() == tmp_path / "env.sqlite"
    assert catalogue_path(tmp_path / "flag.sqlite") == tmp_path / "flag.sqlite"
    register_study("sweep", tmp_path / "x", {"status": "complete"})
    assert [s.folder for s in studies()] == [(tmp_path / "x").absolute()]
    monkeypatch.delenv("PAX_SILICA_CATALOGUE")
    assert catalogue_path() == Path(".pax-silica") / "catalogue.sqlite"


def test_an_unwritable_catalogue_warns_and_leaves_the_study_alone(tmp_path, capsys):
    (tmp_path / "adir").mkdir()
    got = register_study(
        "report", tmp_path / "r", {"status": "complete"}, catalogue=tmp_path / "adir"
    )
    assert got is None
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith(f"warning: catalogue {tmp_path / 'adir'}")


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="kind: expected one of sweep, calibration"):
        register_study("experiment", "/tmp/x", {})


def test_study_ids_are_stable_sql_names_and_differ_by_place(tmp_path):
    one, two = tmp_path / "1" / "My Sweep-2", tmp_path / "2" / "My Sweep-2"
    assert study_id(one) == study_id(one) != study_id(two)
    assert study_id(one).startswith("my_sweep_2_") and study_id(one).isidentifier()
    assert study_id(tmp_path / "2" / ".." / "1" / "My Sweep-2") == study_id(one)


def test_registration_is_one_row_per_folder(tmp_path):
    cat = tmp_path / "cat.sqlite"
    for status in ("running", "complete"):
        register_study("sweep", tmp_path / "s", {"status": status}, catalogue=cat)
    with sqlite3.connect(cat) as db:
        assert db.execute("select count(*), max(status) from studies").fetchone() == (1, "complete")
    (s,) = studies(cat)
    assert isinstance(s, Study) and s.status == "missing"


def test_a_calibration_registers_its_posterior(tmp_path):
    from experiments.calibrate import calibrate
    from model.posterior import load_posterior
    from tests.experiments.test_calibrate import _args

    cat = tmp_path / "cat.sqlite"
    path = calibrate(_args(tmp_path / "c", simulations=60, population=40, catalogue=cat))
    (s,) = studies(cat, kind="calibration")
    assert s.status == "complete" and s.folder == (tmp_path / "c").absolute()
    assert s.manifest["provenance"] == json.loads(json.dumps(load_posterior(path).provenance))
    got = run_query("select * from posterior", catalogue=cat).drop(columns="study")
    want = pd.read_csv(path)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
