"""Bad input to every subcommand, table-driven: each case ends with exit status 2, exactly
one ``error:`` line on stderr naming what was wrong, no traceback, and nothing written.

The command line runs in this process (``experiments.cli.main``), so the whole table
takes seconds. Paths are spelled with placeholders filled in from a fresh folder per case:
``{tmp}`` the folder itself, ``{file}`` a regular file in it (a path under it cannot be
written or read, even by root), ``{dir}`` an empty sub-folder, ``{full}`` a non-empty one,
``{lesson:NAME}`` a lesson file from LESSONS below and ``{junk}`` a file of bytes that are
not UTF-8; ``folder.parquet``, ``folder.png`` and ``clash.events.csv`` are folders where a
file is expected. ``/proc`` refuses new files even to root.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from experiments.cli import EXIT_USAGE, main

MOMENT = '[[moments]]\nat = 0\nsay = "x"\n'


def _lesson(top: str = "", moment: str = MOMENT) -> str:
    return (
        f'+++\norder = 9\ntitle = "T"\nscenario = "baseline"\nseed = 0\n{top}\n{moment}+++\n# T\n'
    )


LESSONS = {
    "minutes_text": _lesson('minutes = "abc"'),
    "minutes_zero": _lesson("minutes = 0"),
    "min_no_args": _lesson(moment=MOMENT + 'check = "min()"\n'),
    "max_one_arg": _lesson(moment=MOMENT + 'check = "max(members)"\n'),
    "abs_two_args": _lesson(moment=MOMENT + 'check = "abs(members, 1)"\n'),
    "other_call": _lesson(moment=MOMENT + 'check = "round(credibility) > 0"\n'),
    "import": _lesson(moment=MOMENT + "check = \"__import__('os')\"\n"),
    "attribute": _lesson(moment=MOMENT + 'check = "members.real > 0"\n'),
    "unknown_name": _lesson(moment=MOMENT + 'check = "no_such_reporter > 0"\n'),
    "bad_syntax": _lesson(moment=MOMENT + 'check = "credibility <"\n'),
    "order_text": _lesson().replace("order = 9", 'order = "nine"'),
    "order_zero": _lesson().replace("order = 9", "order = 0"),
    "seed_negative": _lesson().replace("seed = 0", "seed = -1"),
    "unknown_key": _lesson("colour = 'red'"),
    "no_moments": _lesson(moment=""),
    "event_kind": _lesson(moment='[[moments]]\nevent = "coup"\nsay = "x"\n'),
    "at_negative": _lesson(moment='[[moments]]\nat = -1\nsay = "x"\n'),
    "at_after_horizon": _lesson(moment='[[moments]]\nat = 999\nsay = "x"\n'),
    "two_triggers": _lesson(moment='[[moments]]\nat = 0\nevent = "truce"\nsay = "x"\n'),
    "no_say": _lesson(moment="[[moments]]\nat = 0\n"),
    "no_front_matter": "# Just a heading\n",
    "unclosed": '+++\norder = 9\ntitle = "T"\n',
    "bad_toml": "+++\norder = = 9\n+++\n",
    "missing_scenario": _lesson().replace('"baseline"', '"nowhere/none.toml"'),
}

CASES = [
    # run
    (["run", "--steps", "0"], "--steps"),
    (["run", "--steps", "-4"], "--steps"),
    (["run", "--steps", "ten"], "--steps"),
    (["run", "--seed", "-1"], "--seed"),
    (["run", "--seed", "1.5"], "--seed"),
    (["run", "--events", "-3"], "--events"),
    (["run", "--events", "many"], "--events"),
    (["run", "--out", "{tmp}/x.txt"], "--out"),
    (["run", "--out", "{tmp}/x"], "--out"),
    (["run", "--out", "/proc/x.parquet"], "/proc"),
    (["run", "--out", "/proc/x.csv"], "/proc"),
    (["run", "--out", "{file}/x.parquet"], "not a folder"),
    (["run", "--out", "{file}/deeper/x.csv"], "not a folder"),
    (["run", "--out", "{tmp}/no/such/x.parquet"], "does not exist"),
    (["run", "--out", "{tmp}/folder.parquet"], "is a folder"),
    (["run", "--out", ""], "--out"),
    (["run", "--plot", "{tmp}/no/such/x.png"], "does not exist"),
    (["run", "--out", "{tmp}/clash.csv"], "clash.events.csv"),  # events path is a folder
    (["run", "--plot", "{tmp}/x.jpg"], "--plot"),
    (["run", "--plot", "/proc/x.png"], "/proc"),
    (["run", "--plot", "{file}/x.png"], "not a folder"),
    (["run", "--plot", "{tmp}/folder.png"], "is a folder"),
    (["run", "--scenario", "no_such_preset"], "no_such_preset"),
    (["run", "--scenario", "{tmp}/missing.toml"], "missing.toml"),
    (["run", "--scenario", "{file}/x.toml"], "x.toml"),
    (["run", "--scenario", "{dir}"], "is a folder"),
    (["run", "--scenario", "{junk}"], "junk.toml"),
    (["run", "--set", "pressure_intensity=high"], "pressure_intensity"),
    (["run", "--set", "no_such_parameter=1"], "no_such_parameter"),
    (["run", "--set", "members=USA,Narnia"], "Narnia"),
    (["run", "--set"], "--set"),
    (["run", "--no-such-flag"], "--no-such-flag"),
    # table
    (["table", "--format", "xml"], "--format"),
    (["table", "--members", "USA,Narnia"], "Narnia"),
    (["table", "--members", ","], "--members"),
    (["table", "--scenario", "{dir}"], "is a folder"),
    (["table", "--scenario", "{junk}"], "junk.toml"),
    (["table", "--set", "coverage_threshold=2"], "coverage_threshold"),
    (["table", "--set", "steps"], "steps"),
    # report
    (["report"], "--out"),
    (["report", "--out", "/proc/rep"], "/proc"),
    (["report", "--out", "{file}"], "not a folder"),
    (["report", "--out", "{file}/rep"], "not a folder"),
    (["report", "--out", "{file}/a/b/rep"], "not a folder"),
    (["report", "--out", "{full}"], "not empty"),
    (["report", "--out", "{tmp}/rep", "--replications", "0"], "--replications"),
    (["report", "--out", "{tmp}/rep", "--replications", "-5"], "--replications"),
    (["report", "--out", "{tmp}/rep", "--steps", "0"], "--steps"),
    (["report", "--out", "{tmp}/rep", "--seed", "-1"], "--seed"),
    (["report", "--out", "{tmp}/rep", "--scenario", "nope"], "nope"),
    (["report", "--out", "{tmp}/rep", "--scenario", "{dir}"], "is a folder"),
    (["report", "--out", "{tmp}/rep", "--set", "steps=0"], "steps"),
    # lesson
    (["lesson", "no_such_lesson"], "no_such_lesson"),
    (["lesson", "99"], "99"),
    (["lesson", "{tmp}/missing.md"], "missing.md"),
    (["lesson", "{dir}/"], "lesson"),
    (["lesson", "1", "--seed", "-1"], "--seed"),
    *([["lesson", f"{{lesson:{name}}}"], name] for name in LESSONS),
    # play
    (["play"], "--as"),
    (["play", "--as", "france"], "--as"),
    (["play", "--as", "us", "--seed", "-1"], "--seed"),
    (["play", "--as", "us", "--steps", "0"], "--steps"),
    (["play", "--as", "china", "--compare", "0"], "--compare"),
    (["play", "--as", "us", "--scenario", "nope"], "nope"),
    (["play", "--as", "us", "--set", "nonsense=1"], "nonsense"),
    # bench
    (["bench", "--repeats", "-1"], "--repeats"),
    (["bench", "--repeats", "0"], "--repeats"),
    (["bench", "--repeats", "three"], "--repeats"),
    # the command itself
    ([], "COMMAND"),
    (["frobnicate"], "frobnicate"),
]

# What each lesson case must name besides the file: the field that is wrong.
LESSON_FIELDS = {
    "minutes_text": "minutes",
    "minutes_zero": "minutes",
    "min_no_args": "check",
    "max_one_arg": "check",
    "abs_two_args": "check",
    "other_call": "check",
    "import": "check",
    "attribute": "check",
    "unknown_name": "no_such_reporter",
    "bad_syntax": "check",
    "order_text": "order",
    "order_zero": "order",
    "seed_negative": "seed",
    "unknown_key": "colour",
    "no_moments": "moments",
    "event_kind": "event",
    "at_negative": "at",
    "at_after_horizon": "horizon",
    "two_triggers": "exactly one of",
    "no_say": "say",
    "no_front_matter": "front matter",
    "unclosed": "+++",
    "bad_toml": "front matter",
    "missing_scenario": "scenario",
}


def _fill(arg: str, tmp: Path) -> str:
    if arg.startswith("{lesson:"):
        name = arg[len("{lesson:") : -1]
        path = tmp / f"{name}.md"
        path.write_text(LESSONS[name], encoding="utf-8")
        return str(path)
    return (
        arg.replace("{tmp}", str(tmp))
        .replace("{file}", str(tmp / "a_file"))
        .replace("{dir}", str(tmp / "a_dir"))
        .replace("{full}", str(tmp / "full"))
        .replace("{junk}", str(tmp / "junk.toml"))
    )


def _everything(tmp: Path) -> set[Path]:
    return set(tmp.rglob("*"))


def test_the_table_is_large_and_covers_every_command():
    assert len(CASES) >= 60
    assert {argv[0] for argv, _ in CASES if argv} >= {
        "run",
        "table",
        "report",
        "lesson",
        "play",
        "bench",
    }


@pytest.mark.parametrize(
    "argv, needle", CASES, ids=[" ".join(a)[:60] or "(nothing)" for a, _ in CASES]
)
def test_bad_input_is_one_error_line_exit_2_and_nothing_written(capsys, tmp_path, argv, needle):
    (tmp_path / "a_file").write_text("not a folder\n", encoding="utf-8")
    (tmp_path / "a_dir").mkdir()
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine\n", encoding="utf-8")
    for folder in ("clash.events.csv", "folder.parquet", "folder.png"):
        (tmp_path / folder).mkdir()  # folders where a file is expected
    (tmp_path / "junk.toml").write_bytes(b"\xff\xfe\x00\x81 not text")
    argv = [_fill(a, tmp_path) for a in argv]
    before = _everything(tmp_path)
    proc_before = set(Path("/proc").glob(".*"))
    try:
        status = main(argv)
    except SystemExit as e:  # argparse's own usage errors
        status = e.code
    out, err = capsys.readouterr()
    assert status == EXIT_USAGE, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    assert needle in lines[0], err
    if argv[:1] == ["lesson"] and argv[1].endswith(".md") and Path(argv[1]).stem in LESSONS:
        name = Path(argv[1]).stem
        assert argv[1] in lines[0] and LESSON_FIELDS[name] in lines[0], err
    assert _everything(tmp_path) == before  # nothing written, no temporaries
    assert set(Path("/proc").glob(".*")) == proc_before
    assert (tmp_path / "full" / "keep.txt").read_text(encoding="utf-8") == "mine\n"
