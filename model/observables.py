"""What the model says about the 2025-26 record: the calibration targets of issue 13.

``model/data/calibration/targets.toml`` lists each target: a calibration scenario of that
folder, an observable, a quarter and what the record says. ``simulate`` runs each scenario
a few seeded times, short (only to the latest quarter any target reads), with the given
parameters, and returns every target's simulated value. Calibration
(``experiments/calibrate.py``) and the claims ledger read the model only through here, so
both see the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from model.model import PaxSilicaModel
from model.scenario import Scenario, load_scenario
from model.tomltables import FieldCheck, tables

CALIBRATION_DIR = Path(__file__).parent / "data" / "calibration"
TARGETS_FILE = CALIBRATION_DIR / "targets.toml"
OBSERVABLES = ("price_ratio", "exit_share", "joined_share", "joined_others")
# A short run needs few investors: no target reads capital, and investors move no state.
CALIBRATION_INVESTORS = 50


class TargetError(ValueError):
    """A targets file the calibration cannot use; the message names the target and field."""


@dataclass(frozen=True)
class Target:
    """One observed fact of the record, and where in the model to read it."""

    name: str
    scenario: str
    observable: str
    quarter: int
    observed: float
    band: tuple[float, float]
    source: str
    held_out: bool
    actors: tuple[str, ...] = ()

    def matches(self, value: float) -> bool:
        """Whether a simulated value lies in the band a reader would call a match."""
        return self.band[0] <= value <= self.band[1]


def parse_targets(text: str, origin: str = "targets.toml") -> list[Target]:
    """The targets of a ``targets.toml``-style text, in file order; ``TargetError`` naming
    the target and field for the first entry it cannot accept."""
    raw = tables(text, origin, TargetError, "target")
    return [_target(name, entry, origin) for name, entry in raw.items()]


def _target(name: str, e: Any, origin: str) -> Target:
    check = FieldCheck(origin, name, e, TargetError)
    bad = check.bad
    check.require_table()
    scen = e.get("scenario")
    if not isinstance(scen, str) or not (
        scen == "baseline" or (CALIBRATION_DIR / f"{scen}.toml").is_file()
    ):
        raise bad("scenario", "'baseline' or a scenario file of model/data/calibration")
    if e.get("observable") not in OBSERVABLES:
        raise bad("observable", f"one of {', '.join(OBSERVABLES)}")
    q = e.get("quarter")
    if not isinstance(q, int) or isinstance(q, bool) or not 1 <= q <= 40:
        raise bad("quarter", "a whole number of quarters in [1, 40]")
    obs = e.get("observed")
    if not isinstance(obs, int | float) or isinstance(obs, bool):
        raise bad("observed", "a number")
    band = e.get("band")
    if (
        not isinstance(band, list)
        or len(band) != 2
        or not all(isinstance(b, int | float) and not isinstance(b, bool) for b in band)
        or not band[0] <= obs <= band[1]
    ):
        raise bad("band", "[low, high] around the observed value")
    if not isinstance(e.get("source"), str) or not e["source"].strip():
        raise bad("source", "where the record says it")
    if not isinstance(e.get("held_out"), bool):
        raise bad("held_out", "true or false")
    actors = e.get("actors", [])
    if e["observable"] in ("joined_share", "joined_others") and (
        not isinstance(actors, list) or not actors or not all(isinstance(a, str) for a in actors)
    ):
        raise bad("actors", "a non-empty list of actor ids")
    return Target(
        name=name,
        scenario=e["scenario"],
        observable=e["observable"],
        quarter=q,
        observed=float(obs),
        band=(float(band[0]), float(band[1])),
        source=e["source"],
        held_out=e["held_out"],
        actors=tuple(actors),
    )


@cache
def targets() -> tuple[Target, ...]:
    """The record's targets, read once from ``data/calibration/targets.toml``."""
    return tuple(parse_targets(TARGETS_FILE.read_text(encoding="utf-8"), TARGETS_FILE.name))


def fitted() -> list[Target]:
    """The targets the calibration fits (not held out)."""
    return [t for t in targets() if not t.held_out]


def held_out() -> list[Target]:
    """The targets kept out of the calibration: its posterior predictive checks."""
    return [t for t in targets() if t.held_out]


@cache
def _scenario(name: str) -> Scenario:
    if name == "baseline":
        return load_scenario("baseline")
    return load_scenario(CALIBRATION_DIR / f"{name}.toml")


def simulate(
    params: dict[str, Any],
    seed: int,
    replications: int = 8,
    chosen: list[Target] | tuple[Target, ...] | None = None,
) -> dict[str, float]:
    """Each target's simulated value over ``replications`` runs per scenario (seeds
    ``seed``, ``seed + 1``, ...), with ``params`` over the scenario's own values."""
    chosen = list(targets() if chosen is None else chosen)
    values: dict[str, list[float]] = {t.name: [] for t in chosen}
    for scen_name in dict.fromkeys(t.scenario for t in chosen):
        mine = [t for t in chosen if t.scenario == scen_name]
        horizon = max(t.quarter for t in mine)
        scen = _scenario(scen_name)
        for r in range(replications):
            m = PaxSilicaModel(
                scen,
                rng=seed + r,
                collect=False,
                **{"n_investors": CALIBRATION_INVESTORS, **params, "steps": horizon},
            )
            start = set(m.member_ids())
            for q in range(1, horizon + 1):
                m.step()
                for t in mine:
                    if t.quarter == q:
                        values[t.name].append(_read(t, m, start))
    return {k: float(np.mean(v)) for k, v in values.items()}


def _read(t: Target, m: PaxSilicaModel, start: set[str]) -> float:
    """One run's value of ``t`` at this quarter."""
    if t.observable == "price_ratio":
        return float(m.price_index)
    if t.observable == "exit_share":
        return float(m.defectors > 0 or bool(m.left_at))
    members = set(m.member_ids())
    if t.observable == "joined_share":
        return sum(a in members for a in t.actors) / len(t.actors)
    return float(len(members - start - set(t.actors)))
