"""``pax-silica report``: every promised file is written, the PNGs are images, the summary
has its table; the folder appears whole or not at all; a non-empty folder is refused
unless --force; bad flags give one clear error."""

from __future__ import annotations

import matplotlib.image as mpimg
import pandas as pd
import pytest

from experiments import report_cmd
from experiments.cli import EXIT_USAGE, main

PNG = b"\x89PNG\r\n\x1a\n"


def report(capsys, out, *argv):
    code = main(["report", "--steps", "12", "--replications", "4", "--out", str(out), *argv])
    o, e = capsys.readouterr()
    return code, o, e


def one_error(capsys, argv, needle):
    with pytest.raises(SystemExit) as e:
        raise SystemExit(main(["report", *argv]))
    _, err = capsys.readouterr()
    assert e.value.code == EXIT_USAGE
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0], err


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("r") / "key_member_exit"
    assert (
        main(
            [
                "report",
                "--scenario",
                "key_member_exit",
                "--seed",
                "1",
                "--steps",
                "12",
                "--replications",
                "5",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    return out


def test_report_writes_every_promised_file(written):
    assert sorted(p.name for p in written.iterdir()) == sorted(report_cmd.FILES)


@pytest.mark.parametrize("name", report_cmd.CHARTS)
def test_the_charts_are_png_images(written, name):
    path = written / name
    assert path.read_bytes()[:8] == PNG
    img = mpimg.imread(path)
    assert img.ndim == 3 and img.shape[0] > 300 and img.shape[1] > 500 and img.shape[2] in (3, 4)
    assert img.std() > 0.01  # not blank


def test_the_summary_has_the_outcome_events_and_the_replication_table(written):
    text = (written / "summary.md").read_text(encoding="utf-8")
    assert text.startswith("# Pax Silica report: key_member_exit")
    assert "the alliance collapsed in" in text
    assert "South Korea is forced out" in text  # a key event of the run
    assert "| share collapsed | 100% (5 of 5) |" in text
    assert "| median time to collapse (Kaplan-Meier) | quarter " in text
    for chart in report_cmd.CHARTS:
        assert f"]({chart})" in text
    reps = pd.read_csv(written / "replications.csv")
    assert list(reps["seed"]) == [1, 2, 3, 4, 5]
    assert reps["event_observed"].all()
    for r in reps.itertuples():
        year, q = 2026 + (r.collapse_quarter - 1) // 4, (r.collapse_quarter - 1) % 4 + 1
        row = f"| {r.seed} | collapsed in {year} Q{q} (quarter {r.collapse_quarter}) |"
        assert row in text
    series = pd.read_csv(written / "series.csv")
    assert list(series["quarter"]) == list(range(13))
    assert (pd.read_csv(written / "events.csv")["kind"] == "defection").any()


def test_a_survivor_report_says_the_median_is_not_reached(capsys, tmp_path):
    code, out, err = report(capsys, tmp_path / "exp", "--scenario", "expansion")
    assert code == 0 and err == ""
    text = (tmp_path / "exp" / "summary.md").read_text(encoding="utf-8")
    assert "| share collapsed | 0% (0 of 4) |" in text and "not reached" in text


def test_a_non_empty_folder_is_refused_unless_force(capsys, tmp_path):
    out = tmp_path / "rep"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    one_error(
        capsys,
        ["--steps", "4", "--replications", "1", "--out", str(out)],
        "is not empty; use --force",
    )
    assert [p.name for p in out.iterdir()] == ["mine.txt"]
    code, _, err = report(capsys, out, "--force")
    assert code == 0 and err == ""
    assert sorted(p.name for p in out.iterdir()) == sorted(report_cmd.FILES)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert report(capsys, empty)[0] == 0  # an empty folder is fine
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_missing_folders_above_out_are_made(capsys, tmp_path):
    code, _, err = report(capsys, tmp_path / "slides" / "lesson1")
    assert code == 0 and err == ""
    assert sorted(p.name for p in (tmp_path / "slides" / "lesson1").iterdir()) == sorted(
        report_cmd.FILES
    )


def test_a_failure_leaves_nothing_half_written(capsys, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(report_cmd, "_charts", broken)
    with pytest.raises(RuntimeError):
        main(["report", "--steps", "4", "--replications", "1", "--out", str(tmp_path / "r")])
    assert list(tmp_path.iterdir()) == []  # no report folder, no temporary folder
    old = tmp_path / "old"
    old.mkdir()
    (old / "summary.md").write_text("the old report")
    with pytest.raises(RuntimeError):
        main(["report", "--steps", "4", "--replications", "1", "--out", str(old), "--force"])
    assert [p.name for p in tmp_path.iterdir()] == ["old"]
    assert (old / "summary.md").read_text() == "the old report"


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["--replications", "0", "--out", "{tmp}/x"], "--replications"),
        (["--replications", "many", "--out", "{tmp}/x"], "--replications"),
        (["--out", "{tmp}/file.txt/x"], "file.txt is not a folder"),
        (["--out", "{tmp}/file.txt"], "is not a folder"),
        (["--scenario", "nope", "--out", "{tmp}/x"], "nope"),
        (["--set", "steps=0", "--out", "{tmp}/x"], "steps"),
        (["--seed", "1"], "--out"),
    ],
)
def test_bad_flags_give_one_clear_error(capsys, tmp_path, argv, needle):
    (tmp_path / "file.txt").write_text("not a folder")
    one_error(capsys, [a.replace("{tmp}", str(tmp_path)) for a in argv], needle)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]
