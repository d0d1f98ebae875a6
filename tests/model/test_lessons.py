"""Teaching lessons (docs/lessons/): every lesson loads, its scenario runs, and every key
moment it points at happens in its run with its check holding; the narrated command runs
without waiting when it should, pauses at each moment when asked to, and gives one clear
error for a bad name."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from experiments.cli import EXIT_USAGE, main
from experiments.lesson_cmd import narrate
from model.lessons import (
    LESSON_DIR,
    LessonError,
    LessonRun,
    all_lessons,
    evaluate,
    find_lesson,
    lesson_files,
    load_lesson,
    parse_expression,
)
from model.run import run_model

ROOT = Path(__file__).resolve().parents[2]
LESSONS = all_lessons()
PAPER = ROOT.parent / "shared" / "seed" / "pax-silica-hiia-perspective-2026.md"
SECTIONS = (
    "## The paper's argument",
    "## The scenario",
    "## What to do",
    "## In the app",
    "## What to notice",
    "## Questions for discussion",
)


def test_there_are_six_lessons_in_order_each_with_its_own_scenario_file():
    assert [ls.order for ls in LESSONS] == [1, 2, 3, 4, 5, 6]
    assert len(lesson_files()) == 6
    for ls in LESSONS:
        path = ls.scenario_path()
        assert path.parent == LESSON_DIR and path.suffix == ".toml", path
        ls.scenario()  # loads and validates


def _plain(text: str) -> str:
    """Text without quotation marks, with dashes and spaces normalised, lower case."""
    for q in "'\"\u201c\u201d\u2018\u2019":
        text = text.replace(q, "")
    return " ".join(text.replace("\u2014", " -- ").split()).lower()


@pytest.mark.parametrize("lesson", LESSONS, ids=[ls.name for ls in LESSONS])
def test_each_lesson_has_the_teaching_sections_and_quotes_the_paper(lesson):
    text = lesson.path.read_text(encoding="utf-8")
    for heading in SECTIONS:
        assert heading in text, f"{lesson.name}: missing {heading!r}"
    assert lesson.section("Questions for discussion").startswith("1. ")
    argument = lesson.section("The paper's argument")
    assert argument.startswith(">")
    if not PAPER.exists():
        pytest.skip("the policy paper is not beside the project")
    paper = _plain(PAPER.read_text(encoding="utf-8"))
    quotes = argument.split("\n\n")[0].replace(">", " ").split('"')[1::2]
    assert quotes
    for q in quotes:
        assert _plain(q).strip(" .") in paper, q


@pytest.mark.parametrize("lesson", LESSONS, ids=[ls.name for ls in LESSONS])
def test_every_key_moment_happens_and_its_check_holds(lesson):
    r = LessonRun(lesson)
    fired = r.run()
    assert not r.missed(), [m.describe() for _, m in r.missed()]
    assert len(fired) == len(lesson.moments)
    for f in fired:
        assert f.moment.check is not None, f"{lesson.name}: moment {f.index + 1} has no check"
        assert f.check_ok, f"{lesson.name} moment {f.index + 1} ({f.when}): {f.moment.check}"
        assert "{" not in f.text and "}" not in f.text, f.text


@pytest.mark.parametrize("lesson", LESSONS, ids=[ls.name for ls in LESSONS])
def test_the_lesson_reads_the_model_it_narrates(lesson):
    """The names a check or the narration uses are the model's own reporters: at every
    quarter they equal the series of an ordinary run of the same scenario and seed."""
    r = LessonRun(lesson)
    r.run()
    series = run_model(lesson.scenario(), seed=lesson.seed).series
    for q in (0, 1, len(series) // 2, len(series) - 1):
        ns = r.namespace(q)
        for col in (
            "members",
            "credibility",
            "capital_committed",
            "bottleneck",
            "refining_share",
            "signatory_share_9",
            "china_share_8",
        ):
            assert ns[col] == pytest.approx(series[col][q]), (q, col)
        assert ns["start_credibility"] == pytest.approx(series["credibility"][0])
        assert ns["peak_capital_committed"] == pytest.approx(
            series["capital_committed"][: q + 1].max()
        )
        assert ns["n_defection"] == sum(
            1 for e in r.model.events if e.kind == "defection" and e.quarter <= q
        )


def test_the_bottleneck_the_refinery_lesson_names_is_the_models():
    lesson = find_lesson("refinery_bottleneck")
    r = LessonRun(lesson)
    first = r.start()[0]
    b = r.model.bottleneck
    assert b == 2 and f"phase {b} ({r.model.world.phases[b - 1].name})" in first.text
    assert f"{r.model.refining_share:.1%}" in first.text
    later = {f.index: f for f in r.run()}
    moved = later[4]  # "the bottleneck moves"
    assert f"phase {int(r.namespace(moved.quarter)['bottleneck'])} " in moved.text


def test_the_cascade_lesson_starts_with_koreas_exit_and_collapses_within_a_few_quarters():
    r = LessonRun(find_lesson("defection_cascade"))
    fired = {f.index: f for f in r.run()}
    assert fired[1].quarter == 4 and "South Korea" in fired[1].text
    assert fired[4].moment.event == "collapse" and fired[4].quarter <= 10


# --- the expression language and the lesson format ------------------------------------------
@pytest.mark.parametrize(
    "expr, value",
    [
        ("bottleneck == 2", True),
        ("1 < credibility < 0.5", False),
        ("credibility > 0.5 and not collapsed", True),
        ("refining_share > 5 * start_refining_share or members >= 12", True),
        ("abs(-2) == max(1, 2) and min(3, 4) == 3", True),
        ("-credibility < 0", True),
    ],
)
def test_expressions_evaluate_over_the_namespace(expr, value):
    ns = {
        "bottleneck": 2,
        "credibility": 0.6,
        "collapsed": False,
        "refining_share": 0.006,
        "start_refining_share": 0.006,
        "members": 12,
    }
    assert evaluate(parse_expression(expr, "test"), ns) is value


@pytest.mark.parametrize(
    "expr",
    [
        "__import__('os')",
        "credibility.real > 0",
        "open('x')",
        "[1, 2]",
        "'a' == 'a'",
        "credibility if members else 0",
        "lambda: 1",
        "credibility >",
        "",
    ],
)
def test_expressions_allow_nothing_but_the_small_language(expr):
    with pytest.raises(LessonError):
        parse_expression(expr, "test")


def _lesson_file(tmp_path, moments: str, scenario: str = "baseline") -> Path:
    p = tmp_path / "my_lesson.md"
    p.write_text(
        f'+++\norder = 9\ntitle = "T"\nscenario = "{scenario}"\nseed = 0\n{moments}\n+++\n# T\n',
        encoding="utf-8",
    )
    return p


@pytest.mark.parametrize(
    "moments, needle",
    [
        ('[[moments]]\nsay = "x"', "exactly one of at, event, when"),
        ('[[moments]]\nat = 0\nevent = "defection"\nsay = "x"', "exactly one of"),
        ('[[moments]]\nevent = "coup"\nsay = "x"', "event"),
        ('[[moments]]\nat = -1\nsay = "x"', "at"),
        ("[[moments]]\nat = 0", "say"),
        ('[[moments]]\nat = 0\nsay = "x"\nextra = 1', "unknown key"),
        ('[[moments]]\nat = 0\nsay = "x"\ncheck = "credibility ="', "cannot parse"),
        ("", "at least one"),
    ],
)
def test_a_bad_lesson_file_gives_one_clear_message(tmp_path, moments, needle):
    with pytest.raises(LessonError, match=needle):
        load_lesson(_lesson_file(tmp_path, moments))


def test_unknown_names_and_late_quarters_are_caught_before_the_run(tmp_path):
    p = _lesson_file(tmp_path, '[[moments]]\nat = 0\nsay = "x"\ncheck = "credibilty > 0"')
    with pytest.raises(LessonError, match="unknown name 'credibilty'"):
        LessonRun(load_lesson(p))
    p = _lesson_file(tmp_path, '[[moments]]\nat = 99\nsay = "x"')
    with pytest.raises(LessonError, match="after the horizon"):
        LessonRun(load_lesson(p))
    p = _lesson_file(tmp_path, '[[moments]]\nat = 0\nsay = "x"', scenario="nowhere.toml")
    with pytest.raises(LessonError, match="no such file"):
        load_lesson(p)


def test_a_moment_that_does_not_happen_is_reported_not_faked(tmp_path):
    p = _lesson_file(
        tmp_path,
        '[[moments]]\nevent = "collapse"\nsay = "x"\n'
        '[[moments]]\nat = "end"\nsay = "members {members}"',
    )
    r = LessonRun(load_lesson(p), seed=0)  # the baseline survives with seed 0
    fired = r.run()
    assert [f.index for f in fired] == [1] and fired[0].text == "members 15"
    assert [i for i, _ in r.missed()] == [0]


# --- the command ----------------------------------------------------------------------------
def run(capsys, *argv):
    code = main(["lesson", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_lesson_without_a_name_lists_the_lessons(capsys):
    code, out, err = run(capsys)
    assert code == 0 and err == ""
    for ls in LESSONS:
        assert ls.name in out and ls.title in out


def test_lesson_no_pause_runs_and_narrates_every_moment(capsys):
    code, out, err = run(capsys, "defection_cascade", "--no-pause")
    assert code == 0 and err == ""
    assert out.count("-- Key moment") == len(find_lesson("defection_cascade").moments)
    assert "2026 Q4" in out and "South Korea is forced out" in out
    assert "does NOT hold" not in out and "press Enter" not in out
    assert "The alliance COLLAPSED" in out and "Questions for discussion" in out
    assert run(capsys, "3", "--no-pause")[1] == out  # by number, and reproducible


def test_a_terminal_pauses_at_each_key_moment_and_stops_waiting_at_end_of_input():
    lesson = find_lesson("expansion")
    prompts: list[str] = []

    def read(prompt):
        prompts.append(prompt)
        return ""

    out = io.StringIO()
    narrate(lesson, read=read, out=out)
    assert len(prompts) == len(lesson.moments) and "Enter" in prompts[0]

    calls = []

    def closed(prompt):
        calls.append(prompt)
        raise EOFError

    narrate(lesson, read=closed, out=io.StringIO())
    assert len(calls) == 1  # after the input closes, no more waiting


def test_without_a_terminal_the_lesson_does_not_wait(capsys):
    """pytest's standard input is not a terminal: without --no-pause the run still ends."""
    code, out, _ = run(capsys, "1")
    assert code == 0 and out.count("-- Key moment") == 6


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["no_such_lesson"], "unknown lesson 'no_such_lesson'"),
        (["7"], "unknown lesson '7'"),
        (["missing.md"], "no such lesson file"),
        (["1", "--seed", "x"], "--seed"),
        (["1", "--bogus"], "--bogus"),
    ],
)
def test_bad_names_and_flags_give_one_clear_error(capsys, argv, needle):
    with pytest.raises(SystemExit) as e:
        raise SystemExit(main(["lesson", *argv]))
    _, err = capsys.readouterr()
    assert e.value.code == EXIT_USAGE
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0], err


def test_lesson_in_a_real_process_with_closed_stdin():
    proc = subprocess.run(
        [sys.executable, "-m", "experiments.cli", "lesson", "6"],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("-- Key moment") == 6 and "Traceback" not in proc.stderr


def test_the_headline_claims_of_the_lessons_hold_over_ten_seeds():
    """What the lessons tell students beyond their own seed, checked on seeds 0-9."""

    def outcomes(lesson):
        scen = find_lesson(lesson).scenario()
        return [run_model(scen, seed=s) for s in range(10)]

    def defections(r):
        return [e for e in r.model.events if e.kind == "defection"]

    expansion = outcomes("expansion")
    assert all(r.outcome["survived"] for r in expansion)
    assert sum(bool(defections(r)) for r in expansion) <= 1  # 2 of 40 seeds (0-39)
    assert all(
        not r.outcome["survived"] and r.outcome["collapse_quarter"] <= 8  # 5-8 in 0-39
        for r in outcomes("defection_cascade")
    )
    # Counter-pressure takes Singapore first in every run (in quarter 5, 6 or 7); the
    # alliance survives most runs (32 of 40 seeds, 0-39), and every run that collapses has
    # lost the UK, worn down by the EU's pressure, before it collapses.
    counter = outcomes("counter_pressure")
    assert all(defections(r)[0].actor == "SGP" and defections(r)[0].quarter <= 7 for r in counter)
    assert sum(r.outcome["survived"] for r in counter) >= 6
    for r in counter:
        if not r.outcome["survived"]:
            uk = [e for e in defections(r) if e.actor == "GBR"]
            assert uk and uk[0].quarter < r.outcome["collapse_quarter"] and "EU" in uk[0].text
    # Two reversals stall capital (below the no-reversal range, US$48-55bn after a year)
    # and do not break the alliance (all 40 seeds, 0-39, survive); Singapore leaves in
    # most runs (35 of 40).
    cred = outcomes("credibility_capital")
    assert all(r.outcome["survived"] for r in cred)
    assert all(r.series["capital_committed"][4] < 48 for r in cred)
    assert all(r.series["capital_committed"][8] < 60 for r in cred)
    assert sum(any(e.actor == "SGP" for e in defections(r)) for r in cred) >= 8
    # China escalates when the refineries come on line (quarter 13), or, if it is in a
    # truce then, in the quarter the truce ends.
    for r in outcomes("refinery_bottleneck"):
        first = next(e for e in r.model.events if e.kind == "escalation")
        free = next(q for q in range(13, len(r.series)) if not r.series["truce"][q])
        assert first.quarter == free and r.series["bottleneck"][0] == 2
    # Doubled Gulf money commits more capital in every run and draws more participants in;
    # it keeps Singapore in some runs, not most (Singapore leaves in 18 of 40 seeds, 0-39,
    # against 25 in the baseline: in 14 it leaves in both, in 11 the money keeps it in), and
    # it does not touch China's mature-node volume.
    gulf = outcomes("gulf_capital")
    base = [run_model("baseline", seed=s) for s in range(10)]
    assert all(r.series["china_share_8"].iloc[-1] > 0.5 for r in gulf)
    assert all(r.outcome["survived"] for r in gulf)
    assert all(
        g.series["capital_committed"].iloc[-1] > b.series["capital_committed"].iloc[-1]
        for g, b in zip(gulf, base, strict=True)
    )

    def signed(rs):
        return sum(e.kind == "accession" for r in rs for e in r.model.events)

    def singapore_leaves(r):
        return any(e.actor == "SGP" for e in defections(r))

    assert signed(gulf) > signed(base)
    both = sum(singapore_leaves(g) and singapore_leaves(b) for g, b in zip(gulf, base, strict=True))
    kept = sum(
        singapore_leaves(b) and not singapore_leaves(g) for g, b in zip(gulf, base, strict=True)
    )
    assert 0 < kept <= both
