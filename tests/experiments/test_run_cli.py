"""``pax-silica run``: the story, the files it writes, and clean errors."""

from __future__ import annotations

import pandas as pd
import pytest

from experiments.cli import main


def run(capsys, *argv):
    code = main(["run", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_run_tells_a_story_and_is_reproducible(capsys):
    code, out, err = run(capsys, "--seed", "5", "--steps", "12")
    assert code == 0 and err == ""
    assert "The alliance" in out and "Members by year-end" in out and "Bottleneck" in out
    assert run(capsys, "--seed", "5", "--steps", "12")[1] == out
    assert run(capsys, "--seed", "6", "--steps", "12")[1] != out


@pytest.mark.parametrize("ext", [".parquet", ".csv"])
def test_run_writes_series_events_and_plot(capsys, tmp_path, ext):
    out_file = tmp_path / f"r{ext}"
    png = tmp_path / "r.png"
    code, out, _ = run(
        capsys,
        "--scenario",
        "key_member_exit",
        "--steps",
        "10",
        "--out",
        str(out_file),
        "--plot",
        str(png),
    )
    assert code == 0
    read = pd.read_parquet if ext == ".parquet" else pd.read_csv
    series = read(out_file)
    events = read(tmp_path / f"r.events{ext}")
    assert list(series["quarter"]) == list(range(11))
    assert {"members", "credibility", "capital_committed", "price_index"} <= set(series)
    assert (events["kind"] == "defection").any()  # South Korea is forced out in quarter 4
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["--steps", "0"], "--steps"),
        (["--seed", "abc"], "--seed"),
        (["--out", "x.txt"], "--out"),
        (["--plot", "x.jpg"], "--plot"),
        (["--out", "/no/such/dir/x.csv"], "--out"),
        (["--set", "pressure_intensity=high"], "pressure_intensity"),
        (["--set", "nonsense=1"], "nonsense"),
        (["--scenario", "no_such_scenario"], "no_such_scenario"),
    ],
)
def test_bad_flags_give_one_clear_error(capsys, tmp_path, argv, needle):
    with pytest.raises(SystemExit) as e:
        code = main(["run", *argv])
        raise SystemExit(code)
    _, err = capsys.readouterr()
    assert e.value.code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0], err
    assert "Traceback" not in err
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_run_with_a_posterior_names_its_draw_and_repeats(tmp_path, capsys):
    from experiments.cli import main as cli
    from model.posterior import load_posterior, write_posterior
    from tests.model.test_posterior import small

    path = tmp_path / "post.csv"
    write_posterior(small(5), path)
    argv = ["run", "--posterior", str(path), "--seed", "3", "--steps", "6"]
    assert cli(argv) == 0
    first = capsys.readouterr().out
    assert cli(argv) == 0
    assert capsys.readouterr().out == first
    k = load_posterior(path).index(3)
    assert f"seed 3 draws accepted set {k + 1} of 5" in first
    path.with_suffix(".toml").unlink()
    assert cli(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --posterior:") and "provenance" in err
