"""Pressurers: the coercion game.

China, Russia, Brazil and (once it feels left out) the EU try to peel members away.
Each quarter a pressurer ranks members by *expected damage to the alliance per unit of
cost* -- the member's value to the alliance (:func:`target_value`) times its
vulnerability (exposure to the pressurer's market times one minus its resistance), over
what coercing it costs the pressurer (lost imports and the risk of retaliation by a
holder of chokepoints) -- and spends its budget down the ranking, at most
``max_pressure_per_target`` units per target (:meth:`Pressurer.rank`,
:meth:`Pressurer.allocate`). A unit is split between market denial and inducements
(carrots). Pressure lands (:func:`pain_landed`) harder when several pressurers
coordinate in a counter-alliance and softer on a holder of chokepoints. In a
counter-alliance, the other pressurers follow China's ranking (:func:`rule_allocation`).

Each pressurer coerces through instruments of its own, read from data
(:data:`INSTRUMENTS`, :func:`exposure_of`): China, its market (and its refining controls,
``agents/china.py``); Russia, its market and the energy and fertiliser it sells; Brazil,
its market and the minerals it sells; the EU, its market and its rules, against which a
US security tie is no shelter (:func:`resistance_to`).

China's own rules -- escalation, export controls, truces, its budget -- are in
``agents/china.py``; the EU's turn from partner to pressurer is :func:`eu_turns`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from types import MappingProxyType

import numpy as np

from agents.parameters import Parameters
from agents.policy import PressurerChoice, PressurerView, Target

CHINA = "CHN"
EU = "EUR"  # a pressurer only once it turns (``eu_turns``), or from the start if outside
PRESSURERS = ("CHN", "RUS", "BRA", "EUR")
RIVALS = ("CHN", "RUS", "BRA")  # pressurers that never sign
# What each pressurer can withhold from a state, as the columns of model/data/actors.csv
# that measure the state's stake in it (% of its GDP): its exports to the pressurer's
# market, and what it buys from the pressurer that is hard to replace.
INSTRUMENTS = {
    "CHN": ("exports_to_china_pct_gdp",),  # its market (its refining controls: china.py)
    "RUS": ("exports_to_russia_pct_gdp", "energy_from_russia_pct_gdp"),  # + energy, fertiliser
    "BRA": ("exports_to_brazil_pct_gdp", "minerals_from_brazil_pct_gdp"),  # + minerals
    "EUR": ("exports_to_eu_pct_gdp",),  # its market, under its rules (``resistance_to``)
}
# Pressurers whose instruments a US security tie does not shelter a member from.
UNSHELTERED = ("EUR",)
BUDGET_PARAM = {
    "CHN": "china_budget",
    "RUS": "russia_budget",
    "BRA": "brazil_budget",
    "EUR": "eu_budget",
}


class Stance(StrEnum):
    """The EU's stance towards the alliance's members."""

    PARTNER = "partner"
    PRESSURER = "pressurer"


@dataclass(frozen=True, slots=True)
class PressureParams(Parameters):
    """How pressure works (names as in parameters.toml)."""

    market_denial_effect: float
    inducement_effect: float
    inducement_share: float
    coordination_bonus: float
    counter_alliance: bool
    chokepoint_shield: float
    chokepoint_china_share: float
    max_pressure_per_target: float
    pressure_intensity: float
    china_budget: float
    russia_budget: float
    brazil_budget: float
    eu_budget: float


@dataclass
class Pressurer:
    """The pressure policy of one actor."""

    actor_id: str
    active: bool = True
    spent: list[float] = field(default_factory=list)  # units per quarter, most recent last

    def budget(self, pp: PressureParams, escalation: float) -> float:
        """Units of pressure a quarter: the actor's budget times the intensity; China's
        grows with its escalation."""
        b = getattr(pp, BUDGET_PARAM[self.actor_id]) * pp.pressure_intensity
        return b * escalation if self.actor_id == CHINA else b

    def rank(self, targets: list[Target], deterrence: float, cost_unit: float) -> list[Target]:
        """Targets in order of expected damage per unit cost (ties broken by id, so the
        order does not depend on how agents were created).

        The cost of coercing a target is the imports the pressurer gives up (exposure in %
        of GDP times GDP in US$bn, over ``cost_unit``: 10,000 counts US$100bn of imports
        as one unit) plus the risk of retaliation in kind: ``deterrence`` times the
        frontier shares the target holds in phases the pressurer cannot supply itself
        (Taiwan's fabs, Dutch EUV, Japanese resists). Mutual dependence deters coercion."""

        def score(t: Target) -> float:
            vulnerability = t.exposure * (1.0 - t.resistance)
            cost = 1.0 + t.exposure * t.gdp_usd_bn / cost_unit + deterrence * t.chokepoints
            return t.value * vulnerability / cost

        # Highest score first; ids are unique, so the sort never compares targets.
        keyed = sorted([(-score(t), t.id, t) for t in targets if t.exposure > 0])
        return [t for _, _, t in keyed]

    def allocate(
        self, ranked: list[Target], budget: float, per_target: float
    ) -> list[tuple[Target, float]]:
        """Spend the budget down the ranking, at most ``per_target`` units each."""
        out = []
        left = budget
        for t in ranked:
            if left <= 1e-12:
                break
            u = min(per_target, left)
            out.append((t, u))
            left -= u
        return out


def presses(active: bool, is_member: bool) -> bool:
    """Whether a pressurer presses this quarter: it is active (China, Russia and Brazil
    always; the EU once it has turned) and not itself a member. A state that signs stops
    pressuring its fellow members; it takes up pressure again if it leaves."""
    return active and not is_member


def exposure_of(actor, pressurer_id: str) -> float:
    """A state's stake in what the pressurer can withhold, % of its GDP: the sum of its
    instruments' columns (:data:`INSTRUMENTS`; ``actor``: the state's data). Russia can
    cut India's oil as well as close its market; Brazil its iron ore and niobium."""
    return sum(getattr(actor, field) for field in INSTRUMENTS[pressurer_id])


@cache
def exposures(actor) -> MappingProxyType:
    """A state's :func:`exposure_of` to every pressurer, read-only: the figures are fixed
    (an ``Actor`` record is immutable), so each record's are summed once per process,
    not each time a model is built or a state weighs signing."""
    return MappingProxyType({pid: exposure_of(actor, pid) for pid in PRESSURERS})


def resistance_to(pressurer_id: str, resistance: float, base: float) -> float:
    """A member's resistance to one pressurer: its resistance (a base plus the shelter of
    a US security tie, ``agents.state.resistance``), except against the EU, whose
    instruments are its market and its rules (standards, screening, its anti-coercion
    instrument): a US security guarantee deters a rival's coercion, not an ally's
    regulation, so against the EU only the ``base`` counts."""
    return base if pressurer_id in UNSHELTERED else resistance


def target_value(weight: float, members_weight: float) -> float:
    """A member's value to the alliance as a pressurer sees it: its weight (the phases it
    carries and its economy, ``agents.state.member_weights``) as a share of the weight of
    all the members but the leader (``members_weight``). Peeling off Japan or South Korea
    is worth more than peeling off Greece, as the collapse rule counts it."""
    return weight / members_weight if members_weight > 0 else 0.0


def chokepoints(frontier_share: np.ndarray, china_row: int, china_below: float) -> np.ndarray:
    """Each actor's frontier shares summed over the phases where China's own frontier
    share is below ``china_below``: what China cannot supply itself."""
    china_short = frontier_share[china_row] < china_below
    return frontier_share[:, china_short].sum(axis=1)


def rule_allocation(
    pr: Pressurer,
    targets: list[Target],
    budget: float,
    per_target: float,
    deterrence: float,
    cost_unit: float,
    follow: list[str] | None = None,
) -> dict[str, float]:
    """The rule of Russia, Brazil and the EU: follow China's ranking ``follow`` when given
    (a counter-alliance), else rank by expected damage per unit of cost; spend the budget
    down the ranking."""
    if follow is not None:
        order = {code: i for i, code in enumerate(follow)}
        ranked = sorted(targets, key=lambda t: order.get(t.id, 10**6))
    else:
        ranked = pr.rank(targets, deterrence, cost_unit)
    return {t.id: u for t, u in pr.allocate(ranked, budget, per_target)}


class RuleBasedPressurer:
    """The model's own rule for Russia, Brazil and the EU (:func:`rule_allocation`)."""

    def decide(self, view: PressurerView) -> PressurerChoice:
        return PressurerChoice(
            rule_allocation(
                Pressurer(view.actor),
                view.targets,
                view.budget,
                view.max_per_target,
                view.deterrence,
                view.cost_unit,
                view.china_ranking,
            )
        )


def pressure_pain(
    units: float,
    exposure: float,
    resistance: float,
    pp: PressureParams,
    coordination: float = 1.0,
    inducement_share: float | None = None,
) -> float:
    """Pain a target takes from ``units`` of pressure: the denial share hits its exports
    to the pressurer, weakened by its resistance; the inducement share pulls directly."""
    iota = pp.inducement_share if inducement_share is None else inducement_share
    denial = (1.0 - iota) * units * pp.market_denial_effect * exposure
    inducement = iota * units * pp.inducement_effect
    return coordination * ((1.0 - resistance) * denial + inducement)


def pain_landed(
    units_by: dict[str, float],
    exposure_by: dict[str, float],
    resistance_by: dict[str, float],
    chokepoints: float,
    china_inducement: float,
    pp: PressureParams,
) -> dict[str, float]:
    """How this quarter's pressure lands on one member, by pressurer (its exposure and
    resistance to each: :func:`exposure_of`, :func:`resistance_to`).

    In a counter-alliance, pressure from more than one pressurer bites harder (times
    ``1 + coordination_bonus``); a member holding chokepoints is shielded (divided by
    ``1 + chokepoint_shield x chokepoints``); China's units use the inducement share
    China chose."""
    multi = 1.0 + pp.coordination_bonus if pp.counter_alliance else 1.0
    coordination = multi if len(units_by) > 1 else 1.0
    shield = 1.0 + pp.chokepoint_shield * chokepoints
    return {
        pid: pressure_pain(
            units,
            exposure_by[pid],
            resistance_by[pid],
            pp,
            coordination,
            china_inducement if pid == CHINA else None,
        )
        / shield
        for pid, units in units_by.items()
    }


def pressure_streaks(streak: dict[str, int], received: dict[str, float]) -> dict[str, int]:
    """Consecutive quarters under each pressurer: one more for each that pressed this
    quarter, and a streak ends when its pressurer did not press."""
    return {pid: streak.get(pid, 0) + 1 for pid in received}


def eu_initial_stance(eu_outside: bool) -> Stance:
    """An EU left wholly outside the alliance starts as a pressurer, else as a partner."""
    return Stance.PRESSURER if eu_outside else Stance.PARTNER


def eu_turns(stance: Stance, eu_is_member: bool, reversals: int, threshold: int) -> bool:
    """Whether the EU turns from partner to pressurer: it is not a member and has seen at
    least ``threshold`` US policy reversals (every reversal counts, scripted or drawn,
    whether or not the EU was a member then)."""
    return stance == Stance.PARTNER and not eu_is_member and reversals >= threshold
