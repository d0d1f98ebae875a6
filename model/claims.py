"""The claims ledger (issue 13, point 4): the paper's claims C1-C6 as data, and the runs
that test them over a posterior.

``model/data/claims.toml`` holds one entry per testable claim (its fields are described at
the top of that file). This module reads and checks it, computes the data-only claims
(C1-C3) through the table code, and runs one posterior draw of every distributional entry
(``run_draw``): each arm (a dose of the cause, or one preset of a pair) with the same
seeds and the same drawn parameters, the cause set explicitly, so the arms differ in the
cause alone (common random numbers). The statistics over draws, the PRIM boxes and the
reports are in ``experiments/claims.py``; nothing here re-implements a rule.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from model.observables import simulate, targets
from model.params import DATA_DIR, ParameterError, coerce, defaults, registry, uncertain
from model.posterior import Posterior, posterior_overrides
from model.replicate import replicate
from model.scenario import Scenario, changed_parameters, load_scenario, preset_names
from model.table import paper_table
from model.tomltables import FieldCheck, tables
from model.world import member_sets

LEDGER_FILE = DATA_DIR / "claims.toml"
KINDS = ("table", "dose", "presets")
ROLES = ("primary", "secondary")
EXPECTED = ("increase", "decrease")
CHECKS = ("c1", "c2", "c3")
OUTCOMES = ("event_observed", "final_capital_committed", "time_to_collapse", "final_members")
DIFFERENCES = ("members", "participants", "events", "capacity")
CONDITIONS = ("sustained_pressure",)
MAX_REPS = 100  # run seeds of a draw: draw_seed * MAX_REPS + r, r < reps


class ClaimError(ValueError):
    """A ledger entry the claims command cannot use; the message names entry and field."""


@dataclass(frozen=True)
class Entry:
    """One testable claim of the ledger."""

    id: str
    claim: str
    words: str
    role: str
    kind: str
    statistic: str
    check: str = ""
    scenario: str = ""
    cause: str = ""
    doses: tuple = ()
    control: str = ""
    treated: str = ""
    differs_in: tuple[str, ...] = ()
    condition: str = ""
    outcome: str = ""
    expected: str = ""
    note: str = ""

    @property
    def sign(self) -> int:
        """+1 if the paper says the outcome rises from the first arm to the last."""
        return 1 if self.expected == "increase" else -1

    def arms(self) -> list[Arm]:
        """The runs of one draw this entry compares, first (low dose, control) to last."""
        cond = condition_params(self.condition)
        if self.kind == "dose":
            return [arm(self.scenario, {**cond, self.cause: d}) for d in self.doses]
        if self.kind == "presets":
            return [arm(self.control, cond), arm(self.treated, cond)]
        return []

    def labels(self) -> list[str]:
        if self.kind == "dose":
            return [_fmt(d) for d in self.doses]
        return [self.control, self.treated]


@dataclass(frozen=True)
class Arm:
    """A scenario and the explicit overrides of its runs (the cause, the condition)."""

    scenario: str
    overrides: tuple[tuple[str, Any], ...] = field(default_factory=tuple)

    @property
    def key(self) -> str:
        if not self.overrides:
            return self.scenario
        return self.scenario + "|" + ",".join(f"{k}={_fmt(v)}" for k, v in self.overrides)


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def arm(scenario: str, overrides: dict[str, Any]) -> Arm:
    """An arm, with the overrides that equal the scenario's own values dropped (so that
    the baseline at the default dose is the baseline, run once)."""
    own = load_scenario(scenario).params
    kept = tuple(sorted((k, v) for k, v in overrides.items() if own.get(k) != v))
    return Arm(scenario, kept)


@cache
def condition_params_items(name: str) -> tuple[tuple[str, Any], ...]:
    if not name:
        return ()
    changed = changed_parameters(load_scenario(name), load_scenario("baseline"))
    return tuple(sorted(changed.items()))


def condition_params(name: str) -> dict[str, Any]:
    """The parameters a condition preset changes against the baseline."""
    return dict(condition_params_items(name))


def preset_difference(control: str, treated: str) -> list[str]:
    """What two presets differ in: "members", "participants", "events", "capacity" and
    the names of the parameters they set differently (sorted)."""
    a, b = load_scenario(control), load_scenario(treated)
    out = []
    if a.members != b.members:
        out.append("members")
    if a.participants != b.participants:
        out.append("participants")
    if a.events != b.events:
        out.append("events")
    if a.capacity != b.capacity:
        out.append("capacity")
    names = set(a.params) | set(b.params)
    out += sorted(k for k in names if a.params.get(k) != b.params.get(k))
    return out


# --------------------------------------------------------------------- the ledger -----
def parse_ledger(text: str, origin: str = "claims.toml") -> list[Entry]:
    """The entries of a ``claims.toml``-style text, in file order; ``ClaimError`` naming
    the entry and field for the first it cannot accept."""
    raw = tables(text, origin, ClaimError, "entry")
    return [_entry(name, e, origin) for name, e in raw.items()]


def _entry(name: str, e: Any, origin: str) -> Entry:
    check = FieldCheck(origin, name, e, ClaimError)
    bad = check.bad

    def text(f: str, required: bool = True) -> str:
        v = e.get(f, "" if not required else None)
        if not isinstance(v, str) or (required and not v.strip()):
            raise bad(f, "a non-empty string")
        return v

    check.require_table()
    claim = text("claim")
    if claim not in {f"C{i}" for i in range(1, 7)}:
        raise bad("claim", "one of C1 .. C6")
    kind = text("kind")
    if kind not in KINDS:
        raise bad("kind", f"one of {', '.join(KINDS)}")
    role = text("role")
    if role not in ROLES:
        raise bad("role", f"one of {', '.join(ROLES)}")
    common = dict(
        id=name,
        claim=claim,
        words=text("words"),
        role=role,
        kind=kind,
        statistic=text("statistic"),
        note=text("note", required=False),
    )
    if kind == "table":
        if e.get("check") not in CHECKS:
            raise bad("check", f"one of {', '.join(CHECKS)}")
        return Entry(**common, check=e["check"])
    if e.get("outcome") not in OUTCOMES:
        raise bad("outcome", f"one of {', '.join(OUTCOMES)}")
    if e.get("expected") not in EXPECTED:
        raise bad("expected", "'increase' or 'decrease'")
    cond = e.get("condition", "")
    if cond not in ("", *CONDITIONS):
        raise bad("condition", f"one of {', '.join(CONDITIONS)}")
    presets = preset_names()
    more = dict(outcome=e["outcome"], expected=e["expected"], condition=cond)
    if kind == "dose":
        if e.get("scenario") not in presets:
            raise bad("scenario", "a preset name (pax-silica scenarios)")
        cause = e.get("cause")
        spec = registry().get(cause) if isinstance(cause, str) else None
        if spec is None or spec.type not in ("float", "int", "bool"):
            raise bad("cause", "a numeric or true/false parameter of parameters.toml")
        doses = e.get("doses")
        if not isinstance(doses, list) or len(doses) < 2:
            raise bad("doses", "a list of at least two values of the cause")
        try:
            doses = [coerce(cause, d) for d in doses]
        except ParameterError as err:
            raise ClaimError(f"{origin}: {name}.doses: {err.detail}") from None
        if len(set(doses)) != len(doses) or doses != sorted(doses):
            raise bad("doses", "distinct values in increasing order")
        if cause in condition_params(cond):
            raise bad("cause", f"a parameter the condition {cond} does not set")
        return Entry(**common, **more, scenario=e["scenario"], cause=cause, doses=tuple(doses))
    for f in ("control", "treated"):
        if e.get(f) not in presets:
            raise bad(f, "a preset name (pax-silica scenarios)")
    declared = e.get("differs_in")
    if (
        not isinstance(declared, list)
        or not declared
        or not all(isinstance(x, str) for x in declared)
    ):
        raise bad("differs_in", "a non-empty list of what the two presets differ in")
    actual = preset_difference(e["control"], e["treated"])
    if sorted(declared) != sorted(actual):
        raise ClaimError(
            f"{origin}: {name}.differs_in: expected what {e['control']} and {e['treated']} "
            f"differ in: {actual}; got {declared}"
        )
    return Entry(
        **common,
        **more,
        control=e["control"],
        treated=e["treated"],
        differs_in=tuple(declared),
    )


@cache
def ledger() -> tuple[Entry, ...]:
    """The claims ledger, read once from ``data/claims.toml``."""
    return tuple(parse_ledger(LEDGER_FILE.read_text(encoding="utf-8"), LEDGER_FILE.name))


def file_hash(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


# ----------------------------------------------------------- C1-C3: from the data -----
class _Reading(dict):
    """A parameter dict that records the names read from it."""

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.read: set[str] = set()

    def __getitem__(self, k):
        self.read.add(k)
        return super().__getitem__(k)

    def get(self, k, default=None):
        self.read.add(k)
        return super().get(k, default)


CHINA_PHASES = {1, 2, 8, 11, 12}
ALIGNED_PHASES = {3, 4, 5, 6, 7, 9, 10}
NON_SIGNATORY_LED = {6, 7, 10}
KEY_NODES = ["TWN", "NLD", "CAN"]


def _table(scen: Scenario, members: list[str], reading: _Reading):
    participants = [a for a in scen.participants if a not in members]
    return paper_table(scen.world(), members, participants, reading)


def table_check(check: str) -> dict[str, Any]:
    """A data-only claim (C1, C2 or C3) from the table code: whether it holds, the figures
    behind the verdict, and which parameters the table read (``uncertain_read`` lists the
    uncertain ones: none means no posterior draw can change the verdict)."""
    scen = load_scenario("baseline")
    reading = _Reading(scen.params)
    facts: dict[str, Any] = {}
    if check == "c1":
        ok = True
        for mset in ("intro_12", "part_two_10"):
            t = _table(scen, member_sets()[mset]["members"], reading)
            china = {r.phase for r in t.rows if r.advantage == "China"}
            aligned = {r.phase for r in t.rows if r.advantage == "Pax Silica"}
            led = {r.phase for r in t.rows if r.led_by_non_signatory_participant}
            every = all(r.top_contributors for r in t.rows)
            ok &= china == CHINA_PHASES and aligned == ALIGNED_PHASES
            ok &= every and led == NON_SIGNATORY_LED
            facts[mset] = {
                "china_phases": sorted(china),
                "aligned_phases": sorted(aligned),
                "led_by_non_signatories": sorted(led),
                "every_phase_has_a_signatory": every,
            }
    elif check == "c2":
        t = _table(scen, scen.members + KEY_NODES, reading)
        uncovered = sorted(r.phase for r in t.rows if not r.covered)
        ok = uncovered == [2] and t.rows[1].advantage == "China"
        facts = {"uncovered_phases": uncovered, "refining_advantage": t.rows[1].advantage}
    elif check == "c3":
        t = _table(scen, scen.members, reading)
        ok = t.bottleneck == 2 and t.supply_security < 1.0
        facts = {"bottleneck": t.bottleneck, "supply_security": round(t.supply_security, 4)}
    else:
        raise ClaimError(f"check: expected one of {', '.join(CHECKS)}; got {check!r}")
    names = {s.name for s in uncertain()}
    return {
        "holds": bool(ok),
        "facts": facts,
        "parameters_read": sorted(reading.read),
        "uncertain_read": sorted(reading.read & names),
    }


# ------------------------------------------------------- C4-C6: one posterior draw -----
def run_seeds(draw_seed: int, reps: int) -> list[int]:
    """The seeds of a draw's runs: the same in every arm (common random numbers)."""
    if not 1 <= reps <= MAX_REPS:
        raise ValueError(f"reps: expected a whole number in [1, {MAX_REPS}]; got {reps}")
    return [int(draw_seed) * MAX_REPS + r for r in range(reps)]


def run_arm(arm_: Arm, post: Posterior | None, draw_seed: int, reps: int) -> dict[str, list]:
    """Outcomes of ``reps`` runs of one arm at one posterior draw: the particle of
    ``draw_seed`` (by weight) for every run, except what the scenario sets itself, and the
    arm's overrides over both."""
    scen = load_scenario(arm_.scenario)
    drawn = posterior_overrides(post, scen, draw_seed)
    params = {**drawn, **dict(arm_.overrides)}
    out: dict[str, list] = {k: [] for k in OUTCOMES}
    for m in replicate(scen, run_seeds(draw_seed, reps), collect=False, **params):
        o = m.outcome()
        for k in OUTCOMES:
            out[k].append(float(o[k]))
    return out


def run_draw(
    arms: list[Arm],
    post: Posterior | None,
    draw_seed: int,
    reps: int,
    calibration_reps: int = 0,
) -> dict[str, Any]:
    """Every arm at one draw, and (``calibration_reps`` > 0) every calibration target's
    simulated value with the draw's parameters: the work of one task."""
    out: dict[str, Any] = {"arms": {a.key: run_arm(a, post, draw_seed, reps) for a in arms}}
    if calibration_reps:
        params = post.draw(draw_seed) if post is not None else {}
        out["targets"] = simulate(params, int(draw_seed) * MAX_REPS, calibration_reps, targets())
    return out


def drawn_values(post: Posterior, draw_seeds: list[int]) -> np.ndarray:
    """The uncertain parameters of each draw's particle: draws x parameters."""
    return post.values[[post.index(s) for s in draw_seeds]]


def scenario_sets(entry: Entry) -> set[str]:
    """The uncertain parameters an entry's runs do not take from the posterior: the cause
    and what its scenarios or condition set away from the defaults."""
    base = defaults()
    names = {entry.cause} if entry.cause else set()
    names |= set(condition_params(entry.condition))
    for a in entry.arms():
        scen = load_scenario(a.scenario)
        names |= {k for k, v in scen.params.items() if v != base[k]}
    return names & {s.name for s in uncertain()}
