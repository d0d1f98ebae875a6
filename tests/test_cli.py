"""The ``pax-silica`` command line: the table in every format, member options, the preset
list, and one clean ``error:`` line with exit status 2 for bad input."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from experiments.cli import EXIT_USAGE, main
from model.scenario import load_scenario, preset_names
from model.world import load_world, member_sets

ROOT = Path(__file__).resolve().parents[1]
PHASE_NAMES = [p.name for p in load_world().phases]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def assert_one_error_line(err: str, *names: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error:"), err
    for name in names:
        assert name in lines[0], err
    assert "Traceback" not in err


def test_bad_set_value_in_a_real_process():
    proc = subprocess.run(
        [sys.executable, "-m", "experiments.cli", "table", "--set", "coverage_threshold=2"],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == EXIT_USAGE
    assert_one_error_line(proc.stderr, "coverage_threshold", "expected a number in [0, 1]")
    assert proc.stdout == ""


@pytest.mark.parametrize("argv,names", [
    (["table", "--set", "coverage_threshold=2"], ["coverage_threshold"]),
    (["table", "--set", "no_such_parameter=1"], ["no_such_parameter", "unknown parameter"]),
    (["table", "--set", "members=USA,Narnia"], ["members", "Narnia"]),
    (["table", "--members", "USA,Narnia"], ["--members", "Narnia"]),
    (["table", "--members", ","], ["--members"]),
    (["table", "--scenario", "no_such_preset"], ["no_such_preset", "no such scenario file"]),
])
def test_bad_input_is_one_error_line_and_status_2(capsys, argv, names):
    status, out, err = run(capsys, *argv)
    assert status == EXIT_USAGE
    assert out == ""
    assert_one_error_line(err, *names)


def test_a_bad_scenario_file_names_file_and_field(capsys, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[parameters]\nadvantage_ratio = -1\n", encoding="utf-8")
    status, _, err = run(capsys, "table", "--scenario", str(path))
    assert status == EXIT_USAGE
    assert_one_error_line(err, str(path), "parameters.advantage_ratio")


def test_an_unknown_format_is_refused_by_argparse(capsys):
    with pytest.raises(SystemExit) as info:
        main(["table", "--format", "xml"])
    assert info.value.code == EXIT_USAGE
    assert "Traceback" not in capsys.readouterr().err


def test_text_table(capsys):
    status, out, err = run(capsys, "table")
    assert status == 0 and err == ""
    for name in PHASE_NAMES:
        assert name in out
    assert "Bottleneck: phase 2" in out
    assert "Members: " + ", ".join(load_scenario("baseline").members) in out


def test_markdown_table(capsys):
    status, out, _ = run(capsys, "table", "--format", "markdown")
    assert status == 0
    rows = [line for line in out.splitlines() if line.startswith("| ")]
    assert len(rows) == 1 + 12  # header and one row per phase
    assert all(line.count("|") == rows[0].count("|") for line in rows)


def test_csv_table(capsys):
    status, out, _ = run(capsys, "table", "--format", "csv")
    assert status == 0
    records = list(csv.DictReader(io.StringIO(out)))
    assert len(records) == 12
    assert [r["name"] for r in records] == PHASE_NAMES
    assert {r["advantage"] for r in records} == {"China", "Pax Silica"}


def test_json_table(capsys):
    status, out, _ = run(capsys, "table", "--format", "json")
    assert status == 0
    data = json.loads(out)
    assert len(data["phases"]) == 12
    assert [p["phase"] for p in data["phases"]] == list(range(1, 13))
    assert data["bottleneck_phase"] == 2
    assert data["members"] == load_scenario("baseline").members


def test_set_changes_the_table(capsys):
    _, out, _ = run(capsys, "table", "--format", "json", "--set", "advantage_ratio=1.08")
    atp = json.loads(out)["phases"][10]
    assert atp["advantage"] == "Pax Silica"  # China 30% is under 1.08 x Taiwan's 28%


def test_members_by_set_name(capsys):
    status, out, _ = run(capsys, "table", "--format", "json", "--members", "part_two_10")
    assert status == 0
    assert json.loads(out)["members"] == member_sets()["part_two_10"]["members"]


def test_members_by_ids_and_names(capsys):
    status, out, _ = run(capsys, "table", "--format", "json", "--members", "USA,Japan")
    data = json.loads(out)
    assert status == 0
    assert data["members"] == ["USA", "JPN"]
    for p in data["phases"]:
        assert set(p["top_contributors"]) <= {"USA", "JPN"}


def test_members_who_were_participants_are_not_listed_twice(capsys):
    _, out, _ = run(capsys, "table", "--format", "json", "--members", "USA,JPN,TWN")
    data = json.loads(out)
    assert "TWN" in data["members"] and "TWN" not in data["participants"]


def test_scenarios_lists_the_presets(capsys):
    status, out, _ = run(capsys, "scenarios")
    assert status == 0
    listed = [line.split()[0] for line in out.splitlines() if line.strip()]
    assert listed == preset_names()
    assert "baseline" in listed
