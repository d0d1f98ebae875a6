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

ROOT = Path(__file__).resolve().parents[2]
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
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == EXIT_USAGE
    assert_one_error_line(proc.stderr, "coverage_threshold", "expected a number in [0, 1]")
    assert proc.stdout == ""


@pytest.mark.parametrize(
    "argv,names",
    [
        (["table", "--set", "coverage_threshold=2"], ["coverage_threshold"]),
        (["table", "--set", "no_such_parameter=1"], ["no_such_parameter", "unknown parameter"]),
        (["table", "--set", "members=USA,Narnia"], ["members", "Narnia"]),
        (["table", "--members", "USA,Narnia"], ["--members", "Narnia"]),
        (["table", "--members", ","], ["--members"]),
        (["table", "--scenario", "no_such_preset"], ["no_such_preset", "no such scenario file"]),
    ],
)
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
    assert_one_error_line(capsys.readouterr().err, "--format", "'xml'", "json")


@pytest.mark.parametrize(
    "argv,names",
    [
        (["table", "--format", "xml"], ["--format", "invalid choice", "markdown"]),
        (["run", "--seed", "abc"], ["--seed", "'abc'"]),
        (["run", "--steps", "0"], ["--steps", "at least 1"]),
        (["table", "--no-such-flag"], ["--no-such-flag"]),
        (["table", "--members"], ["--members", "expected one argument"]),
        (["nosuch"], ["'nosuch'", "table"]),
        ([], ["COMMAND"]),
    ],
)
def test_argparse_errors_are_one_error_line_and_status_2(capsys, argv, names):
    with pytest.raises(SystemExit) as info:
        main(argv)
    out, err = capsys.readouterr()
    assert info.value.code == EXIT_USAGE
    assert out == ""
    assert_one_error_line(err, *names)


@pytest.mark.parametrize(
    "argv",
    [["run", "--steps", "0"], ["run", "--seed", "abc"], ["table", "--format", "xml"], ["nosuch"]],
)
def test_argparse_errors_in_a_real_process(argv):
    proc = subprocess.run(
        [sys.executable, "-m", "experiments.cli", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == EXIT_USAGE
    assert proc.stdout == ""
    assert_one_error_line(proc.stderr)


def test_help_still_prints_usage(capsys):
    with pytest.raises(SystemExit) as info:
        main(["table", "--help"])
    assert info.value.code == 0
    assert "--members" in capsys.readouterr().out


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


@pytest.mark.parametrize(
    "token,names",
    [
        ("JPN", ["--members", "leader (USA) must be a member"]),
        ("JPN,KOR", ["--members", "leader (USA) must be a member"]),
        ("USA", ["--members", "at least two members"]),
    ],
)
def test_members_are_checked_like_set_members(capsys, token, names):
    status, out, err = run(capsys, "table", "--members", token)
    assert (status, out) == (EXIT_USAGE, "")
    assert_one_error_line(err, *names)
    status, _, set_err = run(capsys, "table", "--set", f"members={token}")
    assert status == EXIT_USAGE
    assert set_err.split(": ", 2)[2] == err.split(": ", 2)[2]  # the same check, the same words


@pytest.mark.parametrize("token,key", [("USA,Japan,TWN", "members"), ("part_two_10", "member_set")])
def test_members_gives_the_same_table_as_set(capsys, token, key):
    _, by_flag, _ = run(capsys, "table", "--format", "json", "--members", token)
    _, by_set, _ = run(capsys, "table", "--format", "json", "--set", f"{key}={token}")
    assert json.loads(by_flag) == json.loads(by_set)


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


def test_at_threshold_zero_only_signatories_holding_capacity_contribute(capsys):
    status, out, _ = run(capsys, "table", "--format", "json", "--set", "contribution_threshold=0")
    assert status == 0
    w = load_world()
    share = w.volume / w.volume.sum(axis=0)
    members = load_scenario("baseline").members
    for p in json.loads(out)["phases"]:
        holding = [a for a in members if share[w.idx(a), p["phase"] - 1] > 0]
        holding.sort(key=lambda a: -share[w.idx(a), p["phase"] - 1])
        assert p["top_contributors"] == holding, p["phase"]  # all of them, no top-3 cut
    assert any(len(p["top_contributors"]) > 3 for p in json.loads(out)["phases"])


def test_the_table_says_how_many_of_the_papers_contributors_it_names(capsys):
    _, text, _ = run(capsys, "table")
    _, out, _ = run(capsys, "table", "--format", "json")
    paper = json.loads(out)["paper_contributors"]
    assert paper["entries"] == 23 == len(paper["named"]) + len(paper["missing"])
    line = f"The paper's contributors column: {len(paper['named'])} of its 23 entries named"
    assert line in text


def test_a_reader_that_leaves_early_gets_no_traceback():
    """`pax-silica table | head -1`: when the reader closes the pipe, the command stops
    quietly (exit 141, as a Unix tool killed by SIGPIPE), with nothing on stderr."""
    p = subprocess.Popen(
        [sys.executable, "-m", "experiments.cli", "table", "--format", "csv"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    p.stdout.close()  # the reader is gone before the first line
    err = p.stderr.read().decode()
    assert p.wait(timeout=120) == 141, err
    assert err == ""
