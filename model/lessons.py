"""Teaching lessons: a Markdown text with a machine-readable list of key moments.

A lesson is a Markdown file in ``docs/lessons/`` that starts with TOML front matter between
``+++`` lines::

    +++
    order = 1
    title = "The refinery bottleneck"
    scenario = "refinery_bottleneck.toml"   # relative to the lesson file (or a preset name)
    seed = 0
    minutes = 8

    [[moments]]
    at = 0                                  # after quarter 0 (before the first quarter)
    say = "The bottleneck is phase {bottleneck} ({bottleneck_name})."
    check = "bottleneck == 2 and refining_share < 0.01"
    +++

Each moment has exactly one trigger:

* ``at = N`` -- after quarter N has run (0: the starting state); ``at = "end"``: the last;
* ``event = "defection"`` -- the quarter in which the model logs that kind of event
  (optionally ``actor = "KOR"`` and ``nth = 2`` for the second such event);
* ``when = "credibility < 0.5"`` -- the first quarter at which the expression holds;

optionally ``after = N`` (ignore quarters before N). ``say`` is the narration, with
``{name}`` or ``{name:.2f}`` filled in from the model at that quarter; ``check`` is an
expression that must hold then (the tests evaluate it on the lesson's run).

Names in expressions and narration: every model reporter (``members``, ``credibility``,
``capital_committed``, ``refining_share``, ``bottleneck``, ``signatory_share_2``,
``china_share_8``, ``pressure_EUR``, ...) at that quarter; ``start_X``, ``prev_X``,
``peak_X`` and ``low_X`` for its value at quarter 0, the quarter before, and its
maximum and minimum so far; ``n_<kind>`` for the number of events of a kind so far
(``n_defection``, ``n_accession``, ``n_reversal``, ...); ``steps`` (the horizon). The
narration may also use ``when`` (e.g. "2027 Q2"), ``bottleneck_name`` and ``event``
(the text of the event that triggered the moment). Expressions allow numbers, names,
arithmetic, comparisons, ``and``/``or``/``not`` and ``abs``/``min``/``max``; nothing else
is evaluated.
"""

from __future__ import annotations

import ast
import math
import operator
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model.model import PaxSilicaModel
from model.scenario import Scenario, is_path, load_scenario, resolve_path

LESSON_DIR = Path(__file__).resolve().parents[1] / "docs" / "lessons"
EVENT_KINDS = (
    "defection",
    "accession",
    "collapse",
    "reversal",
    "escalation",
    "truce",
    "invitation",
    "refusal",
    "eu_turns",
    "export_control",
)
PREFIXES = ("start_", "prev_", "peak_", "low_")
TEXT_NAMES = ("when", "bottleneck_name", "event")


class LessonError(ValueError):
    """A lesson file the command cannot use; ``str()`` is the whole message."""


# --- expressions --------------------------------------------------------------------------
_BINOPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_CMPOPS = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
_FUNCS = {"abs": abs, "min": min, "max": max}


def parse_expression(text: str, where: str) -> ast.Expression:
    """Parse a check or trigger expression, allowing only the small language above."""
    if not isinstance(text, str) or not text.strip():
        raise LessonError(f"{where}: expected an expression as text, got {text!r}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        raise LessonError(f"{where}: cannot parse {text!r} ({e.msg})") from None
    allowed = (
        ast.Expression,
        ast.BoolOp,
        ast.And,
        ast.Or,
        ast.UnaryOp,
        ast.Not,
        ast.USub,
        ast.UAdd,
        ast.BinOp,
        ast.Compare,
        ast.Name,
        ast.Load,
        ast.Constant,
        ast.Call,
        *_BINOPS,
        *_CMPOPS,
    )
    for node in ast.walk(tree):
        if not isinstance(node, allowed):
            raise LessonError(f"{where}: {type(node).__name__} is not allowed in {text!r}")
        if isinstance(node, ast.Constant) and (
            isinstance(node.value, str) or not isinstance(node.value, int | float)
        ):
            raise LessonError(f"{where}: only numbers and true/false are allowed in {text!r}")
        if isinstance(node, ast.Call) and not (
            isinstance(node.func, ast.Name) and node.func.id in _FUNCS and not node.keywords
        ):
            raise LessonError(f"{where}: only abs, min and max may be called in {text!r}")
        if isinstance(node, ast.Call):  # min(x) or max() would fail only when evaluated
            name, n = node.func.id, len(node.args)
            if (name == "abs" and n != 1) or (name != "abs" and n < 2):
                expected = "one argument" if name == "abs" else "two arguments or more"
                raise LessonError(f"{where}: {name} takes {expected}, got {n} in {text!r}")
    return tree


def names_in(tree: ast.Expression) -> set[str]:
    calls = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - calls


def evaluate(tree: ast.Expression, ns: dict[str, Any]) -> Any:
    """Evaluate a parsed expression over a namespace (no Python ``eval``)."""

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            if node.id in ("true", "True"):
                return True
            if node.id in ("false", "False"):
                return False
            return ns[node.id]
        if isinstance(node, ast.BoolOp):
            vals = (ev(v) for v in node.values)
            return all(vals) if isinstance(node.op, ast.And) else any(vals)
        if isinstance(node, ast.UnaryOp):
            v = ev(node.operand)
            return (
                (not v)
                if isinstance(node.op, ast.Not)
                else -v
                if isinstance(node.op, ast.USub)
                else +v
            )
        if isinstance(node, ast.BinOp):
            left, right = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Div) and right == 0:
                return math.inf if left > 0 else -math.inf if left < 0 else math.nan
            return _BINOPS[type(node.op)](left, right)
        if isinstance(node, ast.Compare):
            left = ev(node.left)
            for op, comp in zip(node.ops, node.comparators, strict=True):
                right = ev(comp)
                if not _CMPOPS[type(op)](left, right):
                    return False
                left = right
            return True
        if isinstance(node, ast.Call):
            return _FUNCS[node.func.id](*(ev(a) for a in node.args))
        raise LessonError(f"cannot evaluate {type(node).__name__}")  # parse_expression forbids

    return ev(tree)


# --- lessons ------------------------------------------------------------------------------
@dataclass
class Moment:
    """One key moment: its trigger, the narration and the check that must hold then."""

    say: str
    at: int | str | None = None
    event: str | None = None
    actor: str | None = None
    nth: int = 1
    when: str | None = None
    after: int = 0
    check: str | None = None
    when_tree: ast.Expression | None = None
    check_tree: ast.Expression | None = None

    def describe(self) -> str:
        """The trigger in words (for listings and for a moment that did not happen)."""
        if self.at is not None:
            return "at the end" if self.at == "end" else f"after quarter {self.at}"
        if self.event is not None:
            nth = {1: "first", 2: "second", 3: "third"}.get(self.nth, f"{self.nth}th")
            who = f" by {self.actor}" if self.actor else ""
            return f"the {nth} {self.event} event{who}" + (
                f" from quarter {self.after}" if self.after else ""
            )
        return f"when {self.when}" + (f" (from quarter {self.after})" if self.after else "")


@dataclass
class Lesson:
    name: str
    path: Path
    order: int
    title: str
    scenario_ref: str
    seed: int
    minutes: int
    moments: list[Moment]
    body: str = ""
    extra: dict = field(default_factory=dict)

    def scenario_path(self) -> Path:
        """The scenario file: a path relative to the lesson's folder, or a preset."""
        ref = self.scenario_ref
        if is_path(ref):
            return self.path.parent / ref
        return resolve_path(ref)

    def scenario(self) -> Scenario:
        return load_scenario(self.scenario_path())

    def section(self, heading: str) -> str:
        """The Markdown text under a ``## heading`` (case-insensitive prefix match)."""
        out, inside = [], False
        for line in self.body.splitlines():
            if line.startswith("## "):
                inside = line[3:].strip().lower().startswith(heading.lower())
                continue
            if inside:
                out.append(line)
        return "\n".join(out).strip()


MOMENT_KEYS = {"say", "at", "event", "actor", "nth", "when", "after", "check"}
TOP_KEYS = {"order", "title", "scenario", "seed", "minutes", "moments"}


def split_front_matter(text: str, source: str) -> tuple[dict, str]:
    lines = text.splitlines()
    if not lines or lines[0].strip() != "+++":
        raise LessonError(f"{source}: expected TOML front matter between '+++' lines at the top")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "+++")
    except StopIteration:
        raise LessonError(f"{source}: the front matter has no closing '+++' line") from None
    try:
        meta = tomllib.loads("\n".join(lines[1:end]))
    except tomllib.TOMLDecodeError as e:
        raise LessonError(f"{source}: front matter: {e}") from None
    return meta, "\n".join(lines[end + 1 :])


def load_lesson(path: str | Path) -> Lesson:
    """Read and validate one lesson file."""
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise LessonError(f"{source}: cannot read the lesson ({e})") from None
    meta, body = split_front_matter(text, source)
    unknown = set(meta) - TOP_KEYS
    if unknown:
        raise LessonError(
            f"{source}: {sorted(unknown)[0]}: unknown key; expected one of "
            f"{', '.join(sorted(TOP_KEYS))}"
        )
    for key, kind in (("title", str), ("scenario", str), ("order", int), ("seed", int)):
        if not isinstance(meta.get(key), kind) or isinstance(meta.get(key), bool):
            expected = "text" if kind is str else "a whole number"
            raise LessonError(f"{source}: {key}: expected {expected}, got {meta.get(key)!r}")
    for key, low in (("order", 1), ("seed", 0), ("minutes", 1)):
        v = meta.get(key, low)  # minutes may be left out
        if isinstance(v, bool) or not isinstance(v, int) or v < low:
            raise LessonError(
                f"{source}: {key}: expected a whole number of at least {low}, got {v!r}"
            )
    moments = [
        _moment(m, f"{source}: moments[{i}]") for i, m in enumerate(meta.get("moments") or [])
    ]
    if not moments:
        raise LessonError(f"{source}: moments: expected at least one [[moments]] table")
    lesson = Lesson(
        name=path.stem,
        path=path,
        order=meta["order"],
        title=meta["title"],
        scenario_ref=meta["scenario"],
        seed=meta["seed"],
        minutes=meta.get("minutes", 0),
        moments=moments,
        body=body,
    )
    if not lesson.scenario_path().is_file():
        raise LessonError(f"{source}: scenario: no such file {str(lesson.scenario_path())!r}")
    return lesson


def _moment(m: Any, where: str) -> Moment:
    if not isinstance(m, dict):
        raise LessonError(f"{where}: expected a table")
    unknown = set(m) - MOMENT_KEYS
    if unknown:
        raise LessonError(
            f"{where}.{sorted(unknown)[0]}: unknown key; expected one of "
            f"{', '.join(sorted(MOMENT_KEYS))}"
        )
    triggers = [k for k in ("at", "event", "when") if k in m]
    if len(triggers) != 1:
        raise LessonError(
            f"{where}: expected exactly one of at, event, when; got {', '.join(triggers) or 'none'}"
        )
    if not isinstance(m.get("say"), str) or not m["say"].strip():
        raise LessonError(f"{where}.say: expected the narration as text")
    at = m.get("at")
    if (
        at is not None
        and at != "end"
        and (isinstance(at, bool) or not isinstance(at, int) or at < 0)
    ):
        raise LessonError(f'{where}.at: expected a quarter (0 or more) or "end", got {at!r}')
    if "event" in m and m["event"] not in EVENT_KINDS:
        raise LessonError(
            f"{where}.event: expected one of {', '.join(EVENT_KINDS)}, got {m['event']!r}"
        )
    for key in ("nth", "after"):
        v = m.get(key, 1 if key == "nth" else 0)
        if isinstance(v, bool) or not isinstance(v, int) or v < (1 if key == "nth" else 0):
            raise LessonError(f"{where}.{key}: expected a whole number, got {v!r}")
    mo = Moment(
        say=m["say"].strip(),
        at=at,
        event=m.get("event"),
        actor=m.get("actor"),
        nth=m.get("nth", 1),
        when=m.get("when"),
        after=m.get("after", 0),
        check=m.get("check"),
    )
    if mo.when is not None:
        mo.when_tree = parse_expression(mo.when, f"{where}.when")
    if mo.check is not None:
        mo.check_tree = parse_expression(mo.check, f"{where}.check")
    return mo


def lesson_files(folder: Path = LESSON_DIR) -> list[Path]:
    return [p for p in sorted(folder.glob("*.md")) if p.name.lower() != "readme.md"]


def all_lessons(folder: Path = LESSON_DIR) -> list[Lesson]:
    return sorted((load_lesson(p) for p in lesson_files(folder)), key=lambda ls: ls.order)


def find_lesson(name: str, folder: Path = LESSON_DIR) -> Lesson:
    """A lesson by name (file stem), by its number, or by the path of its file."""
    p = Path(name)
    if name.endswith(".md") or "/" in name:
        if not p.is_file():
            raise LessonError(f"lesson: no such lesson file {name!r}")
        return load_lesson(p)
    lessons = all_lessons(folder)
    for ls in lessons:
        if name.lower() in (ls.name.lower(), str(ls.order)):
            return ls
    raise LessonError(
        f"lesson: unknown lesson {name!r}; expected one of "
        f"{', '.join(ls.name for ls in lessons)} (or their numbers 1-"
        f"{len(lessons)})"
    )


# --- running a lesson ---------------------------------------------------------------------
@dataclass
class Fired:
    """A moment as it happened in a run."""

    index: int
    moment: Moment
    quarter: int
    when: str
    text: str
    check_ok: bool | None
    event: str = ""


class LessonRun:
    """Runs a lesson's scenario quarter by quarter and reports its key moments.

    ``start()`` returns the moments of quarter 0; each ``step()`` runs one quarter and
    returns the moments it triggered (in the lesson's order). ``missed()`` lists the
    moments that have not happened once the run is over. The model is ``self.model``.

    Given ``model``, the run watches that model instead of building its own (the app steps
    it); ``catch_up()`` then returns the moments of every quarter run since the last look.
    """

    def __init__(
        self,
        lesson: Lesson,
        seed: int | None = None,
        model: PaxSilicaModel | None = None,
        **params: Any,
    ):
        self.lesson = lesson
        self.seed = lesson.seed if seed is None else seed
        self.model = (
            model
            if model is not None
            else PaxSilicaModel(lesson.scenario(), rng=self.seed, **params)
        )
        self.columns = list(self.model.datacollector.model_vars)
        self.horizon = int(self.model.p["steps"])
        known = self.known_names()
        for i, mo in enumerate(lesson.moments):
            for label, tree in (("when", mo.when_tree), ("check", mo.check_tree)):
                if tree is None:
                    continue
                bad = names_in(tree) - known - {"true", "false", "True", "False"}
                if bad:
                    raise LessonError(
                        f"{lesson.path}: moments[{i}].{label}: unknown name "
                        f"{sorted(bad)[0]!r} in {getattr(mo, label)!r}"
                    )
            if isinstance(mo.at, int) and mo.at > self.horizon:
                raise LessonError(
                    f"{lesson.path}: moments[{i}].at: quarter {mo.at} is after "
                    f"the horizon ({self.horizon} quarters)"
                )
        self.fired: dict[int, Fired] = {}
        self.looked = -1  # the last quarter whose moments were checked

    def known_names(self) -> set[str]:
        names = set(self.columns) | {"steps"} | {f"n_{k}" for k in EVENT_KINDS}
        names |= {p + c for p in PREFIXES for c in self.columns}
        return names

    @property
    def quarter(self) -> int:
        return int(self.model.steps)

    @property
    def done(self) -> bool:
        return not self.model.running

    def namespace(self, q: int | None = None) -> dict[str, Any]:
        """Every name an expression or the narration may use, at quarter ``q``."""
        m = self.model
        q = self.quarter if q is None else q
        mv = m.datacollector.model_vars
        ns: dict[str, Any] = {"steps": self.horizon}
        for c in self.columns:
            vals = mv[c][: q + 1]
            ns[c] = _plain(vals[q])
            ns["start_" + c] = _plain(vals[0])
            ns["prev_" + c] = _plain(vals[max(0, q - 1)])
            try:
                ns["peak_" + c], ns["low_" + c] = _plain(max(vals)), _plain(min(vals))
            except TypeError:
                ns["peak_" + c] = ns["low_" + c] = ns[c]
        for k in EVENT_KINDS:
            ns["n_" + k] = sum(1 for e in m.events if e.kind == k and e.quarter <= q)
        ns["when"] = m.when(q)
        b = int(ns.get("bottleneck", 1))
        ns["bottleneck_name"] = m.world.phases[b - 1].name
        ns["event"] = ""
        return ns

    def start(self) -> list[Fired]:
        return self._moments()

    def step(self) -> list[Fired]:
        if self.done:
            return []
        self.model.step()
        return self._moments()

    def catch_up(self) -> list[Fired]:
        """The moments of each quarter the model has run since the last look, quarter by
        quarter (for a model stepped elsewhere)."""
        out = []
        while self.looked < self.quarter:
            out += self._moments(self.looked + 1)
        return out

    def run(self) -> list[Fired]:
        """Run to the end; every moment that fired, in the order it fired."""
        out = self.start()
        while not self.done:
            out += self.step()
        return out

    def _moments(self, q: int | None = None) -> list[Fired]:
        """The moments that fire at quarter ``q`` (default: the current one)."""
        q = self.quarter if q is None else q
        end = self.done and q == self.quarter
        self.looked = max(self.looked, q)
        ns = self.namespace(q)
        out = []
        for i, mo in enumerate(self.lesson.moments):
            if i in self.fired:
                continue
            event = self._trigger(mo, q, end, ns)
            if event is None:
                continue
            local = dict(ns, event=event)
            try:
                text = mo.say.format_map(local)
            except (KeyError, ValueError, IndexError, AttributeError) as e:
                raise LessonError(
                    f"{self.lesson.path}: moments[{i}].say: cannot fill in "
                    f"the narration ({type(e).__name__}: {e})"
                ) from None
            ok = bool(evaluate(mo.check_tree, ns)) if mo.check_tree is not None else None
            f = Fired(i, mo, q, self.model.when(q), text, ok, event)
            self.fired[i] = f
            out.append(f)
        return out

    def _trigger(self, mo: Moment, q: int, end: bool, ns: dict) -> str | None:
        """The event text ('' if none) if the moment fires now, else None."""
        if q < mo.after:
            return None
        if mo.at is not None:
            return "" if (end if mo.at == "end" else mo.at == q) else None
        if mo.event is not None:
            hits = [
                e
                for e in self.model.events
                if e.kind == mo.event
                and (mo.actor is None or e.actor == mo.actor)
                and e.quarter >= mo.after
            ]
            if len(hits) >= mo.nth and hits[mo.nth - 1].quarter == q:
                return hits[mo.nth - 1].text
            return None
        return "" if evaluate(mo.when_tree, ns) else None

    def missed(self) -> list[tuple[int, Moment]]:
        return [(i, mo) for i, mo in enumerate(self.lesson.moments) if i not in self.fired]


def _plain(v: Any) -> Any:
    """numpy scalars as Python numbers (for formatting and comparison)."""
    if hasattr(v, "item"):
        return v.item()
    return v
