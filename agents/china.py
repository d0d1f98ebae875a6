"""China: the pressurer that holds the refining chokepoint.

China presses members like the other pressurers (``agents/pressurer.py``), with a budget
that grows with its *escalation*. It escalates when the alliance gains ground -- states
joining, the members' share of refining rising (:func:`escalate`) -- as far as a year of
coercion has left it room for, weighed against what its pressure has gained
(:func:`coercion_headroom`) -- and de-escalates otherwise. Above ``control_escalation``
it adds export controls on refined inputs, up to ``control_stringency`` at the ceiling
(:func:`control_stringency`), which raise the price index for everyone
(``agents/market.py``). It seeks a truce when a year's pressure has cost
``truce_cost_share`` of a year's budget (:func:`truce_threshold`, :class:`RuleBasedChina`);
a truce suspends pressure and controls, resets escalation to 1 and clears its spending
record. Its capacity grows on its own trend (:func:`grow_capacity`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents.parameters import Parameters
from agents.policy import ChinaChoice, ChinaView
from agents.pressurer import CHINA, Pressurer


@dataclass(frozen=True, slots=True)
class EscalationParams(Parameters):
    """How China escalates and controls (names as in parameters.toml)."""

    deescalation: float
    escalation_rate: float
    escalation_refining_weight: float
    max_escalation: float
    control_escalation: float
    control_stringency: float


def escalate(
    escalation: float,
    joins: int,
    refining_gain: float,
    gain_before: float,
    headroom: float,
    ep: EscalationParams,
) -> float:
    """Next quarter's escalation (outside a truce): last quarter's excess over 1 decays by
    ``deescalation``; each state that joined and each point of new refining share the
    members gained since last quarter (weighted by ``escalation_refining_weight``) push
    it up by ``escalation_rate``, in proportion to China's ``headroom``
    (:func:`coercion_headroom`): a coercer whose year of pressure has already cost nearly
    what it will bear for what it gained answers a new threat less; it stays within
    [1, ``max_escalation``]."""
    threat = joins + ep.escalation_refining_weight * max(0.0, refining_gain - gain_before)
    pushed = (
        1.0
        + (escalation - 1.0) * (1.0 - ep.deescalation)
        + ep.escalation_rate * (threat * headroom)
    )
    return float(min(max(pushed, 1.0), ep.max_escalation))


def coercion_headroom(cost: float, threshold: float, peeled: int) -> float:
    """How much of what China will bear for its gains a year of coercion has left unspent,
    in [0, 1]: one minus the year's ``cost`` over the truce threshold earned by its gains
    (``threshold`` units for each member ``peeled`` off in the year, plus one: as in
    :func:`seeks_truce`). Both sides are counted against China's own means, so scaling
    its budget leaves the headroom as it was; pressure that pays leaves more of it. With
    no truce threshold (no truce is sought) nothing holds escalation back: 1."""
    if threshold <= 0:
        return 1.0
    return float(min(1.0, max(0.0, 1.0 - cost / (threshold * (1 + peeled)))))


def control_stringency(escalation: float, ep: EscalationParams) -> float:
    """Share of refined-input exports China withholds under its rules: none below
    ``control_escalation``, rising to ``control_stringency`` at the ceiling."""
    lo, hi = ep.control_escalation, ep.max_escalation
    if escalation < lo or hi <= lo:
        return 0.0 if escalation < lo else ep.control_stringency
    return ep.control_stringency * min(1.0, (escalation - lo) / (hi - lo))


def max_controls(escalation: float, ep: EscalationParams, truce: bool) -> float:
    """The strictest export controls China's rules allow at this escalation (none in a
    truce)."""
    return 0.0 if truce else control_stringency(escalation, ep)


def pressure_on_newcomer(
    truce_left: int, budget: float, max_per_target: float, memory: float
) -> float:
    """The pressure a state expects China to turn on it if it signs: a full target's worth
    at today's budget; during a truce, the same pressure from the truce's end, discounted
    by ``memory`` (how much of a quarter's pain a state still feels a quarter later) for
    each quarter the truce has left. A truce lowers the price of signing without making
    it free: India, Qatar and the UAE signed in the first months of the Busan truce."""
    return min(max_per_target, budget) * memory**truce_left


def truce_threshold(share: float, calm_budget: float) -> float:
    """What a year of coercion may cost China before it seeks a truce, in units: ``share``
    of four quarters at its budget at calm (``calm_budget``: a quarter's units at
    escalation 1). The cost is weighed against China's own means, so scaling its budget
    scales the threshold with it: more capacity to pressure never buys more truces.
    A share of 0 (or no budget) means no truce is sought."""
    return share * 4.0 * calm_budget


def seeks_truce(cost: float, threshold: float, peeled: int) -> bool:
    """Whether China seeks a truce: a year of coercion has cost it ``threshold`` units
    for each member it peeled off in that year, plus one (``peeled``: members that left
    in the last four quarters). Pressure that pays -- members leaving -- is worth its
    cost and goes on; costly pressure that gains nothing is what a truce ends. A
    threshold of 0 means no truce is sought."""
    return threshold > 0 and cost >= threshold * (1 + peeled)


def quarter_cost(pressure_units: float, controls: float, control_cost: float) -> float:
    """What a quarter of coercion costs China: its units of pressure plus the cost of its
    export controls (``control_cost`` per unit of stringency)."""
    return pressure_units + control_cost * controls


class RuleBasedChina:
    """The model's own China: targets by expected damage per unit of cost, controls as
    strict as its escalation allows, a truce when the last year's pressure (three past
    quarters and this one) has cost more than it gained (:func:`seeks_truce`)."""

    def decide(self, view: ChinaView) -> ChinaChoice:
        if view.truce_active:
            return ChinaChoice(inducement_share=view.inducement_share)
        pr = Pressurer(CHINA)
        ranked = pr.rank(view.targets, view.deterrence, view.cost_unit)
        alloc = pr.allocate(ranked, view.budget, view.max_per_target)
        pressure = {tg.id: u for tg, u in alloc}
        spent = quarter_cost(sum(pressure.values()), view.max_controls, view.control_cost)
        truce = seeks_truce(view.spent_last_three + spent, view.truce_cost, view.members_peeled)
        return ChinaChoice(
            pressure=pressure,
            inducement_share=view.inducement_share,
            controls=view.max_controls,
            truce=truce,
            ranking=[t.id for t in ranked],
        )


def grow_capacity(
    volume: np.ndarray,
    frontier: np.ndarray,
    row: int,
    growth_q: np.ndarray,
    has_segment: np.ndarray,
) -> None:
    """China's capacity follows its trend: each phase grows by its quarterly factor, in
    volume and, where a phase has a frontier segment of its own, at the frontier (in
    place)."""
    volume[row] *= growth_q
    frontier[row, has_segment] *= growth_q[has_segment]
