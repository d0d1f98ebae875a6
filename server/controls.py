"""What the app's controls mean to the model: pure functions, no Solara.

A :class:`Settings` holds what the controls show. :func:`overrides` turns it into the same
``key=value`` list the command line takes with ``--set``, so every run in the app can be
repeated with ``pax-silica run`` (:func:`cli_command` prints the line), and every value is
checked by the model's own loader: anything it rejects raises ``ScenarioError``, whose
``str()`` is the one-line message the app shows.
"""

from __future__ import annotations

import functools
import math
import secrets
import shlex
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from model.lessons import LESSON_DIR, Lesson, LessonError, lesson_files, load_lesson
from model.model import PaxSilicaModel
from model.params import coerce, registry
from model.scenario import (
    Scenario,
    ScenarioError,
    is_path,
    load_scenario,
    preset_names,
    resolve_path,
)
from server import limits

SOURCE = "app settings"  # names the source in error messages, as a file name would

# The sliders: parameter -> (label, unit shown with the value). Ranges come from the registry.
SLIDERS: dict[str, tuple[str, str]] = {
    "pressure_intensity": ("Pressure intensity", "x the 2025 level"),
    "leader_volatility": ("US policy volatility", "reversals per quarter"),
    "gulf_capital": ("Gulf capital", "US$bn"),
    "n_investors": ("Investors", "agents"),
    "risk_aversion_scale": ("Investor risk aversion", "x"),
    "social_influence": ("Peer influence", "grievance"),
}
# The expansion members the paper recommends, each a switch: signs or stays outside.
EXPANSION: dict[str, str] = {"TWN": "Taiwan", "NLD": "Netherlands", "CAN": "Canada"}
DEFAULT_SCENARIO = "baseline"
# Lesson scenarios the page may choose besides those of docs/lessons: the lessons loaded
# from another folder (lesson reference -> file), filled by the server, never by the page.
_lesson_scenarios: dict[str, Path] = {}


# ----------------------------------------------------------- scenarios by name only ----
def lesson_scenario_ref(lesson: Lesson) -> str:
    """The lesson's scenario as the controls hold it: a preset name, or its file's path
    relative to the working folder when inside it (as on the command line)."""
    ref = lesson.scenario_ref
    if not is_path(ref):
        return ref  # a preset
    path = lesson.scenario_path().resolve()
    try:
        return str(path.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def allow_lesson(lesson: Lesson) -> str:
    """Let the page choose this lesson's scenario (a lesson the server listed); its ref."""
    ref = lesson_scenario_ref(lesson)
    if is_path(lesson.scenario_ref):
        _lesson_scenarios[ref] = lesson.scenario_path().resolve()
    return ref


@functools.cache
def _docs_lesson_scenarios() -> dict[str, Path]:
    """The scenarios of the lessons in ``docs/lessons`` (read once: they ship with the app)."""
    out = {}
    for path in lesson_files(LESSON_DIR):
        try:
            lesson = load_lesson(path)
        except LessonError:
            continue  # the Lessons tab says why
        if is_path(lesson.scenario_ref):
            out[lesson_scenario_ref(lesson)] = lesson.scenario_path().resolve()
    return out


def known_scenarios() -> dict[str, Path]:
    """Every scenario the page may choose, reference -> file: the presets, the scenarios
    of the lessons in ``docs/lessons`` and of the lessons the server loaded elsewhere."""
    return {
        **{name: resolve_path(name) for name in preset_names()},
        **_docs_lesson_scenarios(),
        **_lesson_scenarios,
    }


def scenario_file(ref: Any) -> Path:
    """The file of a scenario the page names. Looked up by name among
    :func:`known_scenarios`, never opened as a path the page sends: served to a class, a
    path would show any readable file's first lines."""
    known = known_scenarios()
    if isinstance(ref, str) and ref in known:
        return known[ref]
    raise ScenarioError(
        SOURCE,
        "scenario",
        f"expected one of the presets ({', '.join(preset_names())}) or a lesson's "
        f"scenario, got {str(ref)[:80]!r}",
    )


def load(ref: Any) -> Scenario:
    """The scenario the page names (:func:`scenario_file`)."""
    return load_scenario(scenario_file(ref))


@dataclass(frozen=True)
class Settings:
    """The controls' values. ``values`` holds the sliders; ``expansion`` the expansion
    members switched on; ``seed`` is text as typed (blank: a random seed); ``extra`` is
    further ``key=value`` overrides separated by spaces, as after ``--set``."""

    scenario: str = DEFAULT_SCENARIO
    values: tuple[tuple[str, Any], ...] = ()
    expansion: frozenset[str] = field(default_factory=frozenset)
    counter_alliance: bool = False
    seed: str = "0"
    extra: str = ""

    def value(self, name: str) -> Any:
        return dict(self.values)[name]

    def with_value(self, name: str, value: Any) -> Settings:
        vals = dict(self.values)
        vals[name] = value
        return replace(self, values=tuple(vals.items()))

    def with_member(self, code: str, on: bool) -> Settings:
        exp = set(self.expansion)
        (exp.add if on else exp.discard)(code)
        return replace(self, expansion=frozenset(exp))


def settings_for(scenario: str = DEFAULT_SCENARIO, seed: str = "0") -> Settings:
    """The controls as a preset sets them (its parameters, members, counter-alliance)."""
    scen = load(scenario)
    return Settings(
        scenario=scenario,
        values=tuple((k, scen.params[k]) for k in SLIDERS),
        expansion=frozenset(c for c in EXPANSION if c in scen.members),
        counter_alliance=bool(scen.params["counter_alliance"]),
        seed=seed,
    )


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v)) if abs(v) < 1e15 else repr(v)
    return str(v)


def overrides(s: Settings) -> list[str]:
    """The ``--set`` list that turns the preset into these settings (only what differs)."""
    base = load(s.scenario)
    out = [f"{k}={_fmt(v)}" for k, v in s.values if v != base.params.get(k)]
    add = [c for c in EXPANSION if c in s.expansion and c not in base.members]
    remove = [c for c in EXPANSION if c not in s.expansion and c in base.members]
    if add:
        out.append("add_members=" + ",".join(add))
    if remove:
        out.append("remove_members=" + ",".join(remove))
    if s.counter_alliance != base.params["counter_alliance"]:
        out.append(f"counter_alliance={_fmt(s.counter_alliance)}")
    out += s.extra.split()
    return out


def scenario_of(s: Settings) -> Scenario:
    """The validated scenario, within the app's limits (:mod:`server.limits`); raises
    ``ScenarioError`` with the message to show."""
    scen = load(s.scenario).with_overrides(overrides(s), source=SOURCE)
    limits.check_scenario(scen)
    return scen


def seed_of(s: Settings) -> int | str | None:
    """The seed as the model takes it: text of digits (the model reads "42" as 42), or
    None for a blank box (a random seed)."""
    text = s.seed.strip()
    return text if text else None


def build_model(s: Settings) -> PaxSilicaModel:
    """A fresh model with these settings (raises ``ScenarioError`` on a bad value)."""
    scen = scenario_of(s)
    seed = seed_of(s)
    if seed is None:
        seed = secrets.randbelow(2**31)
    try:
        return PaxSilicaModel(scen, rng=seed)
    except ScenarioError:
        raise
    except ValueError:
        # The model takes "-5" as a seed, but NumPy refuses a negative seed with a bare
        # ValueError ("expected non-negative integer"); say it the way the model says the rest.
        if str(seed).strip().startswith("-"):
            raise ScenarioError(
                "model", "seed", f"expected a whole number of at least 0, got {seed!r}"
            ) from None
        raise


def cli_command(s: Settings, seed: int | str | None = None) -> str:
    """The command line that runs the same model."""
    parts = ["uv", "run", "pax-silica", "run", "--scenario", s.scenario]
    for o in overrides(s):
        parts += ["--set", o]
    seed = seed if seed is not None else seed_of(s)
    if seed is not None:
        parts += ["--seed", str(seed)]
    return shlex.join(parts)


# --------------------------------------------------------------------- slider grids ----
def slider_kind(name: str) -> str:
    """ "float", "int" for an evenly stepped slider, or "grid" for a slider over a
    1-2-5-style series (parameters whose range spans orders of magnitude)."""
    spec = registry()[name]
    lo, hi = float(spec.min), float(spec.max)
    scale = abs(float(spec.default)) or 1.0
    if (hi - lo) / scale > 50:
        return "grid"
    return "int" if spec.type == "int" else "float"


def slider_step(name: str) -> float:
    spec = registry()[name]
    span = float(spec.max) - float(spec.min)
    step = 10 ** math.floor(math.log10(span / 50)) if span > 0 else 1
    return max(1, int(step)) if spec.type == "int" else step


def slider_grid(name: str, extra: tuple = ()) -> list:
    """Values from the registry's min to its max, 1-1.5-2-3-4-5-6-8 per decade, with the
    default and ``extra`` (e.g. the current value) included."""
    spec = registry()[name]
    lo, hi = float(spec.min), float(spec.max)
    is_int = spec.type == "int"
    vals = {lo, hi, float(spec.default)}
    vals.update(float(x) for x in extra if x is not None)
    start = max(lo, 1.0 if is_int else 0.1)
    e = math.floor(math.log10(start))
    while 10**e <= hi:
        for m in (1, 1.5, 2, 3, 4, 5, 6, 8):
            v = m * 10**e
            if lo <= v <= hi and (not is_int or float(v).is_integer()):
                vals.add(round(v, 10))
        e += 1
    out = sorted(v for v in vals if lo <= v <= hi)
    return [int(v) for v in out] if is_int else [float(v) for v in out]


def slider_range(name: str) -> tuple[float, float]:
    spec = registry()[name]
    return spec.min, spec.max


def grid_value(grid: list, index: Any) -> Any:
    """The value at a grid slider's position as the page sends it; a position off the grid
    (or not a whole number) is passed on as given, for :func:`slider_value` to refuse."""
    if isinstance(index, int | float) and not isinstance(index, bool):
        if float(index).is_integer() and 0 <= index < len(grid):
            return grid[int(index)]
    return index


def slider_value(name: str, raw: Any) -> Any:
    """A slider's value from the page, checked as the command line checks ``--set``
    (``model.params.coerce``: type and range) and within the app's limits; raises
    ``ParameterError`` or ``ScenarioError`` naming the parameter."""
    if name not in SLIDERS:
        raise ScenarioError(SOURCE, str(name)[:40], "not a slider of the app")
    value = coerce(name, raw)
    if name == "n_investors":
        limits.check_investors(value)
    return value
