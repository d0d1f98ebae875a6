"""``pax-silica lesson``: a lesson from ``docs/lessons/`` as a narrated run in the terminal.

The run goes quarter by quarter, one compact line each with the events of the quarter,
and stops at each key moment of the lesson with its narration ("press Enter to
continue"). ``--no-pause`` (or a standard input that is not a terminal) never waits.
Without a name, lists the lessons.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

from experiments.args import CliError, natural_int
from model.lessons import Fired, Lesson, LessonError, LessonRun, all_lessons, find_lesson
from model.wording import fate

WIDTH = 78


def register(sub, add_scenario_args) -> None:
    p = sub.add_parser(
        "lesson", help="run a teaching lesson as a narrated run (no name: list the lessons)"
    )
    p.add_argument(
        "name",
        nargs="?",
        help="lesson name or number (see `pax-silica lesson`), or the path of a lesson .md file",
    )
    p.add_argument(
        "--seed",
        type=natural_int,
        help="random seed (default: the lesson's own; key moments may then differ)",
    )
    p.add_argument("--no-pause", action="store_true", help="do not wait for Enter at key moments")
    p.set_defaults(func=run)


def run(args, read: Callable[[str], str] | None = None, out=None) -> int:
    out = out or sys.stdout
    try:
        if not args.name:
            print(listing(), file=out)
            return 0
        lesson = find_lesson(args.name)
        interactive = not args.no_pause and (read is not None or sys.stdin.isatty())
        narrate(lesson, seed=args.seed, read=(read or input) if interactive else None, out=out)
    except LessonError as e:
        raise CliError(str(e)) from None
    return 0


def listing() -> str:
    lessons = all_lessons()
    lines = ["Lessons (docs/lessons/); run one with `pax-silica lesson NAME` or its number:"]
    for ls in lessons:
        lines.append(f"  {ls.order}  {ls.name:<22} {ls.title} (about {ls.minutes} min)")
    lines.append("A class plan for 45 minutes is in docs/lessons/README.md.")
    return "\n".join(lines)


def _wrap(text: str, indent: str = "  ") -> str:
    """Markdown paragraphs (quotes unmarked) filled to the terminal width."""
    text = "\n".join(
        line.lstrip("> ").rstrip() if line.startswith(">") else line for line in text.splitlines()
    )
    paras = [p.strip() for p in text.split("\n\n") if p.strip()]
    return "\n\n".join(
        textwrap.fill(" ".join(p.split()), WIDTH, initial_indent=indent, subsequent_indent=indent)
        for p in paras
    )


def _shown(path) -> str:
    """A path relative to the working folder when it is inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def quarter_line(r: LessonRun) -> str:
    ns = r.namespace()
    return (
        f"{ns['when']}  q{ns['quarter']:<2}  members {ns['members']:>2}  "
        f"cred {ns['credibility']:.2f}  capital US${ns['capital_committed']:>4.0f}bn  "
        f"refining {ns['refining_share']:>5.1%}  bottleneck {ns['bottleneck']:>2}  "
        f"price {ns['price_index']:.2f}" + ("  truce" if ns["truce"] else "")
    )


def moment_block(f: Fired, total: int) -> str:
    head = f"-- Key moment {f.index + 1} of {total}, {f.when} (quarter {f.quarter}) "
    lines = ["", head + "-" * max(3, WIDTH - len(head)), _wrap(f.text)]
    if f.check_ok is not None:
        verdict = "holds" if f.check_ok else "does NOT hold in this run"
        lines.append(f"  [model check: {f.moment.check} -- {verdict}]")
    return "\n".join(lines)


def narrate(
    lesson: Lesson, seed: int | None = None, read: Callable[[str], str] | None = None, out=None
) -> LessonRun:
    """Run and narrate a lesson; pause at key moments when ``read`` is given."""
    out = out or sys.stdout
    r = LessonRun(lesson, seed=seed)
    m, total = r.model, len(lesson.moments)

    def say(text: str = "") -> None:
        print(text, file=out, flush=True)

    def pause() -> None:
        nonlocal read
        if read is None:
            return
        try:
            read("  press Enter to continue ")
        except EOFError:
            read = None  # input closed: carry on without waiting

    say(f"Lesson {lesson.order}: {lesson.title}")
    say(f"Scenario {m.scenario.name}: {m.scenario.description}")
    say(
        f"Seed {r.seed}"
        + ("" if r.seed == lesson.seed else f" (the lesson was written for seed {lesson.seed})")
        + f"; {r.horizon} quarters, {m.when(1)} to {m.when(r.horizon)}."
    )
    argument = lesson.section("The paper's argument")
    if argument:
        say()
        say(_wrap(argument))
    say()
    say(quarter_line(r))
    for f in r.start():
        say(moment_block(f, total))
        pause()
    seen = len(m.events)
    while not r.done:
        fired = r.step()
        say(quarter_line(r))
        for e in m.events[seen:]:
            say(f"      > {e.text.split(': ', 1)[-1]}")
        seen = len(m.events)
        for f in fired:
            say(moment_block(f, total))
            pause()
    o = m.outcome()
    say()
    reason = "" if o["survived"] else f": {o['collapse_reason']}"
    say(f"The alliance {fate(m, loud=True)}{reason}.")
    for i, mo in r.missed():
        say(f"  (Key moment {i + 1}, {mo.describe()}, did not happen in this run.)")
    failed = [f for f in r.fired.values() if f.check_ok is False]
    if failed:
        say(f"  ({len(failed)} model check(s) did not hold with this seed.)")
    questions = lesson.section("Questions for discussion")
    if questions:
        say()
        say("Questions for discussion:")
        say(questions)
    say()
    say(f"The full lesson, with what to notice over 40 seeds: {_shown(lesson.path)}")
    return r
