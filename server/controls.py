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
from model.params import ParameterError, coerce, registry
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

# The sliders: parameter -> label. Description, unit and range come from the registry
# (model/data/parameters.toml), never from here: see :func:`slider_meta`.
SLIDERS: dict[str, str] = {
    "pressure_intensity": "Pressure intensity",
    "leader_volatility": "US policy volatility",
    "gulf_capital": "Gulf capital",
    "n_investors": "Investors",
    "risk_aversion_scale": "Investor risk aversion",
    "social_influence": "Peer influence",
}
# The expansion members the paper recommends, each a switch with one meaning in every
# scenario: on, the state signs (a member from the start); off, it is a non-signatory
# participant (as in the paper's introduction), never left outside altogether.
EXPANSION: dict[str, str] = {"TWN": "Taiwan", "NLD": "Netherlands", "CAN": "Canada"}
SWITCH_HELP = (
    "Each switch, in every scenario: on, the state signs the declaration and is a member "
    "from the start; off, it takes part without signing (a participant, as in the "
    "paper's introduction), and may be invited to sign later."
)
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


def switch_locked(scenario: str, code: str) -> str | None:
    """Why an expansion switch cannot be turned on in this scenario (None: it can): a
    scenario whose events invite the state during the run needs it outside at the start
    (the model refuses an invitation to a member)."""
    scen = load(scenario)
    if code in scen.members:
        return None
    quarters = [e.quarter for e in scen.events if e.type == "invite" and e.actor == code]
    if quarters:
        return (
            f"this scenario invites {EXPANSION.get(code, code)} to sign during the run "
            f"(from quarter {min(quarters)}), so it cannot sign at the start"
        )
    return None


def overrides(s: Settings) -> list[str]:
    """The ``--set`` list that turns the preset into these settings (only what differs)."""
    base = load(s.scenario)
    out = [f"{k}={_fmt(v)}" for k, v in s.values if v != base.params.get(k)]
    add = [c for c in EXPANSION if c in s.expansion and c not in base.members]
    remove = [c for c in EXPANSION if c not in s.expansion and c in base.members]
    # a switch that is off means a participant in every scenario (EXPANSION): one that
    # the scenario has as neither a member nor a participant is made one
    outside = [c for c in EXPANSION if c not in s.expansion and c not in base.participants]
    if add:
        out.append("add_members=" + ",".join(add))
    if remove:
        out.append("remove_members=" + ",".join(remove))
    if outside:
        out.append("participants=" + ",".join([*base.participants, *outside]))
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


# ------------------------------------------------------------------------ sliders ----
LOG_STEPS_PER_DECADE = 20  # a log slider's positions: each one about x1.12 the last


@dataclass(frozen=True)
class SliderMeta:
    """What a slider shows about its parameter, all from the registry
    (``model/data/parameters.toml``) but the label."""

    name: str
    label: str
    doc: str
    unit: str
    min: float
    max: float
    default: Any
    is_int: bool
    log: bool  # the range spans orders of magnitude: the slider moves on a log scale

    def fmt(self, v: Any) -> str:
        """A value as the page shows it: ``40``, ``1,000``, ``0.05``."""
        if isinstance(v, bool) or not isinstance(v, int | float):
            return str(v)
        if self.is_int or float(v).is_integer():
            return f"{int(v):,}"
        return f"{v:,.6g}"

    @property
    def range_text(self) -> str:
        """``0 to 100,000 US$bn``."""
        return f"{self.fmt(self.min)} to {self.fmt(self.max)} {self.unit}"

    @property
    def help(self) -> str:
        """The help text under the slider: the registry's description, unit and range."""
        scale = (
            " The slider moves on a log scale; type an exact value in the box." if self.log else ""
        )
        default = self.fmt(self.default)
        return f"{self.doc} Unit: {self.unit}. Range {self.range_text} (default {default}).{scale}"


@functools.cache
def slider_meta(name: str) -> SliderMeta:
    spec = registry()[name]
    lo, hi = float(spec.min), float(spec.max)
    scale = abs(float(spec.default)) or 1.0
    return SliderMeta(
        name=name,
        label=SLIDERS[name],
        doc=spec.doc,
        unit=spec.unit,
        min=spec.min,
        max=spec.max,
        default=spec.default,
        is_int=spec.type == "int",
        log=(hi - lo) / scale > 50,
    )


def slider_kind(name: str) -> str:
    """ "log" for a slider on a log scale (a parameter whose range spans orders of
    magnitude), else "int" or "float" for an evenly stepped one."""
    meta = slider_meta(name)
    if meta.log:
        return "log"
    return "int" if meta.is_int else "float"


def slider_step(name: str) -> float:
    spec = registry()[name]
    span = float(spec.max) - float(spec.min)
    step = 10 ** math.floor(math.log10(span / 50)) if span > 0 else 1
    return max(1, int(step)) if spec.type == "int" else step


def slider_range(name: str) -> tuple[float, float]:
    spec = registry()[name]
    return spec.min, spec.max


def _log_floor(meta: SliderMeta) -> float:
    """The smallest positive value of a log slider: its minimum, or for a minimum of 0 one
    hundredth of the default's decade (an integer slider: 1)."""
    if float(meta.min) > 0:
        return float(meta.min)
    if meta.is_int:
        return 1.0
    return 10 ** math.floor(math.log10(abs(float(meta.default)) or 1.0)) / 100


def log_positions(name: str) -> int:
    """The last position of a log slider (positions run 0..this)."""
    meta = slider_meta(name)
    f = _log_floor(meta)
    zero = 1 if float(meta.min) <= 0 else 0  # position 0 is the minimum of 0
    return zero + math.ceil(LOG_STEPS_PER_DECADE * math.log10(float(meta.max) / f) - 1e-9)


def _round2(x: float) -> float:
    """Two significant figures: the values of a 20-a-decade log scale read as 1.0, 1.1,
    1.3, 1.4, 1.6, 1.8, 2.0, 2.2, 2.5, 2.8, 3.2, ..."""
    if x <= 0:
        return 0.0
    e = math.floor(math.log10(x)) - 1
    return round(round(x / 10**e) * 10**e, 10)


def log_value(name: str, position: Any) -> Any:
    """The value at a log slider's position: 0 at position 0 when the minimum is 0, then
    ``floor x 10**(k/20)`` (two significant figures), the maximum at the last position. A
    position off the slider (or not a number) is passed on as given, for
    :func:`slider_value` to refuse with the parameter's message."""
    if isinstance(position, bool) or not isinstance(position, int | float):
        return position
    last = log_positions(name)
    if not (math.isfinite(position) and 0 <= position <= last):
        return position
    meta = slider_meta(name)
    p = round(position)
    zero = 1 if float(meta.min) <= 0 else 0
    if zero and p == 0:
        v = float(meta.min)
    elif p == last:
        v = float(meta.max)
    else:
        v = min(
            float(meta.max), _round2(_log_floor(meta) * 10 ** ((p - zero) / LOG_STEPS_PER_DECADE))
        )
    return int(round(v)) if meta.is_int else float(v)


def log_position(name: str, value: Any) -> int:
    """The position of a log slider nearest to ``value`` (the inverse of :func:`log_value`)."""
    meta = slider_meta(name)
    last = log_positions(name)
    zero = 1 if float(meta.min) <= 0 else 0
    v = float(value)
    f = _log_floor(meta)
    if v <= 0:
        return 0
    if v < f:
        return zero  # between 0 and the floor: the floor's position
    p = zero + LOG_STEPS_PER_DECADE * math.log10(v / f)
    return max(0, min(last, round(p)))


def typed_value(name: str, text: Any) -> Any:
    """A value typed in the box beside a slider ("30000", "30,000", "2.5"), checked as
    the command line checks ``--set`` and within the app's limits; raises
    ``ScenarioError`` whose message names the control, the parameter and its range."""
    meta = slider_meta(name)
    raw = str(text).strip().replace(",", "").replace("_", "")
    where = f"{meta.label} ({name})"
    try:
        number = float(raw)
    except ValueError:
        number = None
    if number is None or not math.isfinite(number):
        raise ScenarioError(
            SOURCE,
            where,
            f"expected a number from {meta.range_text}, got {str(text)[:40]!r}",
        )
    if not float(meta.min) <= number <= float(meta.max):
        raise ScenarioError(
            SOURCE,
            where,
            f"{meta.fmt(number)} is out of range: expected {meta.range_text}",
        )
    if meta.is_int and not number.is_integer():
        raise ScenarioError(
            SOURCE, where, f"expected a whole number from {meta.range_text}, got {raw}"
        )
    try:
        return slider_value(name, int(number) if meta.is_int else number)
    except ParameterError as e:
        raise ScenarioError(SOURCE, where, e.detail) from None


def pending(s: Settings, applied: Settings) -> list[str]:
    """The controls whose value differs from the run on screen's (not yet applied by
    Reset), by their labels, in the panel's order."""
    out = []
    if s.scenario != applied.scenario:
        out.append("Scenario")
    if s.seed.strip() != applied.seed.strip():
        out.append("Seed")
    a = dict(applied.values)
    out += [SLIDERS[k] for k, v in s.values if a.get(k) != v]
    out += [
        f"{country} signs"
        for code, country in EXPANSION.items()
        if (code in s.expansion) != (code in applied.expansion)
    ]
    if s.counter_alliance != applied.counter_alliance:
        out.append("Counter-alliance")
    if s.extra.split() != applied.extra.split():
        out.append("More settings")
    return out


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
