"""Scenario files: which states are in the alliance, the parameters, data overrides, events.

A scenario is a TOML file (presets in ``data/scenarios/``). Loading validates everything
and raises ``ScenarioError`` with one message naming the file, the field and what was
expected; nothing half-loaded escapes. Keys of a scenario file::

    name, description        text
    extends                  name of a preset (or path, relative to this file) it builds on
    member_set               a named set from data/member_sets.toml (default intro_12)
    members                  explicit list of signatory actor ids (instead of member_set)
    add_members, remove_members  lists applied after member_set/members
    participants             non-signatory participants (default TWN, NLD, CAN, EUR)
    [parameters]             any parameter of data/parameters.toml
    [[capacity]]             phase, actor, share (0-1), basis ("volume"|"frontier")
    [[events]]               quarter, type, and the fields of that type (see EVENT_TYPES)

Limits: at most ``MAX_EXTENDS`` files in an ``extends`` chain and values nested at most
``MAX_NESTING`` deep (past them the reader would run out of stack). Rivals (China, Russia,
Brazil) can be neither members nor participants, nor be invited. Scripted events are
checked against the scenario's initial members: a ``force_out`` must hit a member (not
forced out earlier), an ``invite`` a state that is not one.
"""

from __future__ import annotations

import errno
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents.pressurer import RIVALS
from model.params import ParameterError, coerce, defaults, registry
from model.world import LEADER, REST, World, load_world, member_sets

SCENARIO_DIR = Path(__file__).parent / "data" / "scenarios"
DEFAULT_PARTICIPANTS = ["TWN", "NLD", "CAN", "EUR"]
TOP_KEYS = {
    "name",
    "description",
    "extends",
    "member_set",
    "members",
    "add_members",
    "remove_members",
    "participants",
    "parameters",
    "capacity",
    "events",
}
MEMBER_KEYS = ("member_set", "members", "add_members", "remove_members")
CAPACITY_KEYS = {"phase", "actor", "share", "basis"}
CAPACITY_REQUIRED = {"phase": "phase", "actor": "actor", "share": "fraction"}  # field: kind
MAX_QUARTER = 400
MAX_EXTENDS = 16  # extends in a row (a file, its parent, ...)
MAX_NESTING = 32  # levels of arrays and tables a value may nest

# Event type -> {field: (kind, required)}. Kinds: actor, fraction, quarters, text.
EVENT_TYPES: dict[str, dict[str, tuple[str, bool]]] = {
    "force_out": {"actor": ("actor", True)},
    "invite": {"actor": ("actor", True)},
    "truce": {"length": ("quarters", False)},
    "reversal": {},
    "export_control": {
        "stringency": ("fraction", True),
        "china_share": ("fraction", False),
        "material": ("text", False),
    },
}


class ScenarioError(ValueError):
    """A scenario the model cannot run. ``str()`` is the whole user-facing message."""

    def __init__(self, source: str, field: str, message: str):
        super().__init__(f"{source}: {field}: {message}")
        self.source, self.field, self.detail = source, field, message


@dataclass(frozen=True)
class Event:
    """A scripted event: something that happens at the start of a given quarter."""

    quarter: int
    type: str
    actor: str | None = None
    stringency: float | None = None
    china_share: float | None = None
    material: str = "critical refined inputs"
    length: int | None = None


@dataclass
class Scenario:
    """A validated scenario, ready to build a model from."""

    name: str
    description: str = ""
    source: str = "<defaults>"
    members: list[str] = field(default_factory=list)
    participants: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=defaults)
    capacity: list[dict] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    def world(self) -> World:
        """The default world with this scenario's capacity overrides applied."""
        w = load_world()
        for ov in self.capacity:
            apply_capacity_override(w, ov, self.source)
        return w

    def with_overrides(self, assignments: list[str], source: str = "--set") -> Scenario:
        """A copy with ``key=value`` overrides (command line, app) validated and applied."""
        raw: dict[str, Any] = {}
        for a in assignments:
            if "=" not in a:
                raise ScenarioError(source, a, "expected key=value, e.g. pressure_intensity=2")
            key, value = (s.strip() for s in a.split("=", 1))
            raw[key] = value
        return _apply_overrides(self, raw, source)


def apply_capacity_override(w: World, ov: dict, source: str) -> None:
    """Set one actor's share of one phase; the rest-of-world row absorbs the difference."""
    m = w.volume if ov["basis"] == "volume" else w.frontier
    p, a, r = ov["phase"] - 1, w.idx(ov["actor"]), w.idx(REST)
    total = m[:, p].sum()
    new = ov["share"] * total
    rest = m[r, p] + m[a, p] - new if a != r else new
    if rest < -1e-9:
        named = (m[:, p].sum() - m[r, p] - m[a, p] + new) / total
        raise ScenarioError(
            source,
            f"capacity (phase {ov['phase']}, {ov['actor']})",
            f"the named {ov['basis']} shares of phase {ov['phase']} would sum to "
            f"{named:.1%}; expected at most 100%",
        )
    m[a, p] = new
    if a != r:
        m[r, p] = max(rest, 0.0)
    if not w.segmented[p]:  # a phase without a segment of its own: frontier is volume
        w.frontier[:, p] = w.volume[:, p]


def changed_parameters(scenario: Scenario, base: Scenario) -> dict[str, Any]:
    """The parameters ``scenario`` sets differently from ``base``: to apply one preset's
    condition (e.g. ``sustained_pressure``) to another scenario, all else held."""
    return {k: v for k, v in scenario.params.items() if base.params.get(k) != v}


def preset_names() -> list[str]:
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))


def is_path(s: str) -> bool:
    """Whether a scenario reference is a file path rather than a preset name."""
    return s.endswith(".toml") or "/" in s or "\\" in s


def edit_members(members: list[str], add=(), remove=()) -> list[str]:
    """``members`` with ``add`` appended (those not in it yet, in order) and ``remove``
    taken out: the one member-list edit of scenario files and ``--set``."""
    out = [a for a in members if a not in remove]
    return out + [a for a in dict.fromkeys(add) if a not in out and a not in remove]


def resolve_path(name_or_path: str | Path) -> Path:
    """A preset name or a path to a TOML file."""
    s = str(name_or_path)
    return Path(s) if is_path(s) else SCENARIO_DIR / f"{s}.toml"


def load_scenario(
    name_or_path: str | Path = "baseline", overrides: list[str] | None = None
) -> Scenario:
    """Load, validate and return a scenario (preset name or file path)."""
    scen = _load(resolve_path(name_or_path), seen=())
    if overrides:
        scen = scen.with_overrides(overrides)
    return scen


def _is_file(path: Path) -> bool:
    """``path.is_file()``, false too for names no file can have (NUL, too long)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _presets_hint(path: Path) -> str:
    return f"; presets: {', '.join(preset_names())}" if path.parent == SCENARIO_DIR else ""


def _read_toml(path: Path, source: str) -> dict:
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise ScenarioError(source, "file", "is a folder; expected a scenario file") from None
    except NotADirectoryError:
        raise ScenarioError(
            source, "file", "part of the path is a file, not a folder; expected a scenario file"
        ) from None
    except (OSError, ValueError) as e:  # ValueError: a name no file can have (NUL)
        if isinstance(e, ValueError) or e.errno in (errno.ENOENT, errno.ENAMETOOLONG):
            hint = _presets_hint(path)
            raise ScenarioError(source, "file", f"no such scenario file{hint}") from None
        raise ScenarioError(source, "file", f"cannot be read ({e.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ScenarioError(source, "file", f"expected UTF-8 text ({e.reason})") from None
    too_deep = f"nested more than {MAX_NESTING} levels deep; expected at most {MAX_NESTING}"
    try:
        data = tomllib.loads(text)
    except RecursionError:  # tomllib recurses once per level: far beyond the limit
        raise ScenarioError(source, "TOML nesting", too_deep) from None
    except ValueError as e:  # TOMLDecodeError, or an integer of more than 4300 digits
        raise ScenarioError(source, "TOML syntax", str(e)) from None
    if _depth(data) > MAX_NESTING:
        raise ScenarioError(source, "TOML nesting", too_deep)
    return data


def _depth(value: Any) -> int:
    """How many levels of tables and arrays ``value`` nests, counted without recursion (a
    dotted key such as ``a.b.c...`` nests as deep as it is long without the reader
    recursing, and printing such a value would)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict | list):
            deepest = max(deepest, d + 1)
            stack.extend((x, d + 1) for x in (v.values() if isinstance(v, dict) else v))
    return deepest


def _load(path: Path, seen: tuple[str, ...]) -> Scenario:
    source = str(path)
    data = _read_toml(path, source)
    unknown = set(data) - TOP_KEYS
    if unknown:
        raise ScenarioError(
            source,
            sorted(unknown)[0],
            f"unknown key; expected one of {', '.join(sorted(TOP_KEYS))}",
        )
    if "extends" in data:
        parent_name = _text(data["extends"], source, "extends")
        parent_path = resolve_path(parent_name)
        if is_path(parent_name):  # relative to the extending file's folder
            parent_path = path.parent / parent_path
        if not _is_file(parent_path):
            raise ScenarioError(
                source,
                "extends",
                f"no such scenario file {str(parent_path)!r}{_presets_hint(parent_path)}",
            )
        if str(parent_path.resolve()) in seen or parent_path.resolve() == path.resolve():
            raise ScenarioError(source, "extends", f"circular: {parent_name} extends this file")
        if len(seen) >= MAX_EXTENDS:  # this extends would be one more than allowed
            top = seen[0] if seen else source
            raise ScenarioError(
                source,
                "extends",
                f"more than {MAX_EXTENDS} extends in a row from {top}; "
                f"expected at most {MAX_EXTENDS}",
            )
        base = _load(parent_path, seen + (str(path.resolve()),))
    else:
        base = Scenario(
            name=path.stem,
            members=list(member_sets()["intro_12"]["members"]),
            participants=list(DEFAULT_PARTICIPANTS),
        )
    return _apply(base, data, source, path.stem)


def _apply(base: Scenario, data: dict, source: str, stem: str) -> Scenario:
    w = load_world()
    scen = Scenario(
        name=_text(data.get("name", stem), source, "name"),
        description=_text(data.get("description", base.description), source, "description"),
        source=source,
        members=list(base.members),
        participants=list(base.participants),
        params=dict(base.params),
        capacity=list(base.capacity),
        events=list(base.events),
    )
    if "member_set" in data:
        ms = _text(data["member_set"], source, "member_set")
        sets = member_sets()
        if ms not in sets:
            raise ScenarioError(
                source, "member_set", f"unknown set {ms!r}; expected one of {', '.join(sets)}"
            )
        scen.members = list(sets[ms]["members"])
    if "members" in data:
        scen.members = _signers(data["members"], source, "members", w)
    if "add_members" in data:
        scen.members = edit_members(
            scen.members, add=_signers(data["add_members"], source, "add_members", w)
        )
    if "remove_members" in data:
        scen.members = edit_members(
            scen.members, remove=_actors(data["remove_members"], source, "remove_members", w)
        )
    if "participants" in data:
        scen.participants = _signers(data["participants"], source, "participants", w)
    scen.participants = [a for a in scen.participants if a not in scen.members]
    if "parameters" in data:
        if not isinstance(data["parameters"], dict):
            raise ScenarioError(source, "parameters", "expected a table of name = value")
        for k, v in data["parameters"].items():
            scen.params[k] = _param(k, v, source, f"parameters.{k}", w)
    if "capacity" in data:  # checked on top of the inherited overrides
        scen.capacity += _capacity(data["capacity"], source, scen.world())
    if "events" in data:
        scen.events += _events(data["events"], source, w)
    members_key = next((k for k in data if k in MEMBER_KEYS), "members")
    _check_whole(scen, source, w, own_events=len(base.events), members_field=members_key)
    return scen


def _apply_overrides(scen: Scenario, raw: dict[str, str], source: str) -> Scenario:
    w = load_world()
    new = Scenario(
        name=scen.name,
        description=scen.description,
        source=scen.source,
        members=list(scen.members),
        participants=list(scen.participants),
        params=dict(scen.params),
        capacity=list(scen.capacity),
        events=list(scen.events),
    )
    for key, value in raw.items():
        k = key.removeprefix("parameters.")
        if k == "member_set":
            sets = member_sets()
            if value not in sets:
                raise ScenarioError(
                    source, key, f"unknown set {value!r}; expected one of {', '.join(sets)}"
                )
            new.members = list(sets[value]["members"])
        elif k in ("members", "participants", "add_members", "remove_members"):
            ids = _actors([t for t in value.split(",") if t.strip()], source, key, w)
            if k != "remove_members":
                _no_rivals(ids, source, key)
            if k == "members":
                new.members = ids
            elif k == "participants":
                new.participants = ids
            elif k == "add_members":
                new.members = edit_members(new.members, add=ids)
            else:
                new.members = edit_members(new.members, remove=ids)
        else:
            try:
                new.params[k] = coerce(k, value, from_text=True)
            except ParameterError as e:
                raise ScenarioError(source, key, e.detail) from None
            if registry()[k].type == "actors":
                _actors(new.params[k], source, key, w)
    new.participants = [a for a in new.participants if a not in new.members]
    steps_key = next((k for k in raw if k.removeprefix("parameters.") == "steps"), "steps")
    members_key = next((k for k in raw if k in MEMBER_KEYS), "members")
    _check_whole(
        new,
        source,
        w,
        own_events=len(new.events),
        steps_field=steps_key,
        members_field=members_key,
    )
    return new


def _check_whole(
    scen: Scenario,
    source: str,
    w: World,
    own_events: int = 0,
    steps_field: str = "parameters.steps",
    members_field: str = "members",
) -> None:
    """Checks across fields. ``scen.events[own_events:]`` are the source's own [[events]];
    the ones before are inherited, so a horizon they overrun is the source's ``steps``
    and a membership they no longer fit is the source's ``members_field``."""
    if LEADER not in scen.members:
        raise ScenarioError(
            source, "members", f"the leader ({LEADER}) must be a member; got {scen.members}"
        )
    if len(scen.members) < 2:
        raise ScenarioError(source, "members", "expected at least two members")
    steps = scen.params["steps"]
    for i, e in enumerate(scen.events):
        if e.quarter <= steps:
            continue
        if i < own_events:
            last = max(ev.quarter for ev in scen.events[:own_events])
            raise ScenarioError(
                source,
                steps_field,
                f"an inherited event at quarter {e.quarter} is after the "
                f"horizon; expected at least {last}, got {steps}",
            )
        raise ScenarioError(
            source,
            f"events[{i - own_events}].quarter",
            f"quarter {e.quarter} is after the horizon (steps = {steps})",
        )
    _check_event_members(scen, source, own_events, members_field)


def _check_event_members(scen: Scenario, source: str, own_events: int, members_field: str):
    """Refuse a ``force_out`` or ``invite`` the model would pass over without a word.

    The check runs against the scenario's initial members, less those forced out by an
    earlier event (in quarter order, then file order): who signs during a run is not
    known before it, so an invited state counts as not a member yet."""
    members = set(scen.members)
    checked = (
        "events are checked against the scenario's initial members, less those forced out earlier"
    )
    for i in sorted(range(len(scen.events)), key=lambda j: scen.events[j].quarter):
        e = scen.events[i]
        if e.type == "force_out" and e.actor not in members:
            why, expected = f"{e.actor} is not a member at quarter {e.quarter}", "a member"
        elif e.type == "invite" and e.actor in members:
            why, expected = f"{e.actor} is already a member at quarter {e.quarter}", "a non-member"
        else:
            if e.type == "force_out":
                members.discard(e.actor)
            continue
        if i < own_events:
            raise ScenarioError(
                source,
                members_field,
                f"an inherited {e.type} event cannot apply: {why} ({checked}); expected "
                f"members that fit it, got {scen.members}",
            )
        raise ScenarioError(
            source, f"events[{i - own_events}].actor", f"{why} ({checked}); expected {expected}"
        )


def _text(v: Any, source: str, fld: str) -> str:
    if not isinstance(v, str):
        raise ScenarioError(source, fld, f"expected text, got {v!r}")
    return v


def _actors(v: Any, source: str, fld: str, w: World) -> list[str]:
    if not isinstance(v, list):
        raise ScenarioError(source, fld, f"expected a list of actor ids, got {v!r}")
    out = []
    for t in v:
        a = w.resolve(t) if isinstance(t, str) else None
        if a is None or a == REST:
            raise ScenarioError(
                source, fld, f"unknown country {t!r}; expected one of {', '.join(w.state_ids)}"
            )
        if a not in out:
            out.append(a)
    return out


def _no_rivals(ids: list[str], source: str, fld: str) -> list[str]:
    """``ids``, refused if it names a rival: the model gives China, Russia and Brazil the
    pressurer's role only, never a signatory's or a participant's."""
    rivals = [a for a in ids if a in RIVALS]
    if rivals:
        raise ScenarioError(
            source,
            fld,
            f"{rivals[0]} is a rival, which never signs nor takes part; expected none of "
            f"{', '.join(RIVALS)}",
        )
    return ids


def _signers(v: Any, source: str, fld: str, w: World) -> list[str]:
    """A list of states that may be members or participants: actor ids, no rival."""
    return _no_rivals(_actors(v, source, fld, w), source, fld)


def _param(k: str, v: Any, source: str, fld: str, w: World) -> Any:
    try:
        value = coerce(k, v)
    except ParameterError as e:
        raise ScenarioError(source, fld, e.detail) from None
    if registry()[k].type == "actors":
        value = _actors(value, source, fld, w)
    return value


def _int_in(v: Any, lo: int, hi: int, source: str, fld: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise ScenarioError(source, fld, f"expected a whole number in [{lo}, {hi}], got {v!r}")
    return v


def _fraction(v: Any, source: str, fld: str) -> float:
    x = math.nan
    if isinstance(v, int | float) and not isinstance(v, bool):
        try:
            x = float(v)
        except OverflowError:  # an integer beyond the float range (TOML integers are unbounded)
            pass
    if not 0.0 <= x <= 1.0:  # also refuses NaN
        raise ScenarioError(source, fld, f"expected a share in [0, 1], got {v!r}")
    return x


def _missing(kind: str, w: World) -> str:
    """The message for a required field left out: what a value of ``kind`` looks like."""
    expected = {
        "phase": f"a whole number in [1, {w.n_phases}]",
        "quarters": f"a whole number in [1, {MAX_QUARTER}]",
        "fraction": "a share in [0, 1]",
        "actor": f"an actor id, one of {', '.join(w.state_ids)}",
        "text": "text",
    }[kind]
    return f"missing; expected {expected}"


def _table_list(v: Any, source: str, fld: str) -> list[dict]:
    if not isinstance(v, list) or not all(isinstance(x, dict) for x in v):
        raise ScenarioError(source, fld, f"expected an array of tables ([[{fld}]]), got {v!r}")
    return v


def _capacity(v: Any, source: str, w: World) -> list[dict]:
    out = []
    trial = w.copy()
    for i, row in enumerate(_table_list(v, source, "capacity")):
        fld = f"capacity[{i}]"
        unknown = set(row) - CAPACITY_KEYS
        if unknown:
            raise ScenarioError(
                source,
                f"{fld}.{sorted(unknown)[0]}",
                f"unknown key; expected {', '.join(sorted(CAPACITY_KEYS))}",
            )
        for req, kind in CAPACITY_REQUIRED.items():
            if req not in row:
                raise ScenarioError(source, f"{fld}.{req}", _missing(kind, w))
        basis = row.get("basis", "volume")
        if basis not in ("volume", "frontier"):
            raise ScenarioError(
                source, f"{fld}.basis", f'expected "volume" or "frontier", got {basis!r}'
            )
        phase = _int_in(row["phase"], 1, w.n_phases, source, f"{fld}.phase")
        if basis == "frontier" and not w.segmented[phase - 1]:
            raise ScenarioError(
                source,
                f"{fld}.basis",
                f"phase {phase} has no frontier segment of its own (its frontier is its "
                'volume); expected basis = "volume"',
            )
        ov = {
            "phase": phase,
            "actor": _actors([row["actor"]], source, f"{fld}.actor", w)[0],
            "share": _fraction(row["share"], source, f"{fld}.share"),
            "basis": basis,
        }
        apply_capacity_override(trial, ov, source)
        out.append(ov)
    return out


def _events(v: Any, source: str, w: World) -> list[Event]:
    out = []
    for i, row in enumerate(_table_list(v, source, "events")):
        fld = f"events[{i}]"
        if "type" not in row:
            raise ScenarioError(
                source, f"{fld}.type", f"missing; expected one of {', '.join(EVENT_TYPES)}"
            )
        etype = row["type"]
        if not isinstance(etype, str) or etype not in EVENT_TYPES:
            raise ScenarioError(
                source, f"{fld}.type", f"expected one of {', '.join(EVENT_TYPES)}, got {etype!r}"
            )
        spec = EVENT_TYPES[etype]
        unknown = set(row) - set(spec) - {"type", "quarter"}
        if unknown:
            allowed = ", ".join(["quarter", "type", *spec])
            raise ScenarioError(
                source,
                f"{fld}.{sorted(unknown)[0]}",
                f"unknown key for a {etype} event; expected {allowed}",
            )
        if "quarter" not in row:
            raise ScenarioError(source, f"{fld}.quarter", _missing("quarters", w))
        kw: dict[str, Any] = {
            "quarter": _int_in(row["quarter"], 1, MAX_QUARTER, source, f"{fld}.quarter"),
            "type": etype,
        }
        for name, (kind, required) in spec.items():
            if name not in row:
                if required:
                    raise ScenarioError(source, f"{fld}.{name}", _missing(kind, w))
                continue
            val = row[name]
            if kind == "actor":
                kw[name] = _actors([val], source, f"{fld}.{name}", w)[0]
                if etype == "invite":
                    _no_rivals([kw[name]], source, f"{fld}.{name}")
                if etype == "force_out" and kw[name] == LEADER:
                    raise ScenarioError(
                        source,
                        f"{fld}.{name}",
                        f"the leader ({LEADER}) cannot be forced out of its "
                        "own alliance; expected another signatory",
                    )
            elif kind == "fraction":
                kw[name] = _fraction(val, source, f"{fld}.{name}")
            elif kind == "quarters":
                kw[name] = _int_in(val, 1, MAX_QUARTER, source, f"{fld}.{name}")
            else:
                kw[name] = _text(val, source, f"{fld}.{name}")
        out.append(Event(**kw))
    return out
